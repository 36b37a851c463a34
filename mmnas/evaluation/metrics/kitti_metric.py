"""KITTI 3D-detection AP, the official protocol, computed on the CPU.

mmdet3d's ``KittiMetric`` evaluates with ``kitti_eval``, whose rotated-box overlaps are a
``numba.cuda`` kernel: on a machine without a GPU it raises ``CudaSupportError``, or crawls
through numba's CUDA simulator. :class:`KittiAP` computes the same numbers with numpy:

* overlaps of all box pairs of a frame at once (exact convex-polygon intersection in float64
  for the bird's-eye view, times the height overlap for 3D);
* the protocol of ``kitti_eval``: per class and difficulty the ground truths are valid, ignored
  (too small, occluded or truncated for the difficulty, or a neighbouring class such as Van for
  Car) or not of the class; detections below the difficulty's minimum height are ignored;
  DontCare regions excuse 2D false positives; a first greedy matching samples the score
  thresholds at 41 recall positions, a second one counts true and false positives at each;
  AP11 and AP40 follow from the interpolated precision, AOS from the orientation similarity.

The greedy matching of one frame is run for every class, difficulty, overlap level and score
threshold at once, so the only Python loops are over frames and over their ground truths.
"""
import warnings
from functools import lru_cache
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmeval.core import BaseMetric

from mmnas.evaluation.metrics.mmeval_adapter import MMEVAL_METRICS, register_input_converter

DIFFICULTIES = ('easy', 'moderate', 'hard')
#: Box types in the order of ``kitti_eval``'s ``metric`` index (0 image box, 1 BEV, 2 3D).
BOX_TYPES = ('2D', 'BEV', '3D')
#: Overlap levels: the official thresholds and the looser ones mmdet3d reports as well.
LEVELS = ('strict', 'loose')
#: Minimum overlap of a true positive, ``[level][box type]`` per class.
MIN_OVERLAPS = {
    'Car': ((0.7, 0.7, 0.7), (0.7, 0.5, 0.5)),
    'Pedestrian': ((0.5, 0.5, 0.5), (0.5, 0.25, 0.25)),
    'Cyclist': ((0.5, 0.5, 0.5), (0.5, 0.25, 0.25)),
}
# Difficulty limits, indexed like DIFFICULTIES: image-box height in pixels, KITTI occlusion
# state (0 fully visible ... 2 largely occluded) and truncation fraction.
_MIN_HEIGHT = np.array([40.0, 25.0, 25.0])
_MAX_OCCLUSION = np.array([0, 1, 2])
_MAX_TRUNCATION = np.array([0.15, 0.3, 0.5])
# A ground truth of the neighbouring class is ignored for the class: neither hit nor miss.
_NEIGHBOUR_CLASS = {'car': 'van', 'pedestrian': 'person_sitting'}
_NUM_SAMPLE_PTS = 41
# Slack of the point-in-box and segment-crossing tests, relative to the box size: a vertex
# shared by both boxes (identical or touching boxes) must not be lost to rounding.
_REL_TOL = 1e-9
# Rotated box pairs intersected per vectorised call, to bound the temporary arrays.
_PAIR_CHUNK = 8192
# Box pairs of a group of frames gathered at once.
_FRAME_PAIR_CHUNK = 1 << 17

_PRED_KEYS = {
    'name': 0,
    'alpha': 0,
    'bbox': 4,
    'dimensions': 3,
    'location': 3,
    'rotation_y': 0,
    'score': 0
}
_GT_KEYS = {
    'name': 0,
    'truncated': 0,
    'occluded': 0,
    'alpha': 0,
    'bbox': 4,
    'dimensions': 3,
    'location': 3,
    'rotation_y': 0
}


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _bev_corners(boxes: np.ndarray) -> np.ndarray:
    """Corners of bird's-eye-view boxes.

    Args:
        boxes: (P, 5) boxes ``(x, z, l, w, ry)`` in the camera's ground plane: centre, length
            along the heading, width, and the yaw about the camera's (downward) y axis.

    Returns:
        (P, 4, 2) corners ``(x, z)``, in order around the box.
    """
    cos, sin = np.cos(boxes[:, 4:5]), np.sin(boxes[:, 4:5])
    along = np.array([-0.5, -0.5, 0.5, 0.5]) * boxes[:, 2:3]
    across = np.array([-0.5, 0.5, 0.5, -0.5]) * boxes[:, 3:4]
    # A yaw ry about the downward y axis turns the heading x axis to (cos ry, -sin ry) in (x, z).
    x = boxes[:, 0:1] + cos * along + sin * across
    z = boxes[:, 1:2] - sin * along + cos * across
    return np.stack([x, z], axis=-1)


