"""COCO keypoint AP (OKS) as an mmeval metric, and mmpose data samples for it and for PCK.

mmeval 0.2.1 has PCK but no COCO keypoint AP. :class:`CocoKeypointAP` reports the numbers of
mmpose's stock ``CocoMetric``: every predicted person is rescored from its box and keypoint
scores, the predictions of each image go through OKS-NMS (mmpose's own ``oks_nms``), and
xtcocotools' ``COCOeval`` with ``iouType='keypoints'`` matches them to the ground truth.

The two converters registered here turn the ``PoseDataSample``s of a stock
``TopdownPoseEstimator.predict`` into ``CocoKeypointAP.add`` and mmeval ``PCKAccuracy.add``
arguments, so that both run inside mmengine's ``Evaluator`` through
:class:`~mmnas.evaluation.metrics.mmeval_adapter.MMEvalMetric`::

    val_evaluator = dict(type='mmnas.MMEvalMetric', metric=dict(
        type='CocoKeypointAP', ann_file='data/coco/annotations/person_keypoints_val2017.json'))
"""
import contextlib
import io
import json
from collections import OrderedDict, defaultdict
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.fileio import dump, get_local_path
from mmengine.logging import MessageHub
from mmeval.core import BaseMetric
from mmpose.evaluation.functional import oks_nms, soft_oks_nms
from mmpose.structures.bbox import bbox_xyxy2xywh
from xtcocotools.coco import COCO
from xtcocotools.cocoeval import COCOeval

from mmnas.evaluation.metrics.mmeval_adapter import (
    MMEVAL_METRICS,
    to_numpy,
    register_input_converter,
)

#: Names of ``COCOeval.stats`` for ``iouType='keypoints'``, in order (as mmpose reports them).
STAT_NAMES = ('AP', 'AP .5', 'AP .75', 'AP (M)', 'AP (L)', 'AR', 'AR .5', 'AR .75', 'AR (M)',
              'AR (L)')
SCORE_MODES = ('bbox_keypoint', 'bbox', 'bbox_rle', 'keypoint')
NMS_MODES = {'oks_nms': oks_nms, 'soft_oks_nms': soft_oks_nms, 'none': None}


