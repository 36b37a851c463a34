"""``mmnas.BEVVisualizationHook`` draws a LiDAR frame from above: points and boxes where the
frame has them, forward pointing up."""
import numpy as np
import torch

from mmnas.registry import HOOKS


def test_bev_drawing_puts_points_and_boxes_where_they_are(tmp_path):
    from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes
    from mmdet3d.visualization import Det3DLocalVisualizer
    from mmengine.structures import InstanceData

    Det3DLocalVisualizer.get_instance('bev_test')
    hook = HOOKS.build(dict(type='mmnas.BEVVisualizationHook', draw=True, bev_size=400,
                            bev_range=(40.0, 20.0), score_thr=0.5))
    # A wall of points 30 m ahead, slightly left; a car 10 m ahead, 5 m to the right.
    points = np.array([[30.0, y, 0.0, 0.5] for y in np.linspace(2, 6, 200)], np.float32)
    sample = Det3DDataSample()
    sample.pred_instances_3d = InstanceData(
        bboxes_3d=LiDARInstance3DBoxes(torch.tensor([[10.0, -5.0, -1.7, 4.0, 1.8, 1.5, 0.0],
                                                     [20.0, 5.0, -1.7, 4.0, 1.8, 1.5, 0.0]])),
        scores_3d=torch.tensor([0.9, 0.1]), labels_3d=torch.tensor([2, 2]))
    image = hook._draw(points, sample)
    assert image.shape == (400, 400, 3)

    def pixel(x, y):
        # 10 pixels per metre, the sensor at the bottom centre, forward up, left left.
        return int(399 - x * 10), int(200 - y * 10)

    row, col = pixel(30.0, 4.0)
    assert image[row - 3:row + 4, col - 3:col + 4].max() > 60
    # The confident car's outline is orange, the other one (score 0.1) is not drawn.
    orange = (image[..., 0] > 200) & (image[..., 1] > 100) & (image[..., 1] < 200) & \
        (image[..., 2] < 80)
    rows, cols = np.nonzero(orange)
    assert len(rows) > 0
    car_row, car_col = pixel(10.0, -5.0)
    assert abs(rows.mean() - car_row) < 5 and abs(cols.mean() - car_col) < 5
    far_row, far_col = pixel(20.0, 5.0)
    assert not orange[far_row - 20:far_row + 20, far_col - 20:far_col + 20].any()
