"""sample_genotype: uniform draws from the DARTS space that build, reproducibly."""
import random
from collections import Counter

import pytest
import torch

from mmnas.unnas import PRIMITIVES, DARTSNet, check_genotype, sample_genotype
from mmnas.utils.config_check import ConfigError


def test_samples_are_valid_reproducible_and_cover_the_space():
    draws = [sample_genotype(random.Random(7)) for _ in range(2)]
    assert draws[0] == draws[1]
    rng = random.Random(0)
    ops, inputs = Counter(), Counter()
    for _ in range(200):
        genotype = sample_genotype(rng)
        assert check_genotype(genotype) == genotype
        for cell in ('normal', 'reduce'):
            pairs = genotype[cell]
            assert len(pairs) == 8 and genotype[f'{cell}_concat'] == [2, 3, 4, 5]
            for node in range(4):
                (_, a), (_, b) = pairs[2 * node:2 * node + 2]
                assert a != b  # two distinct incoming edges, as a derivation keeps
                inputs[(node, a)] += 1
                inputs[(node, b)] += 1
            ops.update(op for op, _ in pairs)
    assert set(ops) == set(PRIMITIVES) - {'none'}
    # Every earlier state feeds every node at some point (node i has i + 2 of them).
    assert set(inputs) == {(node, j) for node in range(4) for j in range(node + 2)}


def test_sample_builds_a_network():
    net = DARTSNet(sample_genotype(random.Random(1)), channels=4, num_cells=3, stem='cifar')
    out, = net(torch.randn(2, 3, 16, 16))
    assert out.shape == (2, 4 * 16, 4, 4)


def test_sampling_options():
    genotype = sample_genotype(random.Random(0), primitives=('none', 'skip_connect'),
                               num_nodes=3, multiplier=2)
    assert {op for op, _ in genotype['normal'] + genotype['reduce']} == {'skip_connect'}
    assert genotype['normal_concat'] == [3, 4] and len(genotype['reduce']) == 6
    with pytest.raises(ConfigError, match='no operation besides "none"'):
        sample_genotype(random.Random(0), primitives=('none', ))
