"""Depthwise convolutions whose weight gradient runs on oneDNN's fast kernel for every size.

On an AVX2 CPU (no AVX-512), oneDNN computes the weight gradient of a depthwise convolution
with its depthwise kernel only while the kernel is at most 3 wide; a wider one falls back to
its generic grouped kernel. For 1080 channels at 64×128, batch 2 (the HR-NAS head), a 7×7
weight gradient takes 250 ms that way against 25 ms for a 7×3 one, and the HR-NAS supernet
spent about a sixth of its training step there. A k×k kernel's weight gradient is a sum over
its columns, so it is computed here three columns at a time, each block a k×3 depthwise
weight gradient (the fast kernel) on the input columns it reads. The forward pass and the
input gradient are the stock convolution's; on other devices the whole convolution is the
stock one.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: Inputs smaller than this (elements) keep the stock weight gradient: there the blocks' extra
#: calls and copies cost about what the generic kernel wastes (forward + backward on the
#: 2-core AVX2 development machine: 0.88–1.09× the stock time at 0.15 M elements, 2× on
#: tiny maps, 0.43–0.94× from 0.3 M elements up).
MIN_BLOCKED_NUMEL = 1 << 18


def _column_blocks(kernel_width: int, padding: int) -> Sequence[int]:
    """First kernel columns ``j0`` of the 3-wide blocks covering the kernel's columns
    ``[0, kernel_width)``. Blocks are aligned so that one reads the input as it is (``j0 =
    padding - 1``) when that costs no extra block; the others read a shifted copy."""
    plain = range(0, kernel_width, 3)
    residue = (padding - 1) % 3
    aligned = range(residue - 3 if residue else 0, kernel_width, 3)
    return aligned if len(aligned) == len(plain) else plain


def _width_window(x: Tensor, start: int, width: int, out: Optional[Tensor] = None) -> Tensor:
    """``out[..., u] = x[..., start + u]`` for ``u`` in ``[0, width)``, zero where ``start +
    u`` is outside ``x``: ``(N, C, H, width)`` in the memory format of ``x``, written into
    ``out`` when given (a window of the same shape, reused to spare a fresh allocation)."""
    if out is None:
        channels_last = (x.is_contiguous(memory_format=torch.channels_last)
                         and not x.is_contiguous())
        out = torch.empty((*x.shape[:3], width), dtype=x.dtype, device=x.device,
                          memory_format=torch.channels_last if channels_last else
                          torch.contiguous_format)
    lo, hi = min(max(0, -start), width), max(min(width, x.shape[3] - start), 0)
    out[..., :lo] = 0
    out[..., max(lo, hi):] = 0
    if lo < hi:
        out[..., lo:hi] = x[..., start + lo:start + hi]
    return out


def depthwise_weight_grad(grad_out: Tensor, x: Tensor, weight_shape: Sequence[int],
                          stride: Tuple[int, int], padding: Tuple[int, int]) -> Tensor:
    """∂L/∂W of ``conv2d(x, W, stride, padding, groups=C_in)``, 3 kernel columns at a time.

    Args:
        grad_out: ∂L/∂y, ``(N, C_out, H_out, W_out)``.
        x: the input, ``(N, C_in, H, W)``.
        weight_shape: ``(C_out, 1, k_h, k_w)`` with ``k_w`` odd and ``padding[1] =
            (k_w - 1) / 2``, so that every k×3 block has the same output size.
        stride, padding: of the convolution.

    Returns:
        ``(C_out, 1, k_h, k_w)``.
    """
    c_out, _, k_h, k_w = weight_shape
    grad = grad_out.new_zeros(weight_shape)
    block_weight = grad_out.new_zeros((c_out, 1, k_h, 3))
    window = None
    # The input columns one k×3 block reads, from its first one (padded input) on.
    width = stride[1] * (grad_out.shape[3] - 1) + 3
    for j0 in _column_blocks(k_w, padding[1]):
        start = j0 - padding[1]
        if start == -1 and width == x.shape[3] + 2:
            block_x, block_padding = x, (padding[0], 1)  # the input padded by 1: no copy
        else:
            window = _width_window(x, start, width, window)
            block_x, block_padding = window, (padding[0], 0)
        block = torch.ops.aten.convolution_backward(
            grad_out, block_x, block_weight, None, stride, block_padding, (1, 1), False,
            (0, 0), x.shape[1], (False, True, False))[1]
        lo, hi = max(j0, 0), min(j0 + 3, k_w)
        grad[..., lo:hi] = block[..., lo - j0:hi - j0]
    return grad


class _DepthwiseConv2dFunction(torch.autograd.Function):
    """The stock depthwise convolution, with :func:`depthwise_weight_grad` for ∂L/∂W."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Optional[Tensor],
                stride: Tuple[int, int], padding: Tuple[int, int]) -> Tensor:
        ctx.save_for_backward(x, weight)
        ctx.stride, ctx.padding = stride, padding
        return F.conv2d(x, weight, bias, stride, padding, 1, x.shape[1])

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        x, weight = ctx.saved_tensors
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad[:3]
        grad_x = grad_weight = grad_bias = None
        if needs_x:
            grad_x = torch.ops.aten.convolution_backward(
                grad_out, x, weight, None, ctx.stride, ctx.padding, (1, 1), False, (0, 0),
                x.shape[1], (True, False, False))[0]
        if needs_weight:
            grad_weight = depthwise_weight_grad(grad_out, x, weight.shape, ctx.stride,
                                                ctx.padding)
        if needs_bias:
            grad_bias = grad_out.sum((0, 2, 3))
        return grad_x, grad_weight, grad_bias, None, None


