"""DARTSCellNet and DARTSNet: the derivation rule, the fixed network against an independent
functional one, the supernet with one-hot α against the derived network, bad input."""
import pytest
import torch

from mmnas.structures import ArchSpec
from mmnas.unnas import GENOTYPES, PRIMITIVES, DARTSCellNet, DARTSNet, derive_cell
from mmnas.utils.config_check import ConfigError
from .reference import reference_darts

#: A genotype using every operation except the pools (whose search network adds a norm);
#: within a node the earlier input first, as the derivation orders equal strengths.
NO_POOL = dict(
    normal=[['sep_conv_3x3', 0], ['skip_connect', 1], ['sep_conv_5x5', 0], ['dil_conv_5x5', 2],
            ['dil_conv_3x3', 1], ['skip_connect', 3], ['skip_connect', 2], ['sep_conv_3x3', 4]],
    normal_concat=[2, 3, 4, 5],
    reduce=[['skip_connect', 0], ['sep_conv_5x5', 1], ['dil_conv_3x3', 0], ['skip_connect', 2],
            ['dil_conv_5x5', 1], ['sep_conv_3x3', 3], ['sep_conv_3x3', 0], ['skip_connect', 4]],
    reduce_concat=[2, 3, 4, 5])


def randomise_norms(net, seed=0):
    g = torch.Generator().manual_seed(seed)
    for name, buf in net.named_buffers():
        if name.endswith('running_mean'):
            buf.copy_(torch.randn(buf.shape, generator=g) * 0.1)
        elif name.endswith('running_var'):
            buf.copy_(torch.rand(buf.shape, generator=g) + 0.5)
    for name, p in net.named_parameters():
        if name.endswith('bias') or (p.dim() == 1 and name.endswith('weight')):
            p.data.copy_(torch.randn(p.shape, generator=g) * 0.2 + (name.endswith('weight')))


def test_derivation_keeps_top_two_edges_and_the_strongest_non_none_op():
    prims = ('none', 'max_pool_3x3', 'sep_conv_3x3')
    w = torch.zeros(5, 3)  # two nodes: 2 + 3 edges
    # node 0: edge 0 is mostly "none" but its best real op still beats edge 1's.
    w[0] = torch.tensor([0.9, 0.02, 0.08])
    w[1] = torch.tensor([0.2, 0.05, 0.06])
    # node 1: edges from states 2 and 0 win; on edge 2 the pool wins.
    w[2] = torch.tensor([0.0, 0.3, 0.1])
    w[3] = torch.tensor([0.0, 0.05, 0.1])
    w[4] = torch.tensor([0.0, 0.7, 0.8])
    assert derive_cell(w, prims, 2) == [['sep_conv_3x3', 0], ['sep_conv_3x3', 1],
                                        ['sep_conv_3x3', 4 - 2], ['max_pool_3x3', 0]]


@pytest.mark.parametrize('last_stride', [2, 1])
def test_fixed_network_equals_an_independent_functional_one(last_stride):
    torch.manual_seed(0)
    net = DARTSNet('DARTS_V2', channels=8, num_cells=5, last_reduction_stride=last_stride)
    net.init_weights()
    with torch.no_grad():
        randomise_norms(net)
    net.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        out, = net(x)
        expected = reference_darts(net.state_dict(), GENOTYPES['DARTS_V2'], [1, 3], x,
                                   last_stride)
    assert out.shape == (2, 4 * 32, 4 // last_stride, 4 // last_stride)
    assert net.out_strides == [16 * last_stride]
    torch.testing.assert_close(out, expected)


def one_hot_alpha(net, genotype, big=30.0):
    """α whose softmax is (numerically) the genotype: chosen op on kept edges, none else."""
    for kind, alpha in (('normal', net.alpha_normal), ('reduce', net.alpha_reduce)):
        alpha.data.zero_()
        alpha.data[:, PRIMITIVES.index('none')] = big
        for n, (op, j) in enumerate(genotype[kind]):
            node = n // 2
            alpha.data[node * (node + 3) // 2 + j].zero_()
            alpha.data[node * (node + 3) // 2 + j, PRIMITIVES.index(op)] = 2 * big


def test_supernet_with_one_hot_alpha_is_its_derived_network():
    torch.manual_seed(0)
    supernet = DARTSCellNet(channels=8, num_cells=4)
    one_hot_alpha(supernet, NO_POOL)
    assert supernet.genotype() == NO_POOL
    supernet.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        mixed, = supernet(x)
        spec, weights = supernet.export()
        derived = spec.build()
        derived.load_state_dict(weights)
        derived.eval()
        torch.testing.assert_close(derived(x)[0], mixed)
        torch.testing.assert_close(supernet.forward_derived(x)[0], mixed)
        torch.testing.assert_close(
            reference_darts(derived.state_dict(), NO_POOL, [1, 2], x), mixed)


def test_derived_genotype_rebuilds_the_same_network_twice(tmp_path):
    torch.manual_seed(1)
    supernet = DARTSCellNet(channels=8, num_cells=5)
    with torch.no_grad():
        for alpha in supernet.arch_parameters():
            alpha.normal_()
    spec = supernet.export_arch()
    spec.dump(str(tmp_path / 'arch.json'))
    loaded = ArchSpec.load(str(tmp_path / 'arch.json'))
    assert loaded.backbone == spec.backbone
    assert loaded.backbone['genotype'] == supernet.genotype()
    first, second = spec.build(), loaded.build()
    assert isinstance(first, DARTSNet)
    assert [n for n, _ in first.named_parameters()] == [n for n, _ in second.named_parameters()]
    second.load_state_dict(first.state_dict())
    first.eval()
    second.eval()
    x = torch.randn(1, 3, 32, 32)
    torch.testing.assert_close(first(x), second(x))
    assert first.export_arch().backbone == dict(spec.backbone, affine=True, drop_path_rate=0.0)


def test_alpha_get_gradients_through_the_mixed_operations():
    net = DARTSCellNet(channels=8, num_cells=3, stem='cifar', in_channels=1)
    out, = net(torch.randn(2, 1, 16, 16))
    assert out.shape == (2, 4 * 32, 4, 4)
    out.mean().backward()
    assert all(a.grad is not None and a.grad.abs().sum() > 0 for a in net.arch_parameters())
    assert set(map(id, net.arch_parameters())) <= set(map(id, net.parameters()))


@pytest.mark.parametrize('cfg, message', [
    (dict(primitives=('none', )), 'no valid choice'),
    (dict(primitives=('none', 'conv_7x7')), 'distinct names'),
    (dict(stem='resnet'), "stem='resnet'"),
    (dict(reduction_cells=[9]), 'reduction_cells'),
    (dict(out_indices=(8, )), 'out_indices'),
])
def test_bad_search_space_is_named(cfg, message):
    with pytest.raises(ConfigError, match=message):
        DARTSCellNet(channels=8, num_cells=4, **cfg)


@pytest.mark.parametrize('change, message', [
    (dict(normal=[['sep_conv_3x3', 0], ['conv_9x9', 1]]), r'genotype.normal\[1\]'),
    (dict(normal=[['sep_conv_3x3', 0], ['sep_conv_3x3', 2]]), r'input in \[0, 1\]'),
    (dict(normal_concat=[2, 9]), 'normal_concat'),
])
def test_bad_genotype_is_named(change, message):
    with pytest.raises(ConfigError, match=message):
        DARTSNet(dict(GENOTYPES['DARTS_V2'], **change), channels=8, num_cells=3)
    with pytest.raises(ConfigError, match='DARTS_V3'):
        DARTSNet('DARTS_V3')
