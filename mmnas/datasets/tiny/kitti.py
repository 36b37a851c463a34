"""A tiny 3D object-detection dataset in the KITTI layout, with mmdet3d's own info files.

Raw layout, as in the KITTI object benchmark::

    <root>/ImageSets/{train,val,trainval,test}.txt     6-digit frame ids
    <root>/training/velodyne/<id>.bin                  float32 (N, 4): x, y, z, intensity
    <root>/training/image_2/<id>.png                   left colour camera
    <root>/training/calib/<id>.txt                     P0-P3, R0_rect, Tr_velo_to_cam,
                                                       Tr_imu_to_velo
    <root>/training/label_2/<id>.txt                   one object per line
    <root>/training/planes/<id>.txt                    ground plane (camera coordinates)
    <root>/testing/{velodyne,image_2,calib}/<id>.*     no labels

Then mmdet3d's own KITTI preparation (the functions behind ``tools/create_data.py kitti``,
imported from the installed package's ``.mim/tools/dataset_converters``) adds:

    <root>/training/velodyne_reduced/, <root>/testing/velodyne_reduced/
    <root>/kitti_infos_{train,val,trainval,test}.pkl   info format v2 (``KittiDataset``),
                                                       with the ground ``plane`` of each
                                                       labelled frame (``--with-plane``)
    <root>/kitti_dbinfos_train.pkl, <root>/kitti_gt_database/   for ``ObjectSample``

Every frame is a straight street seen by a 360-degree lidar 1.73 m above the ground: a
two-lane-each-way road with sidewalks, building facades, poles and low walls beside it, and
cars, pedestrians and cyclists in the camera's field of view, with realistic sizes, positions
and headings. The points are simulated by casting the lidar's rays (43 beams, denser near the
horizon, every 0.4 degrees of azimuth) against the ground plane and every box, so objects are
dense box-shaped clusters with shadows behind them, and each object point lies strictly inside
its labelled box. The calibration is exact (the lidar and rectified camera axes differ by the
usual permutation only), so the labels (camera coordinates, bottom centre), the 2D boxes (the
3D boxes projected with ``P2``) and the image are consistent with the points. ``occluded`` is
the share of the object's rays that a nearer box intercepts, ``truncated`` the share of its
projected box outside the image.
"""
import contextlib
import importlib
import importlib.util
import io
import os
import os.path as osp
import sys
import tempfile
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np
from mmengine.registry import DefaultScope

from mmnas.utils.atomic import atomic_write_text

from .drawing import jitter_color, sample_rng, vertical_gradient, write_png

#: The three classes of the stock ``kitti-3d-3class`` configs.
CLASS_NAMES = ('Pedestrian', 'Cyclist', 'Car')
#: Mean and standard deviation of ``(length, width, height)`` in metres, close to KITTI's.
CLASS_SIZES = dict(Car=((3.9, 1.6, 1.56), (0.3, 0.08, 0.08)),
                   Pedestrian=((0.8, 0.62, 1.75), (0.12, 0.08, 0.08)),
                   Cyclist=((1.76, 0.6, 1.73), (0.12, 0.06, 0.06)))
#: Height of the lidar above the ground, as on the KITTI car.
LIDAR_HEIGHT = 1.73
#: Camera 0 sits this far in front of (x) and below (z) the lidar.
CAMERA_OFFSET = (0.27, 0.08)
#: Objects with fewer lidar returns are taken out of the scene (KITTI labels are useful only
#: for objects the sensors really see).
MIN_OBJECT_POINTS = 8
#: Lateral extent of the street (lidar y, metres): road, sidewalk, frontage.
ROAD_HALF_WIDTH, SIDEWALK_OUTER = 7.0, 10.5

# Lidar model: elevation angles (degrees) denser near the horizon, like the HDL-64E.
_BEAM_ELEVATIONS = np.deg2rad(
    np.concatenate([np.linspace(-24.8, -8.6, 14),
                    np.linspace(-8.0, 2.0, 29)]))
_AZIMUTH_STEP = np.deg2rad(0.4)
_MAX_RANGE = 100.0
# Beyond this horizontal distance the returns from the flat ground are too weak to register.
_MAX_GROUND_RANGE = 80.0
# Least gap between two boxes of a scene (metres), so every object's points stand apart.
_CLEARANCE = 0.4
# Points are kept this far inside their box, so that rounding and noise never move an object
# point out of its label.
_INSET = 0.02

