from .coco_keypoint_metric import CocoKeypointAP
from .kitti_metric import KittiAP
from .mmeval_adapter import MMEVAL_METRICS, MMEvalMetric, register_input_converter

__all__ = [
    'MMEvalMetric', 'MMEVAL_METRICS', 'register_input_converter', 'CocoKeypointAP', 'KittiAP'
]
