"""A tiny scene-parsing dataset in the ADE20K (``ADEChallengeData2016``) layout.

Layout (what ``mmseg.datasets.ADE20KDataset`` reads with the stock
``mmseg::_base_/datasets/ade20k.py`` prefixes)::

    <root>/images/training/ADE_train_00000001.jpg
    <root>/images/validation/ADE_val_00000001.jpg
    <root>/annotations/training/ADE_train_00000001.png
    <root>/annotations/validation/ADE_val_00000001.png

``<root>`` is the ``ADEChallengeData2016`` folder itself (the stock ``data_root`` is
``data/ade/ADEChallengeData2016``). Annotation values are 1..150 for the 150 classes and 0 for
"other"; with ``reduce_zero_label=True`` the dataset turns 0 into 255 and class ``k`` into
``k - 1``, so the index of a class in ``ADE20KDataset.METAINFO['classes']`` is its value
here minus one.

Half of the images are outdoor scenes (sky, mountain, building, tree, grass, road, water,
car, person), half indoor rooms (ceiling, wall, floor, window, door, painting, table, bed,
rug). A few clutter blobs of random colour are left as "other" (0). Image sizes vary
between 128 and 256 pixels per side, like the varying sizes of the real set.
"""
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np

from .drawing import (add_noise, fill_ellipse, fill_polygon, fill_rectangle, jitter_color,
                      regular_polygon, sample_rng, speckle, vertical_gradient, write_jpeg,
                      write_png)

#: Annotation value (1-based ADE20K class index) of each class drawn here; value 0 is "other".
CLASS_VALUES = dict(wall=1,
                    building=2,
                    sky=3,
                    floor=4,
                    tree=5,
                    ceiling=6,
                    road=7,
                    bed=8,
                    windowpane=9,
                    grass=10,
                    person=13,
                    door=15,
                    table=16,
                    mountain=17,
                    car=21,
                    water=22,
                    painting=23,
                    rug=29)
OTHER = 0

# Base colours (BGR) of each class family; every instance is jittered around its base.
_COLORS = dict(wall=(170, 195, 215),
               building=(110, 120, 140),
               sky=(220, 170, 110),
               floor=(70, 110, 150),
               tree=(40, 110, 50),
               ceiling=(235, 235, 230),
               road=(95, 95, 95),
               bed=(200, 150, 200),
               windowpane=(240, 220, 170),
               grass=(60, 170, 90),
               person=(60, 60, 190),
               door=(40, 70, 110),
               table=(30, 90, 140),
               mountain=(120, 110, 100),
               car=(160, 80, 30),
               water=(170, 110, 40),
               painting=(40, 160, 200),
               rug=(60, 40, 150))


