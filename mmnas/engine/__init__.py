"""Training and search machinery shared by the methods: loops, hooks, optimizer wrappers."""
from .hooks import RNGStateHook, get_rng_state, preserved_rng, set_rng_state
from .optimizers import ArchWeightOptimWrapperConstructor
from .runner import (BaseArchUpdater, BilevelTrainLoop, ChildrenValLoop, CoarseToFineSearchLoop,
                     DeriveArchLoop, UnrolledArchUpdater, calibrate_child, child_state_dict, evaluate_child,
                     get_elastic_backbone, get_searchable_backbone)
from .schedulers import ExpDecayConstantEndLR, ExpDecayConstantEndParamScheduler
from .utils import recalibrate_bn

__all__ = [
    'DeriveArchLoop', 'get_searchable_backbone', 'recalibrate_bn', 'ChildrenValLoop',
    'CoarseToFineSearchLoop', 'child_state_dict', 'calibrate_child', 'evaluate_child',
    'get_elastic_backbone', 'ExpDecayConstantEndLR',
    'ExpDecayConstantEndParamScheduler', 'ArchWeightOptimWrapperConstructor', 'BilevelTrainLoop',
    'BaseArchUpdater', 'UnrolledArchUpdater', 'RNGStateHook', 'get_rng_state', 'set_rng_state',
    'preserved_rng'
]
