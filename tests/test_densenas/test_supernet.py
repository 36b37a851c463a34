"""DenseNASRouted: dropping-path sampling, derivation by Viterbi, the cost model."""
import copy

import pytest
import torch
from .densenas_paths import all_paths, path_prob

from mmnas.cost import CostTable, count_complexity
from mmnas.densenas import DenseNASCostModel, DenseNASRouted, count_paths
from mmnas.utils.config_check import ConfigError


def randomise_arch(net, seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.arch_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * scale)


def test_connections_follow_stage_and_resolution_rules(tiny_space):
    net = DenseNASRouted(tiny_space)
    assert net.out_edges == [[1, 2], [2, 3], [3, 4], [4, 5], [5], []]
    assert count_paths(net.out_edges) == 8 == len(all_paths(6, {e: 1.0 for e in net.edges}))
    assert [p.numel() for p in net.betas] == [2, 2, 2, 2, 1]
    assert len(net.alphas) == 5 and {p.numel() for p in net.alphas} == {3}
    names = dict(net.named_arch_parameters())
    assert set(names) == {f'alphas.{k}' for k in range(5)} | {f'betas.{i}' for i in range(5)}
    probs = net.transition_probs()
    for i, outs in enumerate(net.out_edges[:-1]):
        torch.testing.assert_close(sum(probs[(i, j)] for j in outs), torch.tensor(1.0))


@pytest.mark.parametrize('change, message', [
    (dict(blocks=[dict(channels=8, stride=2, stage=1, num_layers=0),
                  dict(channels=8, stride=8, stage=2, num_layers=0)]),
     'block 2 .* has no incoming connection'),
    (dict(candidate_ops=('ir_k4',)), "operation 'ir_k4'"),
    (dict(blocks=[dict(channels=8, stride=3, stage=1, num_layers=0)]), 'stride 3'),
    (dict(blocks=[dict(channels=8, stride=2, num_layers=0)]), r'search_space.blocks\[0\]'),
    (dict(typo=1), 'unknown keys'),
])
def test_bad_spaces_are_named(tiny_space, change, message):
    with pytest.raises(ConfigError, match=message):
        DenseNASRouted(dict(tiny_space, **change))


def test_a_weight_step_touches_only_the_sampled_operations(tiny_space):
    torch.manual_seed(0)
    net = DenseNASRouted(tiny_space)
    weights = [p for n, p in net.named_parameters() if not n.startswith(('alphas', 'betas'))]
    opt = torch.optim.SGD(weights, lr=0.1, momentum=0.9, weight_decay=4e-5)
    x = torch.randn(2, 3, 32, 32)
    for p in net.arch_parameters():  # as BilevelTrainLoop freezes them in a weight step
        p.requires_grad_(False)
    for step in range(3):
        active = net.sample_ops(1)
        before = copy.deepcopy(net.state_dict())
        opt.zero_grad()
        net(x)[0].pow(2).mean().backward()
        opt.step()
        after = net.state_dict()
        for k, ((j, layer), ops) in enumerate(zip(net.layer_index, active)):
            assert len(ops) == 1
            for o in range(len(net.candidate_ops)):
                prefix = f'blocks.{j - 1}.layers.{layer}.ops.{o}.'
                keys = [n for n in after if n.startswith(prefix)]
                moved = any(not torch.equal(before[n], after[n]) for n in keys)
                # Parameters and BN statistics of an unsampled candidate stay bit-identical
                # (momentum included); a sampled one that has weights moves.
                assert moved == (o == ops[0] and bool(keys)), (step, prefix)
        assert all(p.grad is None for p in net.arch_parameters())


def test_architecture_sampling_draws_distinct_pairs(tiny_space):
    net = DenseNASRouted(tiny_space)
    for _ in range(10):
        for ops in net.sample_ops(2):
            assert len(ops) == 2 and len(set(ops)) == 2
    net(torch.randn(2, 3, 16, 16))[0].mean().backward()
    for alpha, ops in zip(net.alphas, net.active_ops):
        unsampled = [o for o in range(3) if o not in ops]
        assert alpha.grad[unsampled].abs().max() == 0
    assert all(beta.grad is not None for beta in net.betas)


def test_derived_network_is_the_supernet_restricted_to_the_viterbi_path(tiny_space):
    net = DenseNASRouted(tiny_space, norm_cfg=dict(type='BN'))
    net.init_weights()
    randomise_arch(net, 3, scale=2.0)
    probs = {e: float(p) for e, p in net.transition_probs().items()}
    best = max(all_paths(len(net.nodes), probs), key=lambda p: path_prob(p, probs))
    spec = net.export_arch()
    assert spec.meta['derived']['path'] == best
    assert spec.method == 'densenas' and spec.backbone['type'] == 'mmnas.DenseNASNet'
    derived, (_, weights) = spec.build(), net.export()
    derived.load_state_dict(weights)
    net.eval()
    derived.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(net.forward_derived(x)[0], derived(x)[0])