def _draw_outdoor(image, label, rng):
    """Sky, mountains, buildings, trees and ground, then cars and people in front."""
    height, width = label.shape
    horizon = height * rng.uniform(0.4, 0.6)
    image[:] = vertical_gradient(height, width, jitter_color(_COLORS['sky'], rng, 15),
                                 (235, 225, 215))
    label[:] = CLASS_VALUES['sky']
    if rng.random() < 0.6:
        peaks = np.linspace(-0.1, 1.1, rng.integers(3, 6)) * width
        ridge = [(x, horizon - rng.uniform(0.1, 0.3) * height) for x in peaks]
        fill_polygon(image, label, [(peaks[0], horizon)] + ridge + [(peaks[-1], horizon)],
                     jitter_color(_COLORS['mountain'], rng, 12), CLASS_VALUES['mountain'])
    x = rng.uniform(-0.1, 0.3) * width
    while x < width and rng.random() < 0.75:
        block_w = rng.uniform(0.12, 0.3) * width
        top = horizon - rng.uniform(0.15, 0.4) * height
        color = jitter_color(_COLORS['building'], rng, 15)
        fill_rectangle(image, label, x, top, x + block_w, horizon + 2, color,
                       CLASS_VALUES['building'])
        pane = tuple(int(c * 0.6) for c in color)
        for wy in np.arange(top + 5, horizon - 8, 10):
            for wx in np.arange(x + 4, x + block_w - 6, 9):
                fill_rectangle(image, label, wx, wy, wx + 4, wy + 5, pane,
                               CLASS_VALUES['building'])
        x += block_w + rng.uniform(0.0, 0.2) * width
    ground = rng.choice(['grass', 'water'], p=[0.7, 0.3])
    fill_rectangle(image, label, 0, horizon, width, height, jitter_color(_COLORS[ground], rng, 15),
                   CLASS_VALUES[ground])
    if ground == 'grass':
        speckle(image, label == CLASS_VALUES['grass'], rng, (40, 130, 60), 0.2)
        road_x = rng.uniform(0.2, 0.8) * width
        road = [(road_x - 0.05 * width, horizon), (road_x + 0.05 * width, horizon),
                (road_x + rng.uniform(0.3, 0.6) * width, height),
                (road_x - rng.uniform(0.3, 0.6) * width, height)]
        fill_polygon(image, label, road, jitter_color(_COLORS['road'], rng, 10),
                     CLASS_VALUES['road'])
    else:
        # Ripples on the water: lighter horizontal streaks.
        for y in rng.uniform(horizon + 3, height, size=12):
            x0 = rng.uniform(0, width)
            fill_rectangle(image, label, x0, y, x0 + rng.uniform(8, 30), y + 1, (210, 160, 90),
                           CLASS_VALUES['water'])
    for _ in range(rng.integers(1, 4)):
        foot = (rng.uniform(0, width), rng.uniform(horizon, horizon + 0.15 * height))
        tree_h = rng.uniform(0.25, 0.45) * height
        fill_rectangle(image, label, foot[0] - 2, foot[1] - 0.5 * tree_h, foot[0] + 2, foot[1],
                       (40, 60, 90), CLASS_VALUES['tree'])
        crown = np.zeros_like(label)
        fill_ellipse(image, crown, (foot[0], foot[1] - 0.65 * tree_h),
                     (0.25 * tree_h, 0.3 * tree_h), jitter_color(_COLORS['tree'], rng, 15), 1)
        label[crown > 0] = CLASS_VALUES['tree']
        speckle(image, crown > 0, rng, (30, 70, 35), 0.3)
    if ground == 'grass':
        for _ in range(rng.integers(0, 3)):
            _draw_car(image, label, rng, horizon)
    for _ in range(rng.integers(0, 3)):
        _draw_person(image, label, rng, horizon)


def _draw_car(image, label, rng, horizon):
    """A side view of a car: body, cabin with a window, two dark wheels."""
    height, width = label.shape
    foot_y = rng.uniform(horizon + 0.15 * (height - horizon), height)
    car_l = (foot_y - horizon) / (height - horizon) * rng.uniform(0.35, 0.5) * width
    x0 = rng.uniform(-0.2 * car_l, width - 0.8 * car_l)
    color = jitter_color(_COLORS['car'], rng, 25)
    value = CLASS_VALUES['car']
    fill_rectangle(image, label, x0, foot_y - 0.3 * car_l, x0 + car_l, foot_y - 0.08 * car_l,
                   color, value)
    cabin = [(x0 + 0.2 * car_l, foot_y - 0.3 * car_l), (x0 + 0.85 * car_l, foot_y - 0.3 * car_l),
             (x0 + 0.7 * car_l, foot_y - 0.5 * car_l), (x0 + 0.3 * car_l, foot_y - 0.5 * car_l)]
    fill_polygon(image, label, cabin, color, value)
    window = [
        (x0 + 0.3 * car_l, foot_y - 0.32 * car_l), (x0 + 0.78 * car_l, foot_y - 0.32 * car_l),
        (x0 + 0.67 * car_l, foot_y - 0.46 * car_l), (x0 + 0.34 * car_l, foot_y - 0.46 * car_l)
    ]
    fill_polygon(image, label, window, (90, 70, 50), value)
    for wheel_x in (x0 + 0.22 * car_l, x0 + 0.78 * car_l):
        fill_ellipse(image, label, (wheel_x, foot_y - 0.09 * car_l), (0.09 * car_l, 0.09 * car_l),
                     (25, 25, 25), value)


