"""Progressive shrinking cuts channels physically: the cut network equals an independently
built smaller one, FLOPs fall by what the plan says, and optimizer / EMA state follow."""
import pytest
import torch
from mmengine.model import ExponentialMovingAverage
from torch import nn

from mmnas.cost import count_complexity
from mmnas.engine.utils import refresh_averaged_model, replace_optimizer_params
from mmnas.hrnas import (HRNASSuperNet, LightweightTransformer, SearchingBlock, apply_plan,
                         l1_penalty, penalty_weights, plan_for_arch, plan_shrink, scale_groups)

SHAPE = (3, 64, 48)


def tiny_supernet(**kwargs) -> HRNASSuperNet:
    cfg = dict(stem_channels=8, expand_ratio=2,
               stages=[dict(blocks=(1, ), channels=(8, )), dict(blocks=(1, 1), channels=(8, 16)),
                       dict(blocks=(1, 1, 1), channels=(8, 16, 24))],
               out_indices=(0, 1, 2),
               context=dict(type='LightweightTransformer', proj_size=4))
    cfg.update(kwargs)
    return HRNASSuperNet(**cfg)


def randomise_norms(net: nn.Module) -> None:
    """Non-trivial BN statistics and shifts, so that folding errors would show."""
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.bias.data.uniform_(-0.5, 0.5)


def test_cut_block_equals_a_smaller_block_and_keeps_the_eval_output():
    torch.manual_seed(0)
    block = SearchingBlock(8, 8, 1, (3, 5, 7), (6, 6, 6))
    randomise_norms(block)
    keep = [torch.tensor([0, 2, 3, 5]), torch.tensor([], dtype=torch.long), torch.arange(6)]
    block.branches[0].dw_norm.weight.data[[1, 4]] = 0
    block.branches[1].dw_norm.weight.data[:] = 0
    block.eval()
    x = torch.randn(2, 8, 12, 10)
    with torch.no_grad():
        before = block(x)
    dw7 = block.branches[2].dw_conv.weight.detach().clone()

    slices = block.prune(keep)

    assert block.kernel_sizes == [3, 7] and block.hidden_channels == [4, 6]
    assert block.branches[0].expand_conv.weight.shape == (4, 8, 1, 1)
    assert block.branches[0].project_conv.weight.shape == (8, 4, 1, 1)
    torch.testing.assert_close(block.branches[1].dw_conv.weight, dw7)
    assert sum(s.new is None for s in slices) == 7  # every parameter of the 5x5 branch
    with torch.no_grad():
        torch.testing.assert_close(block(x), before, atol=1e-5, rtol=1e-5)

    static = SearchingBlock(8, 8, 1, (3, 7), (4, 6)).eval()
    static.load_state_dict(block.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(static(x), block(x))


def test_block_with_no_channel_left_is_its_residual():
    block = SearchingBlock(8, 16, 2, (3, 5), (4, 4)).eval()
    block.prune([torch.tensor([], dtype=torch.long)] * 2)
    x = torch.randn(1, 8, 8, 8)
    assert block.num_hidden == 0 and len(block.branches) == 0 and block.out_norm is None
    torch.testing.assert_close(block(x), block.residual(x))


def test_cut_transformer_equals_a_transformer_with_fewer_tokens():
    torch.manual_seed(0)
    full = LightweightTransformer(12, num_tokens=8, proj_size=4).eval()
    randomise_norms(full)
    keep = torch.tensor([0, 3, 4, 7, 6])
    full.prune(keep)
    static = LightweightTransformer(12, num_tokens=5, proj_size=4).eval()
    static.load_state_dict(full.state_dict())
    x = torch.randn(2, 12, 9, 7)
    assert full.input_proj.out_channels == 5 and full.queries.shape == (5, 16)
    with torch.no_grad():
        torch.testing.assert_close(full(x), static(x))
    spatial = LightweightTransformer(12, tokens='spatial', proj_size=4)
    with pytest.raises(ValueError, match='spatial tokens'):
        spatial.prune(keep)


def test_penalty_weights_are_flops_shares_normalised_to_mean_one():
    net = tiny_supernet()
    groups = scale_groups(net, SHAPE)
    weights = penalty_weights(groups, net)
    p = torch.cat([w for _, w in weights])
    assert p.numel() == sum(g.size for g in groups)
    assert p.mean().item() == pytest.approx(1.0, rel=1e-5)
    first = [g for g in groups if g.block == 'stages.0.branches.0.0']
    kernel_costs = [g.cost for g in first if g.kind == 'kernel']
    assert kernel_costs == sorted(kernel_costs) and kernel_costs[0] < kernel_costs[-1]
    assert any(g.kind == 'tokens' for g in first)
    expected = sum((w * gamma.abs()).sum() for gamma, w in weights)
    torch.testing.assert_close(l1_penalty(weights), expected)


def test_shrink_plan_cuts_what_vanished_and_saves_the_flops_it_says():
    torch.manual_seed(0)
    net = tiny_supernet().eval()
    randomise_norms(net)
    groups = scale_groups(net, SHAPE)
    for i, g in enumerate(groups):
        gamma = net.get_submodule(g.norm).weight.data
        if g.kind == 'kernel' and i % 3 == 0:
            gamma[:] = 0  # a whole kernel branch vanishes
        elif g.kind == 'kernel' and i % 3 == 1:
            gamma[:2] = 1e-4  # two channels of another one
        elif g.kind == 'tokens' and i % 2:
            gamma[:] = 0  # a whole transformer
    before = count_complexity(net, SHAPE)

    plan, saved = plan_shrink(groups, [net], threshold=1e-3)
    apply_plan(net, plan)

    after = count_complexity(net, SHAPE)
    assert plan and after['flops'] < before['flops'] and after['params'] < before['params']
    # kernels and removed transformers are counted exactly; nothing else changed
    assert before['flops'] - after['flops'] == pytest.approx(saved, rel=1e-6)
    arch = net.export_arch()
    assert any(v.get('num_tokens') == 0 for v in arch.backbone['arch'].values())
    assert any(0 in v['hidden_channels'] for v in arch.backbone['arch'].values())
    rebuilt = arch.build().eval()
    rebuilt.load_state_dict(net.state_dict())
    assert count_complexity(rebuilt, SHAPE) == after
    x = torch.randn(1, *SHAPE)
    with torch.no_grad():
        for a, b in zip(net(x), rebuilt(x)):
            torch.testing.assert_close(a, b)


def test_ema_copy_and_spatial_tokens_keep_what_is_alive_anywhere():
    torch.manual_seed(0)
    net = tiny_supernet(context=dict(type='LightweightTransformer', proj_size=4,
                                     tokens='spatial'))
    ema = ExponentialMovingAverage(net)
    groups = scale_groups(net, SHAPE)
    kernel = next(g for g in groups if g.kind == 'kernel')
    tokens = [g for g in groups if g.kind == 'tokens']
    for model in (net, ema.module):
        model.get_submodule(kernel.norm).weight.data[:] = 0
        model.get_submodule(tokens[0].norm).weight.data[:-1] = 0  # one token left: keep all
        model.get_submodule(tokens[1].norm).weight.data[:] = 0
    ema.module.get_submodule(kernel.norm).weight.data[0] = 0.5  # alive in the EMA

    plan, _ = plan_shrink(groups, [net, ema.module], threshold=1e-3)

    assert plan[kernel.block]['kernels'][kernel.index].tolist() == [0]
    assert tokens[0].block not in plan or 'tokens' not in plan[tokens[0].block]
    assert len(plan[tokens[1].block]['tokens']) == 0
    apply_plan(net, plan)
    apply_plan(ema.module, plan)
    refresh_averaged_model(ema)
    ema.update_parameters(net)
    assert net.get_submodule(tokens[1].block).context is None
    assert set(ema.avg_parameters) == set(dict(net.named_parameters()))


def test_optimizer_state_is_cut_like_its_parameters():
    torch.manual_seed(0)
    net = tiny_supernet(context=None)
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3)
    sum(o.square().mean() for o in net(torch.randn(2, *SHAPE))).backward()
    optimizer.step()
    groups = scale_groups(net, SHAPE)
    g = groups[1]
    net.get_submodule(g.norm).weight.data[1:] = 0
    old = net.get_submodule(g.norm).weight
    old_state = {k: v.clone() for k, v in optimizer.state[old].items()}
    n_params = len(optimizer.param_groups[0]['params'])

    plan, _ = plan_shrink(groups, [net], threshold=1e-3)
    slices = apply_plan(net, plan)
    replace_optimizer_params(optimizer, slices)

    new = net.get_submodule(g.norm).weight
    params = optimizer.param_groups[0]['params']
    assert len(params) == n_params and any(p is new for p in params)
    assert not any(p is old for p in params) and old not in optimizer.state
    assert new.shape == (1, )
    torch.testing.assert_close(optimizer.state[new]['exp_avg'], old_state['exp_avg'][:1])
    torch.testing.assert_close(optimizer.state[new]['exp_avg_sq'], old_state['exp_avg_sq'][:1])
    sum(o.square().mean() for o in net(torch.randn(2, *SHAPE))).backward()
    optimizer.step()  # the optimizer runs on the cut network