# BGR colours of the camera image, per scene element.
_IMAGE_COLORS = dict(Car=((150, 80, 40), (40, 40, 170), (200, 200, 200), (50, 50, 50)),
                     Pedestrian=((60, 60, 200), ),
                     Cyclist=((60, 180, 60), ),
                     facade=((150, 170, 190), (120, 130, 150)),
                     pole=((120, 120, 120), ),
                     wall=((160, 160, 165), ))
# Unit vector towards the light of the camera image (lidar frame: ahead, left and above).
_LIGHT_DIRECTION = np.array([0.3, 0.5, 0.8]) / np.linalg.norm([0.3, 0.5, 0.8])
# Intensity range of the returns, per scene element.
_INTENSITY = dict(Car=(0.25, 0.95),
                  Pedestrian=(0.05, 0.4),
                  Cyclist=(0.15, 0.6),
                  facade=(0.1, 0.45),
                  pole=(0.3, 0.7),
                  wall=(0.1, 0.3),
                  ground=(0.02, 0.3))


class KittiCalibration:
    """The calibration of one frame, in the matrices that a KITTI ``calib`` file holds.

    The rectified camera 0 looks along the lidar's x axis; the lidar-to-camera rotation is the
    exact axis permutation (lidar x forward, y left, z up; camera x right, y down, z forward),
    so boxes that are upright in the camera frame stay upright in the lidar frame.

    Args:
        image_size (tuple[int, int]): ``(height, width)`` of the colour images; the
            intrinsics scale with it (KITTI's for the default 375 x 1242).
    """

    def __init__(self, image_size: Tuple[int, int]):
        height, width = image_size
        focal = 720.0 * width / 1242
        intrinsics = np.array([[focal, 0.0, 0.491 * width], [0.0, focal, 0.461 * height],
                               [0.0, 0.0, 1.0]])
        # Camera positions relative to camera 0 along its x axis (metres): the grey stereo
        # pair is 0.54 m apart, the colour cameras sit 6 cm left and 47 cm right of camera 0.
        self.projections = [
            intrinsics @ np.hstack([np.eye(3), [[tx], [0.0], [0.0]]])
            for tx in (0.0, -0.54, 0.06, -0.47)
        ]
        self.rect = np.eye(3)
        self.velo_to_cam = np.array([[0.0, -1.0, 0.0, 0.0], [0.0, 0.0, -1.0, -CAMERA_OFFSET[1]],
                                     [1.0, 0.0, 0.0, -CAMERA_OFFSET[0]]])
        self.imu_to_velo = np.array([[1.0, 0.0, 0.0, -0.81], [0.0, 1.0, 0.0, 0.32],
                                     [0.0, 0.0, 1.0, -0.8]])

    @property
    def lidar_to_cam(self) -> np.ndarray:
        """``4 x 4`` matrix from lidar to rectified camera-0 coordinates."""
        rect = np.eye(4)
        rect[:3, :3] = self.rect
        return rect @ np.vstack([self.velo_to_cam, [0.0, 0.0, 0.0, 1.0]])

    def lidar_to_cam_points(self, points: np.ndarray) -> np.ndarray:
        """Map ``(N, 3)`` lidar points to rectified camera coordinates."""
        return points @ self.lidar_to_cam[:3, :3].T + self.lidar_to_cam[:3, 3]

    def cam_to_lidar_points(self, points: np.ndarray) -> np.ndarray:
        """Map ``(N, 3)`` rectified camera points to lidar coordinates."""
        inverse = np.linalg.inv(self.lidar_to_cam)
        return points @ inverse[:3, :3].T + inverse[:3, 3]

    def project_cam_points(self, points: np.ndarray) -> np.ndarray:
        """Project ``(N, 3)`` rectified camera points into image 2 (pixels, ``(N, 2)``)."""
        homogeneous = np.hstack([points, np.ones((len(points), 1))]) @ self.projections[2].T
        return homogeneous[:, :2] / homogeneous[:, 2:3]

    def to_text(self) -> str:
        """The calibration as the text of a KITTI ``calib/<id>.txt`` file."""
        rows = [(f'P{i}', p) for i, p in enumerate(self.projections)]
        rows += [('R0_rect', self.rect), ('Tr_velo_to_cam', self.velo_to_cam),
                 ('Tr_imu_to_velo', self.imu_to_velo)]
        # mmdet3d splits each line on single spaces, so the separators must be exactly that.
        return ''.join(f'{key}: ' + ' '.join(f'{v:.12e}' for v in matrix.reshape(-1)) + '\n'
                       for key, matrix in rows)


