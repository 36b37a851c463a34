"""mmnas.models.layers against the stock OpenMMLab blocks they stand in for: the same
parameter names (so checkpoints load) and the same outputs."""
import pytest
import torch
from mmcv.cnn import ConvModule
from mmpretrain.models.utils import InvertedResidual as MMPretrainInvertedResidual
from mmpretrain.models.utils import SELayer, make_divisible

from mmnas.models.layers import (ConvBNAct, InvertedResidual, SqueezeExcitation,
                                 build_inplace_activation, squeeze_channels)
from mmnas.utils.config_check import ConfigError


def randomise_bn(module):
    """Non-trivial BN statistics and affine parameters, so eval-mode outputs test them."""
    g = torch.Generator().manual_seed(0)
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g))
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(n, generator=g))
    return module


def assert_same(ours, stock, x):
    stock.load_state_dict(ours.state_dict(), strict=True)
    for mode in (True, False):
        ours.train(mode)
        stock.train(mode)
        with torch.no_grad():
            torch.testing.assert_close(ours(x), stock(x))


@pytest.mark.parametrize('kernel, stride, dilation, groups, norm, act', [
    (3, 1, 1, 1, dict(type='BN'), dict(type='ReLU')),
    (5, 2, 1, 8, dict(type='BN'), dict(type='ReLU6')),
    (3, 1, 2, 1, dict(type='SyncBN'), None),
    (1, 2, 1, 1, None, dict(type='Swish')),
])
def test_conv_bn_act_is_mmcv_conv_module(kernel, stride, dilation, groups, norm, act):
    ours = randomise_bn(ConvBNAct(8, 16, kernel, stride, dilation, groups, norm_cfg=norm,
                                  act_cfg=act))
    stock = ConvModule(8, 16, kernel, stride, dilation * (kernel - 1) // 2, dilation, groups,
                       norm_cfg=norm, act_cfg=act)
    assert list(ours.state_dict()) == list(stock.state_dict())
    assert (ours.conv.bias is None) == (norm is not None)
    x = torch.randn(2, 8, 11, 9)
    assert ours.eval()(x).shape == (2, 16, -(-11 // stride), -(-9 // stride))
    if norm is None or norm['type'] == 'BN':  # SyncBN runs in a process group only
        assert_same(ours, stock, x)


@pytest.mark.parametrize('ratio, divisor', [(0.25, 8), (0.25, 4), (1 / 16, 8), (0.5, 16)])
@pytest.mark.parametrize('base', [8, 20, 36, 72, 96, 240, 1152])
def test_squeeze_width_rounds_as_mobilenet(base, ratio, divisor):
    assert squeeze_channels(base, ratio, divisor) == make_divisible(base * ratio, divisor)


def test_squeeze_width_without_divisor_is_the_nearest_whole_number():
    assert [squeeze_channels(c, 0.25) for c in (2, 8, 18, 36)] == [1, 2, 4, 9]


@pytest.mark.parametrize('gate, stock_gate', [
    ('sigmoid', dict(type='Sigmoid')),
    ('hard_sigmoid', dict(type='HSigmoid', bias=3.0, divisor=6.0)),
])
def test_squeeze_excitation_is_mmpretrain_se_layer(gate, stock_gate):
    ours = SqueezeExcitation(24, ratio=0.25, gate=gate)
    assert [k for k in ours.state_dict()] == ['reduce.weight', 'reduce.bias', 'expand.weight',
                                              'expand.bias']
    stock = SELayer(24, squeeze_channels=6, act_cfg=(dict(type='ReLU'), stock_gate))
    renamed = {k.replace('reduce', 'conv1.conv').replace('expand', 'conv2.conv'): v
               for k, v in ours.state_dict().items()}
    stock.load_state_dict(renamed, strict=True)
    x = torch.randn(2, 24, 5, 7)
    torch.testing.assert_close(ours(x), stock(x))


def test_squeeze_width_from_another_base():
    # EfficientNet: a quarter of the block's input width, on the expanded width.
    se = SqueezeExcitation(96, ratio=0.25, reduction_base=16, act_cfg=dict(type='Swish'))
    assert (se.reduce.in_channels, se.reduce.out_channels) == (96, 4)
    assert SqueezeExcitation(96, ratio=0.25, divisor=8).reduce.out_channels == 24


def test_unknown_gate_is_an_error():
    with pytest.raises(ConfigError, match="gate='tanh', expected one of"):
        SqueezeExcitation(8, gate='tanh')


@pytest.mark.parametrize('c_in, c_out, hidden, kernel, stride', [
    (8, 8, 8, 3, 1),     # no expansion, identity shortcut
    (8, 16, 48, 5, 2),   # expansion, stride 2, no shortcut
    (16, 16, 96, 7, 1),  # expansion and shortcut
])
def test_inverted_residual_is_mmpretrain_inverted_residual(c_in, c_out, hidden, kernel, stride):
    cfg = dict(norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU6'))
    torch.manual_seed(0)
    ours = InvertedResidual(c_in, c_out, hidden, kernel, stride, **cfg)
    torch.manual_seed(0)
    stock = MMPretrainInvertedResidual(c_in, c_out, hidden, kernel, stride, **cfg)
    # Same names, and the same initial weights from the same random stream.
    for (k, a), (k2, b) in zip(ours.state_dict().items(), stock.state_dict().items()):
        assert k == k2
        torch.testing.assert_close(a, b)
    assert len(ours.state_dict()) == len(stock.state_dict())
    x = torch.randn(2, c_in, 9, 10)
    assert_same(randomise_bn(ours), stock, x)
    assert ours(x).shape == (2, c_out, -(-9 // stride), -(-10 // stride))


def test_inverted_residual_with_se_and_drop_path():
    block = InvertedResidual(8, 8, 32, se_cfg=dict(ratio=0.25, divisor=8, gate='hard_sigmoid'),
                             act_cfg=dict(type='HSwish'), drop_path_rate=0.5)
    assert block.se.reduce.out_channels == 8
    x = torch.randn(4, 8, 6, 6)
    block.eval()
    expected = x + block.linear_conv(block.se(block.depthwise_conv(block.expand_conv(x))))
    torch.testing.assert_close(block(x), expected)
    block.train()
    assert block(x).shape == x.shape


@pytest.mark.parametrize('act_cfg, inplace', [
    (dict(type='ReLU'), True), (dict(type='ReLU6'), True), (dict(type='HSwish'), True),
    (dict(type='ReLU', inplace=False), False), (dict(type='Sigmoid'), False),
    (dict(type='GELU'), False), (dict(type=torch.nn.ReLU), True),
])
def test_inplace_activation_is_mmcv_activation_in_place(act_cfg, inplace):
    """In place where the type allows and the config does not say otherwise; the same
    values as the activation that copies."""
    act = build_inplace_activation(act_cfg)
    x = torch.randn(2, 3, 4, 4)
    expected = type(act)()(x.clone())
    out = act(x)
    torch.testing.assert_close(out, expected)
    assert (out.data_ptr() == x.data_ptr()) == inplace
