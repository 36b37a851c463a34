import torch
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