def _plane_text(calib: KittiCalibration) -> str:
    """The ground plane as the text of a KITTI ``planes/<id>.txt`` file.

    The plane ``a x + b y + c z + d = 0`` is in rectified camera coordinates with its normal
    pointing up (KITTI's road planes, which mmdet3d reads into ``plane`` with ``--with-plane``
    and ``ObjectSample(use_ground_plane=True)`` puts pasted objects on).
    """
    normal = calib.lidar_to_cam[:3, :3] @ np.array([0.0, 0.0, 1.0])
    on_ground = calib.lidar_to_cam_points(np.array([[0.0, 0.0, -LIDAR_HEIGHT]]))[0]
    plane = np.append(normal, -normal @ on_ground)
    return '# Matrix\nWIDTH 4\nHEIGHT 1\n' + ' '.join(f'{v:.6e}' for v in plane) + '\n'


def _label_precision(value: float) -> float:
    """``value`` as it reads back from a label file written with two decimals."""
    return float(f'{value:.2f}')


def _wrap_angle(angle: float) -> float:
    """Wrap to ``[-pi, pi)``, the range mmdet3d's ``limit_period`` gives box yaws."""
    return (angle + np.pi) % (2 * np.pi) - np.pi


def _box_corners(box: np.ndarray) -> np.ndarray:
    """The 8 corners ``(8, 3)`` of a lidar box ``(x, y, z_bottom, l, w, h, yaw)``.

    Corners 0-3 are the bottom face, 4-7 the top face, both counter-clockwise from above.
    """
    x, y, z, length, width, height, yaw = box
    local = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], float) * [length / 2, width / 2]
    rotation = np.array([[np.cos(yaw), -np.sin(yaw)], [np.sin(yaw), np.cos(yaw)]])
    footprint = local @ rotation.T + [x, y]
    bottom = np.hstack([footprint, np.full((4, 1), z)])
    return np.vstack([bottom, bottom + [0.0, 0.0, height]])


#: The 6 faces of :func:`_box_corners` as corner indices, counter-clockwise seen from outside.
_BOX_FACES = ((0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7))


class _Scene:
    """The boxes of one frame in lidar coordinates, labelled objects first.

    Attributes:
        boxes (numpy.ndarray): ``(M, 7)`` boxes ``(x, y, z_bottom, l, w, h, yaw)``; the
            length ``l`` lies along the heading ``yaw`` (mmdet3d's LiDAR box convention).
        kinds (list[str]): Per box, a class name or ``facade``/``pole``/``wall``.
    """

    def __init__(self):
        self.boxes = np.zeros((0, 7))
        self.kinds: List[str] = []

    @property
    def num_objects(self) -> int:
        """Number of labelled objects (they come before the background boxes)."""
        return sum(kind in CLASS_NAMES for kind in self.kinds)

    def collides(self, box: np.ndarray) -> bool:
        """Whether the footprint of ``box``, grown by ``_CLEARANCE`` on every side, overlaps
        the footprint of a box already in the scene (separating-axis test, bird's eye view)."""
        grown = _box_corners(box + [0, 0, 0, 2 * _CLEARANCE, 2 * _CLEARANCE, 0, 0])[:4, :2]
        for other in self.boxes:
            footprint = _box_corners(other)[:4, :2]
            edges = np.vstack([np.diff(grown[:3], axis=0), np.diff(footprint[:3], axis=0)])
            # Two convex polygons are apart if their projections onto some edge normal are.
            normals = edges[:, ::-1] * [1.0, -1.0]
            first, second = grown @ normals.T, footprint @ normals.T
            if not np.any((first.max(0) < second.min(0)) | (second.max(0) < first.min(0))):
                return True
        return False

    def add(self, box: np.ndarray, kind: str) -> None:
        """Add a box; labelled objects are kept in front of the background boxes."""
        position = self.num_objects if kind in CLASS_NAMES else len(self.kinds)
        self.boxes = np.insert(self.boxes, position, box, axis=0)
        self.kinds.insert(position, kind)

    def remove(self, indices: Sequence[int]) -> None:
        """Remove the boxes at ``indices``."""
        keep = np.setdiff1d(np.arange(len(self.kinds)), indices)
        self.boxes = self.boxes[keep]
        self.kinds = [self.kinds[i] for i in keep]