def _draw_person(image, label, rng, horizon):
    """A standing person: two legs, torso, head."""
    height, width = label.shape
    foot = (rng.uniform(0, width), rng.uniform(horizon + 0.1 * (height - horizon), height))
    unit = (foot[1] - horizon) / (height - horizon) * rng.uniform(0.05, 0.07) * height
    value = CLASS_VALUES['person']
    shirt = jitter_color(_COLORS['person'], rng, 25)
    for dx in (-0.4 * unit, 0.4 * unit):
        fill_rectangle(image, label, foot[0] + dx - 0.3 * unit, foot[1] - 4 * unit,
                       foot[0] + dx + 0.3 * unit, foot[1], (80, 50, 40), value)
    fill_rectangle(image, label, foot[0] - 0.9 * unit, foot[1] - 7 * unit, foot[0] + 0.9 * unit,
                   foot[1] - 4 * unit, shirt, value)
    fill_ellipse(image, label, (foot[0], foot[1] - 7.6 * unit), (0.6 * unit, 0.7 * unit),
                 (140, 170, 210), value)


def _draw_indoor(image, label, rng):
    """A room: ceiling, back wall, floor in perspective, and furniture."""
    height, width = label.shape
    back = (rng.uniform(0.2, 0.35) * width, rng.uniform(0.2, 0.3) * height,
            rng.uniform(0.65, 0.8) * width, rng.uniform(0.6, 0.75) * height)
    wall = jitter_color(_COLORS['wall'], rng, 15)
    image[:] = wall
    label[:] = CLASS_VALUES['wall']
    fill_polygon(image, label, [(0, 0), (width, 0), (back[2], back[1]), (back[0], back[1])],
                 jitter_color(_COLORS['ceiling'], rng, 8), CLASS_VALUES['ceiling'])
    fill_polygon(image, label, [(0, height), (width, height),
                                (back[2], back[3]), (back[0], back[3])],
                 jitter_color(_COLORS['floor'], rng, 15), CLASS_VALUES['floor'])
    # Floorboards: darker lines towards the vanishing region keep the floor textured.
    for x in np.linspace(0, width, 9):
        fill_polygon(image, label, [(x - 1, height), (x + 1, height),
                                    (back[0] + (back[2] - back[0]) * x / width + 0.5, back[3]),
                                    (back[0] + (back[2] - back[0]) * x / width - 0.5, back[3])],
                     (50, 80, 115), CLASS_VALUES['floor'])
    if rng.random() < 0.6:
        rug_y = rng.uniform(back[3] + 5, height - 10)
        rug = [(back[0], rug_y), (back[2], rug_y), (back[2] + 0.15 * width, height - 3),
               (back[0] - 0.15 * width, height - 3)]
        fill_polygon(image, label, rug, jitter_color(_COLORS['rug'], rng, 20), CLASS_VALUES['rug'])
    back_w, back_h = back[2] - back[0], back[3] - back[1]
    if rng.random() < 0.8:
        wx = back[0] + rng.uniform(0.05, 0.4) * back_w
        fill_rectangle(image, label, wx, back[1] + 0.15 * back_h,
                       wx + 0.35 * back_w, back[1] + 0.55 * back_h,
                       jitter_color(_COLORS['windowpane'], rng, 10), CLASS_VALUES['windowpane'])
        fill_rectangle(image, label, wx + 0.17 * back_w, back[1] + 0.15 * back_h,
                       wx + 0.18 * back_w, back[1] + 0.55 * back_h, (200, 200, 200),
                       CLASS_VALUES['windowpane'])
    if rng.random() < 0.7:
        door_x = rng.choice([back[0] + 0.05 * back_w, back[2] - 0.3 * back_w])
        fill_rectangle(image, label, door_x, back[1] + 0.25 * back_h, door_x + 0.25 * back_w,
                       back[3], jitter_color(_COLORS['door'], rng, 15), CLASS_VALUES['door'])
    if rng.random() < 0.7:
        px, py = rng.uniform(0.02, 0.12) * width, rng.uniform(0.3, 0.45) * height
        pw, ph = rng.uniform(0.08, 0.14) * width, rng.uniform(0.1, 0.16) * height
        fill_rectangle(image, label, px, py, px + pw, py + ph, (30, 60, 90),
                       CLASS_VALUES['painting'])
        fill_rectangle(image, label, px + 2, py + 2, px + pw - 2, py + ph - 2,
                       jitter_color(_COLORS['painting'], rng, 40), CLASS_VALUES['painting'])
    furniture = rng.choice(['table', 'bed'])
    fx = rng.uniform(0.1, 0.6) * width
    fy = rng.uniform(back[3] + 0.05 * height, 0.95 * height)
    if furniture == 'table':
        top_w = rng.uniform(0.25, 0.35) * width
        color = jitter_color(_COLORS['table'], rng, 15)
        fill_rectangle(image, label, fx, fy - 0.2 * height, fx + top_w, fy - 0.17 * height, color,
                       CLASS_VALUES['table'])
        for leg_x in (fx + 3, fx + top_w - 6):
            fill_rectangle(image, label, leg_x, fy - 0.17 * height, leg_x + 3, fy, color,
                           CLASS_VALUES['table'])
    else:
        bed_w = rng.uniform(0.35, 0.45) * width
        fill_rectangle(image, label, fx, fy - 0.15 * height, fx + bed_w, fy,
                       jitter_color(_COLORS['bed'], rng, 20), CLASS_VALUES['bed'])
        fill_rectangle(image, label, fx, fy - 0.25 * height, fx + 0.08 * width, fy, (60, 90, 130),
                       CLASS_VALUES['bed'])


