"""mmnas's CPU KITTI AP against mmdet3d's own ``kitti_eval`` and ``KittiMetric``.

The stock evaluation computes its rotated IoU with ``numba.cuda``; the reference numbers come
from it run in numba's CUDA simulator, which must be switched on before numba is first
imported: so in a subprocess, once for the module (see ``stock``).
"""
import copy
import os
import pickle
import subprocess
import sys

import mmdet3d
import mmengine
import numpy as np
import pytest
import torch
from mmdet3d.evaluation.metrics import KittiMetric
from mmdet3d.registry import DATASETS
from mmdet3d.structures import Box3DMode, CameraInstance3DBoxes, LiDARInstance3DBoxes
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from shapely.geometry import Polygon

from mmnas.evaluation.metrics.kitti_metric import (KittiAP, box_overlaps, det3d_samples_to_kitti,
                                                   kitti_ap, rotated_box_intersection)
from mmnas.evaluation.metrics.mmeval_adapter import MMEvalMetric

# One worker runs the module (pytest-xdist's --dist loadgroup), so the stock reference is
# computed once.
pytestmark = pytest.mark.xdist_group('kitti_metric')

CLASSES = ['Car', 'Pedestrian', 'Cyclist']
# The class order of mmdet3d's PointPillars KITTI 3-class configs (the models' label space).
POINTPILLARS_CLASSES = ['Pedestrian', 'Cyclist', 'Car']
POINTPILLARS_CONFIG = os.path.join(os.path.dirname(mmdet3d.__file__), '.mim', 'configs',
                                   'pointpillars',
                                   'pointpillars_hv_secfpn_8xb6-160e_kitti-3d-3class.py')

# A KITTI-like calibration: CAM2 projection, rectification and LiDAR-to-camera transform.
P2 = np.array([[721.5377, 0.0, 609.5593, 44.85728], [0.0, 721.5377, 172.854, 0.2163791],
               [0.0, 0.0, 1.0, 0.002745884], [0.0, 0.0, 0.0, 1.0]])
R0_RECT = np.array([[0.9999239, 0.00983776, -0.007445048, 0.0],
                    [-0.009869795, 0.9999421, -0.004278459, 0.0],
                    [0.007402527, 0.004351614, 0.9999631, 0.0], [0.0, 0.0, 0.0, 1.0]])
VELO_TO_CAM = np.array([[0.007533745, -0.9999714, -0.000616602, -0.004069766],
                        [0.01480249, 0.0007280733, -0.9998902, -0.07631618],
                        [0.9998621, 0.00752379, 0.01480755, -0.2717806], [0.0, 0.0, 0.0, 1.0]])
LIDAR2CAM = R0_RECT @ VELO_TO_CAM
IMAGE_SHAPE = (375, 1242)
# Typical KITTI sizes (l, h, w) in metres.
SIZES = {
    'Car': (3.9, 1.56, 1.6),
    'Van': (5.0, 2.2, 1.9),
    'Truck': (10.0, 3.2, 2.5),
    'Pedestrian': (0.8, 1.75, 0.6),
    'Person_sitting': (0.8, 1.2, 0.6),
    'Cyclist': (1.75, 1.7, 0.6)
}
GT_KEYS = ('name', 'truncated', 'occluded', 'alpha', 'bbox', 'dimensions', 'location',
           'rotation_y')
DT_KEYS = ('name', 'alpha', 'bbox', 'dimensions', 'location', 'rotation_y', 'score')


def image_box(location, dimensions, rotation_y):
    """The image box (x1, y1, x2, y2) of a camera box, clipped to the image."""
    l, h, w = dimensions
    along = np.array([1, 1, -1, -1, 1, 1, -1, -1]) * l / 2
    down = np.array([0, 0, 0, 0, -1, -1, -1, -1]) * h
    across = np.array([1, -1, -1, 1, 1, -1, -1, 1]) * w / 2
    cos, sin = np.cos(rotation_y), np.sin(rotation_y)
    corners = np.stack([cos * along + sin * across, down, -sin * along + cos * across])
    corners = corners + np.asarray(location)[:, None]
    uvw = P2[:3] @ np.vstack([corners, np.ones(8)])
    u, v = uvw[0] / uvw[2], uvw[1] / uvw[2]
    return np.array([
        max(u.min(), 0),
        max(v.min(), 0),
        min(u.max(), IMAGE_SHAPE[1]),
        min(v.max(), IMAGE_SHAPE[0])
    ])


