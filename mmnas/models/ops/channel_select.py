"""Physical channel selection: new, smaller layers holding a subset of a layer's weights.

The one place where weights are cut. HR-NAS removes pruned channels with it (arbitrary
indices), BigNAS exports a child with it (the first channels and the centre of the kernel).
Every function returns a new module whose tensors are copies, so the result never shares
storage with the supernet it came from; a :class:`ParamSlice` records how each cut parameter
maps to its replacement, for whatever held the old one (the optimizer's state).
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import torch
from torch import Tensor, nn

from .depthwise import DepthwiseConv2d


def _take(t: Optional[Tensor], dim: int, idx: Optional[Tensor]) -> Optional[Tensor]:
    if t is None or idx is None:
        return t
    return t.index_select(dim, idx.to(t.device))


def select_conv2d(conv: nn.Conv2d,
                  out_idx: Optional[Tensor] = None,
                  in_idx: Optional[Tensor] = None,
                  kernel_size: Optional[int] = None) -> nn.Conv2d:
    """A copy of ``conv`` restricted to some channels and, optionally, a centred kernel.

    Args:
        conv: a dense (``groups == 1``) or depthwise (``groups == in == out``) convolution.
        out_idx: output channels to keep (long tensor), all if ``None``.
        in_idx: input channels to keep, all if ``None``. For a depthwise convolution the
            kept channels are ``out_idx`` and ``in_idx`` must be ``None`` or equal to it.
        kernel_size: keep the centre ``k×k`` of the kernel (BigNAS's kernel sharing).

    Returns:
        nn.Conv2d with weight ``(len(out_idx), len(in_idx) / groups, k, k)``; a
        :class:`DepthwiseConv2d` for a depthwise one.
    """
    depthwise = conv.groups > 1
    if depthwise:
        if conv.groups != conv.in_channels or conv.groups != conv.out_channels:
            raise ValueError(f'select_conv2d: grouped {conv} is neither dense nor depthwise')
        if in_idx is not None and (out_idx is None or not torch.equal(in_idx, out_idx)):
            raise ValueError('select_conv2d: a depthwise convolution keeps the same input and '
                             'output channels')
    weight = _take(conv.weight.detach(), 0, out_idx)
    if not depthwise:
        weight = _take(weight, 1, in_idx)
    k = conv.kernel_size[0]
    if kernel_size is not None and kernel_size != k:
        if kernel_size > k or (k - kernel_size) % 2:
            raise ValueError(f'select_conv2d: cannot take a centred {kernel_size}x'
                             f'{kernel_size} kernel out of {k}x{k}')
        start = (k - kernel_size) // 2
        weight = weight[:, :, start:start + kernel_size, start:start + kernel_size]
        k = kernel_size
    out_channels = weight.shape[0]
    in_channels = out_channels if depthwise else weight.shape[1]
    dilation = conv.dilation[0]
    common = dict(stride=conv.stride,
                  padding=dilation * (k - 1) // 2 if kernel_size is not None else conv.padding,
                  dilation=conv.dilation, bias=conv.bias is not None,
                  padding_mode=conv.padding_mode, device=weight.device, dtype=weight.dtype)
    if depthwise:
        new = DepthwiseConv2d(out_channels, k, **common)
    else:
        new = nn.Conv2d(in_channels, out_channels, k, **common)
    new.weight.data.copy_(weight)
    if conv.bias is not None:
        new.bias.data.copy_(_take(conv.bias.detach(), 0, out_idx))
    new.train(conv.training)
    new.weight.requires_grad_(conv.weight.requires_grad)
    return new


def select_batchnorm(bn: nn.modules.batchnorm._BatchNorm, idx: Tensor) -> nn.Module:
    """A copy of ``bn`` (any BatchNorm, incl. SyncBatchNorm) over the channels ``idx``."""
    new = type(bn)(len(idx), eps=bn.eps, momentum=bn.momentum, affine=bn.affine,
                   track_running_stats=bn.track_running_stats)
    new.to(device=idx.device if bn.running_mean is None else bn.running_mean.device)
    if bn.affine:
        new.weight.data.copy_(_take(bn.weight.detach(), 0, idx))
        new.bias.data.copy_(_take(bn.bias.detach(), 0, idx))
    if bn.track_running_stats:
        new.running_mean.copy_(_take(bn.running_mean, 0, idx))
        new.running_var.copy_(_take(bn.running_var, 0, idx))
        new.num_batches_tracked.copy_(bn.num_batches_tracked)
    new.train(bn.training)
    return new


def select_linear(linear: nn.Linear,
                  out_idx: Optional[Tensor] = None,
                  in_idx: Optional[Tensor] = None) -> nn.Linear:
    """A copy of ``linear`` with weight ``(len(out_idx), len(in_idx))``."""
    weight = _take(_take(linear.weight.detach(), 0, out_idx), 1, in_idx)
    new = nn.Linear(weight.shape[1], weight.shape[0], bias=linear.bias is not None,
                    device=weight.device, dtype=weight.dtype)
    new.weight.data.copy_(weight)
    if linear.bias is not None:
        new.bias.data.copy_(_take(linear.bias.detach(), 0, out_idx))
    new.train(linear.training)
    return new


@dataclass
class ParamSlice:
    """A parameter replaced by a selection of its entries.

    Attributes:
        old: the parameter before the cut.
        new: the parameter that replaces it, or ``None`` when it was removed with its module.
        index: ``(dim, kept indices)`` pairs, applied in order, that turn ``old`` into ``new``.
    """
    old: nn.Parameter
    new: Optional[nn.Parameter]
    index: Tuple[Tuple[int, Tensor], ...] = ()

    def apply(self, t: Tensor) -> Tensor:
        """The same selection applied to a tensor shaped like ``old`` (e.g. its Adam moment)."""
        for dim, idx in self.index:
            t = t.index_select(dim, idx.to(t.device))
        return t