def _object_box(name: str, rng: np.random.Generator, calib: KittiCalibration) -> np.ndarray:
    """Propose a box for an object of class ``name`` at a plausible place on the street.

    The box is rounded through its label representation, so that the box written to
    ``label_2`` and the box the points are simulated from are the same.
    """
    mean, std = CLASS_SIZES[name]
    length, width, height = np.maximum(rng.normal(mean, std), 0.3)
    if name == 'Car':
        x = rng.uniform(5.0, 55.0)
        if rng.random() < 0.2:
            # Parked along the kerb.
            y = rng.choice([-1.0, 1.0]) * rng.uniform(5.8, 6.2)
        else:
            y = rng.choice([-5.25, -1.75, 1.75, 5.25]) + rng.normal(0.0, 0.3)
        yaw = (0.0 if y < 0 else np.pi) + rng.normal(0.0, 0.06)
        if rng.random() < 0.1:
            # Turning or parked across.
            yaw = rng.uniform(-np.pi, np.pi)
    elif name == 'Pedestrian':
        x = rng.uniform(5.0, 35.0)
        if rng.random() < 0.25:
            y = rng.uniform(-ROAD_HALF_WIDTH, ROAD_HALF_WIDTH)
        else:
            y = rng.choice([-1.0, 1.0]) * rng.uniform(ROAD_HALF_WIDTH + 0.4, SIDEWALK_OUTER - 1.0)
        yaw = rng.uniform(-np.pi, np.pi)
    else:
        x = rng.uniform(5.0, 40.0)
        y = rng.choice([-1.0, 1.0]) * rng.uniform(4.0, 6.5)
        if rng.random() < 0.5:
            # Riding along the lane, else crossing or turning.
            yaw = (0.0 if y < 0 else np.pi) + rng.normal(0.0, 0.1)
        else:
            yaw = rng.uniform(-np.pi, np.pi)
    box = np.array([x, y, -LIDAR_HEIGHT, length, width, height, yaw])
    return _box_from_label(*_label_geometry(box, calib), calib)


def _label_geometry(box: np.ndarray, calib: KittiCalibration):
    """The label fields ``(h, w, l), (x, y, z), rotation_y`` of a lidar box, rounded as in
    the label file."""
    location = calib.lidar_to_cam_points(box[None, :3])[0]
    dims = tuple(_label_precision(v) for v in (box[5], box[4], box[3]))
    rotation_y = _label_precision(_wrap_angle(-box[6] - np.pi / 2))
    return dims, tuple(_label_precision(v) for v in location), rotation_y


def _box_from_label(dims, location, rotation_y, calib: KittiCalibration) -> np.ndarray:
    """The lidar box of label fields, converted the way mmdet3d's ``KittiDataset`` does."""
    height, width, length = dims
    bottom = calib.cam_to_lidar_points(np.array([location]))[0]
    return np.array([*bottom, length, width, height, _wrap_angle(-rotation_y - np.pi / 2)])


def _in_camera_view(box: np.ndarray, calib: KittiCalibration, image_size: Tuple[int, int]) -> bool:
    """Whether the centre of ``box`` projects into the image, in front of the camera."""
    center = calib.lidar_to_cam_points(box[None, :3] + [0.0, 0.0, box[5] / 2])
    if center[0, 2] < 2.0:
        return False
    u, v = calib.project_cam_points(center)[0]
    return 0 <= u < image_size[1] and 0 <= v < image_size[0]


def _sample_scene(rng: np.random.Generator, calib: KittiCalibration,
                  image_size: Tuple[int, int]) -> _Scene:
    """Place the objects and the street furniture of one frame."""
    scene = _Scene()
    counts = dict(Car=rng.integers(2, 7),
                  Pedestrian=rng.integers(0, 4),
                  Cyclist=rng.integers(0, 3))
    for name in ('Car', 'Cyclist', 'Pedestrian'):
        for _ in range(counts[name]):
            for _attempt in range(30):
                box = _object_box(name, rng, calib)
                if _in_camera_view(box, calib, image_size) and not scene.collides(box):
                    scene.add(box, name)
                    break
    for side in (-1.0, 1.0):
        x = rng.uniform(-40.0, 5.0)
        while x < 90.0:
            length = rng.uniform(10.0, 35.0)
            if rng.random() < 0.75:
                offset = rng.uniform(SIDEWALK_OUTER + 0.5, SIDEWALK_OUTER + 5.0)
                scene.add(
                    np.array([
                        x + length / 2, side * (offset + 0.5), -LIDAR_HEIGHT, length, 1.0,
                        rng.uniform(4.0, 12.0), 0.0
                    ]), 'facade')
            x += length + rng.uniform(0.0, 8.0)
        if rng.random() < 0.5:
            length = rng.uniform(5.0, 20.0)
            wall = np.array([
                rng.uniform(5.0, 50.0), side * (SIDEWALK_OUTER - 0.2), -LIDAR_HEIGHT, length, 0.3,
                rng.uniform(0.6, 1.1), 0.0
            ])
            if not scene.collides(wall):
                scene.add(wall, 'wall')
    for _ in range(rng.integers(2, 6)):
        pole = np.array([
            rng.uniform(-20.0, 70.0),
            rng.choice([-1.0, 1.0]) * rng.uniform(9.6, 10.0), -LIDAR_HEIGHT, 0.25, 0.25,
            rng.uniform(3.0, 6.0), 0.0
        ])
        if not scene.collides(pole):
            scene.add(pole, 'pole')
    return scene