def _draw_clutter(image, label, rng):
    """A few blobs of random colour and shape labelled "other" (0)."""
    height, width = label.shape
    for _ in range(rng.integers(0, 3)):
        center = (rng.uniform(0, width), rng.uniform(0, height))
        radius = rng.uniform(0.03, 0.08) * min(height, width)
        outline = regular_polygon(center, radius, int(rng.integers(3, 7)), rng.uniform(0, np.pi))
        color = tuple(int(c) for c in rng.integers(0, 256, size=3))
        fill_polygon(image, label, outline, color, OTHER)


def render_ade_scene(rng: np.random.Generator,
                     image_size: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    """Paint one indoor or outdoor scene.

    Args:
        rng (numpy.random.Generator): The sample's generator.
        image_size (tuple[int, int]): ``(height, width)`` in pixels.

    Returns:
        tuple[numpy.ndarray, numpy.ndarray]: The BGR uint8 image and its uint8 annotation
        (0 = other, 1..150 = ADE20K classes).
    """
    height, width = image_size
    image = np.zeros((height, width, 3), np.uint8)
    label = np.zeros((height, width), np.uint8)
    if rng.random() < 0.5:
        _draw_outdoor(image, label, rng)
    else:
        _draw_indoor(image, label, rng)
    _draw_clutter(image, label, rng)
    return add_noise(image, rng, sigma=4.0), label


def make_tiny_ade20k(root: str,
                     seed: int = 0,
                     num_train: int = 24,
                     num_val: int = 8,
                     min_size: int = 128,
                     max_size: int = 256) -> Dict[str, List[str]]:
    """Write a tiny ADE20K-format dataset under ``root`` (the ``ADEChallengeData2016`` folder).

    Args:
        root (str): Dataset root, the ``data_root`` of the mmseg config.
        seed (int): Seed; the same seed gives byte-identical files.
        num_train (int): Images in ``training``.
        num_val (int): Images in ``validation``.
        min_size (int): Smallest image side in pixels.
        max_size (int): Largest image side in pixels.

    Returns:
        dict[str, list[str]]: Per split (``training``, ``validation``), the base names written.
    """
    written: Dict[str, List[str]] = {}
    for split, prefix, count in (('training', 'ADE_train', num_train), ('validation', 'ADE_val',
                                                                        num_val)):
        written[split] = []
        for index in range(count):
            rng = sample_rng(seed, 'ade20k', split, index)
            size = tuple(int(s) for s in rng.integers(min_size, max_size + 1, size=2))
            image, annotation = render_ade_scene(rng, size)
            name = f'{prefix}_{index + 1:08d}'
            write_jpeg(osp.join(root, 'images', split, f'{name}.jpg'), image)
            write_png(osp.join(root, 'annotations', split, f'{name}.png'), annotation)
            written[split].append(name)
    return written