def depthwise_conv2d(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None,
                     stride: Tuple[int, int] = (1, 1),
                     padding: Tuple[int, int] = (0, 0)) -> Tensor:
    """``F.conv2d(x, weight, bias, stride, padding, groups=C_in)`` for a depthwise ``weight``
    ``(C_out, 1, k_h, k_w)``; ``(N, C_in, H, W) → (N, C_out, H_out, W_out)``.

    A CPU convolution that needs its weight gradient, whose kernel is wider than oneDNN's
    fast depthwise weight gradient takes (3) and whose input has at least
    :data:`MIN_BLOCKED_NUMEL` elements computes it in 3-wide blocks; anything else (other
    devices, no gradient, tracing, even kernels, small maps) is ``F.conv2d`` itself.
    """
    k_w = weight.shape[3]
    blocked = (k_w > 3 and k_w % 2 == 1 and padding[1] == k_w // 2 and weight.shape[1] == 1
               and x.device.type == 'cpu' and weight.requires_grad and torch.is_grad_enabled()
               and x.numel() >= MIN_BLOCKED_NUMEL and not torch.jit.is_tracing())
    if blocked:
        return _DepthwiseConv2dFunction.apply(x, weight, bias, tuple(stride), tuple(padding))
    return F.conv2d(x, weight, bias, stride, padding, 1, x.shape[1])


class DepthwiseConv2d(nn.Conv2d):
    """``nn.Conv2d`` with ``groups = in_channels`` (same arguments, same parameters and
    checkpoints) that trains through :func:`depthwise_conv2d`.

    Args:
        channels: C_in.
        kernel_size, stride, padding, bias: as ``nn.Conv2d``.
        out_channels: C_out, a multiple of C_in (default C_in).
    """

    def __init__(self, channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 bias: bool = True, out_channels: Optional[int] = None, **kwargs) -> None:
        super().__init__(channels, out_channels or channels, kernel_size, stride, padding,
                         groups=channels, bias=bias, **kwargs)

    def _conv_forward(self, x: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
        if (self.padding_mode != 'zeros' or self.dilation != (1, 1)
                or isinstance(self.padding, str)):
            return super()._conv_forward(x, weight, bias)
        return depthwise_conv2d(x, weight, bias, self.stride, self.padding)
