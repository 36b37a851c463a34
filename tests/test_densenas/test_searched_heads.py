"""Searched connection heads (DenseNAS supp. A.2, the released supernet): a mixed operation
with its own α per connection, sampled in the weight step, re-balanced in the architecture
step, derived by argmax on the Viterbi path and costed in the chained estimation."""
import copy

import pytest
import torch
import torch.nn.functional as F

from .densenas_paths import all_paths, path_prob
from .test_arch_updater import SEED_OPTIM, batch, classifier

from mmnas.densenas import DenseNASArchUpdater, DenseNASCostModel, DenseNASRouted
from mmnas.engine import ArchWeightOptimWrapperConstructor

HEADS = ('ir_k3_e3', 'ir_k5_e3', 'ir_k3_e1')


@pytest.fixture
def head_space(tiny_space):
    return dict(tiny_space, head_op=HEADS)


def randomise(net, seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.arch_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * scale)


def test_every_connection_but_the_ending_ones_has_a_head_alpha(head_space):
    net = DenseNASRouted(head_space)
    ending = len(net.nodes) - 1
    assert net.head_edges == [e for e in net.edges if e[1] != ending]
    assert [a.numel() for a in net.head_alphas] == [3] * len(net.head_edges)
    names = {n for n, _ in net.named_arch_parameters()}
    assert {f'head_alphas.{k}' for k in range(len(net.head_edges))} <= names


def test_a_weight_step_touches_only_the_sampled_head_operations(head_space):
    torch.manual_seed(0)
    net = DenseNASRouted(head_space)
    weights = [p for n, p in net.named_parameters() if 'alphas' not in n and 'betas' not in n]
    opt = torch.optim.SGD(weights, lr=0.1, momentum=0.9)
    for p in net.arch_parameters():
        p.requires_grad_(False)
    x = torch.randn(2, 3, 32, 32)
    for step in range(3):
        net.sample_ops(1)
        active = net.active_head_ops
        assert len(active) == len(net.head_edges) and all(len(o) == 1 for o in active)
        before = copy.deepcopy(net.state_dict())
        opt.zero_grad()
        net(x)[0].pow(2).mean().backward()
        opt.step()
        after = net.state_dict()
        for (i, j), ops in zip(net.head_edges, active):
            for o in range(len(HEADS)):
                prefix = f'blocks.{j - 1}.heads.{i}.ops.{o}.'
                keys = [n for n in after if n.startswith(prefix)]
                moved = any(not torch.equal(before[n], after[n]) for n in keys)
                assert keys and moved == (o == ops[0]), (step, prefix)


def test_architecture_step_rebalances_the_head_alphas(head_space):
    torch.manual_seed(0)
    model = classifier(head_space)
    backbone = model.backbone
    randomise(backbone, 1)
    optim = ArchWeightOptimWrapperConstructor(SEED_OPTIM)(model)
    updater = DenseNASArchUpdater(cost_cfg=dict(input_shape=(3, 32, 32)))
    drawn = []
    sample_ops = backbone.sample_ops

    def recorded(num):
        out = sample_ops(num)
        drawn[:] = backbone.active_head_ops
        return out

    backbone.sample_ops = recorded
    moved = 0
    for step in range(2):
        old = [a.detach().clone() for a in backbone.head_alphas]
        updater.step(model, batch(step), None, optim)
        assert backbone.active_head_ops is None
        for before, after, ops in zip(old, backbone.head_alphas, drawn):
            assert len(set(ops)) == 2
            unsampled = [o for o in range(len(HEADS)) if o not in ops]
            p0, p1 = F.softmax(before, 0), F.softmax(after.detach(), 0)
            torch.testing.assert_close(p1[unsampled], p0[unsampled], rtol=1e-5, atol=0)
            torch.testing.assert_close(p1[ops].sum(), p0[ops].sum(), rtol=1e-5, atol=0)
            moved += not torch.allclose(p1[ops], p0[ops])
    assert moved > len(drawn) // 2


def test_derivation_takes_the_argmax_head_on_the_viterbi_path(head_space):
    net = DenseNASRouted(head_space, norm_cfg=dict(type='BN'))
    net.init_weights()
    randomise(net, 5, scale=2.0)
    spec = net.export_arch()
    path = spec.meta['derived']['path']
    probs = {e: float(p) for e, p in net.transition_probs().items()}
    assert path == max(all_paths(len(net.nodes), probs), key=lambda p: path_prob(p, probs))
    for b, (i, j) in enumerate(zip(path, path[1:])):
        if (i, j) in net.head_edges:
            alpha = net.head_alphas[net.head_edges.index((i, j))]
            assert spec.backbone['blocks'][b]['ops'][0] == HEADS[int(alpha.argmax())]
    derived, (_, weights) = spec.build(), net.export()
    derived.load_state_dict(weights)
    net.eval()
    derived.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(net.forward_derived(x)[0], derived(x)[0])


def test_chained_cost_counts_the_heads_over_the_sampled_or_all_operations(head_space):
    net = DenseNASRouted(head_space)
    randomise(net, 2)
    sampled = DenseNASCostModel(net, (3, 32, 32))
    full = DenseNASCostModel(net, (3, 32, 32), sampled.table, expectation='all')

    def enumerate_paths(heads):
        own = [float(c) for c in sampled.own_costs(net)]
        probs = {e: float(p) for e, p in net.transition_probs().items()}
        return sum(path_prob(path, probs) * (sum(own[b] for b in path) + sum(
            float(heads[e]) for e in zip(path, path[1:])))
            for path in all_paths(len(net.nodes), probs))

    # Nothing sampled: both are the expectation over every candidate.
    heads = {e: (F.softmax(net.head_alphas[net.head_edges.index(e)].detach(), 0)
                 @ sampled.heads[e] if e in net.head_edges else sampled.heads[e])
             for e in net.edges}
    assert float(sampled(net)) == pytest.approx(enumerate_paths(heads), rel=1e-5)
    assert float(full(net)) == pytest.approx(float(sampled(net)), rel=1e-6)
    # A sampled pair: the released expectation over the pair, renormalised.
    net.sample_ops(2)
    for e, ops in zip(net.head_edges, net.active_head_ops):
        alpha = net.head_alphas[net.head_edges.index(e)].detach()
        heads[e] = F.softmax(alpha[ops], 0) @ sampled.heads[e][ops]
    assert float(sampled(net)) == pytest.approx(enumerate_paths(heads), rel=1e-5)
    assert float(full(net)) != pytest.approx(float(sampled(net)), rel=1e-6)
    cost = sampled(net)
    cost.backward()
    for alpha, ops in zip(net.head_alphas, net.active_head_ops):
        unsampled = [o for o in range(len(HEADS)) if o not in ops]
        assert alpha.grad[unsampled].abs().max() == 0 and alpha.grad[ops].abs().max() > 0
