"""The tiny datasets load through the stock dataset classes and training pipelines.

Each test writes a small set into ``tmp_path``, builds the stock dataset class from the
host's own base config (read from the installed package's ``.mim/configs``) with
``data_root`` pointed at it, and checks what comes out of the pipeline.
"""
import copy
import hashlib
import importlib
import json
import os
import os.path as osp
import pickle
import random
import runpy
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.datasets.categories import IMAGENET_CATEGORIES

from mmnas.datasets.tiny import DATASET_FOLDERS, make_tiny_datasets
from mmnas.datasets.tiny.ade20k import CLASS_VALUES, make_tiny_ade20k
from mmnas.datasets.tiny.cityscapes import CLASS_NAMES as CITYSCAPES_NAMES
from mmnas.datasets.tiny.cityscapes import LABEL_ID_OF_TRAIN_ID, TRAIN_IDS, make_tiny_cityscapes
from mmnas.datasets.tiny.coco import DETECTION_FILE, KEYPOINT_NAMES, make_tiny_coco
from mmnas.datasets.tiny.imagenet import CLASS_NAMES as IMAGENET_NAMES
from mmnas.datasets.tiny.imagenet import SYNSETS, make_tiny_imagenet
from mmnas.datasets.tiny.kitti import CLASS_NAMES as KITTI_CLASSES
from mmnas.datasets.tiny.kitti import MIN_OBJECT_POINTS, make_tiny_kitti

# The KITTI tests share one generated set and mmdet3d's numba-compiled helpers (compiling
# them takes most of their time), so pytest-xdist keeps them on one worker.
kitti_group = pytest.mark.xdist_group('tiny_kitti')
COCO_TOPDOWN_CONFIG = (
    'body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py')


def stock_config(package: str, relative_path: str) -> Config:
    """Load a config shipped in ``<package>/.mim/configs``."""
    module = importlib.import_module(package)
    return Config.fromfile(osp.join(osp.dirname(module.__file__), '.mim', 'configs',
                                    relative_path))


def build_dataset(scope: str, dataset_cfg: dict):
    """Build a dataset with the registry (and so the transforms) of ``scope``."""
    registry = importlib.import_module(f'{scope}.registry').DATASETS
    with DefaultScope.overwrite_default_scope(scope):
        return registry.build(copy.deepcopy(dataset_cfg))


def sample(dataset, index: int):
    """``dataset[index]`` with the random augmentations seeded, so failures reproduce."""
    random.seed(index)
    np.random.seed(index)
    torch.manual_seed(index)
    return dataset[index]


