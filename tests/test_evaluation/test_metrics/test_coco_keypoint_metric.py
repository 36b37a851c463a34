"""CocoKeypointAP and the PCK converter against mmpose's stock CocoMetric and PCKAccuracy.

A small COCO-keypoints scene is built in a temporary directory: five images, persons of
medium and large area (so AP (M) and AP (L) are defined), invisible keypoints, a person with
no visible keypoint, a crowd region, a person nobody predicts, near-duplicate detections that
OKS-NMS must drop, a loose duplicate and false positives, and a sample repeated with the same
id (the padding of a distributed last batch). The same ``PoseDataSample``s go through
mmengine's ``Evaluator`` to the stock metric and to ours.
"""
import json
import os.path as osp
from typing import Dict, List

import mmpose
import numpy as np
import pytest
from mmengine.evaluator import Evaluator
from mmengine.logging import MessageHub
from mmengine.structures import InstanceData
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.evaluation.metrics import CocoMetric
from mmpose.evaluation.metrics import PCKAccuracy as StockPCKAccuracy
from mmpose.structures import PoseDataSample

from mmnas.evaluation.metrics.coco_keypoint_metric import CocoKeypointAP
from mmnas.evaluation.metrics.mmeval_adapter import MMEvalMetric

NUM_KEYPOINTS = 17
IMAGE_SHAPE = (480, 640)  # (height, width)
CATEGORIES = [dict(id=1, name='person', supercategory='person')]
COCO_STATS = ('AP', 'AP .5', 'AP .75', 'AP (M)', 'AP (L)', 'AR', 'AR .5', 'AR .75', 'AR (M)',
              'AR (L)')

# Persons per image: (x, y, w, h, number of invisible keypoints, noise of the prediction in
# units of the person's scale; None: nobody predicts this person). Areas are 0.7 w h:
# 60x90 and 50x80 are medium (32^2..96^2), the others large.
PERSONS = {
    1: [(20, 30, 200, 300, 2, 0.02), (300, 50, 60, 90, 0, 0.05), (400, 200, 50, 80, 3, 0.12)],
    2: [(10, 10, 180, 260, 0, 0.04), (250, 100, 150, 220, 4, 0.25), (450, 300, 60, 90, 1, 0.5)],
    3: [(100, 100, 55, 85, 0, 0.03), (300, 80, 220, 330, 1, 0.08),
        (500, 20, 60, 90, NUM_KEYPOINTS, 0.05)],
    4: [(50, 60, 160, 240, 0, None), (300, 200, 60, 90, 2, 0.1)],
    5: [],
}
CROWD = dict(id=99,
             image_id=3,
             category_id=1,
             bbox=[0, 300, 200, 150],
             area=20000.0,
             keypoints=[0] * (3 * NUM_KEYPOINTS),
             num_keypoints=0,
             iscrowd=1)


def _coco_meta(dataset_name: str) -> dict:
    meta = parse_pose_metainfo(
        dict(from_file=osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', '_base_',
                                'datasets', 'coco.py')))
    # A name of our own: the stock metric (and ours) look '<dataset_name>_ann_file' up in the
    # MessageHub, where a test-mode mmpose dataset built elsewhere may have left 'coco_ann_file'.
    meta['dataset_name'] = dataset_name
    meta['CLASSES'] = CATEGORIES
    return meta


def _annotations(rng: np.random.Generator) -> List[dict]:
    anns = []
    for img_id, persons in PERSONS.items():
        for k, (x, y, w, h, n_invisible, _) in enumerate(persons):
            xs = rng.uniform(x, x + w, NUM_KEYPOINTS)
            ys = rng.uniform(y, y + h, NUM_KEYPOINTS)
            visible = np.full(NUM_KEYPOINTS, 2)
            visible[rng.choice(NUM_KEYPOINTS, n_invisible, replace=False)] = 0
            xs[visible == 0] = ys[visible == 0] = 0
            anns.append(
                dict(id=10 * img_id + k,
                     image_id=img_id,
                     category_id=1,
                     bbox=[x, y, w, h],
                     area=0.7 * w * h,
                     iscrowd=0,
                     num_keypoints=int((visible > 0).sum()),
                     keypoints=np.stack([xs.round(2), ys.round(2), visible],
                                        1).reshape(-1).tolist()))
    return anns


