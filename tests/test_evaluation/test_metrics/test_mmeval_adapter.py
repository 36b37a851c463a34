"""MMEvalMetric with mmeval's MeanIoU and Accuracy against mmseg's IoUMetric and mmpretrain's
Accuracy, on the same data samples through mmengine's Evaluator."""
import io
import logging

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.logging import MMLogger
from mmengine.structures import PixelData
from mmpretrain.evaluation import Accuracy as StockAccuracy
from mmpretrain.structures import DataSample
from mmseg.evaluation import IoUMetric
from mmseg.structures import SegDataSample

from mmnas.evaluation import MMEvalMetric

CLASSES = ('road', 'car', 'sky', 'tree', 'rare')


def _seg_samples(rng):
    samples = []
    for _ in range(6):
        gt = rng.integers(0, 4, (24, 32))  # class 4 never occurs: NaN IoU, ignored by the means
        gt[rng.random(gt.shape) < 0.1] = 255
        pred = np.where(rng.random(gt.shape) < 0.7, gt, rng.integers(0, 5, gt.shape))
        pred[pred == 255] = 0
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None])
        sample.pred_sem_seg = PixelData(data=torch.from_numpy(pred)[None])
        samples.append(sample.to_dict())
    return samples


def _evaluate(metric, samples, meta):
    evaluator = Evaluator(metric)
    evaluator.dataset_meta = meta
    for i in range(0, len(samples), 4):
        evaluator.process(samples[i:i + 4])
    return evaluator.evaluate(len(samples))


def test_mean_iou_equals_mmseg_iou_metric():
    samples = _seg_samples(np.random.default_rng(0))
    meta = dict(classes=CLASSES)
    stock = IoUMetric(iou_metrics=['mIoU'])
    stock.dataset_meta = meta
    stock.process({}, samples)
    # IoUMetric rounds to 2 decimals in compute_metrics; compare its unrounded numbers.
    areas = [sum(r[i] for r in stock.results) for i in range(4)]
    expected = stock.total_area_to_metrics(*areas, ['mIoU'])
    # The per-class table goes to the current MMLogger, whose stream handler is bound to whatever
    # sys.stdout was when the logger was created, so listen on the logger itself.
    logged = io.StringIO()
    handler = logging.StreamHandler(logged)
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        ours = _evaluate(
            MMEvalMetric(metric=dict(type='MeanIoU', classwise_results=True), scale=100),
            samples, meta)
    finally:
        logger.removeHandler(handler)
    assert ours['aAcc'] == pytest.approx(expected['aAcc'] * 100, abs=1e-4)
    assert ours['mIoU'] == pytest.approx(np.nanmean(expected['IoU']) * 100, abs=1e-4)
    assert ours['mAcc'] == pytest.approx(np.nanmean(expected['Acc']) * 100, abs=1e-4)
    table = logged.getvalue()
    assert 'per-class results' in table and all(name in table for name in CLASSES)


def test_accuracy_equals_mmpretrain_accuracy():
    rng = np.random.default_rng(1)
    samples = []
    for _ in range(10):
        label = int(rng.integers(0, 7))
        score = torch.from_numpy(rng.random(7)).float().softmax(0)
        sample = DataSample().set_gt_label(label).set_pred_score(score)
        samples.append(sample.to_dict())
    expected = _evaluate(StockAccuracy(topk=(1, 5)), samples, None)
    ours = _evaluate(MMEvalMetric(metric=dict(type='Accuracy', topk=(1, 5)), scale=100),
                     samples, None)
    assert set(ours) == set(expected) == {'accuracy/top1', 'accuracy/top5'}
    for key in expected:
        assert ours[key] == pytest.approx(expected[key], abs=1e-4)
    assert 0 < ours['accuracy/top1'] < ours['accuracy/top5'] < 100


@pytest.mark.parametrize('metric, message', [
    (dict(type='NoSuchMetric'), 'unknown mmeval metric'),
    (dict(type='BLEU'), 'no data-sample converter'),
])
def test_unknown_metrics_are_refused(metric, message):
    with pytest.raises(KeyError, match=message):
        MMEvalMetric(metric=metric)
