"""Model-side core shared by every method: the backbone contract and the layer operations
(physical channel selection, elastic layers) the methods build on."""
from .base_backbone import FeatureInfo, SearchableBackbone
from .ops import select_batchnorm, select_conv2d, select_linear

__all__ = [
    'FeatureInfo', 'SearchableBackbone', 'select_conv2d', 'select_batchnorm', 'select_linear'
]
