from .arch_updater import BaseArchUpdater, build_arch_updater, compute_loss
from .bilevel_loop import BilevelTrainLoop
from .child_eval import ChildrenValLoop, calibrate_child, evaluate_child, get_elastic_backbone
from .coarse_to_fine import CoarseToFineSearchLoop, child_state_dict, pareto_front
from .derive_loop import DeriveArchLoop, get_searchable_backbone
from .unrolled_arch_updater import UnrolledArchUpdater

__all__ = [
    'DeriveArchLoop', 'get_searchable_backbone', 'BilevelTrainLoop', 'BaseArchUpdater',
    'build_arch_updater', 'compute_loss', 'ChildrenValLoop', 'calibrate_child', 'evaluate_child',
    'get_elastic_backbone', 'CoarseToFineSearchLoop', 'child_state_dict', 'pareto_front',
    'UnrolledArchUpdater'
]