def test_plan_for_arch_gives_a_fresh_supernet_the_shape_of_a_cut_one():
    torch.manual_seed(0)
    cut = tiny_supernet()
    groups = scale_groups(cut, SHAPE)
    for g in groups[::2]:
        cut.get_submodule(g.norm).weight.data[:-1] = 0
    apply_plan(cut, plan_shrink(groups, [cut], 1e-3)[0])
    arch = cut.export_arch().backbone['arch']

    fresh = tiny_supernet()
    apply_plan(fresh, plan_for_arch(fresh, arch))

    assert fresh.export_arch().backbone['arch'] == arch
    fresh.load_state_dict(cut.state_dict())
    assert plan_for_arch(fresh, arch) == {}
    with pytest.raises(ValueError, match='cannot be cut'):
        plan_for_arch(cut, tiny_supernet().export_arch().backbone['arch'])


def test_marginal_token_prices_add_up_to_the_transformer():
    """The released token price: removing the tokens one by one, from n₀ down to none, is
    priced at exactly the transformer's FLOPs, and the last tokens are the cheapest."""
    from mmnas.hrnas import ScaleGroup
    from mmnas.hrnas.shrinking import marginal_token_cost
    group = ScaleGroup('b', 'tokens', 0, 'b.context.token_norm', 8, cost=5e4)
    prices = [marginal_token_cost(group, n, 64) for n in range(8, 0, -1)]
    assert sum(prices) == pytest.approx(group.cost * group.size)
    assert prices == sorted(prices, reverse=True)


def test_hook_prices_at_224_unless_told_otherwise():
    from mmnas.hrnas import ProgressiveShrinkHook
    assert ProgressiveShrinkHook(1.0, input_shape=(3, 64, 128)).price_shape == (3, 224, 224)
    assert ProgressiveShrinkHook(1.0, input_shape=(3, 64, 128),
                                 price_size=None).price_shape == (3, 64, 128)