def file_digests(root: str) -> dict:
    """SHA-256 of every file under ``root``, by relative path."""
    digests = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                digests[osp.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return digests


# ------------------------------------------------------------------------------ Cityscapes


def test_cityscapes_stock_pipeline(tmp_path):
    root = str(tmp_path / 'cityscapes')
    written = make_tiny_cityscapes(root, num_train=3, num_val=3, image_size=(128, 256))
    assert [len(v) for v in written.values()] == [3, 3]
    cfg = stock_config('mmseg', '_base_/datasets/cityscapes.py')

    train_cfg = dict(cfg.train_dataloader.dataset, data_root=root)
    train_set = build_dataset('mmseg', train_cfg)
    assert len(train_set) == 3
    assert train_set.metainfo['classes'] == CITYSCAPES_NAMES
    for index in range(len(train_set)):
        packed = sample(train_set, index)
        assert tuple(packed['inputs'].shape) == (3, 512, 1024)
        seg = packed['data_samples'].gt_sem_seg.data.numpy()
        assert seg.shape == (1, 512, 1024)
        assert set(np.unique(seg)) <= set(range(19)) | {255}

    val_set = build_dataset('mmseg', dict(cfg.val_dataloader.dataset, data_root=root))
    assert len(val_set) == 3
    seen = set()
    for index in range(len(val_set)):
        packed = sample(val_set, index)
        # The test pipeline keeps the labels at the original resolution.
        seg = packed['data_samples'].gt_sem_seg.data.numpy()
        assert seg.shape == (1, 128, 256)
        values = set(np.unique(seg).tolist())
        assert values <= set(range(19)) | {255}
        assert len(values - {255}) >= 5
        seen |= values
    assert {TRAIN_IDS[name] for name in ('road', 'sidewalk', 'building', 'sky', 'car')} <= seen
    # The labelIds maps (for CityscapesMetric) say the same as the labelTrainIds maps.
    info = val_set.get_data_info(0)
    train_ids = cv2.imread(info['seg_map_path'], cv2.IMREAD_UNCHANGED)
    label_ids = cv2.imread(info['seg_map_path'].replace('labelTrainIds', 'labelIds'),
                           cv2.IMREAD_UNCHANGED)
    for train_id in np.unique(train_ids):
        assert np.all(label_ids[train_ids == train_id] == LABEL_ID_OF_TRAIN_ID[train_id])


# ---------------------------------------------------------------------------------- ADE20K


def test_ade20k_stock_pipeline(tmp_path):
    root = str(tmp_path / 'ade' / 'ADEChallengeData2016')
    make_tiny_ade20k(root, num_train=4, num_val=6)
    cfg = stock_config('mmseg', '_base_/datasets/ade20k.py')

    train_set = build_dataset('mmseg', dict(cfg.train_dataloader.dataset, data_root=root))
    assert len(train_set) == 4
    # The drawn classes sit at the right places of the stock class list.
    classes = [name.strip() for name in train_set.metainfo['classes']]
    assert len(classes) == 150
    for name, value in CLASS_VALUES.items():
        assert classes[value - 1] == name
    packed = sample(train_set, 0)
    assert tuple(packed['inputs'].shape) == (3, 512, 512)
    assert set(np.unique(packed['data_samples'].gt_sem_seg.data.numpy())) <= (set(range(150))
                                                                              | {255})

    val_set = build_dataset('mmseg', dict(cfg.val_dataloader.dataset, data_root=root))
    assert len(val_set) == 6
    drawn = {value - 1 for value in CLASS_VALUES.values()}
    seen = set()
    for index in range(len(val_set)):
        packed = sample(val_set, index)
        height, width = packed['data_samples'].ori_shape
        assert 128 <= min(height, width) and max(height, width) <= 256
        values = set(np.unique(packed['data_samples'].gt_sem_seg.data.numpy()).tolist())
        # reduce_zero_label: "other" becomes 255, every other value is a drawn class.
        assert values - {255} <= drawn
        assert len(values - {255}) >= 3
        seen |= values
    assert len(seen - {255}) >= 8


# ------------------------------------------------------------------------------------ COCO


def test_coco_stock_topdown_pipeline(tmp_path):
    root = str(tmp_path / 'coco')
    make_tiny_coco(root, num_train=6, num_val=4)
    cfg = stock_config('mmpose', COCO_TOPDOWN_CONFIG)
    with open(osp.join(root, 'annotations', 'person_keypoints_train2017.json')) as f:
        coco = json.load(f)
    assert coco['categories'][0]['keypoints'] == list(KEYPOINT_NAMES)
    annotations = coco['annotations']
    flags = np.array([a['keypoints'][2::3] for a in annotations])
    assert set(np.unique(flags)) <= {0, 1, 2} and (flags == 2).any()
    assert all(a['num_keypoints'] == int((np.array(a['keypoints'][2::3]) > 0).sum())
               for a in annotations)
    assert all(a['iscrowd'] == 0 and a['area'] > 0 and len(a['bbox']) == 4 for a in annotations)

    train_set = build_dataset('mmpose', dict(cfg.train_dataloader.dataset, data_root=root))
    # Top-down: one sample per annotated person.
    assert len(train_set) == len(annotations)
    for index in range(3):
        packed = sample(train_set, index)
        assert tuple(packed['inputs'].shape) == (3, 256, 192)
        instances = packed['data_samples'].gt_instances
        assert instances.keypoints.shape == (1, 17, 2)
        assert instances.keypoints_visible.shape == (1, 17)
        assert instances.keypoints_visible.sum() > 0
        assert tuple(packed['data_samples'].gt_fields.heatmaps.shape) == (17, 64, 48)

    val_cfg = dict(cfg.val_dataloader.dataset,
                   data_root=root,
                   bbox_file=osp.join(root, DETECTION_FILE))
    val_set = build_dataset('mmpose', val_cfg)
    with open(osp.join(root, DETECTION_FILE)) as f:
        assert len(val_set) == len(json.load(f)) > 0
    assert tuple(sample(val_set, 0)['inputs'].shape) == (3, 256, 192)


def test_coco_metric_scores_ground_truth_perfectly(tmp_path):
    """The keypoint annotations are complete enough for the stock OKS evaluation."""
    from mmpose.evaluation import CocoMetric

    root = str(tmp_path / 'coco')
    make_tiny_coco(root, num_train=1, num_val=4)
    ann_file = osp.join(root, 'annotations', 'person_keypoints_val2017.json')
    cfg = stock_config('mmpose', COCO_TOPDOWN_CONFIG)
    val_set = build_dataset(
        'mmpose',
        dict(cfg.val_dataloader.dataset, data_root=root, bbox_file=osp.join(root, DETECTION_FILE)))
    metric = CocoMetric(ann_file=ann_file, outfile_prefix=str(tmp_path / 'results'))
    metric.dataset_meta = val_set.metainfo
    with open(ann_file) as f:
        annotations = json.load(f)['annotations']
    for ann in annotations:
        keypoints = np.array(ann['keypoints'], np.float32).reshape(1, 17, 3)
        metric.process([], [
            dict(id=ann['id'],
                 img_id=ann['image_id'],
                 category_id=1,
                 pred_instances=dict(keypoints=keypoints[..., :2],
                                     keypoint_scores=np.ones((1, 17))),
                 gt_instances=dict(bbox_scores=np.ones(1)))
        ])
    results = metric.evaluate(size=len(annotations))
    assert results['coco/AP'] == pytest.approx(1.0)


# ----------------------------------------------------------------------------------- KITTI


@pytest.fixture(scope='module')
def tiny_kitti(tmp_path_factory):
    """One tiny KITTI set (with mmdet3d's infos and GT database) for the KITTI tests."""
    root = str(tmp_path_factory.mktemp('data') / 'kitti')
    frames = make_tiny_kitti(root, num_train=4, num_val=2, num_test=1)
    return root, frames


def kitti_dataset_cfg(root: str, pipeline: list, split: str = 'train') -> dict:
    """The stock KITTI 3-class dataset settings with ``data_root`` and ``pipeline`` replaced."""
    cfg = stock_config('mmdet3d', '_base_/datasets/kitti-3d-3class.py')
    if split == 'train':
        dataset_cfg = cfg.train_dataloader.dataset.dataset
    else:
        dataset_cfg = cfg.val_dataloader.dataset
    return dict(dataset_cfg, data_root=root, pipeline=pipeline)


def stock_kitti_train_pipeline(root: str) -> list:
    """The stock 3-class training pipeline, its database sampler pointed at ``root`` (and
    swapped for ``mmnas.DataBaseSampler``: the stock one needs ``np.long``)."""
    pipeline = copy.deepcopy(
        stock_config('mmdet3d', '_base_/datasets/kitti-3d-3class.py').train_pipeline)
    for transform in pipeline:
        if transform['type'] == 'ObjectSample':
            transform['db_sampler'].update(type='mmnas.DataBaseSampler', data_root=root,
                                           info_path=osp.join(root, 'kitti_dbinfos_train.pkl'))
    return pipeline


@kitti_group
def test_kitti_layout_and_infos(tiny_kitti):
    root, frames = tiny_kitti
    for split, ids in (('train', frames['train']), ('val', frames['val']),
                       ('trainval', frames['train'] + frames['val']), ('test', frames['test'])):
        with open(osp.join(root, 'ImageSets', f'{split}.txt')) as f:
            assert f.read().split() == ids
        with open(osp.join(root, f'kitti_infos_{split}.pkl'), 'rb') as f:
            infos = pickle.load(f)
        assert infos['metainfo']['info_version'] == '1.1'
        assert [f'{info["sample_idx"]:06d}' for info in infos['data_list']] == ids
    for folder in ('velodyne', 'velodyne_reduced', 'calib', 'image_2', 'label_2', 'planes'):
        assert len(os.listdir(osp.join(root, 'training', folder))) == 6
    assert len(os.listdir(osp.join(root, 'testing', 'velodyne_reduced'))) == 1
    assert not osp.exists(osp.join(root, 'testing', 'label_2'))

    with open(osp.join(root, 'training', 'calib', '000000.txt')) as f:
        keys = [line.split(':')[0] for line in f.read().splitlines()]
    assert keys == ['P0', 'P1', 'P2', 'P3', 'R0_rect', 'Tr_velo_to_cam', 'Tr_imu_to_velo']
    points = np.fromfile(osp.join(root, 'training', 'velodyne', '000000.bin'),
                         np.float32).reshape(-1, 4)
    assert points.shape[0] > 5000
    assert 0.0 <= points[:, 3].min() and points[:, 3].max() <= 1.0


def test_kitti_needs_every_split(tmp_path):
    with pytest.raises(ValueError, match='at least one frame'):
        make_tiny_kitti(str(tmp_path / 'kitti'), num_test=0)


@kitti_group
def test_kitti_labels_match_images_and_points(tiny_kitti):
    """2D boxes are the projected 3D boxes; every labelled box holds its object's points."""
    from mmcv.ops import points_in_boxes_cpu
    from mmdet3d.structures import Box3DMode, CameraInstance3DBoxes, LiDARInstance3DBoxes

    root, frames = tiny_kitti
    with open(osp.join(root, 'kitti_infos_trainval.pkl'), 'rb') as f:
        infos = pickle.load(f)['data_list']
    for info in infos:
        camera = info['images']['CAM2']
        instances = info['instances']
        assert instances, 'every frame has objects'
        boxes = CameraInstance3DBoxes(np.array([i['bbox_3d'] for i in instances])).convert_to(
            Box3DMode.LIDAR, np.linalg.inv(np.array(camera['lidar2cam'])))
        assert isinstance(boxes, LiDARInstance3DBoxes)
        # The 2D box of the label is the projection of the 3D box, clipped to the image.
        corners = boxes.corners.numpy().reshape(-1, 3)
        projected = np.hstack([corners, np.ones(
            (len(corners), 1))]) @ np.array(camera['lidar2img']).T
        pixels = (projected[:, :2] / projected[:, 2:3]).reshape(len(instances), 8, 2)
        expected = np.concatenate([pixels.min(1), pixels.max(1)], 1)
        expected = np.clip(expected, 0, [camera['width'] - 1, camera['height'] - 1] * 2)
        np.testing.assert_allclose([i['bbox'] for i in instances], expected, atol=0.02)

        points = np.fromfile(
            osp.join(root, 'training', 'velodyne_reduced', info['lidar_points']['lidar_path']),
            np.float32).reshape(-1, 4)
        points = torch.from_numpy(points[:, :3])[None]
        inside = points_in_boxes_cpu(points, boxes.tensor[None].float())[0].numpy()
        counts = inside.sum(0)
        # The same counts as mmdet3d's own info creation, and enough points per object.
        assert counts.tolist() == [i['num_lidar_pts'] for i in instances]
        assert (counts >= 1).all() and np.median(counts) >= MIN_OBJECT_POINTS
        # Around each object there is nothing but ground: growing the box sideways and
        # upwards (above the ground's noise) catches no extra point.
        lifted = boxes.tensor.clone()
        lifted[:, 2] += 0.06
        lifted[:, 5] -= 0.06
        grown = lifted.clone()
        grown[:, 3:5] += 0.3
        grown[:, 5] += 0.2
        in_lifted = points_in_boxes_cpu(points, lifted[None].float())[0].sum(0)
        in_grown = points_in_boxes_cpu(points, grown[None].float())[0].sum(0)
        assert torch.equal(in_lifted, in_grown)


@kitti_group
def test_kitti_stock_pipeline(tiny_kitti):
    """The stock 3-class training pipeline, its sampler swapped for ``mmnas.DataBaseSampler``
    (see :func:`pasting_pipeline`)."""
    root, frames = tiny_kitti
    pipeline = stock_kitti_train_pipeline(root)
    train_set = build_dataset('mmdet3d', kitti_dataset_cfg(root, pipeline))
    assert len(train_set) == len(frames['train'])
    labels_seen = set()
    for index in range(len(train_set)):
        packed = sample(train_set, index)
        points = packed['inputs']['points']
        assert points.ndim == 2 and points.shape[1] == 4 and points.shape[0] > 1000
        instances = packed['data_samples'].gt_instances_3d
        assert len(instances.bboxes_3d) >= 1
        assert instances.bboxes_3d.tensor.shape[1] == 7
        labels_seen |= set(instances.labels_3d.tolist())
    assert labels_seen <= {0, 1, 2} and 2 in labels_seen

    val_cfg = kitti_dataset_cfg(root,
                                stock_config('mmdet3d',
                                             '_base_/datasets/kitti-3d-3class.py').test_pipeline,
                                split='val')
    val_set = build_dataset('mmdet3d', val_cfg)
    assert len(val_set) == len(frames['val'])
    assert sample(val_set, 0)['inputs']['points'].shape[1] == 4


def pasting_pipeline(root: str, stock: str) -> list:
    """The stock training pipeline of ``stock`` (a config under mmdet3d's ``.mim/configs``) up
    to its last ground-truth augmentation, the sampler pointed at ``root`` and swapped for
    ``mmnas.DataBaseSampler`` (the stock one needs ``np.long``)."""
    pipeline = copy.deepcopy(stock_config('mmdet3d', stock).train_pipeline)
    names = [t['type'] for t in pipeline]
    last = max(names.index(n) for n in ('ObjectSample', 'ObjectNoise') if n in names)
    pipeline = pipeline[:last + 1]
    for transform in pipeline:
        if transform['type'] == 'ObjectSample':
            transform['db_sampler'].update(type='mmnas.DataBaseSampler', data_root=root,
                                           info_path=osp.join(root, 'kitti_dbinfos_train.pkl'))
    return pipeline


@kitti_group
def test_kitti_gt_database_matches_its_infos(tiny_kitti):
    """The GT database is mmdet3d's: one point file per object, relative to its box."""
    root, frames = tiny_kitti
    with open(osp.join(root, 'kitti_dbinfos_train.pkl'), 'rb') as f:
        db_infos = pickle.load(f)
    assert set(db_infos) <= set(KITTI_CLASSES) and 'Car' in db_infos
    image_ids = {entry['image_idx'] for entries in db_infos.values() for entry in entries}
    assert image_ids == {int(i) for i in frames['train']}
    for name, entries in db_infos.items():
        for entry in entries:
            assert entry['name'] == name and entry['path'].startswith('kitti_gt_database/')
            points = np.fromfile(osp.join(root, entry['path']), np.float32).reshape(-1, 4)
            assert len(points) == entry['num_points_in_gt'] > 0
            # Stored relative to the box's bottom centre, inside the box's extent.
            half_diagonal = 0.5 * np.hypot(*entry['box3d_lidar'][3:5])
            assert np.all(np.hypot(points[:, 0], points[:, 1]) <= half_diagonal + 1e-3)
            assert np.all((points[:, 2] >= 0) & (points[:, 2] <= entry['box3d_lidar'][5]))


@kitti_group
@pytest.mark.parametrize('stock', [
    '_base_/datasets/kitti-3d-3class.py',
    'pointpillars/pointpillars_hv_secfpn_8xb6-160e_kitti-3d-3class.py',
])
def test_kitti_object_sample_and_noise(tiny_kitti, stock):
    """The stock ``ObjectSample`` pastes database objects (onto the ground plane in
    PointPillars' pipeline) and the stock ``ObjectNoise`` moves the objects with their
    points."""
    from mmcv.ops import points_in_boxes_cpu

    root, _ = tiny_kitti
    pipeline = pasting_pipeline(root, stock)
    train_set = build_dataset('mmdet3d', kitti_dataset_cfg(root, pipeline))
    transforms = train_set.pipeline.transforms
    sample_at = [t['type'] for t in pipeline].index('ObjectSample')
    np.random.seed(0)
    with DefaultScope.overwrite_default_scope('mmdet3d'):
        plain = train_set.get_data_info(0)
        for transform in transforms[:sample_at]:
            plain = transform(plain)
        augmented = transforms[sample_at](copy.deepcopy(plain))
    num_plain, num_pasted = len(plain['gt_bboxes_3d']), len(augmented['gt_bboxes_3d'])
    assert num_pasted > num_plain
    assert augmented['gt_labels_3d'].dtype == np.int64
    assert len(augmented['gt_labels_3d']) == num_pasted
    # The frame's own objects come first and are unchanged.
    assert torch.equal(augmented['gt_bboxes_3d'].tensor[:num_plain],
                       plain['gt_bboxes_3d'].tensor)
    pasted = augmented['gt_bboxes_3d'][num_plain:]
    if plain.get('plane') is not None:
        # Every pasted box stands on the tiny set's flat ground, 1.73 m below the lidar.
        np.testing.assert_allclose(pasted.bottom_height.numpy(), -1.73, atol=1e-3)
    # Each pasted object brings its points: every pasted box holds points.
    inside = points_in_boxes_cpu(augmented['points'].tensor[None, :, :3],
                                 pasted.tensor[None].float())[0]
    assert (inside.sum(0) > 0).all()

    if 'ObjectNoise' in [t['type'] for t in pipeline]:
        noise = transforms[[t['type'] for t in pipeline].index('ObjectNoise')]
        before = copy.deepcopy(augmented)
        with DefaultScope.overwrite_default_scope('mmdet3d'):
            noisy = noise(augmented)
        assert len(noisy['gt_bboxes_3d']) == num_pasted
        moved = (noisy['gt_bboxes_3d'].tensor - before['gt_bboxes_3d'].tensor).abs().sum(1) > 0
        assert moved.any()
        assert len(noisy['points']) == len(before['points'])


# -------------------------------------------------------------------------------- ImageNet


def test_imagenet_stock_pipeline(tmp_path):
    root = str(tmp_path / 'imagenet')
    make_tiny_imagenet(root, num_classes=5, num_train_per_class=3, num_val_per_class=2)
    cfg = stock_config('mmpretrain', '_base_/datasets/imagenet_bs32.py')
    classes = osp.join(root, 'meta', 'classes.txt')
    # The subset is the head of the 1000 ImageNet classes, in the stock class order.
    assert all(full.startswith(name) for full, name in zip(IMAGENET_CATEGORIES, IMAGENET_NAMES))
    for split, loader, per_class in (('train', cfg.train_dataloader, 3), ('val',
                                                                          cfg.val_dataloader, 2)):
        dataset = build_dataset('mmpretrain', dict(loader.dataset, data_root=root,
                                                   classes=classes))
        assert dataset.metainfo['classes'] == IMAGENET_NAMES[:5]
        assert len(dataset) == 5 * per_class
        for index in range(len(dataset)):
            info = dataset.get_data_info(index)
            wnid = osp.basename(osp.dirname(info['img_path']))
            assert SYNSETS[info['gt_label']][0] == wnid
        packed = sample(dataset, 0)
        assert tuple(packed['inputs'].shape) == (3, 224, 224)
        assert packed['data_samples'].gt_label.tolist() == [0]

    # CustomDataset derives the same labels from the sorted class folders alone.
    custom = build_dataset(
        'mmpretrain',
        dict(type='CustomDataset',
             data_root=root,
             data_prefix='train',
             pipeline=cfg.train_pipeline))
    assert custom.metainfo['classes'] == tuple(wnid for wnid, _ in SYNSETS[:5])
    assert sorted(custom.get_gt_labels().tolist()) == sorted([0, 1, 2, 3, 4] * 3)
    for index in range(len(custom)):
        info = custom.get_data_info(index)
        assert osp.basename(osp.dirname(info['img_path'])) == SYNSETS[info['gt_label']][0]


# ------------------------------------------------------------------ determinism and entry points


@pytest.mark.parametrize('make, kwargs', [
    (make_tiny_cityscapes, dict(num_train=2, num_val=1, image_size=(64, 128))),
    (make_tiny_ade20k, dict(num_train=2, num_val=1)),
    (make_tiny_coco, dict(num_train=2, num_val=2)),
    (make_tiny_imagenet, dict(num_classes=3, num_train_per_class=2, num_val_per_class=1)),
    pytest.param(make_tiny_kitti, dict(num_train=2, num_val=1, num_test=1), marks=kitti_group),
])
def test_same_seed_same_bytes(tmp_path, make, kwargs):
    digests = []
    for run, seed in (('a', 0), ('b', 0), ('c', 1)):
        root = str(tmp_path / run)
        make(root, seed=seed, **kwargs)
        digests.append(file_digests(root))
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


def test_make_tiny_datasets_roots(tmp_path):
    roots = make_tiny_datasets(str(tmp_path), datasets=('ade20k', 'imagenet'), seed=3)
    assert roots == {
        name: osp.join(str(tmp_path), DATASET_FOLDERS[name])
        for name in ('ade20k', 'imagenet')
    }
    assert os.listdir(osp.join(roots['ade20k'], 'images')) != []
    assert sorted(os.listdir(osp.join(roots['imagenet'],
                                      'meta'))) == ['classes.txt', 'train.txt', 'val.txt']
    with pytest.raises(ValueError, match='unknown datasets'):
        make_tiny_datasets(str(tmp_path), datasets=('mnist', ))


def test_command_line_tool(tmp_path, monkeypatch, capsys, repo_root):
    script = osp.join(repo_root, 'tools', 'dataset_converters', 'make_tiny_datasets.py')
    monkeypatch.setattr(
        sys, 'argv',
        [script, '--out', str(tmp_path), '--datasets', 'imagenet', '--seed', '2'])
    runpy.run_path(script, run_name='__main__')
    assert f'imagenet: wrote {osp.join(str(tmp_path), "imagenet")}' in capsys.readouterr().out
    assert osp.isfile(osp.join(str(tmp_path), 'imagenet', 'meta', 'train.txt'))
