import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmnas.cost import count_complexity
from mmnas.models.ops import DepthwiseConv2d, depthwise_conv2d
from mmnas.models.ops import depthwise
from mmnas.models.ops.depthwise import _column_blocks


@pytest.fixture
def blocked_at_any_size(monkeypatch):
    """The blocked weight gradient for the tests' small maps too."""
    monkeypatch.setattr(depthwise, 'MIN_BLOCKED_NUMEL', 0)


@pytest.mark.parametrize('kernel_width', [3, 5, 7, 9, 11])
def test_column_blocks_cover_the_kernel_with_the_fewest_blocks(kernel_width):
    padding = kernel_width // 2
    starts = list(_column_blocks(kernel_width, padding))
    covered = {j0 + j for j0 in starts for j in range(3)}
    assert covered >= set(range(kernel_width))
    assert len(starts) == math.ceil(kernel_width / 3)
    if kernel_width in (3, 7, 9):
        # padding - 1 is the block that reads the input as it is (no copy)
        assert padding - 1 in starts


@pytest.mark.parametrize('channels_last', [True, False])
@pytest.mark.parametrize('kernel, stride, size, multiplier, bias', [
    (5, 1, (9, 11), 1, False),
    (7, 1, (8, 16), 1, True),
    (7, 2, (9, 13), 1, False),
    (5, 2, (6, 7), 2, True),
    (7, 1, (5, 2), 1, False),   # narrower than the kernel: blocks reading only padding
    (9, 1, (12, 3), 1, True),
])
def test_gradients_equal_the_stock_convolution(kernel, stride, size, multiplier, bias,
                                               channels_last, blocked_at_any_size):
    torch.manual_seed(0)
    channels = 6
    x = torch.randn(2, channels, *size)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    x.requires_grad_()
    weight = torch.randn(channels * multiplier, 1, kernel, kernel, requires_grad=True)
    b = torch.randn(channels * multiplier, requires_grad=True) if bias else None
    padding = (kernel // 2, kernel // 2)

    out = depthwise_conv2d(x, weight, b, (stride, stride), padding)
    assert out.grad_fn is not None and 'DepthwiseConv2d' in type(out.grad_fn).__name__
    expected = F.conv2d(x, weight, b, stride, padding, 1, channels)
    torch.testing.assert_close(out, expected)
    grad_out = torch.randn_like(out)
    inputs = (x, weight) + ((b, ) if bias else ())
    grads = torch.autograd.grad(out, inputs, grad_out)
    reference = torch.autograd.grad(expected, inputs, grad_out)
    for got, want in zip(grads, reference):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


def test_blocked_weight_gradient_passes_gradcheck(blocked_at_any_size):
    x = torch.randn(1, 3, 6, 7, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(3, 1, 5, 5, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, w, b: depthwise_conv2d(x, w, b, (2, 2), (2, 2)), (x, weight, bias))


def test_stock_convolution_where_the_fast_kernel_already_runs(blocked_at_any_size):
    x = torch.randn(1, 4, 6, 6)
    narrow = torch.randn(4, 1, 3, 3, requires_grad=True)
    assert type(depthwise_conv2d(x, narrow, None, (1, 1), (1, 1)).grad_fn).__name__ == \
        'ConvolutionBackward0'
    wide = torch.randn(4, 1, 7, 7, requires_grad=True)
    with torch.no_grad():
        assert depthwise_conv2d(x, wide, None, (1, 1), (3, 3)).grad_fn is None
    assert type(depthwise_conv2d(x, wide, None, (1, 1), (2, 2)).grad_fn).__name__ == \
        'ConvolutionBackward0'  # not "same" padding: the blocks would not line up


def test_small_maps_keep_the_stock_gradient():
    weight = torch.randn(4, 1, 7, 7, requires_grad=True)
    small = torch.randn(1, 4, 8, 8)
    assert small.numel() < depthwise.MIN_BLOCKED_NUMEL
    assert type(depthwise_conv2d(small, weight, None, (1, 1), (3, 3)).grad_fn).__name__ == \
        'ConvolutionBackward0'
    large = torch.randn(1, 4, 256, 256)
    assert large.numel() >= depthwise.MIN_BLOCKED_NUMEL
    assert 'DepthwiseConv2d' in type(
        depthwise_conv2d(large, weight, None, (1, 1), (3, 3)).grad_fn).__name__


def test_module_is_a_conv2d_with_the_same_parameters_and_costs(blocked_at_any_size):
    torch.manual_seed(0)
    module = DepthwiseConv2d(8, 7, stride=2, padding=3, bias=False)
    stock = nn.Conv2d(8, 8, 7, 2, 3, groups=8, bias=False)
    stock.load_state_dict(module.state_dict())
    assert isinstance(module, nn.Conv2d) and module.groups == 8
    x = torch.randn(2, 8, 16, 16)
    torch.testing.assert_close(module(x), stock(x))
    module(x).sum().backward()
    stock(x).sum().backward()
    torch.testing.assert_close(module.weight.grad, stock.weight.grad, rtol=1e-4, atol=1e-4)
    assert count_complexity(module, (8, 16, 16)) == count_complexity(stock, (8, 16, 16))
