"""BigNASSuperNet: a sliced child equals an independently computed static network, the export
rebuilds it from its ArchSpec alone, and its cost is mmengine's count."""
import random

import pytest
import torch
import torch.nn.functional as F
from mmengine.analysis import FlopAnalyzer

from mmnas.bignas import BigNASSuperNet
from mmnas.bignas.supernet import hidden_channels, se_channels
from mmnas.cost import count_complexity
from mmnas.models.ops import (ElasticBatchNorm2d, ElasticConv2d, ElasticLinear,
                              slice_state_dict)
from mmnas.structures import ArchSpec
from mmnas.utils.config_check import ConfigError

ELASTIC_LAYERS = (ElasticConv2d, ElasticBatchNorm2d, ElasticLinear)


def trained_like(net):
    """Random BN statistics and affine parameters, so that eval mode is not the identity."""
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if name.endswith('running_var') or name.endswith('bn.weight'):
                t.uniform_(0.5, 1.5)
            elif name.endswith('running_mean') or name.endswith('bn.bias'):
                t.normal_(0, 0.1)
    return net.eval()


def reference_forward(sd, space, arch, x, eps=1e-5):
    """The child computed with plain functional ops on weights cut by hand: first channels,
    first blocks, centre of the kernels. Independent of the elastic layers and the export."""

    def conv(x, key, c_out, k=1, stride=1, depthwise=False, bias=False):
        w = sd[key + '.weight']
        s = (w.shape[-1] - k) // 2
        if depthwise:
            w, groups = w[:x.shape[1], :, s:s + k, s:s + k], x.shape[1]
        else:
            w, groups = w[:c_out, :x.shape[1], s:s + k, s:s + k], 1
        b = sd[key + '.bias'][:w.shape[0]] if bias else None
        return F.conv2d(x, w, b, stride, k // 2, groups=groups)

    def bn(x, key):
        c = x.shape[1]
        return F.batch_norm(x, sd[key + '.running_mean'][:c], sd[key + '.running_var'][:c],
                            sd[key + '.weight'][:c], sd[key + '.bias'][:c], False, 0., eps)

    x = F.silu(bn(conv(x, 'first_conv.conv', arch['first_conv']['width'], 3, 2),
                  'first_conv.bn'))
    for i, (s, a) in enumerate(zip(space['stages'], arch['stages'])):
        for j in range(a['depth']):
            p = f'stages.{i}.{j}'
            h = hidden_channels(x.shape[1], a['expand'])
            y = x
            if s['expand'] != (1, ):
                y = F.silu(bn(conv(y, p + '.expand.conv', h), p + '.expand.bn'))
            y = F.silu(bn(conv(y, p + '.depthwise.conv', h, a['kernel'], s['stride'] if j == 0
                               else 1, depthwise=True), p + '.depthwise.bn'))
            if s['se']:
                g = conv(y.mean((2, 3), keepdim=True), p + '.se.reduce', se_channels(h),
                         bias=True)
                y = y * F.relu6(conv(torch.relu(g), p + '.se.expand', h, bias=True) + 3) / 6
            y = bn(conv(y, p + '.project.conv', a['width']), p + '.project.bn')
            # Residual on every block: average-pool by the stride, project if widths differ.
            if j == 0 and s['stride'] > 1:
                x = F.avg_pool2d(x, 2, padding=x.shape[-1] % 2)
            if x.shape[1] != a['width']:
                x = conv(x, p + '.shortcut.conv', a['width'])
            x = x + y
    c = x.shape[1] * 6
    x = F.silu(bn(conv(x, 'last_conv.final_expand.conv', c), 'last_conv.final_expand.bn'))
    return F.silu(conv(x.mean((2, 3), keepdim=True), 'last_conv.feature_mix.conv',
                       arch['last_conv']['width']))


def test_sliced_children_equal_the_reference(tiny_space):
    net = trained_like(BigNASSuperNet(tiny_space, out_indices=(3, )))
    rng = random.Random(0)
    for arch in [net.max_arch(), net.min_arch()] + [net.sample_arch(rng) for _ in range(4)]:
        net.set_arch(arch)
        r = arch['resolution']
        x = torch.randn(2, 3, r, r)
        with torch.no_grad():
            out = net(x)[0]
            ref = reference_forward(net.state_dict(), tiny_space, arch, x)
        c = arch['last_conv']['width']
        torch.testing.assert_close(out[:, :c], ref, rtol=0, atol=1e-5)
        # The output is padded to the widest last_conv so that a stock head always fits.
        assert out.shape[1] == 64 and not out[:, c:].any()


def test_export_rebuilds_the_child_from_its_spec_alone(tiny_space, tmp_path):
    net = trained_like(BigNASSuperNet(tiny_space, out_indices=(1, 2, 3)))
    arch = net.sample_arch(random.Random(3))
    net.set_arch(arch)
    spec = net.export_arch()
    spec.dump(tmp_path / 'arch.json')
    child = ArchSpec.load(tmp_path / 'arch.json').build()
    assert child.static and child.current_arch == net.current_arch
    # A real smaller network: every layer is a plain torch layer of the child's width.
    assert not any(isinstance(m, ELASTIC_LAYERS) for m in child.modules())
    child.load_state_dict(slice_state_dict(net.state_dict(), child.state_dict()))
    child.eval()
    # The same prefetched crop: both resize it to the child's resolution.
    x = torch.randn(2, 3, 40, 40)
    with torch.no_grad(), net.input_resolution(arch['resolution']):
        for a, b in zip(net(x), child(x)):
            torch.testing.assert_close(a, b, rtol=0, atol=1e-5)
    # Really smaller: only the chosen blocks and channels exist.
    n_child = sum(p.numel() for p in child.parameters())
    assert n_child < sum(p.numel() for p in net.parameters())
    assert len(child.stages[1]) == arch['stages'][1]['depth']
    with pytest.raises(ConfigError, match='static child'):
        child.set_arch(net.max_arch())


def test_child_flops_equal_mmengine_count_of_the_static_network(tiny_space):
    net = BigNASSuperNet(tiny_space)
    rng = random.Random(1)
    for arch in [net.min_arch(), net.sample_arch(rng), net.max_arch()]:
        net.set_arch(arch)
        r = arch['resolution']
        cost = count_complexity(net, (3, r, r))
        child = net.export_arch().build().eval()
        flops = FlopAnalyzer(child, (torch.randn(1, 3, r, r), )).total()
        assert cost['flops'] == flops > 0
        assert count_complexity(child, (3, r, r))['params'] == sum(
            p.numel() for p in child.parameters())


def test_smallest_child_is_the_smallest(tiny_space):
    net = BigNASSuperNet(tiny_space)

    def cost(arch):
        child = BigNASSuperNet(tiny_space, arch=arch)
        r = arch['resolution']
        return count_complexity(child, (3, r, r))

    smallest = cost(net.min_arch())
    rng = random.Random(2)
    others = [net.sample_arch(rng) for _ in range(6)] + net.mutate_arch(net.min_arch())
    others += net.coarse_archs((0.5, 1.0))
    for arch in others:
        c = cost(arch)
        assert c['flops'] > smallest['flops'] and c['params'] >= smallest['params']
    assert cost(net.max_arch())['flops'] >= max(cost(a)['flops'] for a in others)


def test_default_space_spans_the_seed_range():
    """The design note's space: children from about 200 MFLOPs up to about 2 GFLOPs."""
    net = BigNASSuperNet()
    low = net.min_arch()
    net.set_arch(low)
    low_flops = count_complexity(net, (3, 192, 192))['flops']
    assert 150e6 < low_flops < 260e6
    net.set_arch(net.max_arch())
    assert count_complexity(net, (3, 320, 320))['flops'] > 2e9


def test_bad_space_and_arch_are_reported(tiny_space):
    bad = dict(tiny_space, stages=[dict(tiny_space['stages'][0], kernel=(2, 3))])
    with pytest.raises(ConfigError, match=r'stages\[0\].kernel'):
        BigNASSuperNet(bad)
    with pytest.raises(ConfigError, match='non-empty list'):
        BigNASSuperNet(dict(tiny_space, first_conv=dict(width=[])))
    net = BigNASSuperNet(tiny_space)
    arch = net.max_arch()
    arch['stages'][1]['depth'] = 4
    with pytest.raises(ConfigError, match=r'arch.stages\[1\].depth: 4'):
        net.set_arch(arch)
    with pytest.raises(ConfigError, match='out_indices'):
        BigNASSuperNet(tiny_space, out_indices=(5, ))


def test_drop_path_only_in_the_last_two_stages(tiny_space):
    """AttentiveNAS's released training: drop-path ``p · b / B`` on block ``b`` of ``B``,
    in the last two stages only (other stages with ``drop_path_stages``)."""
    from mmcv.cnn.bricks import DropPath
    net = BigNASSuperNet(tiny_space, drop_path_rate=0.3)
    total = sum(max(s['depth']) for s in tiny_space['stages'])
    b = 0
    for i, (stage, s) in enumerate(zip(net.stages, tiny_space['stages'])):
        for block in stage:
            if i == 0 or b == 0:
                assert not isinstance(block.drop_path, DropPath)
            else:
                assert block.drop_path.drop_prob == pytest.approx(0.3 * b / total)
            b += 1
    net = BigNASSuperNet(tiny_space, drop_path_rate=0.3, drop_path_stages=(0, ))
    assert isinstance(net.stages[0][1].drop_path, DropPath)
    assert not any(isinstance(m, DropPath) for m in net.stages[1:].modules())
    with pytest.raises(ConfigError, match='drop_path_stages'):
        BigNASSuperNet(tiny_space, drop_path_rate=0.3, drop_path_stages=(3, ))


def test_drop_path_only_on_identity_shortcuts(tiny_space):
    """A block whose shortcut pools or projects has no drop-path (the released rule)."""
    net = BigNASSuperNet(tiny_space, drop_path_rate=0.9, drop_path_stages=(0, 1, 2))
    net.train()
    arch = net.max_arch()
    net.set_arch(arch)
    block = net.stages[1][0]  # stride 2: pooled shortcut
    x = torch.randn(2, 16, 8, 8)
    torch.manual_seed(0)
    a = block(x)
    block.drop_path.eval()
    torch.manual_seed(0)
    torch.testing.assert_close(a, block(x))


def test_coarse_grid_varies_the_kernel(tiny_space):
    """The coarse selection grid covers kernel sizes, the same in every stage."""
    grid = BigNASSuperNet(tiny_space).coarse_archs((0.0, 1.0))
    kernels = {tuple(s['kernel'] for s in a['stages']) for a in grid}
    assert kernels == {(3, 3, 3), (5, 5, 5)}
    assert len(grid) == 2**5  # resolution, width, depth, kernel, expand at two levels