def _lidar_rays() -> np.ndarray:
    """Unit directions ``(R, 3)`` of one sweep, beam by beam."""
    azimuths = np.arange(-np.pi, np.pi, _AZIMUTH_STEP)
    elevation, azimuth = np.meshgrid(_BEAM_ELEVATIONS, azimuths, indexing='ij')
    return np.stack([
        np.cos(elevation) * np.cos(azimuth),
        np.cos(elevation) * np.sin(azimuth),
        np.sin(elevation)
    ], -1).reshape(-1, 3)


def _ray_box_distances(directions: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Distance along each ray (from the origin) to each box, ``inf`` for a miss.

    Slab test in each box's own frame.

    Args:
        directions (numpy.ndarray): ``(R, 3)`` unit ray directions.
        boxes (numpy.ndarray): ``(M, 7)`` lidar boxes.

    Returns:
        numpy.ndarray: ``(R, M)`` entry distances.
    """
    cos, sin = np.cos(boxes[:, 6]), np.sin(boxes[:, 6])
    # The ray origin (the sensor) and directions, rotated into each box's frame.
    origin = np.stack([
        -(cos * boxes[:, 0] + sin * boxes[:, 1]), sin * boxes[:, 0] - cos * boxes[:, 1],
        -boxes[:, 2]
    ], -1)
    local = np.stack([
        directions[:, None, 0] * cos + directions[:, None, 1] * sin,
        -directions[:, None, 0] * sin + directions[:, None, 1] * cos,
        np.broadcast_to(directions[:, None, 2], (len(directions), len(boxes)))
    ], -1)
    low = np.stack([-boxes[:, 3] / 2, -boxes[:, 4] / 2, np.zeros(len(boxes))], -1)
    high = np.stack([boxes[:, 3] / 2, boxes[:, 4] / 2, boxes[:, 5]], -1)
    with np.errstate(divide='ignore', invalid='ignore'):
        t_low, t_high = (low - origin) / local, (high - origin) / local
    # A ray parallel to a slab either always or never lies between its two planes.
    parallel = local == 0
    inside_slab = (origin >= low) & (origin <= high)
    t_low = np.where(parallel, np.where(inside_slab, -np.inf, np.inf), t_low)
    t_high = np.where(parallel, np.where(inside_slab, np.inf, -np.inf), t_high)
    t_enter = np.minimum(t_low, t_high).max(-1)
    t_exit = np.maximum(t_low, t_high).min(-1)
    return np.where((t_enter <= t_exit) & (t_enter > 0), t_enter, np.inf)


def _simulate_sweep(scene: _Scene,
                    rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cast one lidar sweep against the ground and the scene's boxes.

    Returns:
        tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]: The ``(N, 4)`` float32 points,
        the box index that each point hit (-1: ground), and per box the number of rays that
        would reach it if nothing stood in front (to measure occlusion).
    """
    directions = _lidar_rays()
    box_distances = _ray_box_distances(directions, scene.boxes)
    with np.errstate(divide='ignore'):
        ground = np.where(directions[:, 2] < 0, -LIDAR_HEIGHT / directions[:, 2], np.inf)
    ground[ground * np.hypot(directions[:, 0], directions[:, 1]) > _MAX_GROUND_RANGE] = np.inf
    nearest_box = box_distances.argmin(1) if len(scene.boxes) else np.zeros(len(directions), int)
    nearest = box_distances.min(1) if len(scene.boxes) else np.full(len(directions), np.inf)
    hit_index = np.where(nearest < ground, nearest_box, -1)
    distance = np.minimum(nearest, ground)
    valid = distance < _MAX_RANGE
    directions, distance, hit_index = directions[valid], distance[valid], hit_index[valid]
    # Range noise of about a centimetre, as for a real scanner.
    xyz = directions * (distance + rng.normal(0.0, 0.01, size=distance.shape))[:, None]
    intensity = np.empty(len(xyz))
    for index, kind in enumerate(scene.kinds):
        on_box = hit_index == index
        xyz[on_box] = _clamp_into_box(xyz[on_box], scene.boxes[index])
        intensity[on_box] = rng.uniform(*_INTENSITY[kind], size=on_box.sum())
    on_ground = hit_index == -1
    xyz[on_ground, 2] = -LIDAR_HEIGHT + rng.normal(0.0, 0.01, size=on_ground.sum())
    intensity[on_ground] = rng.uniform(*_INTENSITY['ground'], size=on_ground.sum())
    points = np.hstack([xyz, intensity[:, None]]).astype(np.float32)
    unoccluded_rays = np.isfinite(box_distances).sum(0)
    return points, hit_index, unoccluded_rays


def _clamp_into_box(points: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Move surface hits ``_INSET`` metres inside ``box`` (in its own frame)."""
    cos, sin = np.cos(box[6]), np.sin(box[6])
    shifted = points - box[:3]
    u = shifted[:, 0] * cos + shifted[:, 1] * sin
    v = -shifted[:, 0] * sin + shifted[:, 1] * cos
    u = np.clip(u, -box[3] / 2 + _INSET, box[3] / 2 - _INSET)
    v = np.clip(v, -box[4] / 2 + _INSET, box[4] / 2 - _INSET)
    w = np.clip(shifted[:, 2], _INSET, box[5] - _INSET)
    return np.stack([u * cos - v * sin, u * sin + v * cos, w], -1) + box[:3]


def _clip_near(polygon: np.ndarray, near: float = 0.5) -> np.ndarray:
    """Clip a camera-frame polygon ``(K, 3)`` to ``z >= near`` (Sutherland-Hodgman)."""
    clipped = []
    for current, following in zip(polygon, np.roll(polygon, -1, axis=0)):
        if current[2] >= near:
            clipped.append(current)
        if (current[2] >= near) != (following[2] >= near):
            t = (near - current[2]) / (following[2] - current[2])
            clipped.append(current + t * (following - current))
    return np.array(clipped).reshape(-1, 3)


def _fill_lidar_polygon(image: np.ndarray, polygon: np.ndarray, calib: KittiCalibration,
                        color: Tuple[int, int, int]) -> None:
    """Fill a polygon given by lidar-frame vertices ``(K, 3)`` into the camera image."""
    in_camera = _clip_near(calib.lidar_to_cam_points(polygon))
    if len(in_camera) < 3:
        return
    pixels = np.clip(calib.project_cam_points(in_camera), -1e5, 1e5)
    cv2.fillPoly(image, [np.round(pixels).astype(np.int32)], color, lineType=cv2.LINE_AA)


def _ground_quad(x_range: Tuple[float, float], y_range: Tuple[float, float]) -> np.ndarray:
    """A rectangle on the ground, as ``(4, 3)`` lidar-frame vertices."""
    (x0, x1), (y0, y1) = x_range, y_range
    z = -LIDAR_HEIGHT
    return np.array([[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]])


def _render_image(scene: _Scene, calib: KittiCalibration, image_size: Tuple[int, int],
                  rng: np.random.Generator) -> np.ndarray:
    """Paint the colour camera's view of the scene (image 2)."""
    height, width = image_size
    image = vertical_gradient(height, width, jitter_color((210, 160, 110), rng, 15),
                              jitter_color((235, 220, 200), rng, 10))
    near, far = 1.0, 200.0
    _fill_lidar_polygon(image, _ground_quad((near, far), (-150, 150)), calib,
                        jitter_color((70, 140, 90), rng, 15))
    for side in (-1, 1):
        _fill_lidar_polygon(
            image,
            _ground_quad((near, far), sorted((side * ROAD_HALF_WIDTH, side * SIDEWALK_OUTER))),
            calib, jitter_color((165, 170, 175), rng, 10))
    _fill_lidar_polygon(image, _ground_quad((near, far), (-ROAD_HALF_WIDTH, ROAD_HALF_WIDTH)),
                        calib, jitter_color((85, 85, 85), rng, 8))
    for lane_y in (-3.5, 0.0, 3.5):
        for dash_x in np.arange(2.0, 80.0, 9.0):
            _fill_lidar_polygon(
                image, _ground_quad((dash_x, dash_x + 3.0), (lane_y - 0.08, lane_y + 0.08)), calib,
                (230, 230, 230))
    camera_position = calib.cam_to_lidar_points(np.zeros((1, 3)))[0]
    order = np.argsort(-np.hypot(scene.boxes[:, 0], scene.boxes[:, 1]))
    for index in order:
        box, kind = scene.boxes[index], scene.kinds[index]
        palette = _IMAGE_COLORS[kind]
        base = np.asarray(palette[int(rng.integers(len(palette)))], float)
        corners = _box_corners(box)
        for face in _BOX_FACES:
            quad = corners[list(face)]
            normal = np.cross(quad[1] - quad[0], quad[2] - quad[1])
            if np.dot(normal, quad.mean(0) - camera_position) >= 0:
                continue
            # Lambert-like shading, so that the faces of a box stay distinct.
            lit = float(np.dot(normal / np.linalg.norm(normal), _LIGHT_DIRECTION))
            shade = 0.55 + 0.45 * max(0.0, lit)
            _fill_lidar_polygon(image, quad, calib, tuple(int(c) for c in base * shade))
    return image


def _image_box(box: np.ndarray, calib: KittiCalibration,
               image_size: Tuple[int, int]) -> Tuple[np.ndarray, float]:
    """The 2D box (projected corners, clipped to the image) and the truncated share."""
    pixels = calib.project_cam_points(calib.lidar_to_cam_points(_box_corners(box)))
    full = np.concatenate([pixels.min(0), pixels.max(0)])
    clipped = np.clip(full, 0, [image_size[1] - 1, image_size[0] - 1] * 2)
    full_area = np.prod(full[2:] - full[:2])
    clipped_area = np.prod(np.maximum(clipped[2:] - clipped[:2], 0))
    return clipped, float(1.0 - clipped_area / full_area)


def _label_lines(scene: _Scene, occlusion: np.ndarray, calib: KittiCalibration,
                 image_size: Tuple[int, int]) -> List[str]:
    """One KITTI ``label_2`` line per object."""
    lines = []
    for index in range(scene.num_objects):
        box = scene.boxes[index]
        (h, w, l), (x, y, z), rotation_y = _label_geometry(box, calib)
        bbox, truncated = _image_box(box, calib, image_size)
        occluded = int(np.searchsorted([0.2, 0.6], occlusion[index], side='right'))
        alpha = _wrap_angle(rotation_y - np.arctan2(x, z))
        lines.append(f'{scene.kinds[index]} {truncated:.2f} {occluded} {alpha:.2f} ' +
                     ' '.join(f'{v:.2f}' for v in (*bbox, h, w, l, x, y, z, rotation_y)) + '\n')
    return lines


def render_kitti_frame(rng: np.random.Generator, calib: KittiCalibration,
                       image_size: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    """Simulate one frame.

    Args:
        rng (numpy.random.Generator): The frame's generator.
        calib (KittiCalibration): The frame's calibration.
        image_size (tuple[int, int]): ``(height, width)`` of image 2.

    Returns:
        tuple[numpy.ndarray, numpy.ndarray, list[str]]: The ``(N, 4)`` float32 velodyne
        points, the BGR image and the ``label_2`` lines.
    """
    scene = _sample_scene(rng, calib, image_size)
    sweep_rng = np.random.default_rng(rng.integers(2**32))
    while True:
        # Objects hidden almost entirely leave the scene, and the sweep is cast again without
        # them (which only uncovers the others).
        points, hit_index, unoccluded = _simulate_sweep(scene, sweep_rng)
        hits = np.bincount(hit_index[hit_index >= 0], minlength=len(scene.kinds))
        unseen = [i for i in range(scene.num_objects) if hits[i] < MIN_OBJECT_POINTS]
        if not unseen:
            break
        scene.remove(unseen)
    occlusion = 1.0 - hits / np.maximum(unoccluded, 1)
    image = _render_image(scene, calib, image_size, rng)
    return points, image, _label_lines(scene, occlusion, calib, image_size)


def _load_mmdet3d_converters():
    """Import mmdet3d's KITTI preparation modules from the installed package's tools.

    They ship in ``mmdet3d/.mim/tools/dataset_converters`` and import each other relatively,
    so the folder is registered as a package of its own under a private name.

    Returns:
        tuple: The ``kitti_converter``, ``update_infos_to_v2`` and ``create_gt_database``
        modules.
    """
    import mmdet3d

    folder = osp.join(osp.dirname(mmdet3d.__file__), '.mim', 'tools', 'dataset_converters')
    if not osp.isdir(folder):
        raise FileNotFoundError(
            f'{folder} is missing: the KITTI infos are made with the converters that '
            'mmdet3d ships in its .mim folder (install mmdet3d from a wheel, not editable)')
    package = '_mmnas_mmdet3d_dataset_converters'
    if package not in sys.modules:
        spec = importlib.util.spec_from_loader(package, loader=None, is_package=True)
        module = importlib.util.module_from_spec(spec)
        module.__path__ = [folder]
        sys.modules[package] = module
    return tuple(
        importlib.import_module(f'{package}.{name}')
        for name in ('kitti_converter', 'update_infos_to_v2', 'create_gt_database'))


def _create_infos(root: str) -> None:
    """Run mmdet3d's KITTI preparation on ``root``, as ``tools/create_data.py kitti`` does.

    The differences are where the intermediate (v1) info files go and what gets printed:
    they are written to a temporary folder, because mmdet3d's update to v2 pauses five
    seconds whenever it is about to overwrite its input, and the converters' messages are
    swallowed (their progress bars still show).
    """
    kitti_converter, update_infos_to_v2, create_gt_database = _load_mmdet3d_converters()
    with tempfile.TemporaryDirectory(prefix='tiny_kitti_v1_') as v1_dir, \
            contextlib.redirect_stdout(io.StringIO()):
        kitti_converter.create_kitti_info_file(root, 'kitti', with_plane=True, save_path=v1_dir)
        v1_paths = {
            split: osp.join(v1_dir, f'kitti_infos_{split}.pkl')
            for split in ('train', 'val', 'trainval', 'test')
        }
        kitti_converter.create_reduced_point_cloud(root, 'kitti', v1_paths['train'],
                                                   v1_paths['val'], v1_paths['test'])
        for path in v1_paths.values():
            update_infos_to_v2.update_pkl_infos('kitti', out_dir=root, pkl_path=path)
    # The database is read back through mmdet3d's KittiDataset and its transforms, which
    # create_data.py finds by making mmdet3d the default registry scope.
    with DefaultScope.overwrite_default_scope('mmdet3d'), \
            contextlib.redirect_stdout(io.StringIO()):
        create_gt_database.create_groundtruth_database('KittiDataset',
                                                       root,
                                                       'kitti',
                                                       'kitti_infos_train.pkl',
                                                       relative_path=False,
                                                       mask_anno_path='instances_train.json',
                                                       with_mask=False)


def make_tiny_kitti(root: str,
                    seed: int = 0,
                    num_train: int = 16,
                    num_val: int = 8,
                    num_test: int = 4,
                    image_size: Tuple[int, int] = (375, 1242)) -> Dict[str, List[str]]:
    """Write a tiny KITTI-format dataset under ``root`` and prepare it the mmdet3d way.

    Args:
        root (str): Dataset root, the ``data_root`` of the mmdet3d config.
        seed (int): Seed; the same seed gives byte-identical files.
        num_train (int): Frames in ``ImageSets/train.txt``.
        num_val (int): Frames in ``ImageSets/val.txt`` (also under ``training/``).
        num_test (int): Frames under ``testing/`` (``ImageSets/test.txt``), without labels.
            Every split needs at least one frame: mmdet3d's preparation converts each split
            and fails on an empty one.
        image_size (tuple[int, int]): ``(height, width)`` of image 2. KITTI's size by default,
            which keeps the 2D box heights (and so the KITTI difficulty levels) realistic.

    Returns:
        dict[str, list[str]]: Per split (``train``, ``val``, ``test``), the frame ids.
    """
    if min(num_train, num_val, num_test) < 1:
        raise ValueError('every KITTI split needs at least one frame, got '
                         f'num_train={num_train}, num_val={num_val}, num_test={num_test}')
    root = osp.abspath(root)
    calib = KittiCalibration(image_size)
    frame_ids = dict(train=[f'{i:06d}' for i in range(num_train)],
                     val=[f'{i:06d}' for i in range(num_train, num_train + num_val)],
                     test=[f'{i:06d}' for i in range(num_test)])
    for split, ids in frame_ids.items():
        folder = osp.join(root, 'testing' if split == 'test' else 'training')
        for frame_id in ids:
            points, image, labels = render_kitti_frame(
                sample_rng(seed, 'kitti', split, int(frame_id)), calib, image_size)
            os.makedirs(osp.join(folder, 'velodyne'), exist_ok=True)
            points.tofile(osp.join(folder, 'velodyne', f'{frame_id}.bin'))
            write_png(osp.join(folder, 'image_2', f'{frame_id}.png'), image)
            _write_text(osp.join(folder, 'calib', f'{frame_id}.txt'), calib.to_text())
            if split != 'test':
                _write_text(osp.join(folder, 'label_2', f'{frame_id}.txt'), ''.join(labels))
                _write_text(osp.join(folder, 'planes', f'{frame_id}.txt'), _plane_text(calib))
    image_sets = dict(frame_ids, trainval=frame_ids['train'] + frame_ids['val'])
    for split, ids in image_sets.items():
        _write_text(osp.join(root, 'ImageSets', f'{split}.txt'), ''.join(f'{i}\n' for i in ids))
    _create_infos(root)
    return frame_ids


def _write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path``, creating the folder first."""
    atomic_write_text(path, text)
