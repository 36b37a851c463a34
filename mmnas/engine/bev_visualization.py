"""mmdet3d's visualization hook drawing LiDAR detections in bird's eye view, without a display.

mmdet3d 1.4.0's ``Det3DVisualizationHook`` draws LiDAR detections (``vis_task='lidar_det'``)
only in an open3d window, which a machine without a display cannot open, and writes nothing
for ``--show-dir`` then. :class:`BEVVisualizationHook` is that hook with a bird's-eye-view
drawing made by mmdet3d's own ``Det3DLocalVisualizer`` (``set_bev_image`` and
``draw_bev_bboxes``): the points as a height-coloured image, the ground-truth boxes in green
and the predicted boxes above ``score_thr`` in orange, forward pointing up. Images go to
``test_out_dir`` (one ``<frame>.png`` per point cloud) or, without it, to the visualizer's
backends, as the stock hook does.

This module imports mmdet3d, so it is a registry location of its own (see
:mod:`mmnas.registry`) instead of being imported with :mod:`mmnas.engine`.
"""
import os.path as osp
from typing import Sequence, Tuple

import mmcv
import numpy as np
from mmdet3d.engine.hooks import Det3DVisualizationHook
from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes
from mmengine.fileio import get
from mmengine.runner import Runner
from mmengine.utils import mkdir_or_exist

from mmnas.registry import HOOKS
from mmnas.utils.atomic import atomic_path


def _to_image_frame(boxes: LiDARInstance3DBoxes) -> LiDARInstance3DBoxes:
    """Turn LiDAR boxes a quarter turn so that forward (LiDAR x) points up the image and left
    (LiDAR y) points left: ``(x, y) -> (-y, x)``, heading + 90 degrees."""
    tensor = boxes.tensor.clone()
    tensor[:, 0], tensor[:, 1] = -boxes.tensor[:, 1], boxes.tensor[:, 0]
    tensor[:, 6] += np.pi / 2
    return LiDARInstance3DBoxes(tensor, box_dim=tensor.shape[1])


@HOOKS.register_module()
class BEVVisualizationHook(Det3DVisualizationHook):
    """``Det3DVisualizationHook`` that draws test predictions in bird's eye view.

    Args:
        bev_range (tuple[float, float]): Metres ahead of the sensor and to each side that the
            square image covers (``forward``, ``half_width``); KITTI's LiDAR range by default.
        bev_size (int): Side of the square image in pixels.
        **kwargs: ``Det3DVisualizationHook``'s arguments (``draw``, ``interval``,
            ``score_thr``, ``test_out_dir``, ``draw_gt`` (True here), ``draw_pred``, ...).
    """

    def __init__(self,
                 bev_range: Tuple[float, float] = (80.0, 40.0),
                 bev_size: int = 800,
                 **kwargs) -> None:
        kwargs.setdefault('vis_task', 'lidar_det')
        # Unlike the stock hook, the ground truth is drawn by default: beside it, the
        # predictions are what the picture is for.
        kwargs.setdefault('draw_gt', True)
        super().__init__(**kwargs)
        forward, half_width = bev_range
        if forward <= 0 or half_width <= 0 or bev_size <= 0:
            raise ValueError(f'BEVVisualizationHook: bev_range {bev_range} and bev_size '
                             f'{bev_size} must be positive')
        # draw_bev_bboxes maps metres to pixels by one scale and puts the sensor at the bottom
        # centre, so the image is as wide as twice the half width.
        self.scale = bev_size / max(forward, 2 * half_width)
        self.bev_size = bev_size

    def _points_image(self, points: np.ndarray) -> np.ndarray:
        """``(bev_size, bev_size, 3)`` uint8 image of the ``(N, 3+)`` LiDAR points from above,
        brighter for higher points; row 0 is the sensor's row (drawn with ``origin='lower'``)."""
        image = np.zeros((self.bev_size, self.bev_size, 3), np.uint8)
        rows = np.floor(points[:, 0] * self.scale).astype(int)
        cols = np.floor(self.bev_size / 2 - points[:, 1] * self.scale).astype(int)
        inside = (rows >= 0) & (rows < self.bev_size) & (cols >= 0) & (cols < self.bev_size)
        height = np.clip((points[inside, 2] + 2.0) / 3.0, 0.0, 1.0)
        image[rows[inside], cols[inside]] = (80 + 175 * height[:, None]).astype(np.uint8)
        return image

    def _draw(self, points: np.ndarray, data_sample: Det3DDataSample) -> np.ndarray:
        """The RGB bird's-eye-view drawing of one frame."""
        visualizer = self._visualizer
        visualizer.set_bev_image(self._points_image(points), bev_shape=self.bev_size)
        # set_bev_image keeps the figure's size; one figure pixel per image pixel, as
        # set_image does, keeps the drawing at bev_size and the scale exact.
        dpi = visualizer.fig_save.get_dpi()
        visualizer.fig_save.set_size_inches((self.bev_size + 1e-2) / dpi,
                                            (self.bev_size + 1e-2) / dpi)
        layers = []
        if self.draw_gt:
            # Test samples keep their annotations in eval_ann_info, not in gt_instances_3d.
            if 'gt_instances_3d' in data_sample and len(data_sample.gt_instances_3d):
                layers.append((data_sample.gt_instances_3d.bboxes_3d, 'g'))
            elif (data_sample.get('eval_ann_info') or {}).get('gt_bboxes_3d') is not None:
                layers.append((data_sample.eval_ann_info['gt_bboxes_3d'], 'g'))
        if self.draw_pred and 'pred_instances_3d' in data_sample:
            pred = data_sample.pred_instances_3d
            layers.append((pred.bboxes_3d[pred.scores_3d > self.score_thr], 'orange'))
        for boxes, color in layers:
            if len(boxes):
                visualizer.draw_bev_bboxes(
                    _to_image_frame(LiDARInstance3DBoxes(boxes.tensor.cpu())),
                    scale=self.scale, edge_colors=color)
        # set_bev_image's camera-range lines let matplotlib pad the view: keep it on the image.
        visualizer.ax_save.set_xlim(-0.5, self.bev_size - 0.5)
        visualizer.ax_save.set_ylim(-0.5, self.bev_size - 0.5)
        return visualizer.get_image()

    def after_test_iter(self, runner: Runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence[Det3DDataSample]) -> None:
        """Draw every test frame of the batch in bird's eye view."""
        if self.draw is False:
            return
        out_dir = None
        if self.test_out_dir is not None:
            out_dir = osp.join(runner.work_dir, runner.timestamp, self.test_out_dir)
            mkdir_or_exist(out_dir)
        for data_sample in outputs:
            self._test_index += 1
            if (self._test_index - 1) % self.interval:
                continue
            points = np.frombuffer(get(data_sample.lidar_path, backend_args=self.backend_args),
                                   np.float32).reshape(-1, data_sample.num_pts_feats)
            drawing = self._draw(points, data_sample)
            if out_dir is None:
                self._visualizer.add_image('test sample', drawing, step=self._test_index)
            else:
                name = osp.splitext(osp.basename(data_sample.lidar_path))[0]
                with atomic_path(osp.join(out_dir, f'{name}.png')) as tmp:
                    mmcv.imwrite(drawing[..., ::-1], tmp)