def bev_polygon(x, z, length, width, yaw):
    """A box's footprint in the camera's ground plane (x, z).

    The length lies along (cos yaw, -sin yaw): the heading after a turn by ``yaw`` about the
    camera's y axis, which points down.
    """
    along = np.array([np.cos(yaw), -np.sin(yaw)]) * length / 2
    across = np.array([np.sin(yaw), np.cos(yaw)]) * width / 2
    centre = np.array([x, z])
    return Polygon([
        centre + along + across, centre + along - across, centre - along - across,
        centre - along + across
    ])


def _as_arrays(frame, keys):
    shapes = {'bbox': (-1, 4), 'dimensions': (-1, 3), 'location': (-1, 3)}
    return {
        key:
        np.array(frame[key],
                 dtype=str if key == 'name' else np.float64).reshape(shapes.get(key, (-1, )))
        for key in keys
    }


def synthetic_kitti(seed, num_frames, max_objects=8):
    """Realistic KITTI ground truths and detections, in the annotation format.

    Every frame holds Car, Pedestrian and Cyclist objects from near (easy) to far, truncated
    or occluded (moderate, hard, ignored), some exactly at a height limit, Van /
    Person_sitting / Truck objects and DontCare regions. About three in four objects are
    detected, with jitter of several sizes, scores that fall with the jitter (rounded, so
    that some tie), a few wrong classes, flipped headings and duplicates; false positives
    come on top. The last frame holds no object.

    Returns:
        (groundtruths, detections), lists of per-frame dicts of arrays.
    """
    rng = np.random.default_rng(seed)
    groundtruths, detections = [], []
    for index in range(num_frames):
        gt = {key: [] for key in GT_KEYS}
        dt = {key: [] for key in DT_KEYS}

        def at_limit(box):
            # Now and then a box exactly as high as a difficulty limit (25 or 40 pixels).
            if rng.random() < 0.15:
                box[1] = np.floor(box[1])
                box[3] = box[1] + rng.choice([25.0, 40.0])
            return box

        def detect(name, location, dimensions, rotation_y, score):
            dt['name'].append(name)
            dt['location'].append(location)
            dt['dimensions'].append(dimensions)
            dt['rotation_y'].append(rotation_y)
            dt['alpha'].append(rotation_y - np.arctan2(location[0], location[2]))
            dt['bbox'].append(at_limit(image_box(location, dimensions, rotation_y)))
            dt['score'].append(score)

        num_objects = 0 if index == num_frames - 1 else rng.integers(max_objects //
                                                                     2, max_objects + 1)
        names = rng.choice(['Car'] * 6 + ['Pedestrian'] * 3 + ['Cyclist'] * 2 +
                           ['Van', 'Person_sitting', 'Truck'],
                           size=num_objects)
        for name in names:
            depth = rng.uniform(5, 35) if rng.random() < 0.8 else rng.uniform(35, 60)
            location = np.array([rng.uniform(-0.5, 0.5) * depth, rng.normal(1.65, 0.1), depth])
            dimensions = np.array(SIZES[name]) * rng.uniform(0.9, 1.1)
            rotation_y = rng.uniform(-np.pi, np.pi)
            gt['name'].append(name)
            # Truncation at and around each difficulty's limit (0.15, 0.3, 0.5).
            gt['truncated'].append(rng.choice([0.0] * 6 + [0.15, 0.3, 0.4, 0.5, 0.6]))
            gt['occluded'].append(rng.choice([0] * 5 + [1, 2, 3]))
            gt['alpha'].append(rotation_y - np.arctan2(location[0], location[2]))
            gt['bbox'].append(at_limit(image_box(location, dimensions, rotation_y)))
            gt['dimensions'].append(dimensions)
            gt['location'].append(location)
            gt['rotation_y'].append(rotation_y)
            if name == 'Truck' or rng.random() < 0.25:
                continue
            det_name = {'Van': 'Car', 'Person_sitting': 'Pedestrian'}.get(name, name)
            if rng.random() < 0.1:
                det_name = rng.choice(CLASSES)
            error = rng.choice([0.02, 0.05, 0.1, 0.25])
            score = round(float(np.clip(1 - 2 * error + rng.normal(0, 0.15), 0.05, 1)), 2)
            flip = np.pi if rng.random() < 0.15 else 0.0
            detect(det_name, location + rng.normal(0, error * dimensions[2], 3) * [1, 0.3, 1],
                   dimensions * rng.uniform(1 - error, 1 + error, 3),
                   rotation_y + rng.normal(0, 0.15) + flip, score)
            if rng.random() < 0.2:
                detect(det_name, location + rng.normal(0, error * dimensions[2], 3) * [1, 0.3, 1],
                       dimensions, rotation_y + rng.normal(0, 0.2),
                       round(rng.uniform(0.05, 0.6), 2))
        for _ in range(rng.integers(0, 3) if num_objects else 0):
            x1, y1 = rng.uniform(0, 1100), rng.uniform(100, 250)
            gt['name'].append('DontCare')
            gt['truncated'].append(-1.0)
            gt['occluded'].append(-1)
            gt['alpha'].append(-10.0)
            gt['bbox'].append([x1, y1, x1 + rng.uniform(20, 150), y1 + rng.uniform(20, 100)])
            gt['dimensions'].append([-1.0, -1.0, -1.0])
            gt['location'].append([-1000.0, -1000.0, -1000.0])
            gt['rotation_y'].append(-10.0)
        for _ in range(rng.integers(0, 4)):
            name = rng.choice(CLASSES)
            depth = rng.uniform(5, 40)
            detect(name, np.array([rng.uniform(-0.4, 0.4) * depth, 1.6, depth]),
                   np.array(SIZES[name]), rng.uniform(-np.pi, np.pi),
                   round(rng.uniform(0.05, 0.9), 2))
        groundtruths.append(_as_arrays(gt, GT_KEYS))
        detections.append(_as_arrays(dt, DT_KEYS))
    return groundtruths, detections


