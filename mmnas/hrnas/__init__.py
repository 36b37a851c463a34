"""HR-NAS (Ding et al., CVPR 2021): a high-resolution multi-branch supernet of searching
blocks (mixed-kernel inverted residuals + lightweight transformers) shrunk during training by
a FLOPs-weighted L1 penalty on BN scales."""
from .context import LightweightTransformer, SqueezeExcitation
from .searching_block import SearchingBlock
from .supernet import CITYSCAPES_STAGES, HRNASSuperNet

__all__ = [
    'HRNASSuperNet', 'SearchingBlock', 'LightweightTransformer', 'SqueezeExcitation',
    'CITYSCAPES_STAGES'
]
