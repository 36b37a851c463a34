from .arch_updater import BaseArchUpdater, build_arch_updater, compute_loss
from .bilevel_loop import BilevelTrainLoop
from .child_eval import ChildrenValLoop, calibrate_child, evaluate_child, get_elastic_backbone
from .coarse_to_fine import CoarseToFineSearchLoop, pareto_front
from .derive_loop import DeriveArchLoop, write_arch_spec
from .export import finalize_spec, save_searched, searched_state_dict
from .unrolled_arch_updater import UnrolledArchUpdater

__all__ = [
    'DeriveArchLoop', 'write_arch_spec', 'finalize_spec', 'save_searched',
    'searched_state_dict', 'BilevelTrainLoop', 'BaseArchUpdater',
    'build_arch_updater', 'compute_loss', 'ChildrenValLoop', 'calibrate_child', 'evaluate_child',
    'get_elastic_backbone', 'CoarseToFineSearchLoop', 'pareto_front',
    'UnrolledArchUpdater'
]