def tied_scores_frame():
    """Two cars whose image boxes overlap, and two detections of equal score.

    The first detection covers both cars, the second only the first car. The first matching
    gives the first car the first of the equally scored detections (as kitti_eval does),
    leaving nothing for the second car; the other choice would find two true positives.
    """
    gt = dict(name=['Car', 'Car'],
              truncated=[0.0, 0.0],
              occluded=[0, 0],
              alpha=[0.2, 0.3],
              bbox=[[100, 100, 200, 200], [110, 100, 210, 200]],
              dimensions=[[3.9, 1.56, 1.6]] * 2,
              location=[[0.0, 1.6, 20.0], [3.0, 1.6, 20.0]],
              rotation_y=[0.2, 0.3])
    dt = dict(name=['Car', 'Car'],
              alpha=[0.3, 0.2],
              bbox=[[110, 100, 210, 200], [90, 100, 190, 200]],
              dimensions=[[3.9, 1.56, 1.6]] * 2,
              location=[[3.1, 1.6, 20.1], [0.1, 1.6, 20.2]],
              rotation_y=[0.3, 0.2],
              score=[0.8, 0.8])
    return _as_arrays(gt, GT_KEYS), _as_arrays(dt, DT_KEYS)


def random_camera_boxes(rng, num):
    """(num, 7) camera boxes (x, y, z, l, h, w, ry), crowded so that many pairs overlap."""
    return np.concatenate([
        rng.uniform(-3, 3, (num, 1)),
        rng.uniform(1, 2, (num, 1)),
        rng.uniform(10, 16, (num, 1)),
        rng.uniform(0.3, 5, (num, 3)),
        rng.uniform(-np.pi, np.pi, (num, 1))
    ],
                          axis=1)


def write_kitti_dataset(root, groundtruths):
    """An info file in mmdet3d's KITTI format (as its converters write it) and point clouds.

    Args:
        root: the data root.
        groundtruths: per-frame ground truths in the KITTI annotation format.

    Returns:
        The info file's path.
    """
    categories = {
        name: label
        for label, name in enumerate(('Pedestrian', 'Cyclist', 'Car', 'Van', 'Truck',
                                      'Person_sitting', 'Tram', 'Misc'))
    }
    os.makedirs(os.path.join(root, 'velodyne_reduced'), exist_ok=True)
    rng = np.random.default_rng(0)
    data_list = []
    for index, gt in enumerate(groundtruths):
        instances = [
            dict(bbox=gt['bbox'][i].tolist(),
                 bbox_label=categories.get(str(gt['name'][i]), -1),
                 bbox_3d=[*gt['location'][i], *gt['dimensions'][i], gt['rotation_y'][i]],
                 bbox_label_3d=categories.get(str(gt['name'][i]), -1),
                 truncated=float(gt['truncated'][i]),
                 occluded=int(gt['occluded'][i]),
                 alpha=float(gt['alpha'][i]),
                 score=0.0) for i in range(len(gt['name']))
        ]
        images = {
            cam: dict(cam2img=P2.tolist(), lidar2img=(P2 @ LIDAR2CAM).tolist())
            for cam in ('CAM0', 'CAM1', 'CAM2', 'CAM3')
        }
        images['CAM2'].update(img_path=f'{index:06d}.png',
                              height=IMAGE_SHAPE[0],
                              width=IMAGE_SHAPE[1],
                              lidar2cam=LIDAR2CAM.tolist())
        images['R0_rect'] = R0_RECT.tolist()
        lidar_path = f'{index:06d}.bin'
        points = rng.uniform([0, -40, -3, 0], [70, 40, 1, 1], (500, 4)).astype(np.float32)
        points.tofile(os.path.join(root, 'velodyne_reduced', lidar_path))
        data_list.append(
            dict(sample_idx=index,
                 images=images,
                 instances=instances,
                 lidar_points=dict(num_pts_feats=4,
                                   lidar_path=lidar_path,
                                   Tr_velo_to_cam=VELO_TO_CAM.tolist())))
    metainfo = dict(categories={**categories, 'DontCare': -1}, dataset='kitti', info_version='1.1')
    ann_file = os.path.join(root, 'kitti_infos_val.pkl')
    mmengine.dump(dict(metainfo=metainfo, data_list=data_list), ann_file)
    return ann_file


