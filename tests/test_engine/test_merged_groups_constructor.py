"""MergedGroupsOptimWrapperConstructor: mmengine's paramwise groups, merged where their options
are equal, train exactly as the per-parameter groups do."""
import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmnas.utils.config_check import ConfigError

PARAMWISE = dict(norm_decay_mult=0.0, bias_decay_mult=0.0)


def _optim_wrapper(constructor=None):
    cfg = dict(type='OptimWrapper',
               optimizer=dict(type='AdamW', lr=0.01, betas=(0.9, 0.99), weight_decay=0.1),
               paramwise_cfg=dict(PARAMWISE, custom_keys={'head': dict(lr_mult=0.5)}))
    if constructor:
        cfg['constructor'] = constructor
    return cfg


class _Net(nn.Module):
    """conv (bias) → BN → conv → BN → pool → linear ``head``: decayed weights, undecayed norms
    and biases, and a head at half the learning rate. ``(N, 3, 8, 8) → (N, 4)``."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.Conv2d(8, 8, 3, bias=False), nn.BatchNorm2d(8),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(8, 4)

    def forward(self, x):
        return self.head(self.body(x))


def _steps(model, optim_wrapper, steps, seed=1):
    generator = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(2, 3, 8, 8, generator=generator)
        optim_wrapper.update_params(model(x).square().mean())


def test_merged_groups_update_as_the_default_groups():
    default_model, merged_model = _Net(), _Net()
    default = build_optim_wrapper(default_model, _optim_wrapper())
    merged = build_optim_wrapper(merged_model,
                                 _optim_wrapper('mmnas.MergedGroupsOptimWrapperConstructor'))
    assert len(default.optimizer.param_groups) == len(list(default_model.parameters())) == 9
    # Decayed body weights; undecayed norms and conv bias; the head's decayed weight and its
    # undecayed bias at half the learning rate (custom keys set the decay too).
    groups = merged.optimizer.param_groups
    assert [(g['lr'], g['weight_decay'], len(g['params'])) for g in groups] == \
        [(0.01, 0.1, 2), (0.01, 0.0, 5), (0.005, 0.1, 2)]
    _steps(default_model, default, 3)
    _steps(merged_model, merged, 3)
    for (name, a), b in zip(default_model.named_parameters(), merged_model.parameters()):
        assert torch.equal(a, b), name


def test_merged_groups_resume_under_the_same_constructor():
    cfg = _optim_wrapper('mmnas.MergedGroupsOptimWrapperConstructor')
    model = _Net()
    optim_wrapper = build_optim_wrapper(model, cfg)
    _steps(model, optim_wrapper, 2)
    saved_model = copy.deepcopy(model.state_dict())
    saved = copy.deepcopy(optim_wrapper.state_dict())
    _steps(model, optim_wrapper, 2, seed=2)

    resumed = _Net()
    resumed.load_state_dict(saved_model)
    resumed_wrapper = build_optim_wrapper(resumed, cfg)
    resumed_wrapper.load_state_dict(saved)
    _steps(resumed, resumed_wrapper, 2, seed=2)
    for (name, a), b in zip(model.named_parameters(), resumed.parameters()):
        assert torch.equal(a, b), name


def test_a_state_of_per_parameter_groups_is_refused_by_name():
    model = _Net()
    default = build_optim_wrapper(model, _optim_wrapper())
    _steps(model, default, 1)
    merged = build_optim_wrapper(model,
                                 _optim_wrapper('mmnas.MergedGroupsOptimWrapperConstructor'))
    with pytest.raises(ConfigError, match='9 parameter groups .* built 3'):
        merged.load_state_dict(default.state_dict())
