"""Training and search machinery shared by the methods: loops, hooks, optimizer wrappers."""
from mmnas.models import get_searchable_backbone, unwrap_model
from .hooks import (ARCH_SPEC_KEY, ArchSpecHook, RNGStateHook, ensure_arch_spec_hook,
                    get_rng_state, preserved_rng, set_rng_state)
from .optimizers import ArchWeightOptimWrapperConstructor, MergedGroupsOptimWrapperConstructor
from .runner import (BaseArchUpdater, BilevelTrainLoop, ChildrenValLoop, CoarseToFineSearchLoop,
                     DeriveArchLoop, UnrolledArchUpdater, calibrate_child, evaluate_child,
                     finalize_spec, get_elastic_backbone, save_searched)
from .schedulers import ExpDecayConstantEndLR, ExpDecayConstantEndParamScheduler
from .utils import recalibrate_bn

__all__ = [
    'DeriveArchLoop', 'get_searchable_backbone', 'unwrap_model', 'recalibrate_bn',
    'ChildrenValLoop', 'CoarseToFineSearchLoop', 'finalize_spec', 'save_searched',
    'calibrate_child', 'evaluate_child', 'get_elastic_backbone', 'ExpDecayConstantEndLR',
    'ExpDecayConstantEndParamScheduler', 'ArchWeightOptimWrapperConstructor',
    'MergedGroupsOptimWrapperConstructor', 'BilevelTrainLoop',
    'BaseArchUpdater', 'UnrolledArchUpdater', 'ArchSpecHook', 'ARCH_SPEC_KEY',
    'ensure_arch_spec_hook', 'RNGStateHook', 'get_rng_state', 'set_rng_state', 'preserved_rng'
]