def kitti_samples(root, groundtruths, detections):
    """Det3DDataSamples of the stock PointPillars KITTI test pipeline, with predictions.

    The predictions are the detections as a PointPillars model outputs them: LiDAR boxes,
    scores and labels in the config's class order, and four more boxes per frame: three
    that the KITTI conversion drops (outside the point-cloud range or the image), one that
    it clips to the image and whose yaw it wraps.

    Returns:
        (dataset metainfo, data samples, info file path).
    """
    ann_file = write_kitti_dataset(root, groundtruths)
    cfg = Config.fromfile(POINTPILLARS_CONFIG).val_dataloader.dataset
    cfg.update(data_root=root,
               ann_file='kitti_infos_val.pkl',
               data_prefix=dict(pts='velodyne_reduced'))
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        dataset = DATASETS.build(cfg)
    samples = []
    rng = np.random.default_rng(1)
    for index, dt in enumerate(detections):
        sample = dataset[index]['data_samples']
        camera = np.concatenate([dt['location'], dt['dimensions'], dt['rotation_y'][:, None]], 1)
        labels = [POINTPILLARS_CLASSES.index(str(name)) for name in dt['name']]
        scores = list(dt['score'])
        # One box behind the LiDAR, one beyond the range, one far left of the image (these
        # three are dropped), and one reaching over the image's right and bottom edges.
        for location in ([0.5, 1.6, -8.0], [1.0, 1.6, 75.0], [-40.0, 1.6, 12.0], [4.0, 1.6, 5.0]):
            camera = np.concatenate([camera, [[*location, 3.9, 1.56, 1.6, 0.3]]])
            labels.append(2)
            scores.append(round(rng.uniform(0.3, 0.9), 2))
        pred = InstanceData()
        pred.bboxes_3d = CameraInstance3DBoxes(torch.tensor(camera,
                                                            dtype=torch.float32)).convert_to(
                                                                Box3DMode.LIDAR,
                                                                np.linalg.inv(LIDAR2CAM))
        # The same box, with a yaw beyond [-pi, pi) that the KITTI conversion wraps.
        pred.bboxes_3d.tensor[-1, 6] += 2 * np.pi
        pred.scores_3d = torch.tensor(scores, dtype=torch.float32)
        pred.labels_3d = torch.tensor(labels, dtype=torch.int64)
        sample.pred_instances_3d = pred
        sample.pred_instances = InstanceData()
        samples.append(sample)
    return dataset.metainfo, samples, ann_file