def _sample(sample_id: int, img_id: int, box: np.ndarray, keypoints: np.ndarray,
            keypoint_scores: np.ndarray, bbox_score: float, gt_keypoints: np.ndarray,
            gt_visible: np.ndarray, raw_ann_info) -> PoseDataSample:
    """One top-down sample as ``TopdownPoseEstimator.predict`` returns it (1 person)."""
    box = box.astype(np.float32)[None]  # (1, 4), x1 y1 x2 y2
    bbox_scores = np.array([bbox_score], dtype=np.float32)
    # the padded crop size that mmpose's GetBBoxCenterScale stores
    bbox_scales = (box[:, 2:] - box[:, :2]) * np.float32(1.25)
    head_size = 0.3 * (box[:, 3] - box[:, 1])
    sample = PoseDataSample(metainfo=dict(id=sample_id,
                                          img_id=img_id,
                                          category_id=np.array(1),
                                          ori_shape=IMAGE_SHAPE,
                                          img_shape=IMAGE_SHAPE,
                                          raw_ann_info=raw_ann_info))
    sample.gt_instances = InstanceData(bboxes=box,
                                       bbox_scores=bbox_scores,
                                       bbox_scales=bbox_scales,
                                       keypoints=gt_keypoints[None].astype(np.float32),
                                       keypoints_visible=gt_visible[None].astype(np.float32),
                                       head_size=head_size)
    sample.pred_instances = InstanceData(keypoints=keypoints[None].astype(np.float32),
                                         keypoint_scores=keypoint_scores[None].astype(np.float32),
                                         bboxes=box,
                                         bbox_scores=bbox_scores)
    return sample


def _scene(seed: int = 0) -> Dict[str, object]:
    """The annotation json and the data samples: per person, then extra detections."""
    rng = np.random.default_rng(seed)
    anns = _annotations(rng)
    images = [
        dict(id=i, width=IMAGE_SHAPE[1], height=IMAGE_SHAPE[0], file_name=f'{i}.jpg')
        for i in PERSONS
    ]
    ann_json = dict(images=images, annotations=anns + [CROWD], categories=CATEGORIES)

    person_samples, extra_samples = [], []
    for ann, (x, y, w, h, _, noise) in zip(anns,
                                           [p for persons in PERSONS.values() for p in persons]):
        if noise is None:
            continue
        gt = np.asarray(ann['keypoints'], dtype=np.float64).reshape(-1, 3)
        keypoints = gt[:, :2] + rng.normal(0, noise * np.sqrt(ann['area']), (NUM_KEYPOINTS, 2))
        hidden = gt[:, 2] == 0
        keypoints[hidden] = rng.uniform([x, y], [x + w, y + h], (hidden.sum(), 2))
        scores = rng.uniform(0.05, 1.0, NUM_KEYPOINTS)
        box = np.array([x, y, x + w, y + h]) + rng.normal(0, 2, 4)
        bbox_score = rng.uniform(0.5, 1.0)
        person_samples.append(
            _sample(ann['id'], ann['image_id'], box, keypoints, scores, bbox_score, gt[:, :2],
                    gt[:, 2] > 0, ann))
        if ann['id'] in (10, 20, 31):
            # a second detection of the same person: OKS-NMS keeps only the better one
            extra_samples.append(
                _sample(1000 + ann['id'], ann['image_id'], box + 3,
                        keypoints + rng.normal(0, 0.5, (NUM_KEYPOINTS, 2)), scores * 0.9,
                        bbox_score * 0.95, gt[:, :2], gt[:, 2] > 0, []))
        if ann['id'] == 21:
            # a loose duplicate, kept by NMS: a false positive
            extra_samples.append(
                _sample(2000 + ann['id'], ann['image_id'], box,
                        keypoints + rng.normal(0, 15, (NUM_KEYPOINTS, 2)), scores,
                        bbox_score * 0.8, gt[:, :2], gt[:, 2] > 0, []))
    for sample_id, img_id in ((3001, 4), (3002, 5)):
        # false positives: a person where there is nobody
        x, y = rng.uniform(350, 450), rng.uniform(20, 100)
        keypoints = rng.uniform([x, y], [x + 80, y + 160], (NUM_KEYPOINTS, 2))
        extra_samples.append(
            _sample(sample_id, img_id, np.array([x, y, x + 80, y + 160]), keypoints,
                    rng.uniform(0.3, 0.9, NUM_KEYPOINTS), 0.7, keypoints,
                    np.ones(NUM_KEYPOINTS, dtype=bool), []))
    return dict(ann_json=ann_json, person_samples=person_samples, extra_samples=extra_samples)


