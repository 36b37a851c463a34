"""ArchWeightOptimWrapperConstructor: α to the architecture optimizer, everything else to the
weights optimizer."""
import pytest
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.registry import DefaultScope
from torch import optim

from mmnas.registry import MODELS
from mmnas.utils.config_check import ConfigError


def _model(cfg):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg)


def test_split_by_arch_parameters(classifier_cfg, bilevel_optim_wrapper):
    model = _model(classifier_cfg)
    wrappers = build_optim_wrapper(model, bilevel_optim_wrapper)
    assert isinstance(wrappers, OptimWrapperDict)
    assert set(wrappers.keys()) == {'weights', 'architecture'}
    arch_opt = wrappers['architecture'].optimizer
    weight_opt = wrappers['weights'].optimizer
    assert isinstance(arch_opt, optim.Adam) and isinstance(weight_opt, optim.SGD)
    assert arch_opt.defaults['betas'] == (0.5, 0.999)
    arch = [p for g in arch_opt.param_groups for p in g['params']]
    weights = [p for g in weight_opt.param_groups for p in g['params']]
    assert [id(p) for p in arch] == [id(model.backbone.alpha)]
    assert {id(p) for p in weights} == {id(p) for p in model.parameters()} - {id(arch[0])}


def test_paramwise_cfg_inside_a_part(classifier_cfg, bilevel_optim_wrapper):
    model = _model(classifier_cfg)
    cfg = bilevel_optim_wrapper
    cfg['weights']['paramwise_cfg'] = dict(norm_decay_mult=0.0)
    wrappers = build_optim_wrapper(model, cfg)
    groups = wrappers['weights'].optimizer.param_groups
    bn_weight = model.backbone.stem[1].weight
    (bn_group, ) = [g for g in groups if g['params'][0] is bn_weight]
    assert bn_group['weight_decay'] == 0.0
    assert all(g['params'][0] is not model.backbone.alpha for g in groups)


@pytest.mark.parametrize('change', [dict(extra=dict()), dict(paramwise_cfg=dict(a=1))])
def test_bad_config_is_named(change, classifier_cfg, bilevel_optim_wrapper):
    cfg = dict(bilevel_optim_wrapper, **change)
    with pytest.raises(ConfigError, match='optim_wrapper'):
        build_optim_wrapper(_model(classifier_cfg), cfg)
