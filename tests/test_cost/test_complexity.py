import pytest
import torch
from mmengine.model.utils import revert_sync_batchnorm
from torch import nn

from mmnas.cost import count_complexity, module_flops, sdpa_flop_jit
from mmnas.cost.complexity import structure_key


def test_convolutions_are_counted_as_multiply_adds():
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False),
                        nn.Conv2d(8, 8, 5, padding=2, groups=8, bias=False))
    cost = count_complexity(net, (3, 16, 16))
    assert cost['flops'] == 16 * 16 * (3 * 8 * 9 + 8 * 25)
    assert cost['params'] == 3 * 8 * 9 + 8 * 25
    assert cost['input_shape'] == [3, 16, 16]


def test_attention_products_are_counted():
    class Attention(nn.Module):

        def forward(self, x):
            q = x.flatten(2).transpose(1, 2)  # (N, L=HW, d=C)
            return nn.functional.scaled_dot_product_attention(q, q, q)

    net = nn.Sequential(nn.Conv2d(3, 4, 1, bias=False), Attention())
    length, dim = 6 * 6, 4
    cost = count_complexity(net, (3, 6, 6))
    assert cost['flops'] == length * 3 * 4 + length * length * (dim + dim)


def test_counting_leaves_the_model_and_its_statistics_untouched():
    net = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4)).train()
    before = net[1].running_mean.clone()
    count_complexity(net, (3, 8, 8))
    assert net.training
    torch.testing.assert_close(net[1].running_mean, before)


def _traced(net, shape):
    """A fresh trace by mmengine's analyzer, as the counter did before it kept counts."""
    from mmengine.analysis import FlopAnalyzer
    net.eval()
    with torch.no_grad():
        analyzer = FlopAnalyzer(net, (torch.randn(1, *shape), ))
        analyzer.set_op_handle('aten::scaled_dot_product_attention', sdpa_flop_jit)
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        return int(analyzer.total()), dict(analyzer.by_module())


def test_kept_counts_equal_a_fresh_trace_and_follow_changes():
    def build():
        return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                             nn.Conv2d(8, 4, 3, padding=1), nn.Upsample(scale_factor=2))

    net, shape = build(), (3, 12, 16)
    total, by_module = _traced(net, shape)
    assert count_complexity(net, shape)['flops'] == total
    assert module_flops(build(), shape) == by_module  # same structure, kept count
    assert count_complexity(build(), shape)['flops'] == total
    # Every change of structure is counted anew: a width, a stride, an attribute, an input.
    net[3] = nn.Conv2d(8, 6, 3, padding=1)
    assert count_complexity(net, shape)['flops'] == _traced(net, shape)[0] != total
    net[0].stride = (2, 2)
    assert count_complexity(net, shape)['flops'] == _traced(net, shape)[0]
    net[4].scale_factor = 4.0
    assert count_complexity(net, shape)['flops'] == _traced(net, shape)[0]
    assert count_complexity(net, (3, 8, 8))['flops'] == _traced(net, (3, 8, 8))[0]
    # Weights are no part of a count.
    key = structure_key(net, shape)
    with torch.no_grad():
        net[0].weight.add_(1.0)
    assert structure_key(net, shape) == key


def test_two_builds_of_a_network_with_hooks_share_their_count():
    """torch numbers every hook handle process-wide, so two builds of a network that
    registers hooks hold them under different keys; the count is kept for both."""

    class Scaled(nn.Conv2d):

        def __init__(self):
            super().__init__(3, 4, 1)
            self._register_load_state_dict_pre_hook(self._renamed)
            self.register_forward_hook(Scaled._halved)

        def _renamed(self, state_dict, prefix, *args):
            # An older checkpoint's name for the weight.
            if prefix + 'kernel' in state_dict:
                state_dict[prefix + 'weight'] = state_dict.pop(prefix + 'kernel')

        @staticmethod
        def _halved(module, inputs, output):
            return output / 2

    a, b = Scaled(), Scaled()
    a.load_state_dict({'kernel': b.weight.detach(), 'bias': b.bias.detach()})
    assert torch.equal(a.weight, b.weight)
    assert list(a._forward_hooks) != list(b._forward_hooks)
    assert structure_key(a, (3, 8, 8)) == structure_key(b, (3, 8, 8))
    # A different forward hook is a different structure.
    b._forward_hooks.clear()
    b.register_forward_hook(lambda module, inputs, output: output.repeat(1, 2, 1, 1))
    assert structure_key(a, (3, 8, 8)) != structure_key(b, (3, 8, 8))


