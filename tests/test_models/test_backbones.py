"""One test over every registered mmnas backbone: outputs as declared, gradients flow, the
exported architecture rebuilds the same network."""
import inspect

import pytest
import torch

from mmnas.models import SearchableBackbone
from mmnas.registry import MODELS
from mmnas.utils import ConfigError, register_all_modules

register_all_modules(init_default_scope_=False)

#: Small settings per backbone: (config, input shape (C, H, W)).
TINY = {
    'HRNASSuperNet': (dict(stem_channels=8, expand_ratio=2,
                           stages=[dict(blocks=(1, ), channels=(8, )),
                                   dict(blocks=(1, 1), channels=(8, 16)),
                                   dict(blocks=(1, 1, 1), channels=(8, 16, 24))],
                           out_indices=(0, 1, 2),
                           context=dict(type='LightweightTransformer', proj_size=4)),
                      (3, 64, 48)),
    'BigNASSuperNet': (dict(search_space=dict(
        resolution=(32, 48), first_conv=dict(width=(8, 12)),
        stages=[dict(width=(8, 16), depth=(1, 2), kernel=(3, 5), expand=(1, ), stride=1),
                dict(width=(16, 24), depth=(1, 2), kernel=(3, 5), expand=(3, 4), stride=2,
                     se=True)],
        last_conv=dict(width=(32, 48))), out_indices=(0, 1), dropout_rate=0.1,
        drop_path_rate=0.1), (3, 64, 48)),
    'DenseNASRouted': (dict(search_space=dict(
        stem=dict(channels=8, stride=2, op='ir_k3_e1', op_channels=8),
        blocks=[dict(channels=8, stride=4, stage=1, num_layers=1),
                dict(channels=12, stride=4, stage=1, num_layers=2),
                dict(channels=16, stride=8, stage=2, num_layers=1),
                dict(channels=24, stride=8, stage=3, num_layers=0, head_op='conv_k1')],
        head_op='ir_k3_e3', candidate_ops=('ir_k3_e3', 'ir_k5_e6', 'skip'), max_connections=3),
        norm_cfg=dict(type='BN')), (3, 64, 48)),
    'DenseNASNet': (dict(blocks=[dict(channels=16, stride=2, ops=['basic', 'skip']),
                                 dict(channels=32, stride=2, ops=['bottleneck', 'ir_k5_e3']),
                                 dict(channels=24, stride=1, ops=['ir_k7_e6', 'conv_k1'])],
                         stem=dict(channels=8, stride=2), out_indices=(0, 1, 2)),
                    (3, 64, 48)),
    'DARTSCellNet': (dict(channels=8, num_cells=4, out_indices=(0, 1, 3)), (3, 64, 32)),
    'DARTSNet': (dict(genotype='DARTS_V2', channels=8, num_cells=5, out_indices=(1, 4),
                      drop_path_rate=0.2), (3, 64, 32)),
}


def registered_backbones():
    # Only the package's own: tests may register helper backbones of their own.
    return sorted(name for name, cls in MODELS.module_dict.items()
                  if inspect.isclass(cls) and issubclass(cls, SearchableBackbone)
                  and cls.__module__.startswith('mmnas.'))


def test_every_backbone_has_a_tiny_setting():
    assert set(registered_backbones()) == set(TINY)


@pytest.mark.parametrize('name', registered_backbones())
def test_backbone(name):
    cfg, shape = TINY[name]
    net = MODELS.build(dict(type=name, **cfg))
    net.init_weights()
    x = torch.randn(2, *shape)
    outs = net(x)
    assert isinstance(outs, tuple) and len(outs) == len(net.out_indices)
    for out, info in zip(outs, net.out_feature_info):
        assert out.shape == (2, info.num_chs, shape[1] // info.reduction,
                             shape[2] // info.reduction)
    assert [o.shape[1] for o in outs] == net.out_channels
    sum(o.mean() for o in outs).backward()
    assert all(p.grad is not None for p in net.parameters() if p.requires_grad)

    # A supernet that exports a sub-network (a child, a derived path) hands over that
    # network's weights and computes it in forward_derived; the others export themselves.
    spec, weights = net.export()
    rebuilt = spec.build()
    rebuilt.load_state_dict(weights, strict=True)
    net.eval()
    rebuilt.eval()
    with torch.no_grad():
        for a, b in zip(net.forward_derived(x), rebuilt(x)):
            torch.testing.assert_close(a, b)


@pytest.mark.parametrize('name', [
    name for name in registered_backbones()
    if 'out_indices' in inspect.signature(MODELS.get(name)).parameters
])
def test_negative_out_indices_count_from_the_end(name):
    """Every backbone with selectable outputs (DenseNASRouted has one fixed output)."""
    cfg, shape = TINY[name]
    net = MODELS.build(dict(type=name, **dict(cfg, out_indices=(-1, 0))))
    num_outputs = len(net.feature_info)
    assert net.out_indices == (num_outputs - 1, 0)
    assert net(torch.randn(1, *shape))[0].shape[1] == net.feature_info[-1].num_chs
    with pytest.raises(ConfigError, match=rf'{name}: out_indices \({num_outputs},\) must index'):
        MODELS.build(dict(type=name, **dict(cfg, out_indices=(num_outputs, ))))
