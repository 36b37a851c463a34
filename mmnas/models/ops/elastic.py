"""Elastic layers: one set of weights, any smaller layer of the same kind sliced out of it.

Weight sharing as BigNAS and once-for-all do it (BigNAS supp. §C): a smaller layer uses the
lower-index output and input channels and, for a smaller kernel, the centre ``k×k`` of the
largest kernel. :func:`elastic_slice` is the one place where that rule is written; the
layers below call it on every forward (a view, no copy, then the plain ``F.conv2d`` /
``F.batch_norm`` / ``F.linear`` of a static layer of that shape), and
:func:`slice_state_dict` calls it to cut a child's weights out of a supernet.

Input channels follow the input tensor; output channels and the kernel are the layer's
current choice (``active_*`` attributes, read back with :attr:`current_choice`).
"""
from typing import Dict, Mapping, Optional, Sequence

import torch
import torch.distributed as dist
import torch.distributed.nn.functional as dist_nn
import torch.nn.functional as F
from torch import Tensor, nn

from .depthwise import depthwise_conv2d


def elastic_slice(t: Tensor, shape: Sequence[int], kernel_dims: Sequence[int] = ()) -> Tensor:
    """The part of ``t`` that a layer of ``shape`` shares with it: the first ``shape[d]``
    entries along every dimension, except the centre ones along ``kernel_dims``.

    Returns a view of ``t`` (``t`` itself when the shapes are equal).

    Raises:
        ValueError: ``shape`` is larger than ``t`` or a kernel size has the wrong parity.
    """
    if tuple(t.shape) == tuple(shape):
        return t
    if len(shape) != t.dim():
        raise ValueError(f'elastic_slice: cannot cut shape {tuple(shape)} out of '
                         f'{tuple(t.shape)}')
    index = []
    for d, (have, want) in enumerate(zip(t.shape, shape)):
        if want > have:
            raise ValueError(f'elastic_slice: cannot cut shape {tuple(shape)} out of '
                             f'{tuple(t.shape)}')
        if d in kernel_dims:
            if (have - want) % 2:
                raise ValueError(f'elastic_slice: no centred {want} out of a kernel of {have}')
            start = (have - want) // 2
            index.append(slice(start, start + want))
        else:
            index.append(slice(0, want))
    return t[tuple(index)]


def slice_state_dict(source: Mapping[str, Tensor],
                     target: Mapping[str, Tensor]) -> Dict[str, Tensor]:
    """Cut every tensor of ``target`` (a child's state dict, for its names and shapes) out
    of the same-named tensor of ``source`` (the supernet's), by :func:`elastic_slice`.

    4-D tensors are convolution weights: their last two dimensions are the kernel. Keys of
    ``source`` that ``target`` lacks (blocks cut by depth) are dropped.

    Returns:
        A new state dict of contiguous copies (never sharing storage with ``source``).

    Raises:
        KeyError: ``target`` has a tensor that ``source`` lacks.
    """
    out = {}
    for key, ref in target.items():
        if key not in source:
            raise KeyError(f'slice_state_dict: the supernet has no tensor {key!r}')
        kernel = (2, 3) if ref.dim() == 4 else ()
        out[key] = elastic_slice(source[key], ref.shape, kernel).clone().contiguous()
    return out