# Run with NUMBA_ENABLE_CUDASIM=1 in its environment, so that numba starts in the simulator.
STOCK_SCRIPT = r'''
import pickle
import sys

import mmdet3d.evaluation.functional.kitti_utils.eval as stock_eval
import mmdet3d.evaluation.metrics.kitti_metric as stock_metric

with open(sys.argv[1], 'rb') as f:
    job = pickle.load(f)
out = {}
# Keep what KittiMetric hands kitti_eval and its unrounded answer; and do_eval's AOS arrays,
# which kitti_eval only prints.
do_eval, kitti_eval = stock_eval.do_eval, stock_metric.kitti_eval


def recording_do_eval(*args, **kwargs):
    out['do_eval'] = do_eval(*args, **kwargs)
    return out['do_eval']


def recording_kitti_eval(gt_annos, dt_annos, classes, eval_types):
    text, ap = kitti_eval(gt_annos, dt_annos, classes, eval_types=eval_types)
    out['kitti_eval'] = (gt_annos, dt_annos, list(classes), ap)
    return text, ap


stock_eval.do_eval = recording_do_eval
stock_metric.kitti_eval = recording_kitti_eval
metric = stock_metric.KittiMetric(ann_file=job['ann_file'])
metric.dataset_meta = job['dataset_meta']
metric.process({}, job['samples'])
out['kitti_metric'] = metric.compute_metrics(metric.results)
out['kitti_metric_do_eval'] = out['do_eval']
gts, dts, classes = job['kitti_eval']
_, ap = stock_eval.kitti_eval(gts, dts, classes, eval_types=['bbox', 'bev', '3d'])
out['direct'] = (ap, out['do_eval'])
# The argument types of KittiMetric's call (float32 detections, float64 labels), which numba
# has compiled already.
boxes, qboxes = job['overlaps']
out['overlaps'] = dict(BEV=stock_eval.bev_box_overlap(boxes[:, [0, 2, 3, 5, 6]],
                                                      qboxes[:, [0, 2, 3, 5, 6]]),
                       **{'3D': stock_eval.d3_box_overlap(boxes, qboxes)})
with open(sys.argv[2], 'wb') as f:
    pickle.dump(out, f)
'''


@pytest.fixture(scope='module')
def stock(tmp_path_factory):
    """mmdet3d's KittiMetric on Det3DDataSamples of synthetic frames, in the CUDA simulator.

    Crowded frames: more than 40 valid cars, so that the sampling of score thresholds skips
    scores. The subprocess also records what KittiMetric hands ``kitti_eval`` and its
    unrounded numbers, with AOS.
    """
    root = tmp_path_factory.mktemp('kitti')
    gts, dts = synthetic_kitti(seed=3, num_frames=10, max_objects=20)
    dataset_meta, samples, ann_file = kitti_samples(str(root), gts, dts)
    # Annotations handed to kitti_eval directly; float32 detections, as KittiMetric makes
    # them, need no new numba compilation.
    direct_gts, direct_dts = synthetic_kitti(seed=1, num_frames=4, max_objects=12)
    tied_gt, tied_dt = tied_scores_frame()
    direct_gts.insert(0, tied_gt)
    direct_dts.insert(0, tied_dt)
    direct_dts = [{
        key: value if key == 'name' else value.astype(np.float32)
        for key, value in dt.items()
    } for dt in direct_dts]
    rng = np.random.default_rng(2)
    job = dict(ann_file=ann_file,
               dataset_meta=dataset_meta,
               samples=[sample.to_dict() for sample in samples],
               kitti_eval=(direct_gts, direct_dts, CLASSES),
               overlaps=(random_camera_boxes(rng,
                                             12).astype(np.float32), random_camera_boxes(rng, 10)))
    with open(root / 'job.pkl', 'wb') as f:
        pickle.dump(job, f)
    subprocess.run(
        [sys.executable, '-c', STOCK_SCRIPT,
         str(root / 'job.pkl'),
         str(root / 'out.pkl')],
        check=True,
        cwd=str(root),
        env=dict(os.environ, NUMBA_ENABLE_CUDASIM='1'))
    with open(root / 'out.pkl', 'rb') as f:
        out = pickle.load(f)
    gt_annos, dt_annos, classes, ap_dict = out['kitti_eval']
    direct_ap, direct_aos = out['direct']
    return dict(samples=samples,
                dataset_meta=dataset_meta,
                overlaps=job['overlaps'],
                stock_overlaps=out['overlaps'],
                kitti_metric=out['kitti_metric'],
                gt_annos=gt_annos,
                dt_annos=dt_annos,
                classes=classes,
                kitti_eval=dict(from_kitti_metric=(gt_annos, dt_annos, classes, ap_dict,
                                                   out['kitti_metric_do_eval']),
                                direct=(direct_gts, direct_dts, CLASSES, direct_ap, direct_aos)))


def stock_keys(ap_dict, aos11, aos40, classes):
    """kitti_eval's numbers under KittiAP's names, AOS added from do_eval's arrays."""
    named = {key.replace('KITTI/', ''): value for key, value in ap_dict.items()}
    for ap_name, aos in (('AP11', aos11), ('AP40', aos40)):
        for c, cls in enumerate(classes):
            for d, difficulty in enumerate(('easy', 'moderate', 'hard')):
                for k, level in enumerate(('strict', 'loose')):
                    named[f'{cls}_AOS_{ap_name}_{difficulty}_{level}'] = aos[c, d, k]
        if len(classes) > 1:
            for d, difficulty in enumerate(('easy', 'moderate', 'hard')):
                named[f'Overall_AOS_{ap_name}_{difficulty}'] = aos[:, d, 0].mean()
    return named


