"""A tiny street-scene dataset in the Cityscapes ``gtFine`` layout.

Layout (what ``mmseg.datasets.CityscapesDataset`` reads with the stock
``mmseg::_base_/datasets/cityscapes.py`` prefixes, plus the ``labelIds`` maps that
``mmseg.evaluation.CityscapesMetric`` compares against)::

    <root>/leftImg8bit/{train,val}/<city>/<city>_<seq>_<frame>_leftImg8bit.png
    <root>/gtFine/{train,val}/<city>/<city>_<seq>_<frame>_gtFine_labelTrainIds.png
    <root>/gtFine/{train,val}/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png

Each image is a perspective street: sky on top, buildings with windows along the horizon,
a road trapezoid towards a vanishing point with sidewalks and terrain beside it, walls,
fences, poles with signs and traffic lights, trees, and cars, trucks, buses, pedestrians and
cyclists whose size follows their distance. Every class has its own colour family and shape;
small colour jitter and pixel noise keep it from being a lookup table. The bottom rows show
the ego vehicle's bonnet, labelled 255 (ignore) as in the real set. Train ids ``train``
(16) and ``motorcycle`` (17) never occur.
"""
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np

from .drawing import (add_noise, fill_ellipse, fill_polygon, fill_rectangle, jitter_color,
                      sample_rng, speckle, stroke_circle, stroke_line, vertical_gradient,
                      write_png)

#: The 19 Cityscapes evaluation classes in train-id order (mmseg's ``CityscapesDataset``).
CLASS_NAMES = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
               'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car', 'truck',
               'bus', 'train', 'motorcycle', 'bicycle')
#: Train id by class name, with underscores for spaces.
TRAIN_IDS = {name.replace(' ', '_'): train_id for train_id, name in enumerate(CLASS_NAMES)}
IGNORE_INDEX = 255

#: Cityscapes label id of each train id (``labelIds`` maps); the ignored bonnet is
#: ``ego vehicle`` (label id 1).
LABEL_ID_OF_TRAIN_ID = dict(
    zip(range(19), (7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33)))
LABEL_ID_OF_TRAIN_ID[IGNORE_INDEX] = 1

#: Real Cityscapes city names; the split decides which cities appear.
CITIES = dict(train=('aachen', 'bochum', 'bremen'), val=('frankfurt', 'lindau', 'munster'))

# Base colours (BGR) of each class family; every instance is jittered around its base.
_SKY_TOP, _SKY_HORIZON = (200, 150, 90), (235, 215, 190)
_ROAD = (90, 88, 85)
_SIDEWALK = (150, 160, 175)
_TERRAIN = (80, 140, 130)
_BUILDINGS = ((120, 130, 150), (95, 105, 125), (140, 150, 160), (110, 120, 135))
_WALL = (170, 175, 180)
_FENCE = (110, 140, 150)
_POLE = (130, 130, 130)
_SIGN = (40, 200, 230)
_LIGHT_BOX = (35, 35, 35)
_VEGETATION = (45, 120, 60)
_CAR = (130, 60, 20)
_TRUCK = (60, 110, 60)
_BUS = (30, 170, 220)
_PERSON_SHIRT = (50, 50, 200)
_RIDER_SHIRT = (170, 60, 170)
_BICYCLE = (30, 200, 120)
_SKIN = (140, 170, 210)
_DARK_GLASS = (70, 55, 45)
_TYRE = (20, 20, 20)


def _road_edges(y: float, horizon: float, height: int, vanish_x: float,
                bottom_edges: Tuple[float, float]) -> Tuple[float, float]:
    """Left and right x of the road at row ``y`` (linear towards the vanishing point)."""
    t = (y - horizon) / (height - horizon)
    return (vanish_x + t * (bottom_edges[0] - vanish_x),
            vanish_x + t * (bottom_edges[1] - vanish_x))