def _inside(points: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Whether points lie in (or on) bird's-eye-view boxes: (P, M, 2), (P, 5) -> (P, M)."""
    cos, sin = np.cos(boxes[:, 4:5]), np.sin(boxes[:, 4:5])
    dx = points[..., 0] - boxes[:, 0:1]
    dz = points[..., 1] - boxes[:, 1:2]
    along = cos * dx - sin * dz
    across = sin * dx + cos * dz
    half_l, half_w = boxes[:, 2:3] / 2, boxes[:, 3:4] / 2
    return ((np.abs(along) <= half_l * (1 + _REL_TOL))
            & (np.abs(across) <= half_w * (1 + _REL_TOL)))


def _convex_polygon_area(points: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Area of the convex polygons whose vertices are the valid points, in any order.

    Args:
        points: (P, M, 2) candidate vertices; duplicates are harmless.
        valid: (P, M) which candidates are vertices.

    Returns:
        (P,) areas; 0 where fewer than three vertices are valid.
    """
    points = np.where(valid[..., None], points, 0.0)
    count = valid.sum(axis=1, keepdims=True)
    centre = points.sum(axis=1) / np.maximum(count, 1)
    rel = points - centre[:, None]
    # Around an interior point the vertices of a convex polygon are ordered by their angle.
    angle = np.where(valid, np.arctan2(rel[..., 1], rel[..., 0]), np.inf)
    order = np.argsort(angle, axis=1)
    rel = np.take_along_axis(rel, order[..., None], axis=1)
    valid = np.take_along_axis(valid, order, axis=1)
    # The unused slots, sorted last, repeat the first vertex and add nothing to the sum.
    rel = np.where(valid[..., None], rel, rel[:, :1])
    return 0.5 * np.abs(_cross(rel, np.roll(rel, -1, axis=1)).sum(axis=1))


def rotated_box_intersection(boxes1: np.ndarray, boxes2: np.ndarray) -> np.ndarray:
    """Intersection areas of aligned pairs of bird's-eye-view boxes.

    The intersection of two rectangles is convex; its vertices are the corners of each box
    inside the other and the crossings of their edges.

    Args:
        boxes1: (P, 5) boxes ``(x, z, l, w, ry)``, see :func:`_bev_corners`.
        boxes2: (P, 5) boxes, paired with ``boxes1`` row by row.

    Returns:
        (P,) intersection areas.
    """
    boxes1 = np.asarray(boxes1, dtype=np.float64).reshape(-1, 5)
    boxes2 = np.asarray(boxes2, dtype=np.float64).reshape(-1, 5)
    areas = np.zeros(len(boxes1))
    for start in range(0, len(boxes1), _PAIR_CHUNK):
        part1 = boxes1[start:start + _PAIR_CHUNK]
        part2 = boxes2[start:start + _PAIR_CHUNK]
        corners1, corners2 = _bev_corners(part1), _bev_corners(part2)
        edge1 = (np.roll(corners1, -1, axis=1) - corners1)[:, :, None]  # (P, 4, 1, 2)
        edge2 = (np.roll(corners2, -1, axis=1) - corners2)[:, None]  # (P, 1, 4, 2)
        offset = corners2[:, None] - corners1[:, :, None]  # (P, 4, 4, 2)
        denom = _cross(edge1, edge2)
        parallel = denom == 0
        denom = np.where(parallel, 1.0, denom)
        # corners1[i] + t * edge1[i] == corners2[j] + u * edge2[j]
        t = _cross(offset, edge2) / denom
        u = _cross(offset, edge1) / denom
        crosses = (~parallel & (t >= -_REL_TOL) & (t <= 1 + _REL_TOL)
                   & (u >= -_REL_TOL) & (u <= 1 + _REL_TOL))
        crossings = corners1[:, :, None] + t[..., None] * edge1
        num = len(part1)
        points = np.concatenate([corners1, corners2, crossings.reshape(num, 16, 2)], axis=1)
        valid = np.concatenate(
            [_inside(corners1, part2),
             _inside(corners2, part1),
             crosses.reshape(num, 16)], axis=1)
        areas[start:start + num] = _convex_polygon_area(points, valid)
    return areas


def _camera_box_iou(boxes1: np.ndarray, boxes2: np.ndarray, box_type: str) -> np.ndarray:
    """IoU of aligned pairs of KITTI camera boxes, in the bird's-eye view or in 3D.

    Args:
        boxes1: (P, 7) boxes ``(x, y, z, l, h, w, ry)``: bottom centre in camera coordinates
            (y points down), length, height, width and yaw, as KITTI's ``location``,
            ``dimensions`` and ``rotation_y``.
        boxes2: (P, 7) boxes, paired with ``boxes1`` row by row.
        box_type: ``'BEV'`` or ``'3D'``.

    Returns:
        (P,) IoUs.
    """
    bev1, bev2 = boxes1[:, [0, 2, 3, 5, 6]], boxes2[:, [0, 2, 3, 5, 6]]
    # Pairs farther apart than their circumscribed circles cannot intersect.
    reach = np.hypot(bev1[:, 2], bev1[:, 3]) / 2 + np.hypot(bev2[:, 2], bev2[:, 3]) / 2
    near = np.hypot(bev1[:, 0] - bev2[:, 0], bev1[:, 1] - bev2[:, 1]) < reach
    if box_type == 'BEV':
        inter = np.zeros(len(boxes1))
        inter[near] = rotated_box_intersection(bev1[near], bev2[near])
        return inter / (bev1[:, 2] * bev1[:, 3] + bev2[:, 2] * bev2[:, 3] - inter)
    # A box spans y - h (top) to y (bottom).
    height = (np.minimum(boxes1[:, 1], boxes2[:, 1]) -
              np.maximum(boxes1[:, 1] - boxes1[:, 4], boxes2[:, 1] - boxes2[:, 4]))
    near &= height > 0
    inter = np.zeros(len(boxes1))
    inter[near] = rotated_box_intersection(bev1[near], bev2[near]) * height[near]
    volume1 = boxes1[:, 3] * boxes1[:, 4] * boxes1[:, 5]
    volume2 = boxes2[:, 3] * boxes2[:, 4] * boxes2[:, 5]
    return inter / (volume1 + volume2 - inter)


def _image_box_overlap(boxes1: np.ndarray,
                       boxes2: np.ndarray,
                       over_first: bool = False) -> np.ndarray:
    """Overlap of aligned pairs of image boxes ``(x1, y1, x2, y2)``: (P, 4), (P, 4) -> (P,).

    The overlap is the IoU, or with ``over_first`` the intersection over the first box's area
    (how much of a detection lies in a DontCare region).
    """
    width = np.minimum(boxes1[:, 2], boxes2[:, 2]) - np.maximum(boxes1[:, 0], boxes2[:, 0])
    height = np.minimum(boxes1[:, 3], boxes2[:, 3]) - np.maximum(boxes1[:, 1], boxes2[:, 1])
    inter = np.where((width > 0) & (height > 0), width * height, 0.0)
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    if over_first:
        return inter / area1
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    return inter / (area1 + area2 - inter)


def _pair_overlap(boxes1: np.ndarray, boxes2: np.ndarray, box_type: str) -> np.ndarray:
    if box_type == '2D':
        return _image_box_overlap(boxes1, boxes2)
    return _camera_box_iou(boxes1, boxes2, box_type)


def box_overlaps(boxes1: np.ndarray, boxes2: np.ndarray, box_type: str = '3D') -> np.ndarray:
    """Overlaps of every box of one set with every box of another, as KITTI measures them.

    Args:
        boxes1: (N, 7) camera boxes ``(x, y, z, l, h, w, ry)`` (see :func:`_camera_box_iou`),
            or (N, 4) image boxes ``(x1, y1, x2, y2)`` for ``box_type='2D'``.
        boxes2: (K, 7) or (K, 4) boxes of the same kind.
        box_type: ``'2D'`` (image-box IoU), ``'BEV'`` (rotated IoU in the ground plane) or
            ``'3D'`` (BEV intersection times height overlap, over the union of volumes).

    Returns:
        (N, K) overlaps.
    """
    width = 4 if box_type == '2D' else 7
    boxes1 = np.asarray(boxes1, dtype=np.float64).reshape(-1, width)
    boxes2 = np.asarray(boxes2, dtype=np.float64).reshape(-1, width)
    index1, index2 = np.indices((len(boxes1), len(boxes2))).reshape(2, -1)
    overlaps = _pair_overlap(boxes1[index1], boxes2[index2], box_type)
    return overlaps.reshape(len(boxes1), len(boxes2))


def _frame_blocks(boxes1: np.ndarray,
                  num1: np.ndarray,
                  boxes2: np.ndarray,
                  num2: np.ndarray,
                  box_type: str,
                  over_first: bool = False) -> List[np.ndarray]:
    """Overlaps of the boxes of each frame with the other boxes of the same frame.

    Args:
        boxes1: (sum(num1), D) boxes of all frames, concatenated in frame order.
        num1: (F,) boxes per frame in ``boxes1``.
        boxes2: (sum(num2), D) boxes of all frames.
        num2: (F,) boxes per frame in ``boxes2``.
        box_type: see :func:`box_overlaps`.
        over_first: for image boxes, intersection over the first box's area instead of IoU.

    Returns:
        F arrays of shape (num1[f], num2[f]).
    """
    counts = num1 * num2
    ends = np.cumsum(counts)
    starts = ends - counts
    start1, start2 = np.cumsum(num1) - num1, np.cumsum(num2) - num2
    values = np.zeros(counts.sum())
    # The frames go in groups of about _FRAME_PAIR_CHUNK pairs, to bound the gathered boxes.
    firsts = np.flatnonzero(np.diff(ends // _FRAME_PAIR_CHUNK, prepend=-1))
    for first, last in zip(firsts, np.append(firsts[1:], len(counts))):
        frame = np.repeat(np.arange(first, last), counts[first:last])
        local = np.arange(starts[first], ends[last - 1]) - starts[frame]
        pairs1 = boxes1[start1[frame] + local // np.maximum(num2[frame], 1)]
        pairs2 = boxes2[start2[frame] + local % np.maximum(num2[frame], 1)]
        if over_first:
            part = _image_box_overlap(pairs1, pairs2, over_first=True)
        else:
            part = _pair_overlap(pairs1, pairs2, box_type)
        values[starts[first]:ends[last - 1]] = part
    blocks = np.split(values, np.cumsum(counts)[:-1])
    return [block.reshape(n1, n2) for block, n1, n2 in zip(blocks, num1, num2)]


def _sample_thresholds(scores: np.ndarray, num_valid_gt: int) -> np.ndarray:
    """Scores at which the recall passes the 41 sample positions 0, 1/40, ..., 1.

    Args:
        scores: (M,) scores of the true positives found by the first matching.
        num_valid_gt: number of valid ground truths.

    Returns:
        (T,) thresholds, T <= 41, in descending order; the lowest score always ends the list.
    """
    scores = np.sort(scores)[::-1]
    num = len(scores)
    left = np.arange(1, num + 1) / num_valid_gt
    right = np.append(left[1:], left[-1:])
    thresholds = []
    current, start = 0.0, 0
    while start < num:
        # A score is skipped while the next one lies closer to the current sample position;
        # along the descending scores that test holds up to some score and fails after it.
        skip = (right[start:] - current) < (current - left[start:])
        skip[-1] = False
        start += int(np.argmin(skip))
        thresholds.append(scores[start])
        current += 1 / (_NUM_SAMPLE_PTS - 1.0)
        start += 1
    return np.array(thresholds)


class _Frame:
    """One frame's ground truths and detections, compacted to the pairs that can match.

    Only ground truths that some detection overlaps enough (for some class, difficulty and
    level) take part in the greedy matching, and only the detections that overlap them.

    Args:
        overlap: (num_dt, num_gt) overlaps of the frame.
        ignored_gt: (B, num_gt) ground-truth states per evaluation (class, difficulty,
            level): 0 valid, 1 ignored, -1 another class.
        ignored_dt: (B, num_dt) detection states, the same codes.
        min_overlap: (B,) minimum overlap of each evaluation.
        score: (num_dt,) detection scores.
        alpha_gt: (num_gt,) ground-truth observation angles.
        alpha_dt: (num_dt,) detection observation angles.
    """

    def __init__(self, overlap: np.ndarray, ignored_gt: np.ndarray, ignored_dt: np.ndarray,
                 min_overlap: np.ndarray, score: np.ndarray, alpha_gt: np.ndarray,
                 alpha_dt: np.ndarray) -> None:
        eligible = ((overlap[None] > min_overlap[:, None, None])
                    & (ignored_dt[:, :, None] != -1) & (ignored_gt[:, None, :] != -1))
        gts = np.flatnonzero(eligible.any(axis=(0, 1)))
        dts = np.flatnonzero(eligible.any(axis=(0, 2)))
        self.dts = dts
        self.eligible = eligible[:, dts][:, :, gts]  # (B, Dc, Gc)
        self.overlap = overlap[dts][:, gts]  # (Dc, Gc)
        self.ignored_gt = ignored_gt[:, gts]  # (B, Gc)
        self.ignored_dt = ignored_dt[:, dts]  # (B, Dc)
        self.score = score[dts]
        self.alpha_gt = alpha_gt[gts]
        self.alpha_dt = alpha_dt[dts]

    def true_positive_scores(self) -> Tuple[np.ndarray, np.ndarray]:
        """First matching: every ground truth takes the best-scored free overlapping detection.

        Returns:
            The evaluation index (B axis) and the score of each true positive.
        """
        num_eval, num_dt, num_gt = self.eligible.shape
        rows = np.arange(num_eval)
        assigned = np.zeros((num_eval, num_dt), dtype=bool)
        evals, scores = [], []
        for g in range(num_gt):
            candidate = self.eligible[:, :, g] & ~assigned
            found = candidate.any(axis=1)
            det = np.where(candidate, self.score, -np.inf).argmax(axis=1)
            hit = found & (self.ignored_gt[:, g] == 0) & (self.ignored_dt[rows, det] == 0)
            evals.append(rows[hit])
            scores.append(self.score[det[hit]])
            assigned[rows[found], det[found]] = True
        return np.concatenate(evals), np.concatenate(scores)

    def count(self, thresholds: np.ndarray, dontcare_hit: Optional[np.ndarray],
              with_aos: bool) -> Tuple[np.ndarray, ...]:
        """Second matching, at every score threshold.

        A ground truth takes the free overlapping detection above the threshold with the
        largest overlap, or, when only ignored detections overlap it, the first of those.

        Args:
            thresholds: (B, T) score thresholds of each evaluation.
            dontcare_hit: (B, num_dt) whether a detection lies in a DontCare region (image
                boxes only), or None.
            with_aos: whether to sum the orientation similarity of the true positives.

        Returns:
            (B, T) arrays: true positives, valid detections matched (to valid or ignored
            ground truths), of those the ones in a DontCare region, and the summed
            orientation similarity of the true positives.
        """
        num_eval, num_dt, num_gt = self.eligible.shape
        active = self.score >= thresholds[:, :, None]  # (B, T, Dc)
        free = active.copy()
        valid_dt = self.ignored_dt == 0
        # Valid detections rank by overlap; ignored ones rank below them, by index.
        rank = np.where(valid_dt[:, :, None], self.overlap[None],
                        -1.0 - np.arange(num_dt)[None, :, None])  # (B, Dc, Gc)
        tp = np.zeros(thresholds.shape, dtype=np.int64)
        similarity = np.zeros(thresholds.shape)
        rows = np.arange(num_eval)[:, None]
        for g in range(num_gt):
            candidate = free & self.eligible[:, None, :, g]
            found = candidate.any(axis=2)
            det = np.where(candidate, rank[:, None, :, g], -np.inf).argmax(axis=2)  # (B, T)
            valid_gt = (self.ignored_gt[:, g] == 0)[:, None]
            hit = found & valid_gt & valid_dt[rows, det]
            tp += hit
            if with_aos:
                similarity += hit * (1.0 + np.cos(self.alpha_gt[g] - self.alpha_dt[det])) / 2.0
            free &= ~(found[:, :, None] & (det[:, :, None] == np.arange(num_dt)))
        matched_dt = active & ~free & valid_dt[:, None]
        matched_dc = np.zeros_like(tp)
        if dontcare_hit is not None:
            matched_dc = (matched_dt & dontcare_hit[:, self.dts][:, None]).sum(axis=2)
        return tp, matched_dt.sum(axis=2), matched_dc, similarity


def _ignore_states(annos: dict, classes: Sequence[str], is_gt: bool) -> np.ndarray:
    """States 0 (valid), 1 (ignored), -1 (another class) per class and difficulty.

    Args:
        annos: KITTI annotations of all frames, concatenated (see :func:`_concat`).
        classes: the C evaluated class names.
        is_gt: whether ``annos`` are ground truths (else detections).

    Returns:
        (C, 3, N) states.
    """
    names = np.char.lower(annos['name'])
    height = annos['bbox'][:, 3] - annos['bbox'][:, 1]
    states = np.empty((len(classes), len(DIFFICULTIES), len(names)), dtype=np.int64)
    for c, cls in enumerate(classes):
        same = names == cls.lower()
        if is_gt:
            neighbour = np.zeros(len(names), dtype=bool)
            if cls.lower() in _NEIGHBOUR_CLASS:
                neighbour = names == _NEIGHBOUR_CLASS[cls.lower()]
            too_hard = ((annos['occluded'][None] > _MAX_OCCLUSION[:, None])
                        | (annos['truncated'][None] > _MAX_TRUNCATION[:, None])
                        | (height[None] <= _MIN_HEIGHT[:, None]))
            states[c] = np.where(same & ~too_hard, 0, np.where(neighbour | same, 1, -1))
        else:
            # A detection too small for the difficulty is ignored whatever its class.
            too_small = np.abs(height)[None] < _MIN_HEIGHT[:, None]
            states[c] = np.where(too_small, 1, np.where(same, 0, -1))
    return states


def _concat(annos: Sequence[dict], keys: Dict[str, int]) -> Tuple[dict, np.ndarray]:
    """Concatenate per-frame annotations.

    Args:
        annos: F per-frame annotation dicts.
        keys: the keys to take, with the width of their rows (0 for a scalar per object).

    Returns:
        A dict of (N,) or (N, width) arrays over all frames' N objects, and (F,) counts.
    """
    out = {}
    for key, width in keys.items():
        parts = [np.asarray(anno[key]) for anno in annos]
        if key == 'name':
            out[key] = np.concatenate([np.zeros(0, dtype=str)] +
                                      [part.astype(str).reshape(-1) for part in parts])
        else:
            shape = (-1, width) if width else (-1, )
            out[key] = np.concatenate([np.zeros((0, width) if width else 0)] +
                                      [part.astype(np.float64).reshape(shape) for part in parts])
    counts = np.array([np.asarray(anno['name']).size for anno in annos], dtype=np.int64)
    return out, counts


def _camera_boxes(annos: dict) -> np.ndarray:
    """(N, 7) boxes ``(x, y, z, l, h, w, ry)`` from concatenated KITTI annotations."""
    return np.concatenate([annos['location'], annos['dimensions'], annos['rotation_y'][:, None]],
                          axis=1)


def _count_at_least(values: np.ndarray, masks: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """How many masked values reach each threshold: (M,), (B, M), (B, T) -> (B, T)."""
    counts = np.zeros(thresholds.shape, dtype=np.int64)
    for b, (mask, limits) in enumerate(zip(masks, thresholds)):
        ordered = np.sort(values[mask])
        counts[b] = len(ordered) - np.searchsorted(ordered, limits, side='left')
    return counts


def _interpolate(numerator: np.ndarray, tp_fp: np.ndarray,
                 num_thresholds: np.ndarray) -> np.ndarray:
    """(B, 41) ratios at the sampled thresholds, each replaced by the maximum from it on."""
    with np.errstate(divide='ignore', invalid='ignore'):
        ratio = numerator / tp_fp
    ratio = np.where(np.arange(_NUM_SAMPLE_PTS) < num_thresholds[:, None], ratio, 0.0)
    return np.maximum.accumulate(ratio[:, ::-1], axis=1)[:, ::-1]


class _KittiProtocol:
    """The dataset-wide state of one KITTI evaluation.

    Evaluations (the B axis of the arrays) are class x difficulty x level, in that order.

    Args:
        gt_annos: see :func:`kitti_ap`.
        dt_annos: see :func:`kitti_ap`.
        classes: see :func:`kitti_ap`.
    """

    def __init__(self, gt_annos: Sequence[dict], dt_annos: Sequence[dict],
                 classes: Sequence[str]) -> None:
        self.classes = list(classes)
        self.gt, self.num_gt = _concat(gt_annos, _GT_KEYS)
        self.dt, self.num_dt = _concat(dt_annos, _PRED_KEYS)
        self.gt_splits = np.cumsum(self.num_gt)[:-1]
        self.dt_splits = np.cumsum(self.num_dt)[:-1]
        num_levels = len(LEVELS)
        self.shape = (len(classes), len(DIFFICULTIES), num_levels)
        # Explicit row count: a frame set without any detection has zero columns.
        num_evals = int(np.prod(self.shape))
        self.ignored_gt = np.repeat(_ignore_states(self.gt, classes, True), num_levels,
                                    axis=1).reshape(num_evals, len(self.gt['name']))
        self.ignored_dt = np.repeat(_ignore_states(self.dt, classes, False), num_levels,
                                    axis=1).reshape(num_evals, len(self.dt['name']))
        self.num_valid_gt = (self.ignored_gt == 0).sum(axis=1)
        # Orientation similarity needs predicted angles (-10 is "none") and annotated ones.
        alpha_gt = [a for a in np.split(self.gt['alpha'], self.gt_splits) if len(a)]
        self.with_aos = bool(np.any(self.dt['alpha'] != -10)) and any(a[0] != -10
                                                                      for a in alpha_gt)
        dontcare = self.gt['name'] == 'DontCare'
        num_dc = np.array([d.sum() for d in np.split(dontcare, self.gt_splits)], dtype=np.int64)
        self.dontcare_overlap = _frame_blocks(self.dt['bbox'],
                                              self.num_dt,
                                              self.gt['bbox'][dontcare],
                                              num_dc,
                                              '2D',
                                              over_first=True)

    def _min_overlap(self, box_type: str) -> np.ndarray:
        m = BOX_TYPES.index(box_type)
        return np.array([
            MIN_OVERLAPS[cls][k][m] for cls in self.classes for _ in DIFFICULTIES
            for k in range(len(LEVELS))
        ])

    def interpolated_precision(self, box_type: str) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        """Interpolated precision (and orientation similarity) at the 41 recall positions.

        Args:
            box_type: one of :data:`BOX_TYPES`.

        Returns:
            (B, 41) precisions, and (B, 41) orientation similarities for 2D boxes when
            angles are available (else None).
        """
        min_overlap = self._min_overlap(box_type)
        if box_type == '2D':
            overlaps = _frame_blocks(self.dt['bbox'], self.num_dt, self.gt['bbox'], self.num_gt,
                                     box_type)
        else:
            overlaps = _frame_blocks(_camera_boxes(self.dt), self.num_dt, _camera_boxes(self.gt),
                                     self.num_gt, box_type)
        frames = []
        for f, (ignored_gt, ignored_dt, score, alpha_gt, alpha_dt) in enumerate(
                zip(np.split(self.ignored_gt, self.gt_splits, axis=1),
                    np.split(self.ignored_dt, self.dt_splits, axis=1),
                    np.split(self.dt['score'], self.dt_splits),
                    np.split(self.gt['alpha'], self.gt_splits),
                    np.split(self.dt['alpha'], self.dt_splits))):
            frame = _Frame(overlaps[f], ignored_gt, ignored_dt, min_overlap, score, alpha_gt,
                           alpha_dt)
            if frame.eligible.size:
                frames.append((f, frame))

        evals, scores = [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
        for _, frame in frames:
            frame_evals, frame_scores = frame.true_positive_scores()
            evals.append(frame_evals)
            scores.append(frame_scores)
        evals, scores = np.concatenate(evals), np.concatenate(scores)
        num_eval = len(min_overlap)
        # Unused threshold slots stay +inf: no detection reaches them.
        thresholds = np.full((num_eval, _NUM_SAMPLE_PTS), np.inf)
        num_thresholds = np.zeros(num_eval, dtype=np.int64)
        for b in range(num_eval):
            sampled = _sample_thresholds(scores[evals == b], self.num_valid_gt[b])
            thresholds[b, :len(sampled)] = sampled
            num_thresholds[b] = len(sampled)

        with_aos = self.with_aos and box_type == '2D'
        valid_dt = self.ignored_dt == 0
        # Detections in a DontCare region: (B, M) over all frames' M detections.
        in_dontcare = np.concatenate([np.zeros((num_eval, 0), dtype=bool)] + [
            block.max(axis=1, initial=-np.inf)[None] > min_overlap[:, None]
            for block in self.dontcare_overlap
        ],
                                     axis=1)
        in_dontcare_per_frame = np.split(in_dontcare, self.dt_splits, axis=1)
        tp, matched_dt, matched_dc = (np.zeros(thresholds.shape, dtype=np.int64) for _ in range(3))
        similarity = np.zeros(thresholds.shape)
        for f, frame in frames:
            dontcare_hit = in_dontcare_per_frame[f] if box_type == '2D' else None
            frame_tp, frame_dt, frame_dc, frame_similarity = frame.count(
                thresholds, dontcare_hit, with_aos)
            tp += frame_tp
            matched_dt += frame_dt
            matched_dc += frame_dc
            similarity += frame_similarity

        # Valid detections that reach a threshold and match nothing are false positives,
        # unless (2D only) they lie in a DontCare region.
        fp = _count_at_least(self.dt['score'], valid_dt, thresholds) - matched_dt
        if box_type == '2D':
            fp -= (_count_at_least(self.dt['score'], valid_dt & in_dontcare, thresholds) -
                   matched_dc)
        precision = _interpolate(tp.astype(np.float64), tp + fp, num_thresholds)
        orientation = _interpolate(similarity, tp + fp, num_thresholds) if with_aos else None
        return precision, orientation


def _average_precision(precision: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """AP11 and AP40 in percent from (..., 41) interpolated precisions."""
    ap11 = precision[..., ::4].sum(axis=-1) / 11 * 100
    ap40 = precision[..., 1:].sum(axis=-1) / 40 * 100
    return ap11, ap40


def kitti_ap(gt_annos: Sequence[dict], dt_annos: Sequence[dict],
             classes: Sequence[str]) -> Dict[str, float]:
    """KITTI AP11 and AP40 of 2D, BEV and 3D boxes (and AOS), like mmdet3d's ``kitti_eval``.

    Args:
        gt_annos: per frame, the ground truths in KITTI's annotation format (camera
            coordinates), arrays over the frame's N objects: ``name`` (N,) (including
            ``'DontCare'`` regions, ``'Van'``, ``'Person_sitting'``, ...), ``truncated``
            (N,), ``occluded`` (N,), ``alpha`` (N,), ``bbox`` (N, 4) image box
            ``x1, y1, x2, y2``, ``dimensions`` (N, 3) ``l, h, w``, ``location`` (N, 3) bottom
            centre ``x, y, z``, ``rotation_y`` (N,).
        dt_annos: per frame, the detections: ``name``, ``alpha`` (-10 for "not predicted"),
            ``bbox``, ``dimensions``, ``location``, ``rotation_y`` as above and ``score``
            (M,).
        classes: the classes to evaluate, of ``'Car'``, ``'Pedestrian'``, ``'Cyclist'``.

    Returns:
        Percentages keyed ``{class}_{2D|BEV|3D|AOS}_{AP11|AP40}_{difficulty}_{strict|loose}``
        and, for several classes, their means at the strict level,
        ``Overall_{2D|BEV|3D|AOS}_{AP11|AP40}_{difficulty}``. AOS is reported when the
        detections and the ground truths carry observation angles.
    """
    unknown = [cls for cls in classes if cls not in MIN_OVERLAPS]
    if unknown:
        raise ValueError(f'KITTI AP is defined for {sorted(MIN_OVERLAPS)}, not {unknown}')
    if len(gt_annos) != len(dt_annos) or not gt_annos:
        raise ValueError(f'{len(dt_annos)} frames of detections for {len(gt_annos)} frames of '
                         'ground truths')
    protocol = _KittiProtocol(gt_annos, dt_annos, classes)
    aps = {}
    for box_type in BOX_TYPES:
        precision, orientation = protocol.interpolated_precision(box_type)
        aps[box_type] = _average_precision(precision.reshape(*protocol.shape, -1))
        if orientation is not None:
            aps['AOS'] = _average_precision(orientation.reshape(*protocol.shape, -1))

    results: Dict[str, float] = {}
    for box_type, per_ap in aps.items():
        for ap_name, ap in zip(('AP11', 'AP40'), per_ap):
            for c, cls in enumerate(classes):
                for d, difficulty in enumerate(DIFFICULTIES):
                    for k, level in enumerate(LEVELS):
                        results[f'{cls}_{box_type}_{ap_name}_{difficulty}_{level}'] = \
                            float(ap[c, d, k])
            if len(classes) > 1:
                for d, difficulty in enumerate(DIFFICULTIES):
                    results[f'Overall_{box_type}_{ap_name}_{difficulty}'] = \
                        float(ap[:, d, 0].mean())
    return results


def _frame_annos(anno: dict, keys: Dict[str, int], label_names: Optional[Sequence[str]]) -> dict:
    """One frame's annotation arrays, with ``name`` resolved from ``labels`` if need be."""
    frame = {key: np.asarray(anno[key]) for key in keys if key != 'name'}
    if 'name' in anno:
        frame['name'] = np.asarray(anno['name']).astype(str).reshape(-1)
    else:
        if label_names is None:
            raise ValueError('KittiAP: frames given by `labels` need the class names, from '
                             '`classes` or `dataset_meta`')
        labels = np.asarray(anno['labels']).astype(np.int64).reshape(-1)
        frame['name'] = np.asarray(label_names, dtype=str)[labels]
    return frame