@pytest.fixture(scope='module')
def ann_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp('coco') / 'person_keypoints_test.json'
    path.write_text(json.dumps(_scene()['ann_json']))
    return str(path)


def _samples(padding_duplicate: bool) -> List[PoseDataSample]:
    scene = _scene()
    samples = scene['person_samples'] + scene['extra_samples']
    if padding_duplicate:
        samples.append(scene['person_samples'][6])
    return samples


def _evaluate(metric, samples: List[PoseDataSample], meta: dict, batch_size: int = 4) -> dict:
    """What a ValLoop does with one metric: set the meta, process batches, evaluate."""
    evaluator = Evaluator(metric)
    evaluator.dataset_meta = meta
    for start in range(0, len(samples), batch_size):
        evaluator.process(data_samples=samples[start:start + batch_size])
    return evaluator.evaluate(len(samples))


def _assert_same(ours: dict, stock: dict, names: Dict[str, str]) -> None:
    assert sorted(ours) == sorted(names.values())
    diffs = {name: abs(ours[ours_name] - stock[name]) for name, ours_name in names.items()}
    assert max(diffs.values()) < 1e-4, (ours, stock)


def _coco_names() -> Dict[str, str]:
    return {f'coco/{name}': f'coco/{name}' for name in COCO_STATS}


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(nms_mode='none'),
    dict(nms_mode='soft_oks_nms'),
    dict(score_mode='bbox'),
    dict(score_mode='bbox_rle', keypoint_score_thr=0.5),
    dict(use_area=False, nms_thr=0.5),
])
def test_coco_keypoint_ap_with_ann_file_matches_stock(ann_file, kwargs):
    meta = _coco_meta('mmnas_test_coco')
    stock = _evaluate(CocoMetric(ann_file=ann_file, **kwargs), _samples(True), meta)
    ours = _evaluate(MMEvalMetric(metric=dict(type='CocoKeypointAP', ann_file=ann_file, **kwargs)),
                     _samples(True), meta)
    _assert_same(ours, stock, _coco_names())
    # the scene is informative: every number is defined, none is perfect
    assert all(0 < ours[name] < 1 for name in _coco_names()), ours


@pytest.mark.parametrize('kwargs', [dict(), dict(nms_mode='none')])
def test_coco_keypoint_ap_from_samples_matches_stock(tmp_path, monkeypatch, kwargs):
    # the ground truth comes from the samples' raw_ann_info; a padding duplicate would repeat
    # an annotation there, which the stock metric then counts twice (ours once), so none here
    meta = _coco_meta('mmnas_test_coco_samples')
    stock = _evaluate(CocoMetric(**kwargs), _samples(False), meta)
    monkeypatch.chdir(tmp_path)
    ours = _evaluate(MMEvalMetric(metric=dict(type='CocoKeypointAP', **kwargs)), _samples(False),
                     meta)
    _assert_same(ours, stock, _coco_names())
    assert list(tmp_path.iterdir()) == []  # nothing written to the working directory


