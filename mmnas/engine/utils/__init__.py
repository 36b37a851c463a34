from .bn_calibration import recalibrate_bn
from .param_surgery import (ParamSlice, refresh_averaged_model, replace_optimizer_params,
                            rewrap_model)

__all__ = [
    'recalibrate_bn', 'ParamSlice', 'replace_optimizer_params', 'refresh_averaged_model',
    'rewrap_model'
]