class ElasticConv2d(nn.Conv2d):
    """A dense or depthwise convolution whose output channels and kernel size are elastic.

    The module holds the largest layer, weight ``(C_out_max, C_in_max / g, K_max, K_max)``.
    With ``active_out_channels = C_out`` and ``active_kernel_size = k`` it computes the
    convolution of ``weight[:C_out, :C_in, c:c+k, c:c+k]`` (``c = (K_max - k) / 2``) with
    "same" padding, where ``C_in`` is the channel count of the input.

    Shapes: ``(N, C_in, H, W) → (N, C_out, H / stride, W / stride)``; for a depthwise
    layer (``depthwise=True``) ``C_out = C_in``.

    Args:
        in_channels: largest input channels.
        out_channels: largest output channels (= ``in_channels`` when depthwise).
        kernel_size: largest (odd) kernel size.
        stride: stride.
        depthwise: one filter per channel (``groups = channels``).
        bias: learn a bias.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 depthwise: bool = False, bias: bool = False) -> None:
        if kernel_size % 2 == 0:
            raise ValueError(f'ElasticConv2d: kernel_size must be odd, got {kernel_size}')
        if depthwise and in_channels != out_channels:
            raise ValueError('ElasticConv2d: a depthwise layer has as many outputs as inputs, '
                             f'got {in_channels} and {out_channels}')
        super().__init__(in_channels, out_channels, kernel_size, stride, kernel_size // 2,
                         groups=in_channels if depthwise else 1, bias=bias)
        self.depthwise = depthwise
        self.active_out_channels = out_channels
        self.active_kernel_size = kernel_size

    @property
    def current_choice(self) -> dict:
        return dict(out_channels=self.active_out_channels, kernel_size=self.active_kernel_size)

    def set_choice(self, out_channels: Optional[int] = None,
                   kernel_size: Optional[int] = None) -> None:
        """Choose the output channels and/or kernel size (``None`` keeps the current one)."""
        if out_channels is not None:
            if not 0 < out_channels <= self.out_channels:
                raise ValueError(f'ElasticConv2d: out_channels {out_channels} outside '
                                 f'[1, {self.out_channels}]')
            self.active_out_channels = out_channels
        if kernel_size is not None:
            k = self.kernel_size[0]
            if not (0 < kernel_size <= k and (k - kernel_size) % 2 == 0):
                raise ValueError(f'ElasticConv2d: kernel_size {kernel_size} is not a centred '
                                 f'part of {k}')
            self.active_kernel_size = kernel_size

    def forward(self, x: Tensor) -> Tensor:
        c_in, k = x.shape[1], self.active_kernel_size
        if self.depthwise:
            weight = elastic_slice(self.weight, (c_in, 1, k, k), (2, 3))
            bias = None if self.bias is None else self.bias[:c_in]
            return depthwise_conv2d(x, weight, bias, self.stride, (k // 2, k // 2))
        weight = elastic_slice(self.weight, (self.active_out_channels, c_in, k, k), (2, 3))
        bias = None if self.bias is None else self.bias[:self.active_out_channels]
        return F.conv2d(x, weight, bias, self.stride, k // 2, self.dilation, 1)


class ElasticBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm over the first ``C`` of its ``num_features`` channels, ``C`` taken from the
    input. Running statistics are updated in place on those channels only.

    With ``sync=True`` in a multi-process run, training-mode statistics are those of the
    batches of all processes together (synchronized BN, as BigNAS trains): every process
    all-reduces the per-channel sums of its slice (``Σx``, ``Σx²`` and the element count, one
    collective, differentiable), so any child's width is synchronized; mmengine's
    ``sync_bn`` would instead swap the layer for a fixed-width ``SyncBatchNorm``.

    Shapes: ``(N, C, H, W) → (N, C, H, W)``, ``C ≤ num_features``.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 sync: bool = False):
        super().__init__(num_features, eps=eps, momentum=momentum)
        self.active_num_features = num_features
        self.sync = sync

    @property
    def current_choice(self) -> dict:
        """The channels of the last input (BN follows the layer before it)."""
        return dict(num_features=self.active_num_features)

    def forward(self, x: Tensor) -> Tensor:
        c = x.shape[1]
        if c > self.num_features:
            raise ValueError(f'ElasticBatchNorm2d: input has {c} channels, at most '
                             f'{self.num_features} allowed')
        self.active_num_features = c
        # As nn.BatchNorm2d.forward: momentum None means a cumulative average.
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        use_batch_stats = self.training or self.running_mean is None
        if use_batch_stats and self.sync and dist.is_available() and dist.is_initialized() \
                and dist.get_world_size() > 1:
            return self._synchronized(x, c, factor)
        return F.batch_norm(
            x, None if self.running_mean is None else self.running_mean[:c],
            None if self.running_var is None else self.running_var[:c], self.weight[:c],
            self.bias[:c], use_batch_stats, factor, self.eps)

    def _synchronized(self, x: Tensor, c: int, factor: float) -> Tensor:
        """Normalise with the statistics of every process's batch (``x`` of ``C = c``)."""
        count = x.new_tensor([x.numel() / c])
        stats = torch.cat([x.sum((0, 2, 3)), (x * x).sum((0, 2, 3)), count])
        stats = dist_nn.all_reduce(stats)
        n = stats[-1]
        mean = stats[:c] / n
        var = (stats[c:2 * c] / n - mean * mean).clamp_min(0)
        if self.training and self.track_running_stats:
            with torch.no_grad():
                unbiased = var * (n / (n - 1).clamp_min(1))
                self.running_mean[:c].mul_(1 - factor).add_(mean.detach(), alpha=factor)
                self.running_var[:c].mul_(1 - factor).add_(unbiased.detach(), alpha=factor)
        scale = self.weight[:c] * torch.rsqrt(var + self.eps)
        shift = self.bias[:c] - mean * scale
        return x * scale.view(1, c, 1, 1) + shift.view(1, c, 1, 1)


class ElasticLinear(nn.Linear):
    """A linear layer whose input features follow the input and whose output features are
    elastic: ``y = x W[:F_out, :F_in]ᵀ + b[:F_out]``.

    Shapes: ``(N, F_in) → (N, F_out)``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__(in_features, out_features, bias=bias)
        self.active_out_features = out_features

    @property
    def current_choice(self) -> dict:
        return dict(out_features=self.active_out_features)

    def set_choice(self, out_features: int) -> None:
        if not 0 < out_features <= self.out_features:
            raise ValueError(f'ElasticLinear: out_features {out_features} outside '
                             f'[1, {self.out_features}]')
        self.active_out_features = out_features

    def forward(self, x: Tensor) -> Tensor:
        weight = elastic_slice(self.weight, (self.active_out_features, x.shape[-1]))
        bias = None if self.bias is None else self.bias[:self.active_out_features]
        return F.linear(x, weight, bias)


def pad_channels(x: Tensor, channels: int) -> Tensor:
    """Zero-pad ``(N, C, H, W)`` to ``(N, channels, H, W)``.

    What a layer with ``channels`` inputs computes on the padded map equals what its
    lower-index slice computes on ``x``, so a consumer built for the largest width (a stock
    head) serves every child unchanged.
    """
    if x.shape[1] == channels:
        return x
    return F.pad(x, (0, 0, 0, 0, 0, channels - x.shape[1]))