def _draw_buildings(image, label, rng, horizon, vanish_x):
    """Building blocks along the horizon, taller towards the image sides, with windows."""
    height, width = label.shape
    x = 0.0
    while x < width:
        block_w = rng.uniform(0.08, 0.22) * width
        if rng.random() < 0.15:
            # A gap between blocks lets the sky reach down to the horizon.
            x += block_w * 0.5
            continue
        side = min(abs(x - vanish_x), abs(x + block_w - vanish_x)) / width
        block_h = (rng.uniform(0.1, 0.2) + 0.9 * side) * height
        top = max(0.0, horizon - block_h)
        bottom = horizon + 0.03 * height
        color = jitter_color(_BUILDINGS[rng.integers(len(_BUILDINGS))], rng, 12)
        fill_rectangle(image, label, x, top, x + block_w, bottom, color, TRAIN_IDS['building'])
        window = tuple(int(c * 0.55) for c in color)
        cols, rows = int(block_w // 12), int((bottom - top) // 14)
        for i in range(cols):
            for j in range(rows):
                wx, wy = x + 4 + i * 12, top + 4 + j * 14
                if wy + 7 < bottom - 6:
                    fill_rectangle(image, label, wx, wy, wx + 5, wy + 7, window,
                                   TRAIN_IDS['building'])
        x += block_w


def _draw_ground(image, label, rng, horizon, vanish_x, road_bottom):
    """Sidewalk below the horizon, terrain patches at the outer corners, the road on top."""
    height, width = label.shape
    fill_rectangle(image, label, 0, horizon, width, height, jitter_color(_SIDEWALK, rng, 10),
                   TRAIN_IDS['sidewalk'])
    for outer_x, road_x in ((0, road_bottom[0]), (width, road_bottom[1])):
        if rng.random() < 0.6:
            # Grass strip between the sidewalk's outer edge and the buildings.
            inner = outer_x + (road_x - outer_x) * rng.uniform(0.3, 0.7)
            terrain = [(outer_x, height), (inner, height), (vanish_x, horizon + 2),
                       (outer_x, horizon + 0.2 * (height - horizon))]
            color = jitter_color(_TERRAIN, rng, 15)
            fill_polygon(image, label, terrain, color, TRAIN_IDS['terrain'])
    road = [(road_bottom[0], height), (road_bottom[1], height), (vanish_x + 2, horizon),
            (vanish_x - 2, horizon)]
    fill_polygon(image, label, road, jitter_color(_ROAD, rng, 8), TRAIN_IDS['road'])
    # Dashed centre line; lane markings belong to the road class in Cityscapes.
    centre_bottom = 0.5 * (road_bottom[0] + road_bottom[1])
    for k in range(8):
        t0, t1 = (k + 0.2) / 8, (k + 0.6) / 8
        ys = horizon + np.array([t0, t1])**1.5 * (height - horizon)
        xs = vanish_x + (ys - horizon) / (height - horizon) * (centre_bottom - vanish_x)
        half = 0.5 + 3 * (ys - horizon) / (height - horizon)
        dash = [(xs[0] - half[0], ys[0]), (xs[0] + half[0], ys[0]), (xs[1] + half[1], ys[1]),
                (xs[1] - half[1], ys[1])]
        fill_polygon(image, label, dash, (225, 225, 225), TRAIN_IDS['road'])


def _draw_wall_and_fence(image, label, rng, horizon, vanish_x):
    """A low wall on one side of the street and a lattice fence on the other."""
    height, width = label.shape
    for side, class_name in zip(rng.permutation([0, 1]), ('wall', 'fence')):
        if rng.random() < 0.35:
            continue
        outer_x = 0 if side == 0 else width
        near_h = rng.uniform(0.08, 0.16) * height
        base_near = horizon + 0.25 * (height - horizon)
        x_far = vanish_x + (outer_x - vanish_x) * 0.35
        base_far = horizon + 0.25 * (height - horizon) * 0.35
        band = [(outer_x, base_near), (x_far, base_far), (x_far, base_far - near_h * 0.35),
                (outer_x, base_near - near_h)]
        if class_name == 'wall':
            fill_polygon(image, label, band, jitter_color(_WALL, rng, 10), TRAIN_IDS['wall'])
            continue
        color = jitter_color(_FENCE, rng, 15)
        post_count = 9
        for k in range(post_count + 1):
            t = k / post_count
            x = outer_x + t * (x_far - outer_x)
            bottom = base_near + t * (base_far - base_near)
            top = bottom - near_h * (1 - 0.65 * t)
            fill_rectangle(image, label, x - 1.5 * (1 - 0.6 * t), top, x + 1.5 * (1 - 0.6 * t),
                           bottom, color, TRAIN_IDS['fence'])
        for frac in (0.15, 0.55, 0.9):
            rail = [(outer_x, base_near - frac * near_h), (x_far, base_far - frac * near_h * 0.35),
                    (x_far, base_far - frac * near_h * 0.35 + 1.5),
                    (outer_x, base_near - frac * near_h + 2.5)]
            fill_polygon(image, label, rail, color, TRAIN_IDS['fence'])


def _draw_tree(image, label, rng, foot_x, foot_y, scale):
    """A trunk with a speckled crown; trunks are vegetation in Cityscapes too."""
    height = label.shape[0]
    tree_h = scale * height * rng.uniform(0.5, 0.8)
    trunk_w = max(2.0, 0.035 * tree_h)
    color = jitter_color(_VEGETATION, rng, 15)
    fill_rectangle(image, label, foot_x - trunk_w / 2, foot_y - 0.45 * tree_h,
                   foot_x + trunk_w / 2, foot_y, (40, 60, 80), TRAIN_IDS['vegetation'])
    crown_region = np.zeros_like(label)
    for _ in range(3):
        center = (foot_x + rng.uniform(-0.15, 0.15) * tree_h,
                  foot_y - tree_h * rng.uniform(0.6, 0.8))
        axes = (tree_h * rng.uniform(0.2, 0.3), tree_h * rng.uniform(0.18, 0.26))
        fill_ellipse(image, crown_region, center, axes, color, 1)
    label[crown_region > 0] = TRAIN_IDS['vegetation']
    speckle(image, crown_region > 0, rng, tuple(int(c * 0.6) for c in color), 0.25)


def _draw_pole(image, label, rng, foot_x, foot_y, scale):
    """A pole, usually carrying a traffic sign or a traffic light."""
    height = label.shape[0]
    pole_h = scale * height * rng.uniform(0.45, 0.6)
    pole_w = max(1.5, 0.02 * pole_h)
    fill_rectangle(image, label, foot_x - pole_w / 2, foot_y - pole_h, foot_x + pole_w / 2, foot_y,
                   jitter_color(_POLE, rng, 10), TRAIN_IDS['pole'])
    top = foot_y - pole_h
    choice = rng.random()
    if choice < 0.45:
        radius = 0.09 * pole_h
        fill_ellipse(image, label, (foot_x, top + radius), (radius, radius),
                     jitter_color(_SIGN, rng, 15), TRAIN_IDS['traffic_sign'])
    elif choice < 0.8:
        box_w, box_h = 0.08 * pole_h, 0.22 * pole_h
        fill_rectangle(image, label, foot_x - box_w / 2, top, foot_x + box_w / 2, top + box_h,
                       _LIGHT_BOX, TRAIN_IDS['traffic_light'])
        lamp = ((40, 40, 230), (40, 200, 240), (60, 200, 60))[rng.integers(3)]
        fill_ellipse(image, label, (foot_x, top + box_h * rng.choice([0.2, 0.5, 0.8])),
                     (box_w * 0.3, box_w * 0.3), lamp, TRAIN_IDS['traffic_light'])


def _draw_vehicle(image, label, rng, kind, foot_x, foot_y, scale):
    """A car, truck or bus seen from behind: body, cabin or windows, and tyres."""
    width = label.shape[1]
    class_id = TRAIN_IDS[kind]
    veh_w = scale * width * dict(car=0.32, truck=0.4, bus=0.42)[kind] * rng.uniform(0.9, 1.1)
    veh_h = veh_w * dict(car=0.75, truck=1.05, bus=1.1)[kind]
    x0, x1 = foot_x - veh_w / 2, foot_x + veh_w / 2
    body = jitter_color(dict(car=_CAR, truck=_TRUCK, bus=_BUS)[kind], rng, 25)
    tyre_h = 0.14 * veh_h
    for tyre_x in (x0 + 0.18 * veh_w, x1 - 0.18 * veh_w):
        fill_rectangle(image, label, tyre_x - 0.09 * veh_w, foot_y - tyre_h, tyre_x + 0.09 * veh_w,
                       foot_y, _TYRE, class_id)
    body_bottom = foot_y - 0.6 * tyre_h
    if kind == 'car':
        body_top = body_bottom - 0.5 * veh_h
        fill_rectangle(image, label, x0, body_top, x1, body_bottom, body, class_id)
        cabin = [(x0 + 0.08 * veh_w, body_top), (x1 - 0.08 * veh_w, body_top),
                 (x1 - 0.2 * veh_w, foot_y - veh_h), (x0 + 0.2 * veh_w, foot_y - veh_h)]
        fill_polygon(image, label, cabin, body, class_id)
        glass = [(x0 + 0.14 * veh_w, body_top), (x1 - 0.14 * veh_w, body_top),
                 (x1 - 0.23 * veh_w, foot_y - 0.92 * veh_h),
                 (x0 + 0.23 * veh_w, foot_y - 0.92 * veh_h)]
        fill_polygon(image, label, glass, _DARK_GLASS, class_id)
        for lamp_x in (x0 + 0.06 * veh_w, x1 - 0.14 * veh_w):
            fill_rectangle(image, label, lamp_x, body_top + 0.1 * veh_h, lamp_x + 0.08 * veh_w,
                           body_top + 0.18 * veh_h, (30, 30, 200), class_id)
    else:
        fill_rectangle(image, label, x0, foot_y - veh_h, x1, body_bottom, body, class_id)
        if kind == 'bus':
            fill_rectangle(image, label, x0 + 0.06 * veh_w, foot_y - 0.92 * veh_h,
                           x1 - 0.06 * veh_w, foot_y - 0.62 * veh_h, _DARK_GLASS, class_id)
        else:
            # The cargo box's door seam, a vertical dark line.
            fill_rectangle(image, label, foot_x - 0.01 * veh_w,
                           foot_y - 0.95 * veh_h, foot_x + 0.01 * veh_w, body_bottom,
                           tuple(c // 2 for c in body), class_id)


def _draw_person(image, label, rng, foot_x, foot_y, scale, class_id, shirt, saddle_y=None):
    """A pedestrian, or a rider when ``saddle_y`` is given: legs, torso, arms and head.

    Args:
        image (numpy.ndarray): BGR image, painted in place.
        label (numpy.ndarray): Train-id map, painted in place.
        rng (numpy.random.Generator): The sample's generator.
        foot_x (float): Column of the feet (for a rider: of the pedals).
        foot_y (float): Row of the feet (for a rider: of the pedals).
        scale (float): Depth factor in (0, 1]; 1 is the bottom row of the image.
        class_id (int): Train id of ``person`` or ``rider``.
        shirt (tuple[int, int, int]): Base colour of the torso and arms.
        saddle_y (float, optional): Row of the saddle for a seated rider; ``None`` for a
            standing person.
    """
    height = label.shape[0]
    unit = scale * height * rng.uniform(0.42, 0.5) / 8
    shirt = jitter_color(shirt, rng, 25)
    trousers = jitter_color((90, 50, 40), rng, 15)
    hip_y = foot_y - 3.8 * unit if saddle_y is None else saddle_y
    stride = rng.uniform(0.2, 0.8) * unit
    for dx in (-stride, stride):
        leg = [(foot_x - 0.35 * unit + dx, foot_y), (foot_x + 0.35 * unit + dx, foot_y),
               (foot_x + 0.5 * unit, hip_y), (foot_x - 0.5 * unit, hip_y)]
        fill_polygon(image, label, leg, trousers, class_id)
    fill_rectangle(image, label, foot_x - 0.9 * unit, hip_y - 3 * unit, foot_x + 0.9 * unit, hip_y,
                   shirt, class_id)
    for sign in (-1, 1):
        arm = [(foot_x + sign * 0.9 * unit, hip_y - 2.9 * unit),
               (foot_x + sign * 1.3 * unit, hip_y - 2.9 * unit),
               (foot_x + sign * 1.5 * unit, hip_y - 0.6 * unit),
               (foot_x + sign * 1.0 * unit, hip_y - 0.6 * unit)]
        fill_polygon(image, label, arm, shirt, class_id)
    fill_ellipse(image, label, (foot_x, hip_y - 3.6 * unit), (0.55 * unit, 0.65 * unit),
                 jitter_color(_SKIN, rng, 15), class_id)


def _draw_cyclist(image, label, rng, foot_x, foot_y, scale):
    """A bicycle seen from the side (two wheels and a frame) with a rider on it."""
    height = label.shape[0]
    wheel_r = scale * height * 0.06
    color = jitter_color(_BICYCLE, rng, 20)
    thickness = max(1.0, wheel_r * 0.25)
    hubs = [(foot_x - 1.4 * wheel_r, foot_y - wheel_r), (foot_x + 1.4 * wheel_r, foot_y - wheel_r)]
    for hub in hubs:
        stroke_circle(image, label, hub, wheel_r - thickness / 2, color, TRAIN_IDS['bicycle'],
                      thickness)
    saddle = (foot_x - 0.3 * wheel_r, foot_y - 2.3 * wheel_r)
    for start, end in ((hubs[0], saddle), (hubs[1], saddle), (hubs[0], hubs[1]),
                       (hubs[1], (hubs[1][0] - 0.2 * wheel_r, saddle[1] - 0.4 * wheel_r))):
        stroke_line(image, label, start, end, color, TRAIN_IDS['bicycle'], thickness)
    pedals_y = foot_y - wheel_r
    _draw_person(image, label, rng, foot_x, pedals_y, scale, TRAIN_IDS['rider'], _RIDER_SHIRT,
                 saddle_y=saddle[1])


def _draw_bonnet(image, label, rng):
    """The ego vehicle's bonnet along the bottom edge, ignored (255) as in Cityscapes."""
    height, width = label.shape
    top = height * rng.uniform(0.92, 0.95)
    xs = np.linspace(0, width, 24)
    ys = top + (height - top) * 0.6 * ((xs - width / 2) / (width / 2))**2
    outline = [(0, height)] + list(zip(xs, ys)) + [(width, height)]
    fill_polygon(image, label, outline, (35, 30, 30), IGNORE_INDEX)


def render_street_scene(rng: np.random.Generator,
                        image_size: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    """Paint one street scene.

    Args:
        rng (numpy.random.Generator): The sample's generator.
        image_size (tuple[int, int]): ``(height, width)`` in pixels.

    Returns:
        tuple[numpy.ndarray, numpy.ndarray]: The BGR uint8 image and its uint8 map of train
        ids (255 = ignore).
    """
    height, width = image_size
    horizon = height * rng.uniform(0.38, 0.48)
    vanish_x = width * rng.uniform(0.4, 0.6)
    image = vertical_gradient(height, width, jitter_color(_SKY_TOP, rng, 15),
                              jitter_color(_SKY_HORIZON, rng, 10))
    label = np.full((height, width), TRAIN_IDS['sky'], np.uint8)
    _draw_buildings(image, label, rng, horizon, vanish_x)
    road_bottom = (width * rng.uniform(-0.05, 0.2), width * rng.uniform(0.8, 1.05))
    _draw_ground(image, label, rng, horizon, vanish_x, road_bottom)
    _draw_wall_and_fence(image, label, rng, horizon, vanish_x)

    # Everything standing on the ground, drawn from far to near so nearer things occlude.
    objects: List[Tuple[float, str, float]] = []
    for _ in range(rng.integers(1, 4)):
        objects.append((rng.uniform(0.15, 0.7), 'tree', rng.choice([-1.0, 1.0])))
    for _ in range(rng.integers(1, 4)):
        objects.append((rng.uniform(0.15, 0.8), 'pole', rng.choice([-1.0, 1.0])))
    for _ in range(rng.integers(1, 4)):
        objects.append((rng.uniform(0.1, 0.85), 'car', rng.uniform(-0.8, 0.8)))
    if rng.random() < 0.4:
        large_vehicle = 'truck' if rng.random() < 0.5 else 'bus'
        objects.append((rng.uniform(0.1, 0.5), large_vehicle, rng.uniform(-0.6, 0.6)))
    for _ in range(rng.integers(0, 4)):
        objects.append((rng.uniform(0.15, 0.85), 'person', rng.choice([-1.0, 1.0])))
    if rng.random() < 0.5:
        objects.append((rng.uniform(0.15, 0.8), 'cyclist', rng.uniform(-0.7, 0.7)))
    for depth, kind, lateral in sorted(objects, key=lambda o: o[0]):
        foot_y = horizon + depth * (height - horizon)
        left, right = _road_edges(foot_y, horizon, height, vanish_x, road_bottom)
        if kind in ('car', 'truck', 'bus', 'cyclist'):
            # On the road: ``lateral`` in [-1, 1] spans the lane area.
            foot_x = 0.5 * (left + right) + 0.5 * lateral * (right - left)
        else:
            # Beside the road on the sidewalk or terrain, ``lateral`` = -1 left, 1 right.
            edge = left if lateral < 0 else right
            foot_x = edge + lateral * rng.uniform(0.05, 0.4) * depth * width
        if kind == 'tree':
            _draw_tree(image, label, rng, foot_x, foot_y, depth)
        elif kind == 'pole':
            _draw_pole(image, label, rng, foot_x, foot_y, depth)
        elif kind == 'person':
            _draw_person(image, label, rng, foot_x, foot_y, depth, TRAIN_IDS['person'],
                         _PERSON_SHIRT)
        elif kind == 'cyclist':
            _draw_cyclist(image, label, rng, foot_x, foot_y, depth)
        else:
            _draw_vehicle(image, label, rng, kind, foot_x, foot_y, depth)
    _draw_bonnet(image, label, rng)
    return add_noise(image, rng, sigma=4.0), label


def train_ids_to_label_ids(train_ids: np.ndarray) -> np.ndarray:
    """Map a train-id map to Cityscapes label ids, as in the ``_gtFine_labelIds.png`` files."""
    lookup = np.zeros(256, np.uint8)
    for train_id, label_id in LABEL_ID_OF_TRAIN_ID.items():
        lookup[train_id] = label_id
    return lookup[train_ids]


def make_tiny_cityscapes(root: str,
                         seed: int = 0,
                         num_train: int = 24,
                         num_val: int = 8,
                         image_size: Tuple[int, int] = (256, 512)) -> Dict[str, List[str]]:
    """Write a tiny Cityscapes-format dataset under ``root``.

    Args:
        root (str): Dataset root, the ``data_root`` of the mmseg config.
        seed (int): Seed; the same seed gives byte-identical files.
        num_train (int): Images in ``train`` (spread over three cities).
        num_val (int): Images in ``val`` (spread over three other cities).
        image_size (tuple[int, int]): ``(height, width)``; the real set's 1:2 aspect by default.

    Returns:
        dict[str, list[str]]: Per split, the image base names written
        (``<city>_<seq>_<frame>``).
    """
    written: Dict[str, List[str]] = {}
    for split, count in (('train', num_train), ('val', num_val)):
        written[split] = []
        cities = CITIES[split]
        for index in range(count):
            city = cities[index % len(cities)]
            # Sequence numbers grow per city; the frame number is the 20th frame of a
            # 30-frame snippet, as for the annotated frames of the real set.
            name = f'{city}_{index // len(cities):06d}_000019'
            image, train_ids = render_street_scene(sample_rng(seed, 'cityscapes', split, index),
                                                   image_size)
            write_png(osp.join(root, 'leftImg8bit', split, city, f'{name}_leftImg8bit.png'), image)
            gt_dir = osp.join(root, 'gtFine', split, city)
            write_png(osp.join(gt_dir, f'{name}_gtFine_labelTrainIds.png'), train_ids)
            write_png(osp.join(gt_dir, f'{name}_gtFine_labelIds.png'),
                      train_ids_to_label_ids(train_ids))
            written[split].append(name)
    return written
