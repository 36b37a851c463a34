"""The deploy form of a searched HR-NAS block: the same network as a :class:`SearchingBlock`
with the kernel branches laid side by side, so that a searched network runs as fast as its
FLOPs allow.

A searched block keeps a few hidden channels per kernel; run branch by branch that is three
thin expansions, three thin projections and an addition per block, each too small to keep a
CPU busy. Concatenating the branches' hidden channels gives the same function with one
expansion and one projection; BN is per channel, so one BN over the concatenated channels is
the branches' BNs side by side (in training too), and the projection of the concatenation
is the sum of the branch projections. In eval mode the BNs are folded into the
convolutions from their current weights and statistics (exact, never stale): without
gradients the folded weights are kept until any of the weights or statistics they come from
changes (a training step, a loaded checkpoint, a move to another device or dtype), so that
inference runs only the convolutions, activations and the concatenation; with gradients they
are folded on every call, so that the gradients reach the block's own weights.

Checkpoints of either form load strictly into both: each block converts the other form's
tensors on loading (concatenated or split along the hidden channels, exactly).
"""
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import Tensor, nn

from mmnas.models.layers import build_inplace_activation
from mmnas.models.ops import FoldedWeights, fold_batchnorm, folds_batchnorm
from mmnas.utils.config_check import ConfigError
from .context import LightweightTransformer
from .searching_block import FUSED_LAYERS, build_shortcut


