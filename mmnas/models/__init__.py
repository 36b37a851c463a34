"""Model-side core shared by every method: the backbone contract, the shared building blocks
(:mod:`~mmnas.models.layers`) and the layer operations (physical channel selection, elastic
layers) the methods build on."""
from .base_backbone import DifferentiableBackbone, FeatureInfo, SearchableBackbone
from .elastic_backbone import ElasticBackbone, no_regularization, resize_short_side
from .layers import ConvBNAct, InvertedResidual, SqueezeExcitation, squeeze_channels
from .ops import (ElasticBatchNorm2d, ElasticConv2d, ElasticLinear, ParamSlice, elastic_slice,
                  pad_channels, select_batchnorm, select_conv2d, select_linear, slice_state_dict)
from .utils import HEAD_KEYS, export_heads, get_searchable_backbone, searched_heads, unwrap_model

__all__ = [
    'FeatureInfo', 'SearchableBackbone', 'DifferentiableBackbone', 'ElasticBackbone',
    'resize_short_side', 'no_regularization', 'ConvBNAct', 'SqueezeExcitation',
    'squeeze_channels', 'InvertedResidual', 'select_conv2d', 'select_batchnorm', 'select_linear',
    'ParamSlice', 'ElasticConv2d', 'ElasticBatchNorm2d', 'ElasticLinear', 'elastic_slice',
    'slice_state_dict', 'pad_channels', 'get_searchable_backbone', 'unwrap_model', 'HEAD_KEYS',
    'searched_heads', 'export_heads'
]
