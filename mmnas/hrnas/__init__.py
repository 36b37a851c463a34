"""HR-NAS (Ding et al., CVPR 2021): a high-resolution multi-branch supernet of searching
blocks (mixed-kernel inverted residuals + lightweight transformers) shrunk during training by
a FLOPs-weighted L1 penalty on BN scales. The searched task heads (``mmnas.hrnas.heads``,
which imports mmseg and mmpose) shrink with it."""
from .context import LightweightTransformer
from .fused_block import FusedSearchingBlock
from .hooks import ProgressiveShrinkHook
from .searching_block import KernelBranch, SearchingBlock
from .shrinking import (ScaleGroup, SearchScope, apply_plan, l1_penalty, penalty_weights,
                        plan_for_arch, plan_shrink, scale_groups, scope_arch)
from .supernet import CITYSCAPES_STAGES, HRNASSuperNet
from .visualization import draw_arch

__all__ = [
    'HRNASSuperNet', 'SearchingBlock', 'FusedSearchingBlock', 'KernelBranch', 'LightweightTransformer',
    'CITYSCAPES_STAGES', 'ProgressiveShrinkHook', 'ScaleGroup', 'SearchScope', 'scope_arch',
    'scale_groups', 'penalty_weights', 'l1_penalty', 'plan_shrink', 'plan_for_arch', 'apply_plan',
    'draw_arch'
]
