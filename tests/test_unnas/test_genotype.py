"""The genotype zoo (released cells by name) and sample_genotype (the released sampling)."""
import random
from collections import Counter

import pytest
import torch
from torch import nn

from mmnas.unnas import (EVAL_SIZES, GENOTYPES, PRIMITIVES, DARTSNet, check_genotype,
                         eval_size, sample_genotype)
from mmnas.utils.config_check import ConfigError

UNNAS = [f'UNNAS_{data}_{task}' for data in ('IMAGENET', 'IMAGENET22K', 'CITYSCAPES')
         for task in ('SEG' if data == 'CITYSCAPES' else 'CLS', 'ROT', 'COL', 'JIG')]
ZOO = ['DARTS_V1', 'DARTS_V2', 'PDARTS', 'PCDARTS_C10', 'PCDARTS_IN1K'] + UNNAS


def test_zoo_has_the_released_cells():
    assert sorted(GENOTYPES) == sorted(ZOO)
    # Spot checks against the papers' figures: DARTS_V2's last normal node, the ImageNet
    # rotation cell's all-sep_conv_3x3 normal cell (UnNAS supp. Fig. 1).
    assert GENOTYPES['DARTS_V2']['normal'][-1] == ['dil_conv_3x3', 2]
    assert {op for op, _ in GENOTYPES['UNNAS_IMAGENET_ROT']['normal']} == {'sep_conv_3x3'}
    assert check_genotype('darts_v2') == GENOTYPES['DARTS_V2']
    # The released ImageNet widths match FLOPs per cell (DARTS_V2 keeps DARTS's 48).
    assert eval_size('DARTS_V2', 'imagenet') == dict(channels=48, num_cells=14)
    assert {EVAL_SIZES[n]['imagenet']['channels'] for n in UNNAS} == {42, 44, 46, 54}
    assert eval_size('UNNAS_CITYSCAPES_COL', 'cityscapes') == dict(channels=86, num_cells=12)
    with pytest.raises(ConfigError, match='no released'):
        eval_size('PDARTS', 'imagenet')


@pytest.mark.parametrize('name', ZOO)
def test_zoo_cell_builds_its_eval_network_and_trains_a_step(name):
    size = EVAL_SIZES[name].get('imagenet', dict(channels=48, num_cells=14))
    full = DARTSNet(name, **size)
    params = sum(p.numel() for p in full.parameters())
    # The mobile setting of DARTS's ImageNet table: under 6 M parameters without the head.
    assert 2e6 < params < 6e6, params
    net = DARTSNet(name, channels=8, num_cells=5)
    optim = torch.optim.SGD(net.parameters(), lr=0.1)
    before = [p.detach().clone() for p in net.parameters()]
    out, = net(torch.randn(2, 3, 64, 64))
    assert out.shape == (2, 4 * 32, 2, 2)
    nn.functional.mse_loss(out, torch.zeros_like(out)).backward()
    optim.step()
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_released_samples_with_none_and_repeated_inputs_load():
    # Sample 00004 of the released CIFAR-10 DARTS samples: `none` edges, and nodes that read
    # one state twice.
    sample = dict(
        normal=[['avg_pool_3x3', 1], ['sep_conv_3x3', 1], ['sep_conv_5x5', 1],
                ['dil_conv_5x5', 1], ['none', 0], ['dil_conv_3x3', 2], ['dil_conv_3x3', 2],
                ['sep_conv_3x3', 1]],
        normal_concat=[2, 3, 4, 5],
        reduce=[['sep_conv_3x3', 0], ['dil_conv_3x3', 0], ['skip_connect', 0],
                ['dil_conv_3x3', 0], ['none', 1], ['dil_conv_5x5', 1], ['dil_conv_3x3', 4],
                ['skip_connect', 4]],
        reduce_concat=[2, 3, 4, 5])
    assert check_genotype(sample) == sample
    net = DARTSNet(sample, channels=4, num_cells=3, stem='cifar')
    out, = net(torch.randn(2, 3, 16, 16))
    assert out.shape == (2, 4 * 16, 4, 4)


def test_samples_are_valid_reproducible_and_drawn_as_released():
    draws = [sample_genotype(random.Random(7)) for _ in range(2)]
    assert draws[0] == draws[1]
    rng = random.Random(0)
    ops, inputs = Counter(), Counter()
    repeated = nodes = 0
    for _ in range(400):
        genotype = sample_genotype(rng)
        assert check_genotype(genotype) == genotype
        for cell in ('normal', 'reduce'):
            pairs = genotype[cell]
            assert len(pairs) == 8 and genotype[f'{cell}_concat'] == [2, 3, 4, 5]
            for node in range(4):
                (_, a), (_, b) = pairs[2 * node:2 * node + 2]
                repeated += a == b
                nodes += 1
                inputs[(node, a)] += 1
                inputs[(node, b)] += 1
            ops.update(op for op, _ in pairs)
    # All eight operations, `none` included, about equally often (6400 draws: 800 each).
    assert set(ops) == set(PRIMITIVES)
    assert all(650 < n < 950 for n in ops.values()), ops
    # Independent inputs repeat with probability mean(1 / (i + 2)) = 0.32, as in the
    # released samples (0.323); distinct inputs would never repeat.
    assert 0.28 < repeated / nodes < 0.36
    assert set(inputs) == {(node, j) for node in range(4) for j in range(node + 2)}


def test_sample_builds_a_network():
    net = DARTSNet(sample_genotype(random.Random(1)), channels=4, num_cells=3, stem='cifar')
    out, = net(torch.randn(2, 3, 16, 16))
    assert out.shape == (2, 4 * 16, 4, 4)


def test_sampling_options():
    genotype = sample_genotype(random.Random(0), primitives=('none', 'skip_connect'),
                               num_nodes=3, multiplier=2)
    assert {op for op, _ in genotype['normal'] + genotype['reduce']} <= {'none', 'skip_connect'}
    assert genotype['normal_concat'] == [3, 4] and len(genotype['reduce']) == 6
    with pytest.raises(ConfigError, match='no operation besides "none"'):
        sample_genotype(random.Random(0), primitives=('none', ))
