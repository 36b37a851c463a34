"""mmengine's default optimizer constructor with its per-parameter groups merged.

Under ``paramwise_cfg`` mmengine gives every parameter a group of its own, and torch checks
each group it is given against all earlier ones: a paper HR-NAS supernet's 2352 groups took
2.3 s to build on a shared 2-core machine, its 2 merged groups 0.06 s. Parameters whose
options are equal train the same in one group as in groups of their own, so they are merged
into one (two groups for ``norm_decay_mult=0``, ``bias_decay_mult=0``).
"""
from typing import Any, Dict, List, Optional, Union

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn
from torch.optim import Optimizer

from mmnas.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmnas.utils.config_check import ConfigError


def merge_param_groups(groups: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """One group per distinct set of options (every key but ``params``), in the order of
    their first group; each holds the parameters of its groups in their order."""
    merged: List[Dict[str, Any]] = []
    for group in groups:
        options = {k: v for k, v in group.items() if k != 'params'}
        # Few distinct option sets, and their values need not be hashable: a linear search.
        target = next((m for m in merged
                       if {k: v for k, v in m.items() if k != 'params'} == options), None)
        if target is None:
            merged.append(dict(options, params=list(group['params'])))
        else:
            target['params'].extend(group['params'])
    return merged


def _refuse_other_grouping(optimizer: Optimizer, state_dict: dict) -> None:
    """Load-state-dict pre-hook: a state saved with other groups (mmengine's default
    constructor gives one per parameter) cannot be matched to these; torch would only say that
    the counts differ."""
    saved = len(state_dict['param_groups'])
    if saved != len(optimizer.param_groups):
        raise ConfigError(
            f'optimizer state: the checkpoint has {saved} parameter groups but '
            f'MergedGroupsOptimWrapperConstructor built {len(optimizer.param_groups)}; it was '
            'saved under another optim_wrapper constructor (mmengine\'s default gives one '
            'group per parameter). Resume it with the constructor it was saved with, or start '
            'from its weights only (load_from without --resume)')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MergedGroupsOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``DefaultOptimWrapperConstructor`` whose ``paramwise_cfg`` groups are merged by
    :func:`merge_param_groups`: the same options for every parameter, far fewer groups::

        optim_wrapper = dict(
            type='OptimWrapper', constructor='mmnas.MergedGroupsOptimWrapperConstructor',
            optimizer=dict(type='AdamW', lr=0.04, weight_decay=1e-5),
            paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))

    Its optimizer's state has these groups, so a checkpoint resumes only under the
    constructor it was saved with; another grouping is refused with a ConfigError.
    """

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   is_dcn_module: Optional[Union[int, float]] = None) -> None:
        """The default's groups of ``module``, merged once the whole model is walked (the
        default recurses into children through this method, with their prefix)."""
        if prefix:
            super().add_params(params, module, prefix, is_dcn_module)
            return
        per_parameter: List[dict] = []
        super().add_params(per_parameter, module, prefix, is_dcn_module)
        params.extend(merge_param_groups(per_parameter))

    def __call__(self, model: nn.Module) -> OptimWrapper:
        optim_wrapper = super().__call__(model)
        optim_wrapper.optimizer.register_load_state_dict_pre_hook(_refuse_other_grouping)
        return optim_wrapper
