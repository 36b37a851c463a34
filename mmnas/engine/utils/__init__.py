from .bn_calibration import recalibrate_bn

__all__ = ['recalibrate_bn']