@MMEVAL_METRICS.register_module()
class CocoKeypointAP(BaseMetric):
    """COCO keypoint AP and AR at OKS thresholds .50:.05:.95.

    The numbers equal those of mmpose's ``CocoMetric`` with the same arguments. Of the stock
    arguments, ``iou_type='keypoints_crowd'`` (CrowdPose), ``pred_converter`` /
    ``gt_converter`` and ``format_only`` / ``outfile_prefix`` are not supported.

    Ground truth comes, in this order of preference, from

    1. ``ann_file``;
    2. the annotation file that an mmpose COCO-style dataset in test mode registered in
       mmengine's ``MessageHub`` under ``'{dataset_name}_ann_file'``, ``dataset_name`` being
       taken from ``dataset_meta`` (what the stock ``CocoMetric`` does without ``ann_file``);
    3. the ``groundtruths`` passed to :meth:`add`, converted to a COCO dataset in memory.

    Args:
        ann_file (str, optional): COCO-format keypoint annotation file (any mmengine file
            backend). Defaults to None.
        use_area (bool): Whether the OKS scale is the ground truth's ``'area'`` (``True``) or
            the area of its box (``False``, for datasets such as CrowdPose or AIC that have no
            ``'area'``). Defaults to True.
        score_mode (str): How a predicted person is scored:

            - ``'bbox_keypoint'``: its box score times the mean of its keypoint scores above
              ``keypoint_score_thr``;
            - ``'bbox'``: its box score;
            - ``'bbox_rle'``: box score + mean keypoint score + max keypoint score;
            - ``'keypoint'``: its mean keypoint score.

            Defaults to ``'bbox_keypoint'``.
        keypoint_score_thr (float): Keypoints scoring at most this are left out of the mean in
            ``'bbox_keypoint'`` mode. Defaults to 0.2.
        nms_mode (str): ``'oks_nms'``, ``'soft_oks_nms'`` or ``'none'`` (bottom-up output).
            Defaults to ``'oks_nms'``.
        nms_thr (float): OKS above which NMS drops (or, soft, rescores) a person. Defaults
            to 0.9.
        **kwargs: Arguments of :class:`mmeval.core.BaseMetric`. ``dataset_meta`` must hold
            ``'sigmas'`` (np.ndarray (K,), the per-keypoint OKS falloff) by the time the metric
            is computed; an mmpose dataset's meta also gives ``'dataset_name'`` and, once its
            annotations are loaded, ``'CLASSES'`` (the COCO categories).

    Example:
        >>> metric = CocoKeypointAP(ann_file='person_keypoints_val2017.json',
        ...                         dataset_meta=dict(sigmas=sigmas))  # doctest: +SKIP
        >>> metric.add(predictions)  # doctest: +SKIP
        >>> metric.compute()['AP']  # doctest: +SKIP
    """

    def __init__(self,
                 ann_file: Optional[str] = None,
                 use_area: bool = True,
                 score_mode: str = 'bbox_keypoint',
                 keypoint_score_thr: float = 0.2,
                 nms_mode: str = 'oks_nms',
                 nms_thr: float = 0.9,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if score_mode not in SCORE_MODES:
            raise ValueError(f'score_mode must be one of {SCORE_MODES}, got {score_mode!r}')
        if nms_mode not in NMS_MODES:
            raise ValueError(f'nms_mode must be one of {tuple(NMS_MODES)}, got {nms_mode!r}')
        self.ann_file = ann_file
        self.use_area = use_area
        self.score_mode = score_mode
        self.keypoint_score_thr = keypoint_score_thr
        self.nms_mode = nms_mode
        self.nms_thr = nms_thr
        self._coco = self._load_ann_file(ann_file) if ann_file is not None else None

    def add(self,
            predictions: Sequence[dict],
            groundtruths: Optional[Sequence[Optional[dict]]] = None) -> None:
        """Store the predictions (and ground truths) of a batch, one result per sample.

        A sample is one person crop in top-down pose estimation (N = 1) or one image in
        bottom-up (N persons); K is the number of keypoints.

        Args:
            predictions (Sequence[dict]): One dict per sample:

                - ``'id'`` (int | list): the sample's id (top-down: the annotation or
                  detection id). Predictions of one image that share an id are counted once,
                  as mmengine's distributed sampler repeats samples to pad the last batch; a
                  list of ids (bottom-up) is taken as is.
                - ``'img_id'`` (int): COCO image id.
                - ``'keypoints'`` (np.ndarray (N, K, 2)): keypoint coordinates in the image.
                - ``'keypoint_scores'`` (np.ndarray (N, K)): keypoint confidences.
                - ``'bbox_scores'`` (np.ndarray (N,)): person (detection box) scores.
                - ``'category_id'`` (int, optional): COCO category. Defaults to 1 (person).
                - ``'bboxes'`` (np.ndarray (N, 4), optional): person boxes, x1 y1 x2 y2. When
                  given, COCOeval takes a prediction's area (which decides whether an
                  unmatched prediction counts in AP (M) / AP (L)) from its box, otherwise from
                  the extent of its keypoints.
                - ``'areas'`` (np.ndarray (N,), optional): person areas for OKS-NMS.
                  Defaults to the extent of the keypoints.

            groundtruths (Sequence[dict | None], optional): One dict (or None) per sample,
                kept only while the metric has no annotation file:

                - ``'img_id'`` (int), ``'width'`` (int), ``'height'`` (int): the image.
                - ``'raw_ann_info'`` (list[dict]): its COCO annotations, each with ``'id'``,
                  ``'image_id'``, ``'category_id'``, ``'bbox'`` (x y w h), ``'keypoints'``
                  (3K numbers: x, y, visibility), optionally ``'iscrowd'`` (default 0), and
                  ``'area'`` when ``use_area``.
        """
        if groundtruths is None or self._coco is not None:
            groundtruths = [None] * len(predictions)
        for pred, gt in zip(predictions, groundtruths):
            self._results.append((pred, gt))

    def compute_metric(self, results: List[Tuple[dict, Optional[dict]]]) -> Dict[str, float]:
        """Rescore, OKS-NMS and COCO-evaluate the stored results.

        Args:
            results (list[tuple[dict, dict | None]]): ``(prediction, ground truth)`` per
                sample, as stored by :meth:`add`.

        Returns:
            dict[str, float]: AP, AP .5, AP .75, AP (M), AP (L), AR, AR .5, AR .75, AR (M),
            AR (L) (-1 where COCOeval has no ground truth to measure against).
        """
        meta = self.dataset_meta or {}
        if 'sigmas' not in meta:
            raise KeyError(f'{self.name} needs dataset_meta["sigmas"], the per-keypoint OKS '
                           'falloff (an mmpose dataset meta has them).')
        sigmas = meta['sigmas']
        preds = [pred for pred, _ in results]
        coco_gt = self._ground_truth([gt for _, gt in results])
        detections = self._detections(preds, sigmas)

        # The COCO API print()s its progress and its summary: drop the one, log the other.
        with contextlib.redirect_stdout(io.StringIO()):
            coco_dt = coco_gt.loadRes(detections)
            coco_eval = COCOeval(coco_gt, coco_dt, 'keypoints', sigmas, self.use_area)
            coco_eval.evaluate()
            coco_eval.accumulate()
        summary = io.StringIO()
        with contextlib.redirect_stdout(summary):
            coco_eval.summarize()
        self.logger.info(f'{self.name}:\n{summary.getvalue()}')
        return OrderedDict(
            (name, float(value)) for name, value in zip(STAT_NAMES, coco_eval.stats))

    def _load_ann_file(self, ann_file: str) -> COCO:
        with get_local_path(ann_file) as local_path, contextlib.redirect_stdout(io.StringIO()):
            coco = COCO(local_path)
        if 'annotations' not in coco.dataset:
            raise ValueError(f'{self.name}: {ann_file} has no "annotations" to evaluate against')
        return coco

    def _ground_truth(self, gts: Sequence[Optional[dict]]) -> COCO:
        """The COCO ground truth: the annotation file's, else one built from ``gts``."""
        dataset_name = (self.dataset_meta or {}).get('dataset_name')
        if self._coco is None and dataset_name is not None:
            ann_file = MessageHub.get_current_instance().get_info(f'{dataset_name}_ann_file')
            if ann_file is not None:
                self._coco = self._load_ann_file(ann_file)
                self.logger.info(f'{self.name}: ground truth of dataset {dataset_name} from '
                                 f'{ann_file}')
        if self._coco is not None:
            return self._coco
        if any(gt is None for gt in gts):
            raise ValueError(f'{self.name} has no annotation file, so every sample needs a '
                             'ground truth (img_id, width, height, raw_ann_info)')
        # Built anew each time: it holds exactly the samples evaluated now.
        return self._coco_from_samples(gts)

    def _coco_from_samples(self, gts: Sequence[dict]) -> COCO:
        images: Dict[Any, dict] = {}
        annotations: Dict[Any, dict] = {}
        for gt in gts:
            images.setdefault(gt['img_id'],
                              dict(id=gt['img_id'], width=gt['width'], height=gt['height']))
            for ann in gt['raw_ann_info']:
                fields = dict(id=ann['id'],
                              image_id=ann['image_id'],
                              category_id=ann['category_id'],
                              bbox=ann['bbox'],
                              keypoints=ann['keypoints'],
                              iscrowd=ann.get('iscrowd', 0))
                if self.use_area:
                    if 'area' not in ann:
                        raise KeyError(f'{self.name}(use_area=True): annotation {ann["id"]} '
                                       'has no "area"')
                    fields['area'] = ann['area']
                # A person seen by several samples (padding of the last batch) counts once.
                annotations.setdefault(ann['id'], fields)
        categories = (self.dataset_meta or {}).get('CLASSES') or [
            dict(id=cat_id) for cat_id in sorted({a['category_id']
                                                  for a in annotations.values()})
        ]
        dataset = dict(images=list(images.values()),
                       annotations=list(annotations.values()),
                       categories=categories)
        # The stock metric writes this to a json file and reads it back; the same round trip in
        # memory turns numpy values from the data pipeline into the plain numbers COCO expects.
        coco = COCO()
        coco.dataset = json.loads(dump(dataset, file_format='json'))
        with contextlib.redirect_stdout(io.StringIO()):
            coco.createIndex()
        return coco

    def _detections(self, preds: Sequence[dict], sigmas: np.ndarray) -> List[dict]:
        """Per-person COCO results after deduplication, rescoring and NMS, image by image."""
        by_image: Dict[Any, List[dict]] = defaultdict(list)
        for pred in preds:
            keypoints = np.asarray(pred['keypoints'])
            keypoint_scores = np.asarray(pred['keypoint_scores'])
            if keypoint_scores.shape != keypoints.shape[:2]:
                raise ValueError(f'keypoint_scores {keypoint_scores.shape} do not match '
                                 f'keypoints {keypoints.shape}')
            bboxes = bbox_xyxy2xywh(np.asarray(pred['bboxes'])) if 'bboxes' in pred else None
            for i, (kpts, scores) in enumerate(zip(keypoints, keypoint_scores)):
                if 'areas' in pred:
                    area = pred['areas'][i]
                else:
                    area = np.ptp(kpts[:, 0]) * np.ptp(kpts[:, 1])
                instance = dict(
                    id=pred['id'],
                    category_id=int(pred.get('category_id', 1)),
                    # (K, 3): the keypoint score takes the place of COCO's visibility flag.
                    keypoints=np.concatenate([kpts, scores[:, None]], axis=-1),
                    score=self._score(pred['bbox_scores'][i], scores),
                    area=area)
                if bboxes is not None:
                    instance['bbox'] = bboxes[i]
                by_image[pred['img_id']].append(instance)

        nms = NMS_MODES[self.nms_mode]
        detections = []
        for img_id, instances in by_image.items():
            instances = _unique_by_id(instances)
            if nms is not None:
                instances = [instances[k] for k in nms(instances, self.nms_thr, sigmas=sigmas)]
            for instance in instances:
                detection = dict(image_id=int(img_id),
                                 category_id=instance['category_id'],
                                 keypoints=instance['keypoints'].reshape(-1).tolist(),
                                 score=float(instance['score']))
                if 'bbox' in instance:
                    detection['bbox'] = instance['bbox'].tolist()
                detections.append(detection)
        return detections

    def _score(self, bbox_score: float, keypoint_scores: np.ndarray) -> float:
        """A person's score from its box score and (K,) keypoint scores (``score_mode``)."""
        if self.score_mode == 'bbox':
            return bbox_score
        if self.score_mode == 'keypoint':
            return np.mean(keypoint_scores)
        if self.score_mode == 'bbox_rle':
            return float(bbox_score + np.mean(keypoint_scores) + np.max(keypoint_scores))
        confident = keypoint_scores[keypoint_scores > self.keypoint_score_thr]
        # float64, like the stock's running sum, so that equal inputs give equal scores and
        # NMS and COCOeval order the people the same way.
        mean = confident.astype(np.float64).mean() if confident.size else 0.0
        return bbox_score * mean


def _unique_by_id(instances: List[dict]) -> List[dict]:
    """Sort an image's people by sample id, keeping the first of each id.

    Bottom-up samples carry a list of ids per image; those are returned as they are.
    """
    if any(np.ndim(instance['id']) for instance in instances):
        return instances
    instances = sorted(instances, key=lambda instance: instance['id'])
    return [
        instance for k, instance in enumerate(instances)
        if k == 0 or instance['id'] != instances[k - 1]['id']
    ]


def _raw_annotations(data_sample: dict) -> List[dict]:
    """A sample's COCO annotations: a dict in top-down, a list (or None) in bottom-up."""
    anns = data_sample['raw_ann_info']
    anns = anns if isinstance(anns, list) else [anns]
    return [ann for ann in anns if ann is not None]


@register_input_converter('CocoKeypointAP', prefix='coco')
def _pose_coco_keypoints(data_batch, data_samples) -> Tuple[tuple, dict]:
    """``PoseDataSample`` → ``CocoKeypointAP.add(predictions, groundtruths)``.

    Ground truths are built only from samples that carry ``raw_ann_info`` (mmpose's COCO-style
    datasets do for ground-truth boxes, not for detected ones); the metric ignores them when it
    has an annotation file.
    """
    predictions, groundtruths = [], []
    for sample in data_samples:
        pred_instances, gt_instances = sample['pred_instances'], sample['gt_instances']
        keypoints = to_numpy(pred_instances['keypoints'])
        pred = dict(id=sample['id'],
                    img_id=sample['img_id'],
                    keypoints=keypoints,
                    keypoint_scores=to_numpy(pred_instances['keypoint_scores']),
                    category_id=sample.get('category_id', 1))
        # Top-down models copy the detection boxes and scores into pred_instances; a model
        # without box scores (some bottom-up ones) counts every person as fully confident.
        if 'bbox_scores' in pred_instances:
            pred['bbox_scores'] = to_numpy(pred_instances['bbox_scores'])
        elif ('bbox_scores' in gt_instances
              and len(gt_instances['bbox_scores']) == len(keypoints)):
            pred['bbox_scores'] = to_numpy(gt_instances['bbox_scores'])
        else:
            pred['bbox_scores'] = np.ones(len(keypoints))
        if 'bboxes' in pred_instances:
            pred['bboxes'] = to_numpy(pred_instances['bboxes'])
        if 'bbox_scales' in gt_instances:
            # the (padded) crop the model saw, which the stock metric also uses for OKS-NMS
            pred['areas'] = np.prod(to_numpy(gt_instances['bbox_scales']), axis=1)
        predictions.append(pred)

        gt = None
        if 'raw_ann_info' in sample:
            height, width = sample['ori_shape'][:2]
            gt = dict(img_id=sample['img_id'],
                      width=width,
                      height=height,
                      raw_ann_info=_raw_annotations(sample))
        groundtruths.append(gt)
    return (predictions, groundtruths), {}


@register_input_converter('PCKAccuracy', prefix='pck')
def _pose_pck(data_batch, data_samples) -> Tuple[tuple, dict]:
    """``PoseDataSample`` → mmeval ``PCKAccuracy.add(predictions, groundtruths)``.

    Each of the N people of a sample (N = 1 in top-down) is normalised as in mmpose's stock
    ``PCKAccuracy``: ``bbox_size`` is the longer side of its ground-truth box, for both x and
    y; ``head_size`` (PCKh) is passed on when the ground truth has one. ``torso_size`` is not
    provided.
    """
    predictions, groundtruths = [], []
    for sample in data_samples:
        gt_instances = sample['gt_instances']
        coords = to_numpy(gt_instances['keypoints'])
        # keypoints_visible is (N, K) or (N, K, 1) depending on the pipeline
        mask = to_numpy(gt_instances['keypoints_visible']).reshape(coords.shape[:2]).astype(bool)
        gt = dict(coords=coords, mask=mask)
        if 'bboxes' in gt_instances:
            bboxes = to_numpy(gt_instances['bboxes'])
            side = np.max(bboxes[:, 2:] - bboxes[:, :2], axis=1)
            gt['bbox_size'] = np.stack([side, side], axis=1)
        if 'head_size' in gt_instances:
            head = to_numpy(gt_instances['head_size']).reshape(-1)
            gt['head_size'] = np.stack([head, head], axis=1)
        predictions.append(dict(coords=to_numpy(sample['pred_instances']['keypoints'])))
        groundtruths.append(gt)
    return (predictions, groundtruths), {}