@MMEVAL_METRICS.register_module()
class KittiAP(BaseMetric):
    """KITTI 3D-detection AP (AP11 and AP40 of 2D, BEV and 3D boxes, and AOS) on the CPU.

    The numbers are those of mmdet3d's ``KittiMetric`` / ``kitti_eval`` (see
    :func:`kitti_ap`), in percent; the keys drop its ``pred_instances_3d/KITTI/`` stem:
    ``Car_3D_AP40_moderate_strict``, ``Pedestrian_BEV_AP11_easy_loose``,
    ``Overall_2D_AP40_hard``, ... Inside mmengine, :class:`MMEvalMetric` adds the prefix
    ``kitti/``; keep its ``scale`` at 1, the values are percentages already.

    Args:
        classes: the classes to evaluate, of ``'Car'``, ``'Pedestrian'`` and ``'Cyclist'``.
            Defaults to ``dataset_meta['classes']``, as mmdet3d does.
        **kwargs: :class:`mmeval.core.BaseMetric` arguments (``dataset_meta``,
            ``dist_backend``, ...).

    Examples:
        In an mmdet3d config (predictions and ground truths come from the data samples,
        see :func:`det3d_samples_to_kitti`):

        >>> val_evaluator = dict(type='mmnas.MMEvalMetric', metric=dict(type='KittiAP'))

        Standalone, on KITTI-format annotations:

        >>> metric = KittiAP(classes=['Car'])
        >>> metric.add(predictions, groundtruths)  # doctest: +SKIP
        >>> metric.compute()['Car_3D_AP40_moderate_strict']  # doctest: +SKIP
    """

    def __init__(self, classes: Optional[Sequence[str]] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.classes = list(classes) if classes is not None else None

    def _class_names(self) -> Optional[List[str]]:
        if self.dataset_meta and self.dataset_meta.get('classes'):
            return list(self.dataset_meta['classes'])
        return self.classes

    def add(self, predictions: Sequence[dict], groundtruths: Sequence[dict]) -> None:
        """Add the detections and ground truths of some frames.

        Args:
            predictions: per frame, the detections in KITTI's annotation format (camera
                coordinates), arrays over the frame's M detections: ``name`` (M,) class
                names (or ``labels`` (M,), indices into ``dataset_meta['classes']`` /
                ``classes``), ``alpha`` (M,) observation angle (-10 if not predicted),
                ``bbox`` (M, 4) image box ``x1, y1, x2, y2``, ``dimensions`` (M, 3)
                ``l, h, w``, ``location`` (M, 3) bottom centre ``x, y, z``, ``rotation_y``
                (M,), ``score`` (M,).
            groundtruths: per frame, the labels in the same format, over the frame's N
                objects (including ``'DontCare'`` regions and the ``'Van'``,
                ``'Person_sitting'``, ... objects that are ignored rather than missed), with
                ``truncated`` (N,) and ``occluded`` (N,) and without ``score``.
        """
        if len(predictions) != len(groundtruths):
            raise ValueError(f'KittiAP: {len(predictions)} frames of predictions, '
                             f'{len(groundtruths)} of ground truths')
        names = self._class_names()
        for prediction, groundtruth in zip(predictions, groundtruths):
            self._results.append((_frame_annos(prediction, _PRED_KEYS,
                                               names), _frame_annos(groundtruth, _GT_KEYS, names)))

    def compute_metric(self, results: List[Tuple[dict, dict]]) -> Dict[str, float]:
        """KITTI AP of the added frames.

        Args:
            results: (prediction, ground truth) per frame, as :meth:`add` stores them.

        Returns:
            Percentages by name; see :func:`kitti_ap`.
        """
        classes = self.classes if self.classes is not None else self._class_names()
        if not classes:
            raise ValueError('KittiAP: no classes to evaluate; pass `classes` or set '
                             '`dataset_meta`')
        predictions = [prediction for prediction, _ in results]
        groundtruths = [groundtruth for _, groundtruth in results]
        return kitti_ap(groundtruths, predictions, classes)


# KITTI's usual image size (height, width), for samples that do not carry theirs.
_KITTI_IMAGE_SHAPE = (375, 1242)


@lru_cache(maxsize=None)
def _stock_kitti_metric() -> Any:
    """mmdet3d's ``KittiMetric`` with its defaults, for its prediction post-processing."""
    from mmdet3d.evaluation.metrics import KittiMetric

    # The annotation file is only read by its compute_metrics, which is not used.
    return KittiMetric(ann_file='')


def _first_of(sample: Any, keys: Sequence[str]) -> Any:
    """The first of the keys that the sample (a data sample or its ``to_dict()``) holds."""
    for key in keys:
        value = sample.get(key)
        if value is not None:
            return value
    return None


def _camera2_matrix(sample: Any, keys: Sequence[str]) -> np.ndarray:
    """A calibration matrix of KITTI's left colour camera (CAM2) from a sample's metainfo.

    With a camera in the pipeline the entry is that camera's matrix. Without one (the stock
    LiDAR-only configs), ``Pack3DDetInputs`` packs the matrices of the info file's cameras
    that have one, in its order CAM0...CAM3: four ``cam2img`` projections, and the
    ``lidar2cam`` of CAM2 alone.

    Returns:
        (4, 4) or (3, 4) matrix.
    """
    value = _first_of(sample, keys)
    if value is None:
        raise ValueError(f'KittiAP: the data samples carry none of {list(keys)}')
    matrix = np.asarray(value, dtype=np.float64)
    if matrix.ndim == 3:
        if len(matrix) not in (1, 4):
            raise ValueError(f'KittiAP: expected the {keys[-1]} of CAM2 or of CAM0...CAM3, '
                             f'got {len(matrix)} matrices')
        matrix = matrix[2 if len(matrix) == 4 else 0]
    return matrix


def _prediction_to_kitti(sample: Any) -> dict:
    """A sample's ``pred_instances_3d`` as KITTI camera-frame detections (with ``labels``)."""
    from mmdet3d.structures import CameraInstance3DBoxes

    # The original image's size and projection, which the info file holds and mmdet3d uses,
    # where a camera pipeline has resized the image.
    image_shape = _first_of(sample, ('ori_shape', 'img_shape'))
    if image_shape is None:
        warnings.warn('KittiAP: the data samples carry no image size (LiDAR-only pipeline); '
                      f'2D boxes are clipped to KITTI\'s usual {_KITTI_IMAGE_SHAPE}, where '
                      'mmdet3d uses each frame\'s size from the info file. 3D and BEV APs '
                      'hardly depend on it, 2D AP and AOS can differ slightly.')
        image_shape = _KITTI_IMAGE_SHAPE
    height, width = int(image_shape[0]), int(image_shape[1])
    camera2 = dict(lidar2cam=_camera2_matrix(sample, ('lidar2cam', )),
                   cam2img=_camera2_matrix(sample, ('ori_cam2img', 'cam2img')),
                   height=height,
                   width=width)
    pred = sample.get('pred_instances_3d')
    # convert_valid_bboxes limits the yaw of the boxes in place: hand it a copy.
    boxes = dict(bboxes_3d=pred['bboxes_3d'].clone().to('cpu'),
                 scores_3d=pred['scores_3d'].detach().cpu(),
                 labels_3d=pred['labels_3d'].detach().cpu())
    valid = _stock_kitti_metric().convert_valid_bboxes(
        boxes, dict(sample_idx=sample.get('sample_idx'), images=dict(CAM2=camera2)))
    bbox = np.asarray(valid['bbox']).reshape(-1, 4)
    camera = np.asarray(valid['box3d_camera']).reshape(-1, 7)
    lidar = np.asarray(valid['box3d_lidar']).reshape(-1, 7)
    # Clip the projected boxes to the image, as mmdet3d's bbox2result_kitti does.
    bbox = np.concatenate([np.maximum(bbox[:, :2], 0),
                           np.minimum(bbox[:, 2:], [width, height])],
                          axis=1)
    if valid.get('pred_box_type_3d') is CameraInstance3DBoxes:
        alpha = -np.arctan2(camera[:, 0], camera[:, 2]) + camera[:, 6]
    else:
        alpha = -np.arctan2(-lidar[:, 1], lidar[:, 0]) + camera[:, 6]
    # With no valid box the labels are a float (0, 4) placeholder.
    labels = np.asarray(valid['label_preds']).astype(np.int64).reshape(-1)[:len(bbox)]
    return dict(labels=labels,
                alpha=alpha,
                bbox=bbox,
                dimensions=camera[:, 3:6],
                location=camera[:, :3],
                rotation_y=camera[:, 6],
                score=np.asarray(valid['scores']).reshape(-1))


def _groundtruth_to_kitti(sample: Any) -> dict:
    """A sample's ``eval_ann_info['instances']`` (the info file's labels) in KITTI format."""
    from mmdet3d.datasets import KittiDataset

    ann_info = sample.get('eval_ann_info')
    if ann_info is None:
        raise ValueError('KittiAP needs the ground truths in the data samples: evaluate a '
                         'dataset with test_mode=True and load_eval_anns=True (the default)')
    # The raw labels of the info file; its bbox_label indexes the class order that mmdet3d's
    # KITTI info converter writes (KittiDataset's METAINFO), -1 marks DontCare.
    info_classes = KittiDataset.METAINFO['classes']
    instances = ann_info.get('instances', [])
    bbox_3d = np.array([i['bbox_3d'] for i in instances], dtype=np.float64).reshape(-1, 7)
    return dict(name=np.array(
        [info_classes[i['bbox_label']] if i['bbox_label'] >= 0 else 'DontCare' for i in instances],
        dtype=str),
                truncated=np.array([i['truncated'] for i in instances], dtype=np.float64),
                occluded=np.array([i['occluded'] for i in instances], dtype=np.float64),
                alpha=np.array([i['alpha'] for i in instances], dtype=np.float64),
                bbox=np.array([i['bbox'] for i in instances], dtype=np.float64).reshape(-1, 4),
                location=bbox_3d[:, :3],
                dimensions=bbox_3d[:, 3:6],
                rotation_y=bbox_3d[:, 6])


@register_input_converter('KittiAP', prefix='kitti')
def det3d_samples_to_kitti(
        data_batch: Any,
        data_samples: Sequence[Any]) -> Tuple[Tuple[List[dict], List[dict]], Dict[str, Any]]:
    """mmdet3d ``Det3DDataSample`` → ``KittiAP.add(predictions, groundtruths)``.

    Predictions: ``pred_instances_3d`` (LiDAR or camera boxes) go through mmdet3d's own
    ``KittiMetric.convert_valid_bboxes`` (to camera coordinates with the sample's
    ``lidar2cam``, projected with CAM2's ``cam2img``, kept if inside the image and the
    point-cloud range) and are clipped to the image like its ``bbox2result_kitti``; they
    carry ``labels``, which :class:`KittiAP` names with ``dataset_meta['classes']``.

    Ground truths: the sample's ``eval_ann_info['instances']``, which mmdet3d's datasets
    attach in test mode: the info file's instances unfiltered (DontCare, Van, ... included)
    and in camera coordinates, the very annotations mmdet3d's ``KittiMetric`` reads back
    from ``ann_file``. So no annotation file is needed, and any subset of the frames can be
    evaluated.

    Args:
        data_batch: the data loader's batch (unused: the samples carry everything).
        data_samples: the model's outputs, ``Det3DDataSample`` or their ``to_dict()``.

    Returns:
        ``((predictions, groundtruths), {})``: one KITTI-format dict per sample each.
    """
    predictions = [_prediction_to_kitti(sample) for sample in data_samples]
    groundtruths = [_groundtruth_to_kitti(sample) for sample in data_samples]
    return (predictions, groundtruths), {}