class FusedSearchingBlock(nn.Module):
    """A searched :class:`SearchingBlock` in deploy form. For the kernels ``k`` kept with
    ``h_k > 0`` hidden channels (``H = Σ h_k``) and input ``(N, C_in, H_in, W_in)``::

        z   = act(BN_e(W_e x))                      (N, H, H_in, W_in), W_e = [W_e,k]_k
        d   = act(BN_dw([DW_k(z_k)]_k))             (N, H, H_in/s, W_in/s), z_k: kernel k's slice
        out = BN_out(W_p d) + residual(x)           (N, C_out, H_in/s, W_in/s), W_p = [W_p,k]_k

    which equals ``BN_out(Σ_k branch_k(x)) + residual(x)`` of the plain block; a block with
    no kernel left is its residual (or context path). Arguments as :class:`SearchingBlock`.
    In eval mode with batch norms, the three BNs are folded into ``W_e``, ``DW_k`` and
    ``W_p`` (biases added).

    The block cannot be shrunk (it has no per-kernel BN of its own to search); the
    progressive shrinking search runs on :class:`SearchingBlock`.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 kernel_sizes: Sequence[int] = (3, 5, 7),
                 hidden_channels: Sequence[int] = (0, 0, 0),
                 context: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU')) -> None:
        super().__init__()
        if len(kernel_sizes) != len(hidden_channels):
            raise ConfigError(f'FusedSearchingBlock: {len(kernel_sizes)} kernel sizes but '
                              f'{len(hidden_channels)} hidden widths')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride
        kept = [(int(k), int(h)) for k, h in zip(kernel_sizes, hidden_channels) if h > 0]
        self._kernels = [k for k, _ in kept]
        self._hidden = [h for _, h in kept]
        total = sum(self._hidden)
        if kept:
            self.expand_conv = nn.Conv2d(in_channels, total, 1, bias=False)
            self.expand_norm = build_norm_layer(norm_cfg, total)[1]
            self.dw_convs = nn.ModuleList(
                nn.Conv2d(h, h, k, stride, k // 2, groups=h, bias=False) for k, h in kept)
            self.dw_norm = build_norm_layer(norm_cfg, total)[1]
            self.project_conv = nn.Conv2d(total, out_channels, 1, bias=False)
            self.out_norm = build_norm_layer(norm_cfg, out_channels)[1]
        else:
            self.expand_conv = self.expand_norm = self.dw_convs = None
            self.dw_norm = self.project_conv = self.out_norm = None
        # In place: it only ever sees a norm's or a convolution's fresh output.
        self.act = build_inplace_activation(act_cfg)
        self.residual, self.context = build_shortcut(type(self).__name__, in_channels,
                                                     out_channels, stride, context)
        if isinstance(self.context, LightweightTransformer):
            self.context.fold_eval = True
        self._folded = FoldedWeights()
        self._register_load_state_dict_pre_hook(self._from_plain_state)

    @property
    def kernel_sizes(self) -> List[int]:
        """The kernel sizes that have hidden channels."""
        return list(self._kernels)

    @property
    def hidden_channels(self) -> List[int]:
        """h_k of each kernel that has hidden channels."""
        return list(self._hidden)

    @property
    def num_hidden(self) -> int:
        """H = Σ h_k."""
        return sum(self._hidden)

    def hidden_per_kernel(self, kernel_sizes: Sequence[int]) -> List[int]:
        """h_k for each of ``kernel_sizes`` (the supernet's), 0 for a removed kernel."""
        alive = dict(zip(self._kernels, self._hidden))
        return [alive.get(k, 0) for k in kernel_sizes]

    def _folds(self) -> bool:
        return not self.training and folds_batchnorm(self.expand_norm, self.dw_norm,
                                                     self.out_norm)

    def _depthwise(self, z: Tensor, weights: Sequence[Tensor],
                   biases: Union[Sequence[Tensor], Sequence[None]]) -> Tensor:
        """``DW_k`` (weights ``weights[k]``, biases ``biases[k]``) on each kernel's channel
        slice of ``(N, H, H_in, W_in)``."""
        parts = z.split(self._hidden, 1) if len(self._hidden) > 1 else (z, )
        outs = [
            F.conv2d(part, weight, bias, conv.stride, conv.padding, 1, conv.groups)
            for conv, part, weight, bias in zip(self.dw_convs, parts, weights, biases)
        ]
        return outs[0] if len(outs) == 1 else torch.cat(outs, 1)

    def _fold(self) -> Tuple[Tensor, ...]:
        """The convolutions with the BNs folded in: ``(W_e, b_e, W_p, b_p, DW_1, b_1, …)``."""
        scale, shift = fold_batchnorm(self.expand_norm)
        folded = [self.expand_conv.weight * scale[:, None, None, None], shift]
        scale, shift = fold_batchnorm(self.out_norm)
        folded += [self.project_conv.weight * scale[:, None, None, None], shift]
        scale, shift = fold_batchnorm(self.dw_norm)
        for conv, s, b in zip(self.dw_convs, scale.split(self._hidden),
                              shift.split(self._hidden)):
            folded += [conv.weight * s[:, None, None, None], b]
        return tuple(folded)

    def _fold_sources(self) -> Iterator[Tensor]:
        """The tensors that :meth:`_fold` reads."""
        yield self.expand_conv.weight
        yield self.project_conv.weight
        for conv in self.dw_convs:
            yield conv.weight
        for norm in (self.expand_norm, self.dw_norm, self.out_norm):
            yield from (t for t in (norm.weight, norm.bias, norm.running_mean,
                                    norm.running_var) if t is not None)

    def train(self, mode: bool = True) -> 'FusedSearchingBlock':
        if mode:
            self._folded.clear()
        return super().train(mode)

    def _branches(self, x: Tensor) -> Tensor:
        """``BN_out(W_p d)`` (N, C_out, H_in/s, W_in/s)."""
        if not self._folds():
            z = self.act(self.expand_norm(self.expand_conv(x)))
            d = self.act(self.dw_norm(self._depthwise(
                z, [conv.weight for conv in self.dw_convs], [None] * len(self.dw_convs))))
            return self.out_norm(self.project_conv(d))
        w_e, b_e, w_p, b_p, *depthwise = self._folded(self._fold, self._fold_sources())
        z = self.act(F.conv2d(x, w_e, b_e))
        d = self.act(self._depthwise(z, depthwise[0::2], depthwise[1::2]))
        return F.conv2d(d, w_p, b_p)

    def forward(self, x: Tensor) -> Tensor:
        if self.residual is not None:
            shortcut = self.residual(x)
        elif self.context is not None:
            shortcut = self.context(x)
        else:
            shortcut = x
        if self.expand_conv is None:
            return shortcut
        return self._branches(x) + shortcut

    def _from_plain_state(self, state_dict: Dict[str, Tensor], prefix: str, *args) -> None:
        """Load hook: a plain block's ``branches.{i}.*`` tensors become the fused ones
        (concatenated along the hidden channels; every branch's ``num_batches_tracked``
        counts the same batches, the first is taken)."""
        plain = f'{prefix}branches.'
        if self.expand_conv is None or not any(k.startswith(plain) for k in state_dict):
            return
        for fused, branch_attr, dim in FUSED_LAYERS:
            for name in getattr(self, fused).state_dict():
                keys = [f'{plain}{i}.{branch_attr}.{name}' for i in range(len(self._hidden))]
                if all(k in state_dict for k in keys):
                    parts = [state_dict.pop(k) for k in keys]
                    state_dict[f'{prefix}{fused}.{name}'] = (
                        torch.cat(parts, dim) if parts[0].dim() else parts[0])
        for i in range(len(self._hidden)):
            key = f'{plain}{i}.dw_conv.weight'
            if key in state_dict:
                state_dict[f'{prefix}dw_convs.{i}.weight'] = state_dict.pop(key)
