"""mmdet3d's ground-truth database sampler, working on numpy >= 1.24.

mmdet3d 1.4.0's ``DataBaseSampler.sample_all`` (the sampler inside the stock ``ObjectSample``
transform, PointPillars' ground-truth pasting) builds the labels of the pasted objects with
``dtype=np.long``, an alias that numpy 1.24 removed (mmdet3d issue #2821, fixed after 1.4.0),
so every pasting raises ``AttributeError``. :class:`DataBaseSampler` is the stock sampler with
that method rewritten and nothing else changed: configs keep the stock ``ObjectSample`` and
only name this sampler, ``db_sampler=dict(type='mmnas.DataBaseSampler', ...)``.

This module imports mmdet3d, so it is a registry location of its own (see
:mod:`mmnas.registry`) instead of being imported with :mod:`mmnas.datasets`.
"""
import os.path as osp
from typing import Optional

import numpy as np
from mmdet3d.datasets.transforms.dbsampler import DataBaseSampler as StockDataBaseSampler

from mmnas.registry import TRANSFORMS


@TRANSFORMS.register_module()
class DataBaseSampler(StockDataBaseSampler):
    """mmdet3d's ``DataBaseSampler`` (same arguments, same database format, same sampling),
    with ``sample_all`` returning its labels as ``int64``."""

    def sample_all(self,
                   gt_bboxes: np.ndarray,
                   gt_labels: np.ndarray,
                   img: Optional[np.ndarray] = None,
                   ground_plane: Optional[np.ndarray] = None) -> Optional[dict]:
        """Draw database objects of every class up to its group size, avoiding collisions.

        Args:
            gt_bboxes (numpy.ndarray): ``(N, 7+)`` LiDAR boxes already in the frame.
            gt_labels (numpy.ndarray): ``(N,)`` their labels.
            img (numpy.ndarray, optional): Unused, as in the stock sampler (no 2D pasting).
            ground_plane (numpy.ndarray, optional): ``(4,)`` plane ``a, b, c, d`` of the
                frame's ground in LiDAR coordinates; pasted objects are moved onto it.

        Returns:
            dict or None: None when nothing was pasted, else ``gt_labels_3d`` ``(M,)`` int64,
            ``gt_bboxes_3d`` ``(M, 7+)``, ``points`` (the ``M`` objects' points, moved to
            their boxes, as one ``BasePoints``) and ``group_ids`` ``(M,)`` (``N`` .. ``N+M-1``).
        """
        # Each class is topped up to its group size, counting the objects the frame has.
        budgets = [
            int(np.round(self.rate * (max_num - np.sum(gt_labels == self.cat2label[name]))))
            for name, max_num in zip(self.sample_classes, self.sample_max_nums)
        ]
        sampled, sampled_boxes = [], []
        occupied = gt_bboxes
        for name, budget in zip(self.sample_classes, budgets):
            if budget <= 0:
                continue
            drawn = self.sample_class_v2(name, budget, occupied)
            if not drawn:
                continue
            boxes = np.stack([info['box3d_lidar'] for info in drawn])
            sampled += drawn
            sampled_boxes.append(boxes)
            # Later classes must not collide with the objects pasted for earlier ones.
            occupied = np.concatenate([occupied, boxes])
        if not sampled:
            return None

        sampled_boxes = np.concatenate(sampled_boxes)
        object_points = []
        for info in sampled:
            # The database stores each object's points relative to its box centre.
            path = osp.join(self.data_root, info['path']) if self.data_root else info['path']
            points = self.points_loader(dict(lidar_points=dict(lidar_path=path)))['points']
            points.translate(info['box3d_lidar'][:3])
            object_points.append(points)
        if ground_plane is not None:
            heights = sampled_boxes[:, :3] @ ground_plane[:3] + ground_plane[3]
            sampled_boxes[:, 2] -= heights
            for points, height in zip(object_points, heights):
                points.tensor[:, 2] -= float(height)
        labels = np.array([self.cat2label[info['name']] for info in sampled], dtype=np.int64)
        return dict(
            gt_labels_3d=labels,
            gt_bboxes_3d=sampled_boxes,
            points=object_points[0].cat(object_points),
            group_ids=np.arange(len(gt_bboxes), len(gt_bboxes) + len(sampled)))
