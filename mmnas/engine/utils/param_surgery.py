"""Keep the training machinery consistent after a network's parameters were physically cut.

When channels are removed during training (HR-NAS's progressive shrinking), the modules get new,
smaller parameters. Everything that held the old ones has to follow: the optimizer's parameter
groups and per-parameter state (momentum, Adam moments), the EMA copy's bookkeeping, and the
distributed wrapper, which registered the old parameters for gradient all-reduce.
"""
from typing import Iterable, Sequence

import torch
from mmengine.model import BaseAveragedModel, is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmnas.models.ops import ParamSlice


def _optimizers(optim_wrapper) -> Iterable[torch.optim.Optimizer]:
    if isinstance(optim_wrapper, OptimWrapperDict):
        return [w.optimizer for w in optim_wrapper.values()]
    if isinstance(optim_wrapper, OptimWrapper):
        return [optim_wrapper.optimizer]
    if isinstance(optim_wrapper, torch.optim.Optimizer):
        return [optim_wrapper]
    return []  # not built (a test-only runner holds its config dict)


def replace_optimizer_params(optim_wrapper, slices: Sequence[ParamSlice]) -> None:
    """Swap ``old`` for ``new`` in every parameter group, in place (so the group order and
    hyper-parameters survive), and cut the per-parameter state the same way; removed
    parameters leave their groups and their state."""
    by_id = {id(s.old): s for s in slices}
    for optimizer in _optimizers(optim_wrapper):
        for group in optimizer.param_groups:
            params = []
            for p in group['params']:
                s = by_id.get(id(p))
                if s is None:
                    params.append(p)
                    continue
                state = optimizer.state.pop(p, None)
                if s.new is None:
                    continue
                if state:
                    optimizer.state[s.new] = {
                        k: s.apply(v) if torch.is_tensor(v) and v.shape == p.shape else v
                        for k, v in state.items()
                    }
                params.append(s.new)
            group['params'] = params


def refresh_averaged_model(averaged: BaseAveragedModel) -> None:
    """Re-point an EMA model's averaged tensors at its (already cut) module's tensors."""
    averaged.avg_parameters = (
        averaged.module.state_dict()
        if averaged.update_buffers else dict(averaged.module.named_parameters()))


def rewrap_model(runner) -> None:
    """Build the runner's distributed wrapper again around its (cut) model: DDP's reducer
    keeps references to the parameters it was built with."""
    if is_model_wrapper(runner.model):
        runner.model = runner.wrap_model(runner.cfg.get('model_wrapper_cfg'), runner.model.module)
