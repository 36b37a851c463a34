from .channel_select import ParamSlice, select_batchnorm, select_conv2d, select_linear
from .depthwise import DepthwiseConv2d, depthwise_conv2d, depthwise_weight_grad
from .elastic import (ElasticBatchNorm2d, ElasticConv2d, ElasticLinear, elastic_slice,
                      pad_channels, slice_state_dict)
from .elastic_bricks import SE_GATES, ElasticConvBNAct, ElasticSqueezeExcitation, Shortcut
from .folding import FoldedWeights, fold_batchnorm, folds_batchnorm

__all__ = [
    'ParamSlice', 'select_conv2d', 'select_batchnorm', 'select_linear', 'DepthwiseConv2d',
    'depthwise_conv2d', 'depthwise_weight_grad', 'ElasticConv2d',
    'ElasticBatchNorm2d', 'ElasticLinear', 'elastic_slice', 'slice_state_dict', 'pad_channels',
    'ElasticConvBNAct', 'ElasticSqueezeExcitation', 'Shortcut', 'SE_GATES',
    'FoldedWeights', 'fold_batchnorm', 'folds_batchnorm'
]