def assert_same_numbers(ours, reference, tol=1e-4):
    assert sorted(ours) == sorted(reference)
    diff = {key: abs(ours[key] - reference[key]) for key in reference}
    worst = max(diff, key=diff.get)
    assert diff[worst] <= tol, (worst, ours[worst], reference[worst])


def test_rotated_intersection_matches_polygon_clipping():
    rng = np.random.default_rng(0)
    num = 400
    boxes1 = np.concatenate([
        rng.uniform(-2, 2, (num, 2)),
        rng.uniform(0.2, 5, (num, 2)),
        rng.uniform(-np.pi, np.pi, (num, 1))
    ],
                            axis=1)
    boxes2 = np.concatenate([
        boxes1[:, :2] + rng.normal(0, 1.5, (num, 2)),
        rng.uniform(0.2, 5, (num, 2)),
        rng.uniform(-np.pi, np.pi, (num, 1))
    ],
                            axis=1)
    # Identical, axis-aligned touching, and nested pairs: vertices shared by both boxes.
    special1 = np.array([[1.0, 2.0, 4.0, 2.0, 0.4], [0.0, 0.0, 2.0, 2.0, 0.0],
                         [0.0, 0.0, 4.0, 4.0, 0.3], [0.0, 0.0, 2.0, 1.0, 0.0]])
    special2 = np.array([[1.0, 2.0, 4.0, 2.0, 0.4], [2.0, 0.0, 2.0, 2.0, 0.0],
                         [0.1, 0.0, 1.0, 1.0, 1.2], [0.0, 0.0, 2.0, 1.0, np.pi / 2]])
    boxes1, boxes2 = np.concatenate([boxes1, special1]), np.concatenate([boxes2, special2])
    expected = np.array(
        [bev_polygon(*a).intersection(bev_polygon(*b)).area for a, b in zip(boxes1, boxes2)])
    areas = rotated_box_intersection(boxes1, boxes2)
    assert (expected > 0).sum() > num // 3
    np.testing.assert_allclose(areas, expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(areas[-4:], [8.0, 0.0, 1.0, 1.0], atol=1e-9)


def test_box_overlaps_match_brute_force():
    rng = np.random.default_rng(1)
    boxes1, boxes2 = random_camera_boxes(rng, 15), random_camera_boxes(rng, 11)
    bev = np.zeros((15, 11))
    iou3d = np.zeros((15, 11))
    for i, a in enumerate(boxes1):
        for j, b in enumerate(boxes2):
            area = bev_polygon(*a[[0, 2, 3, 5, 6]]).intersection(
                bev_polygon(*b[[0, 2, 3, 5, 6]])).area
            bev[i, j] = area / (a[3] * a[5] + b[3] * b[5] - area)
            # Boxes span y - h (top) to y (bottom): the camera's y axis points down.
            height = max(0.0, min(a[1], b[1]) - max(a[1] - a[4], b[1] - b[4]))
            volume = area * height
            iou3d[i, j] = volume / (a[3] * a[4] * a[5] + b[3] * b[4] * b[5] - volume)
    assert (iou3d > 0).sum() > 20
    np.testing.assert_allclose(box_overlaps(boxes1, boxes2, 'BEV'), bev, atol=1e-12)
    np.testing.assert_allclose(box_overlaps(boxes1, boxes2, '3D'), iou3d, atol=1e-12)

    # (x1, y1, x2, y2): the smaller of two random corners, then the larger.
    image1 = np.sort(rng.uniform(0, 100, (15, 2, 2)), axis=1).reshape(15, 4)
    image2 = np.sort(rng.uniform(0, 100, (11, 2, 2)), axis=1).reshape(11, 4)
    iou2d = np.zeros((15, 11))
    for i, a in enumerate(image1):
        for j, b in enumerate(image2):
            inter = (max(0,
                         min(a[2], b[2]) - max(a[0], b[0])) *
                     max(0,
                         min(a[3], b[3]) - max(a[1], b[1])))
            union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
            iou2d[i, j] = inter / union
    np.testing.assert_allclose(box_overlaps(image1, image2, '2D'), iou2d, atol=1e-12)


def test_box_overlaps_match_stock_kernels(stock):
    """The same conventions as mmdet3d's CUDA kernels (which compute in float32)."""
    boxes, qboxes = stock['overlaps']
    for box_type in ('BEV', '3D'):
        reference = stock['stock_overlaps'][box_type]
        assert (reference > 0.05).sum() > 10
        np.testing.assert_allclose(box_overlaps(boxes, qboxes, box_type), reference, atol=2e-5)


@pytest.mark.parametrize('case', ['from_kitti_metric', 'direct'])
def test_kitti_ap_matches_kitti_eval(stock, case):
    gts, dts, classes, ap_dict, aos = stock['kitti_eval'][case]
    reference = stock_keys(ap_dict, aos[3], aos[7], classes)
    ours = kitti_ap(gts, dts, classes)
    assert_same_numbers(ours, reference)
    # Not a degenerate comparison: the data give a spread of APs.
    values = np.array(list(reference.values()))
    assert (values > 1).sum() > 40 and (values < 80).sum() > 40


def test_classes_are_evaluated_independently(stock):
    """One class alone gives its numbers of the three-class run, and no class means."""
    gts, dts = stock['gt_annos'], stock['dt_annos']
    three = kitti_ap(gts, dts, CLASSES)
    cyclist = kitti_ap(gts, dts, ['Cyclist'])
    assert cyclist == {key: value for key, value in three.items() if key.startswith('Cyclist')}
    reordered = kitti_ap(gts, dts, POINTPILLARS_CLASSES)
    assert sorted(reordered) == sorted(three)
    assert all(abs(reordered[key] - three[key]) < 1e-9 for key in three)


def test_no_detection_at_all_scores_zero(stock):
    """An untrained detector may output nothing in any frame: every AP is 0, no crash."""
    gts, classes = stock['gt_annos'], stock['classes']
    empty = [{key: value[:0] for key, value in dt.items()} for dt in stock['dt_annos']]
    result = kitti_ap(gts, empty, classes)
    # No predicted angle, so no orientation similarity (as kitti_eval), every AP reported.
    full = kitti_ap(gts, stock['dt_annos'], classes)
    assert sorted(result) == sorted(key for key in full if 'AOS' not in key)
    assert all(value == 0 for value in result.values())


def test_metric_accumulates_batches(stock):
    gts, dts, classes = stock['gt_annos'], stock['dt_annos'], stock['classes']
    metric = KittiAP(classes=classes)
    for start in range(0, len(gts), 3):
        metric.add(dts[start:start + 3], gts[start:start + 3])
    assert metric.compute() == kitti_ap(gts, dts, classes)
    # Detections may name their class by label, an index into the dataset's classes.
    metric = KittiAP(dataset_meta=dict(classes=POINTPILLARS_CLASSES))
    labelled = [
        dict({
            k: v
            for k, v in dt.items() if k != 'name'
        },
             labels=[POINTPILLARS_CLASSES.index(str(n)) for n in dt['name']]) for dt in dts
    ]
    metric.add(labelled, gts)
    assert metric.compute() == kitti_ap(gts, dts, POINTPILLARS_CLASSES)


def test_mmengine_adapter_matches_kitti_metric(stock):
    """The stock PointPillars KITTI pipeline's samples, evaluated as its KittiMetric does."""
    metric = MMEvalMetric(metric=dict(type='KittiAP'))
    metric.dataset_meta = stock['dataset_meta']
    samples = [sample.to_dict() for sample in stock['samples']]
    with pytest.warns(UserWarning, match='no image size'):
        metric.process({}, samples[:3])
        metric.process({}, samples[3:])
    ours = metric.evaluate(len(samples))
    # KittiMetric rounds to 4 decimals.
    reference = {
        key.replace('pred_instances_3d/KITTI/', 'kitti/'): value
        for key, value in stock['kitti_metric'].items()
    }
    ours_without_aos = {key: value for key, value in ours.items() if '_AOS_' not in key}
    assert_same_numbers(ours_without_aos, reference, tol=5.1e-5)
    assert len(ours) > len(ours_without_aos)


def test_converter_matches_stock_conversion(tmp_path):
    """Field by field against KittiMetric's own conversion, on Det3DDataSamples."""
    gts, dts = synthetic_kitti(seed=3, num_frames=4)
    dataset_meta, samples, ann_file = kitti_samples(str(tmp_path), gts, dts)
    # A frame of another image size, told by the sample as camera pipelines do.
    infos = mmengine.load(ann_file)
    infos['data_list'][1]['images']['CAM2'].update(height=370, width=1224)
    mmengine.dump(infos, ann_file)
    samples[1].set_metainfo(dict(img_shape=(370, 1224)))
    for sample in samples:
        sample.set_metainfo(dict(img_shape=sample.metainfo.get('img_shape', IMAGE_SHAPE)))

    boxes_before = [sample.pred_instances_3d.bboxes_3d.tensor.clone() for sample in samples]
    (predictions, groundtruths), kwargs = det3d_samples_to_kitti({}, samples)
    assert kwargs == {}
    # The data samples' predictions are left as they were (the stock conversion limits the
    # yaw of its boxes in place).
    for before, sample in zip(boxes_before, samples):
        assert torch.equal(before, sample.pred_instances_3d.bboxes_3d.tensor)

    reference = KittiMetric(ann_file=ann_file)
    reference.data_infos = reference.convert_annos_to_kitti_annos(mmengine.load(ann_file))
    expected = reference.bbox2result_kitti(
        [copy.deepcopy(sample.pred_instances_3d.to_dict()) for sample in samples],
        [sample.sample_idx for sample in samples], POINTPILLARS_CLASSES)
    # The boxes outside the range or the image are gone.
    assert sum(len(e['name'])
               for e in expected) < sum(len(sample.pred_instances_3d) for sample in samples)
    for ours, theirs in zip(predictions, expected):
        names = np.array(POINTPILLARS_CLASSES)[ours['labels']]
        assert list(names) == list(theirs['name'])
        for key in ('alpha', 'bbox', 'dimensions', 'location', 'rotation_y', 'score'):
            np.testing.assert_allclose(ours[key],
                                       theirs[key].reshape(ours[key].shape),
                                       atol=1e-4,
                                       err_msg=key)
    for ours, info in zip(groundtruths, reference.data_infos):
        theirs = info['kitti_annos']
        assert list(ours['name']) == list(theirs['name'])
        for key in ('truncated', 'occluded', 'alpha', 'bbox', 'dimensions', 'location',
                    'rotation_y'):
            np.testing.assert_allclose(ours[key],
                                       np.reshape(theirs[key], ours[key].shape),
                                       err_msg=key)
    assert 'DontCare' in set(np.concatenate([gt['name'] for gt in groundtruths]))
    assert len(groundtruths[-1]['name']) == 0


def test_pointpillars_predictions_convert(stock):
    """A real PointPillars model's predict output goes through the converter."""
    from mmdet3d.registry import MODELS

    cfg = Config.fromfile(POINTPILLARS_CONFIG)
    # Untrained scores are small: keep every box so that there is something to convert.
    cfg.model.test_cfg.score_thr = 0.0
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        model = MODELS.build(cfg.model).eval()
    sample = stock['samples'][0].clone()
    del sample.pred_instances_3d
    points = torch.tensor(np.random.default_rng(0).uniform([0, -39, -2.5, 0], [69, 39, 0.5, 1],
                                                           (4000, 4)),
                          dtype=torch.float32)
    with torch.no_grad():
        batch = model.data_preprocessor(dict(inputs=dict(points=[points]), data_samples=[sample]),
                                        False)
        output = model.predict(batch['inputs'], batch['data_samples'])[0]
    assert isinstance(output.pred_instances_3d.bboxes_3d, LiDARInstance3DBoxes)
    with pytest.warns(UserWarning, match='no image size'):
        (predictions, groundtruths), _ = det3d_samples_to_kitti({}, [output.to_dict()])
    reference = KittiMetric(ann_file='')
    box_dict = reference.convert_valid_bboxes(
        copy.deepcopy(output.pred_instances_3d.to_dict()),
        dict(sample_idx=0,
             images=dict(CAM2=dict(
                 lidar2cam=LIDAR2CAM, cam2img=P2, height=IMAGE_SHAPE[0], width=IMAGE_SHAPE[1]))))
    assert len(predictions[0]['score']) == len(box_dict['scores']) > 0
    np.testing.assert_allclose(predictions[0]['location'],
                               box_dict['box3d_camera'][:, :3],
                               atol=1e-5)
    assert len(groundtruths[0]['name']) == len(stock['samples'][0].eval_ann_info['instances'])


def test_unknown_class_is_refused():
    gts, dts = synthetic_kitti(seed=4, num_frames=2)
    with pytest.raises(ValueError, match='Van'):
        kitti_ap(gts, dts, ['Car', 'Van'])
    with pytest.raises(ValueError, match='frames'):
        KittiAP(classes=['Car']).add(dts, gts[:1])