class _Backbone(nn.Module):
    """conv → BN → optional ``extra`` child; ``(N, 3, H, W) → (N, 8, H/2, W/2)``."""

    not_structure = ('_recipe', )

    def __init__(self, recipe=None, extra=True, sync_bn=False):
        super().__init__()
        self._recipe = recipe  # how it was asked for: read here only
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.norm = (nn.SyncBatchNorm if sync_bn else nn.BatchNorm2d)(8)
        self.extra = nn.Conv2d(8, 8, 1) if extra else None

    def forward(self, x):
        x = self.norm(self.conv(x))
        return x if self.extra is None else self.extra(x)


class _WithHead(nn.Module):
    """``_Backbone`` → 3×3 conv head, called as ``head(backbone(x))``."""

    def __init__(self):
        super().__init__()
        self.backbone = _Backbone()
        self.head = nn.Conv2d(8, 2, 3, padding=1)

    def forward(self, x):
        return self.head(self.backbone(x))


def test_a_submodule_is_counted_in_its_networks_trace_and_kept(flop_traces):
    net, shape = _WithHead(), (3, 12, 16)
    cost = count_complexity(net, shape, submodules=('backbone', ))
    part = cost.pop('submodules')['backbone']
    assert cost == dict(flops=_traced(net, shape)[0],
                        params=sum(p.numel() for p in net.parameters()), input_shape=[3, 12, 16])
    flops, by_module = _traced(_Backbone(), shape)
    assert part == dict(flops=flops, params=sum(p.numel() for p in net.backbone.parameters()),
                        input_shape=[3, 12, 16])
    # The part's counts are its own: the part, or a build alike, on that input is not traced.
    assert module_flops(net.backbone, shape) == by_module
    assert count_complexity(_Backbone(), shape) == part
    assert flop_traces == [('_WithHead', shape)]
    # Its network's counts were kept before the part's input was recorded: traced again.
    count_complexity(net, (3, 8, 8))
    count_complexity(net, (3, 8, 8), submodules=('backbone', ))
    assert flop_traces == [('_WithHead', shape), ('_WithHead', (3, 8, 8)),
                           ('_WithHead', (3, 8, 8))]


def test_a_submodule_not_called_once_on_the_image_has_no_count_of_its_own():
    class Twice(nn.Module):

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 3, 1)

        def forward(self, x):
            return self.conv(self.conv(x))

    with pytest.raises(ValueError, match='conv of Twice was not called exactly once'):
        count_complexity(Twice(), (3, 8, 8), submodules=('conv', ))


def test_what_does_not_change_the_cost_shares_a_key(flop_traces):
    shape = (3, 8, 8)
    plain = _Backbone()
    key = structure_key(plain, shape)
    # The SyncBN of a fresh build is keyed as the BatchNormXd a runner reverts it to.
    synced = _Backbone(sync_bn=True)
    assert structure_key(synced, shape) != key
    assert structure_key(revert_sync_batchnorm(synced), shape) == \
        structure_key(revert_sync_batchnorm(_Backbone(sync_bn=True)), shape) == \
        structure_key(_Backbone(sync_bn=True), shape)
    # An attribute the class names in not_structure.
    assert structure_key(_Backbone(recipe=dict(width=8)), shape) == key
    # A child cut to None and a build without it.
    cut = _Backbone()
    cut.extra = None
    assert structure_key(cut, shape) == structure_key(_Backbone(extra=False), shape) != key

    # A method hook counts by its function and its owner's state, not the owner's address.
    class Gate:

        def __init__(self, factor):
            self.factor = factor

        def scale(self, module, inputs, output):
            return output * self.factor

    def gated(factor):
        net = _Backbone()
        net.conv.register_forward_hook(Gate(factor).scale)
        return net

    assert structure_key(gated(2), shape) == structure_key(gated(2), shape) != key
    assert structure_key(gated(2), shape) != structure_key(gated(3), shape)
    # Counted alike: one trace for the SyncBN build and the reverted one, at a fresh trace's
    # count.
    reverted = revert_sync_batchnorm(_Backbone(sync_bn=True))
    assert count_complexity(_Backbone(sync_bn=True), shape) == \
        count_complexity(reverted, shape)
    assert count_complexity(reverted, shape)['flops'] == _traced(reverted, shape)[0]
    assert len(flop_traces) == 1
