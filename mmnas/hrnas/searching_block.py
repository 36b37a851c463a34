"""The HR-NAS searching block: a mixed-kernel inverted residual with an optional context path.

Every convolution path of the HR-NAS supernet (parallel-module blocks, fusion paths, branch
transitions) is one of these, so all of them shrink during the search.
"""
import math
from typing import List, Optional, Sequence

import torch
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch import Tensor, nn

from mmnas.engine.utils import ParamSlice
from mmnas.models.ops import select_batchnorm, select_conv2d
from mmnas.registry import MODELS


class SearchingBlock(nn.Module):
    """One branch per depthwise kernel size, each with its own searchable hidden width.

    For kernel sizes ``k`` with hidden widths ``h_k`` (``H = Σ h_k``), input ``x`` of shape
    ``(N, C_in, H_in, W_in)`` and stride ``s``::

        e   = act(BN_e(Conv1x1(x)))                    (N, H, H_in, W_in)  all expansions at once
        d_k = DWConv_{k×k, stride s}(e[:, slice_k])    per kernel
        d   = act(BN_dw(cat_k d_k))                    γ of BN_dw: the searched scales
        y   = BN_out(Conv1x1(d))                       (N, C_out, H_in/s, W_in/s)
        out = y + residual(x)    [+ context(x) - x on the identity path]

    Concatenating the kernels' expansions and projections into one 1×1 convolution each is
    exactly the paper's sum of separate inverted residuals (a projection of a concatenation
    is the sum of the projections, and BN is per channel), with fewer, larger kernels to run.
    A kernel whose width is 0 has no branch; with no branch at all the block is its residual.

    Args:
        in_channels: C_in.
        out_channels: C_out.
        stride: 1 or 2.
        kernel_sizes: depthwise kernel sizes, one branch each.
        hidden_channels: h_k per kernel, same length as ``kernel_sizes`` (0 = no branch).
        context: config of a context module (``LightweightTransformer``,
            ``SqueezeExcitation``, mmcv's ``NonLocal2d``) applied on the identity path;
            only for blocks with an identity residual (stride 1, C_in == C_out).
        norm_cfg: normalisation layers.
        act_cfg: activation.
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
            raise ValueError(f'SearchingBlock: {len(kernel_sizes)} kernel sizes but '
                             f'{len(hidden_channels)} hidden widths')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride
        kept = [(k, h) for k, h in zip(kernel_sizes, hidden_channels) if h > 0]
        self.kernel_sizes = [k for k, _ in kept]
        self.hidden_channels = [h for _, h in kept]
        hidden = sum(self.hidden_channels)

        if hidden:
            self.expand_conv = nn.Conv2d(in_channels, hidden, 1, bias=False)
            self.expand_norm = build_norm_layer(norm_cfg, hidden)[1]
            self.dw_convs = nn.ModuleList(
                nn.Conv2d(h, h, k, stride, k // 2, groups=h, bias=False) for k, h in kept)
            self.dw_norm = build_norm_layer(norm_cfg, hidden)[1]
            self.project_conv = nn.Conv2d(hidden, out_channels, 1, bias=False)
            self.out_norm = build_norm_layer(norm_cfg, out_channels)[1]
            self.act = build_activation_layer(act_cfg)
        else:
            self.expand_conv = self.expand_norm = self.dw_convs = None
            self.dw_norm = self.project_conv = self.out_norm = self.act = None

        if stride == 1 and in_channels == out_channels:
            self.residual = None
        else:
            # A grouped 1×1 convolution keeps the shortcut cheap (the released HR-NAS design).
            self.residual = nn.Conv2d(in_channels, out_channels, 1, stride,
                                      groups=math.gcd(in_channels, out_channels), bias=False)
        if context is not None:
            if self.residual is not None:
                raise ValueError('SearchingBlock: a context path needs an identity residual '
                                 f'(stride 1, equal widths), got {in_channels}->{out_channels}'
                                 f' stride {stride}')
            self.context = MODELS.build(dict(context, in_channels=in_channels))
        else:
            self.context = None

    @property
    def num_hidden(self) -> int:
        """H, the searchable channels of this block's convolutions."""
        return sum(self.hidden_channels)

    def hidden_per_kernel(self, kernel_sizes: Sequence[int]) -> List[int]:
        """h_k for each of ``kernel_sizes`` (the supernet's), 0 for a removed kernel."""
        alive = dict(zip(self.kernel_sizes, self.hidden_channels))
        return [alive.get(k, 0) for k in kernel_sizes]

    def prune(self, keep: Sequence[Tensor]) -> List[ParamSlice]:
        """Physically keep, for each of the block's current kernels, the hidden channels
        ``keep[i]`` (long tensor of indices within that kernel's ``h_k``); a kernel with none
        left loses its branch, a block with none left becomes its residual.

        A removed channel's scale γ is ~0, so after ``BN_dw`` it carried the constant
        ``act(β)``; its projection is folded into ``BN_out``'s running mean so that the eval
        output is unchanged (training-mode BN subtracts the batch mean, which absorbs it).

        Returns:
            how every parameter of the cut layers maps to its replacement.
        """
        if len(keep) != len(self.hidden_channels):
            raise ValueError(f'SearchingBlock.prune: {len(keep)} index sets for '
                             f'{len(self.hidden_channels)} kernels')
        if not self.hidden_channels:
            return []
        device = self.dw_norm.weight.device
        keep = [k.to(device=device, dtype=torch.long) for k in keep]
        offsets = torch.tensor([0] + self.hidden_channels[:-1], device=device).cumsum(0)
        kept = torch.cat([k + o for k, o in zip(keep, offsets)])
        removed = torch.ones(self.num_hidden, dtype=torch.bool, device=device)
        removed[kept] = False
        old = dict(expand=self.expand_conv, expand_norm=self.expand_norm, dw_norm=self.dw_norm,
                   project=self.project_conv, out_norm=self.out_norm)
        old_dw = list(self.dw_convs)
        slices: List[ParamSlice] = []
        if len(kept) == 0:
            for module in [*old.values(), *old_dw]:
                slices += [ParamSlice(p, None) for p in module.parameters()]
            self.expand_conv = self.expand_norm = self.dw_convs = None
            self.dw_norm = self.project_conv = self.out_norm = self.act = None
            self.kernel_sizes, self.hidden_channels = [], []
            return slices

        with torch.no_grad():
            constant = self.act(self.dw_norm.bias[removed].clone())
            folded = self.project_conv.weight[:, removed, 0, 0] @ constant
        self.expand_conv = select_conv2d(old['expand'], out_idx=kept)
        self.expand_norm = select_batchnorm(old['expand_norm'], kept)
        self.dw_norm = select_batchnorm(old['dw_norm'], kept)
        self.project_conv = select_conv2d(old['project'], in_idx=kept)
        self.out_norm.running_mean.sub_(folded)
        slices += [
            ParamSlice(old['expand'].weight, self.expand_conv.weight, ((0, kept), )),
            ParamSlice(old['expand_norm'].weight, self.expand_norm.weight, ((0, kept), )),
            ParamSlice(old['expand_norm'].bias, self.expand_norm.bias, ((0, kept), )),
            ParamSlice(old['dw_norm'].weight, self.dw_norm.weight, ((0, kept), )),
            ParamSlice(old['dw_norm'].bias, self.dw_norm.bias, ((0, kept), )),
            ParamSlice(old['project'].weight, self.project_conv.weight, ((1, kept), )),
        ]
        dw_convs, kernel_sizes, hidden = [], [], []
        for conv, k, idx in zip(old_dw, self.kernel_sizes, keep):
            if len(idx) == 0:
                slices.append(ParamSlice(conv.weight, None))
                continue
            dw_convs.append(select_conv2d(conv, out_idx=idx))
            slices.append(ParamSlice(conv.weight, dw_convs[-1].weight, ((0, idx), )))
            kernel_sizes.append(k)
            hidden.append(len(idx))
        self.dw_convs = nn.ModuleList(dw_convs)
        self.kernel_sizes, self.hidden_channels = kernel_sizes, hidden
        return slices

    def remove_context(self) -> List[ParamSlice]:
        """Drop the context path (all its tokens were pruned); the identity remains."""
        slices = [ParamSlice(p, None) for p in self.context.parameters()]
        self.context = None
        return slices

    def forward(self, x: Tensor) -> Tensor:
        if self.residual is not None:
            shortcut = self.residual(x)
        elif self.context is not None:
            shortcut = self.context(x)
        else:
            shortcut = x
        if not self.hidden_channels:
            return shortcut
        e = self.act(self.expand_norm(self.expand_conv(x)))
        if len(self.dw_convs) == 1:
            d = self.dw_convs[0](e)
        else:
            d = torch.cat([conv(part) for conv, part in
                           zip(self.dw_convs, e.split(self.hidden_channels, dim=1))], dim=1)
        d = self.act(self.dw_norm(d))
        return self.out_norm(self.project_conv(d)) + shortcut
