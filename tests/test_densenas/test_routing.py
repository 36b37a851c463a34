"""Viterbi, chained cost and re-balancing against brute force on small graphs."""
import itertools

import pytest
import torch

from .densenas_paths import all_paths, path_prob, random_graph

from mmnas.densenas import chained_cost, local_cost, rebalance_alpha, viterbi


@pytest.mark.parametrize('seed', range(20))
def test_viterbi_finds_the_most_probable_path(seed):
    g = torch.Generator().manual_seed(seed)
    num_nodes = 4 + seed % 7
    probs = random_graph(num_nodes, 1 + seed % 4, g)
    paths = all_paths(num_nodes, probs)
    best = max(paths, key=lambda p: float(path_prob(p, probs)))
    found = viterbi(num_nodes, {e: float(p) for e, p in probs.items()})
    assert found[0] == 0 and found[-1] == num_nodes - 1
    assert float(path_prob(found, probs)) == pytest.approx(float(path_prob(best, probs)),
                                                           rel=1e-12)


def test_viterbi_needs_every_block_reachable():
    with pytest.raises(ValueError, match='block 2 has no incoming edge'):
        viterbi(3, {(0, 1): 1.0})


@pytest.mark.parametrize('seed', range(10))
def test_chained_cost_is_the_expectation_over_paths(seed):
    g = torch.Generator().manual_seed(seed)
    num_nodes = 5 + seed % 5
    probs = random_graph(num_nodes, 2 + seed % 3, g)
    own = torch.rand(num_nodes, generator=g, dtype=torch.float64) * 10
    heads = {e: float(torch.rand((), generator=g, dtype=torch.float64)) for e in probs}
    expected = sum(
        path_prob(path, probs) * (sum(own[b] for b in path)
                                  + sum(heads[e] for e in zip(path, path[1:])))
        for path in all_paths(num_nodes, probs))
    chained = chained_cost(list(own), {e: (probs[e], heads[e]) for e in probs})
    torch.testing.assert_close(chained, expected, rtol=1e-12, atol=0)
    local = local_cost(list(own), {e: (probs[e], heads[e]) for e in probs})
    torch.testing.assert_close(local, own.sum() + sum(probs[e] * heads[e] for e in probs))
    assert local > chained


@pytest.mark.parametrize('sampled', [[0, 3], [2, 5], [6, 1]])
def test_rebalancing_keeps_every_unsampled_probability(sampled):
    g = torch.Generator().manual_seed(sum(sampled))
    before = torch.randn(7, generator=g, dtype=torch.float64)
    after = before + torch.randn(7, generator=g, dtype=torch.float64)  # an optimiser moved all
    idx = torch.tensor(sampled)
    out = rebalance_alpha(before, after, idx)
    p_before, p_out = torch.softmax(before, 0), torch.softmax(out, 0)
    unsampled = [o for o in range(7) if o not in sampled]
    torch.testing.assert_close(p_out[unsampled], p_before[unsampled], rtol=1e-14, atol=0)
    torch.testing.assert_close(out[unsampled], before[unsampled], rtol=0, atol=0)
    # The sampled pair keeps its total mass but takes the update's ratio between them.
    torch.testing.assert_close(p_out[idx].sum(), p_before[idx].sum(), rtol=1e-14, atol=0)
    torch.testing.assert_close(out[sampled[0]] - out[sampled[1]],
                               after[sampled[0]] - after[sampled[1]], rtol=1e-14, atol=1e-14)
    assert not torch.allclose(p_out[idx], p_before[idx])


def test_all_paths_helper_counts_a_full_dag():
    probs = {(i, j): 1.0 for i, j in itertools.combinations(range(5), 2)}
    assert len(all_paths(5, probs)) == 2 ** 3