def test_coco_keypoint_ap_ann_file_from_message_hub(ann_file):
    # what a test-mode mmpose COCO-style dataset registers for CocoMetric(ann_file=None)
    MessageHub.get_current_instance().update_info('mmnas_test_coco_hub_ann_file', ann_file)
    meta = _coco_meta('mmnas_test_coco_hub')
    from_hub = _evaluate(MMEvalMetric(metric=dict(type='CocoKeypointAP')), _samples(True), meta)
    from_file = _evaluate(MMEvalMetric(metric=dict(type='CocoKeypointAP', ann_file=ann_file)),
                          _samples(True), meta)
    assert from_hub == from_file


def test_coco_keypoint_ap_dedup_and_nms_take_effect(ann_file):
    meta = _coco_meta('mmnas_test_coco')

    def coco_ap(padding_duplicate: bool, **kwargs) -> dict:
        metric = MMEvalMetric(metric=dict(type='CocoKeypointAP', ann_file=ann_file, **kwargs))
        return _evaluate(metric, _samples(padding_duplicate), meta)

    assert coco_ap(True) == coco_ap(False)
    assert coco_ap(False)['coco/AP'] > coco_ap(False, nms_mode='none')['coco/AP']


def test_coco_keypoint_ap_plain_dicts():
    """The framework-free API: add() plain dicts, compute() a flat dict of floats."""
    rng = np.random.default_rng(1)
    sigmas = _coco_meta('unused')['sigmas']
    keypoints = rng.uniform(100, 300, (1, NUM_KEYPOINTS, 2))
    ann = dict(id=1,
               image_id=7,
               category_id=1,
               bbox=[100, 100, 200, 200],
               area=40000.0,
               keypoints=np.concatenate(
                   [keypoints[0], np.full((NUM_KEYPOINTS, 1), 2)], axis=1).reshape(-1).tolist())
    metric = CocoKeypointAP(dataset_meta=dict(sigmas=sigmas))
    metric.add([
        dict(id=1,
             img_id=7,
             keypoints=keypoints,
             keypoint_scores=np.full((1, NUM_KEYPOINTS), 0.9),
             bbox_scores=np.ones(1))
    ], [dict(img_id=7, width=400, height=400, raw_ann_info=[ann])])
    results = metric.compute()
    assert list(results) == list(COCO_STATS)
    assert all(isinstance(v, float) for v in results.values())
    # a perfect prediction of one large person
    for name in ('AP', 'AP (L)', 'AR'):
        assert results[name] == pytest.approx(1.0)
    assert results['AP (M)'] == -1.0


def test_coco_keypoint_ap_needs_ground_truth():
    samples = _samples(False)
    metric = MMEvalMetric(metric=dict(type='CocoKeypointAP'))
    metric.dataset_meta = _coco_meta('mmnas_test_coco_none')
    converted = [s.to_dict() for s in samples]
    for sample in converted:
        del sample['raw_ann_info']  # detected boxes: mmpose keeps no raw annotation
    metric.process(None, converted)
    with pytest.raises(ValueError, match='ground truth'):
        metric.evaluate(len(converted))
    with pytest.raises(ValueError, match='score_mode'):
        CocoKeypointAP(score_mode='oks')


@pytest.mark.parametrize('thr,norm_item,stock_name,ours_name', [
    (0.05, 'bbox', 'PCK', 'pck/PCK@0.05'),
    (0.2, 'bbox', 'PCK', 'pck/PCK@0.2'),
    (0.5, 'head', 'PCKh', 'pck/PCKh@0.5'),
])
def test_pck_matches_stock(thr, norm_item, stock_name, ours_name):
    samples = _scene()['person_samples']
    stock = _evaluate(StockPCKAccuracy(thr=thr, norm_item=norm_item), samples, {})
    ours = _evaluate(MMEvalMetric(metric=dict(type='PCKAccuracy', thr=thr, norm_item=norm_item)),
                     _scene()['person_samples'], {})
    _assert_same(ours, stock, {stock_name: ours_name})
    assert 0 < ours[ours_name] < 1