def test_derivation_uses_softmax_beta_without_temperature_unless_asked(tiny_space):
    """The released derivation runs Viterbi over softmax(β); ``derive_with_temperature``
    over the search's softmax(β / T). Architectures where the two disagree exist and each
    setting picks its own brute-force best path."""
    space = dict(tiny_space, temperature=0.3)
    released = DenseNASRouted(space, init_cfg=None)
    tempered = DenseNASRouted(space, derive_with_temperature=True, init_cfg=None)
    disagreements = 0
    for seed in range(40):
        randomise_arch(released, seed)
        tempered.load_state_dict(released.state_dict())
        best = {}
        for name, temperature in (('released', 1.0), ('tempered', 0.3)):
            probs = {e: float(p) for e, p in released.transition_probs(temperature).items()}
            best[name] = max(all_paths(len(released.nodes), probs),
                             key=lambda p: path_prob(p, probs))
        assert released.derive()['path'] == best['released']
        assert tempered.derive()['path'] == best['tempered']
        disagreements += best['released'] != best['tempered']
    assert disagreements > 0


def test_chained_cost_equals_enumeration_over_the_supernets_paths(tiny_space):
    net = DenseNASRouted(tiny_space)
    randomise_arch(net, 0)
    model = DenseNASCostModel(net, (3, 32, 32))
    assert model.table.metric == 'flops'
    own = [float(c) for c in model.own_costs(net)]
    probs = {e: float(p) for e, p in net.transition_probs().items()}
    expected = sum(
        path_prob(path, probs) * (sum(own[b] for b in path)
                                  + sum(model.heads[e] for e in zip(path, path[1:])))
        for path in all_paths(len(net.nodes), probs))
    assert float(model(net)) == pytest.approx(expected, rel=1e-5)
    local = DenseNASCostModel(net, (3, 32, 32), model.table, estimation='local')
    assert float(local(net)) > float(model(net))
    # The classifier (ending width 24 → 10 classes: 240 multiply-adds) on every path, as the
    # released search counts it.
    with_fc = DenseNASCostModel(net, (3, 32, 32), num_classes=10)
    expected_fc = sum(
        path_prob(path, probs) * (sum(own[b] for b in path)
                                  + sum(model.heads[e] for e in zip(path, path[1:])) + 240e-6)
        for path in all_paths(len(net.nodes), probs))
    assert float(with_fc(net)) == pytest.approx(expected_fc, rel=1e-6)
    assert float(with_fc(net)) != pytest.approx(expected, rel=1e-6)
    # Differentiable in α and β.
    model(net).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.arch_parameters()
               if p.numel() > 1)


def test_counting_the_classifier_keeps_the_global_random_stream(tiny_space):
    """The cost model is built at the first architecture step, which a resumed search does
    not repeat: making its classifier must not draw from the global stream."""
    net = DenseNASRouted(tiny_space)
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    DenseNASCostModel(net, (3, 32, 32), num_classes=10)
    assert torch.equal(torch.rand(3), expected)


def test_cost_of_a_decided_architecture_is_the_derived_networks_flops(tiny_space):
    """With α and β near one-hot, the expected FLOPs are those mmengine counts on the
    derived network."""
    net = DenseNASRouted(tiny_space, norm_cfg=dict(type='BN'))
    randomise_arch(net, 1, scale=40.0)
    model = DenseNASCostModel(net, (3, 32, 32))
    derived = count_complexity(net.export_arch().build(), (3, 32, 32))['flops'] / 1e6
    assert float(model(net)) == pytest.approx(derived, rel=1e-4)


def test_a_cost_table_from_another_space_is_reported(tiny_space, tmp_path):
    net = DenseNASRouted(tiny_space)
    path = tmp_path / 'table.json'
    CostTable('latency', {'ir_k3_e3|8x16x16|8|s1': 0.1}).dump(str(path))
    with pytest.raises(ConfigError, match='has no entry'):
        DenseNASCostModel(net, (3, 32, 32), str(path))
    with pytest.raises(ConfigError, match='does not exist'):
        DenseNASCostModel(net, (3, 32, 32), str(tmp_path / 'missing.json'))


def test_skip_cost_regularisation_prices_skip_at_a_fraction_of_the_first_candidate(tiny_space):
    """The released ResNet search's skip_reg: skip costs a tenth of the layer's first op."""
    net = DenseNASRouted(tiny_space)
    plain = DenseNASCostModel(net, (3, 32, 32))
    reg = DenseNASCostModel(net, (3, 32, 32), plain.table, skip_cost=0.1)
    skip = net.candidate_ops.index('skip')
    for free, priced in zip(plain.layers, reg.layers):
        assert float(free[skip]) == 0
        assert float(priced[skip]) == pytest.approx(0.1 * float(priced[0]))
        torch.testing.assert_close(free[:skip], priced[:skip])
    assert float(reg(net)) > float(plain(net))
    with pytest.raises(ConfigError, match='skip_cost=2'):
        DenseNASCostModel(net, (3, 32, 32), plain.table, skip_cost=2)


def test_connection_counts_per_stage(tiny_space):
    """max_connections as the released adjoin_connect_nums: one count per source stage."""
    uniform = DenseNASRouted(dict(tiny_space, max_connections=[3, 3, 3]))
    assert uniform.out_edges == DenseNASRouted(tiny_space).out_edges
    staged = DenseNASRouted(dict(tiny_space, max_connections=[1, 2, 1]))
    assert staged.out_edges == [[1], [2, 3], [3, 4], [4], [5], []]
    with pytest.raises(ConfigError, match='has 2 entries'):
        DenseNASRouted(dict(tiny_space, max_connections=[3, 3]))
