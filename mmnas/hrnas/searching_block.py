"""The HR-NAS searching block: a mixed-kernel inverted residual with an optional context path.

Every convolution path of the HR-NAS supernet (parallel-module blocks, fusion paths, branch
transitions) is one of these, so all of them shrink during the search.
"""
import itertools
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmcv.cnn import build_norm_layer
from torch import Tensor, nn

from mmnas.models.layers import build_inplace_activation
from mmnas.models.ops import DepthwiseConv2d, ParamSlice, select_batchnorm, select_conv2d
from mmnas.registry import MODELS
from mmnas.utils.config_check import ConfigError


#: The layers of :class:`~mmnas.hrnas.FusedSearchingBlock` that hold all kernels' hidden
#: channels side by side: (fused layer, the branch layer of each kernel, channel dim).
FUSED_LAYERS = (('expand_conv', 'expand_conv', 0), ('expand_norm', 'expand_norm', 0),
                ('dw_norm', 'dw_norm', 0), ('project_conv', 'project_conv', 1))


def build_shortcut(owner: str, in_channels: int, out_channels: int, stride: int,
                   context: Optional[dict]) -> Tuple[Optional[nn.Module], Optional[nn.Module]]:
    """``(residual, context)`` of a searching block: a grouped 1×1 convolution (the released
    HR-NAS design, cheap) when the shape changes, else ``None`` (identity); the context path
    built from ``context`` (identity residuals only)."""
    residual = None
    if stride != 1 or in_channels != out_channels:
        residual = nn.Conv2d(in_channels, out_channels, 1, stride,
                             groups=math.gcd(in_channels, out_channels), bias=False)
    if context is None:
        return residual, None
    if residual is not None:
        raise ConfigError(f'{owner}: a context path needs an identity residual (stride 1, equal '
                          f'widths), got {in_channels}->{out_channels} stride {stride}')
    return residual, MODELS.build(dict(context, in_channels=in_channels))


class KernelBranch(nn.Module):
    """One kernel's inverted residual of a searching block, without an output norm.

    ``(N, C_in, H, W) → 1×1 conv (h) → BN → act → k×k depthwise, stride s → BN_dw → act →
    1×1 conv (C_out) → (N, C_out, H/s, W/s)``. The scales γ of ``BN_dw`` are the searched ones:
    channel ``c`` of this branch exists while ``|γ_c|`` does.

    Args:
        in_channels: C_in.
        out_channels: C_out.
        hidden_channels: h, the searchable width (> 0).
        kernel_size: k of the depthwise convolution.
        stride: s.
        norm_cfg: normalisation layers.
        act_cfg: activation.
    """

    def __init__(self, in_channels: int, out_channels: int, hidden_channels: int,
                 kernel_size: int, stride: int, norm_cfg: dict, act_cfg: dict) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.expand_conv = nn.Conv2d(in_channels, hidden_channels, 1, bias=False)
        self.expand_norm = build_norm_layer(norm_cfg, hidden_channels)[1]
        self.dw_conv = DepthwiseConv2d(hidden_channels, kernel_size, stride, kernel_size // 2,
                                       bias=False)
        self.dw_norm = build_norm_layer(norm_cfg, hidden_channels)[1]
        self.project_conv = nn.Conv2d(hidden_channels, out_channels, 1, bias=False)
        # In place: it only ever sees a norm's fresh output.
        self.act = build_inplace_activation(act_cfg)

    @property
    def hidden_channels(self) -> int:
        return self.dw_conv.out_channels

    def forward(self, x: Tensor) -> Tensor:
        x = self.act(self.expand_norm(self.expand_conv(x)))
        x = self.act(self.dw_norm(self.dw_conv(x)))
        return self.project_conv(x)

    def removed_constant(self, keep: Tensor) -> Tensor:
        """What the channels not in ``keep`` add to the projection: a removed channel's γ is
        ~0, so after ``BN_dw`` it carries the constant ``act(β)``. ``(C_out,)``."""
        removed = torch.ones(self.hidden_channels, dtype=torch.bool, device=keep.device)
        removed[keep] = False
        with torch.no_grad():
            constant = self.act(self.dw_norm.bias[removed].clone())
            return self.project_conv.weight[:, removed, 0, 0] @ constant

    def prune(self, keep: Tensor) -> List[ParamSlice]:
        """Keep the hidden channels ``keep`` (non-empty long tensor of indices)."""
        old = dict(expand_conv=self.expand_conv, expand_norm=self.expand_norm,
                   dw_conv=self.dw_conv, dw_norm=self.dw_norm, project_conv=self.project_conv)
        self.expand_conv = select_conv2d(old['expand_conv'], out_idx=keep)
        self.expand_norm = select_batchnorm(old['expand_norm'], keep)
        self.dw_conv = select_conv2d(old['dw_conv'], out_idx=keep)
        self.dw_norm = select_batchnorm(old['dw_norm'], keep)
        self.project_conv = select_conv2d(old['project_conv'], in_idx=keep)
        slices = []
        for attr, module in old.items():
            dim = 1 if attr == 'project_conv' else 0
            for pname, param in module.named_parameters():
                slices.append(ParamSlice(param, getattr(getattr(self, attr), pname),
                                         ((dim, keep), )))
        return slices


class SearchingBlock(nn.Module):
    """One branch per depthwise kernel size, each with its own searchable hidden width.

    For kernel sizes ``k`` with hidden widths ``h_k``, input ``x`` of shape
    ``(N, C_in, H_in, W_in)`` and stride ``s`` (the authors' released block)::

        y   = BN_out(Σ_k branch_k(x))                  (N, C_out, H_in/s, W_in/s)
        out = y + residual(x)    [+ context(x) - x on the identity path]

    where ``branch_k`` is the :class:`KernelBranch` of kernel k. A kernel whose width is 0 has
    no branch; with no branch at all the block is its residual.

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
            raise ConfigError(f'SearchingBlock: {len(kernel_sizes)} kernel sizes but '
                              f'{len(hidden_channels)} hidden widths')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride
        self.branches = nn.ModuleList(
            KernelBranch(in_channels, out_channels, h, k, stride, norm_cfg, act_cfg)
            for k, h in zip(kernel_sizes, hidden_channels) if h > 0)
        self.out_norm = build_norm_layer(norm_cfg, out_channels)[1] if self.branches else None
        self.residual, self.context = build_shortcut(type(self).__name__, in_channels,
                                                     out_channels, stride, context)
        self._register_load_state_dict_pre_hook(self._from_fused_state)

    def _from_fused_state(self, state_dict: Dict[str, Tensor], prefix: str, *args) -> None:
        """Load hook: the tensors of a :class:`~mmnas.hrnas.FusedSearchingBlock` (all kernels'
        hidden channels side by side) are split into this block's branches."""
        if not self.branches or f'{prefix}expand_conv.weight' not in state_dict:
            return
        bounds = [0] + list(itertools.accumulate(self.hidden_channels))
        for fused, branch_attr, dim in FUSED_LAYERS:
            for name in self.branches[0].get_submodule(branch_attr).state_dict():
                tensor = state_dict.pop(f'{prefix}{fused}.{name}', None)
                if tensor is None:
                    continue
                for i, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
                    state_dict[f'{prefix}branches.{i}.{branch_attr}.{name}'] = (
                        tensor.narrow(dim, lo, hi - lo) if tensor.dim() else tensor)
        for i in range(len(self.branches)):
            key = f'{prefix}dw_convs.{i}.weight'
            if key in state_dict:
                state_dict[f'{prefix}branches.{i}.dw_conv.weight'] = state_dict.pop(key)

    @property
    def kernel_sizes(self) -> List[int]:
        """The kernel sizes that still have a branch."""
        return [branch.kernel_size for branch in self.branches]

    @property
    def hidden_channels(self) -> List[int]:
        """h_k of each kernel that still has a branch."""
        return [branch.hidden_channels for branch in self.branches]

    @property
    def num_hidden(self) -> int:
        """H = Σ h_k, the searchable channels of this block's convolutions."""
        return sum(self.hidden_channels)

    def hidden_per_kernel(self, kernel_sizes: Sequence[int]) -> List[int]:
        """h_k for each of ``kernel_sizes`` (the supernet's), 0 for a removed kernel."""
        alive = dict(zip(self.kernel_sizes, self.hidden_channels))
        return [alive.get(k, 0) for k in kernel_sizes]

    def forward(self, x: Tensor) -> Tensor:
        if self.residual is not None:
            shortcut = self.residual(x)
        elif self.context is not None:
            shortcut = self.context(x)
        else:
            shortcut = x
        if not self.branches:
            return shortcut
        y = self.branches[0](x)
        for branch in self.branches[1:]:
            y = y + branch(x)
        return self.out_norm(y) + shortcut

    def prune(self, keep: Sequence[Tensor]) -> List[ParamSlice]:
        """Physically keep, for each of the block's current kernels, the hidden channels
        ``keep[i]`` (long tensor of indices within that kernel's ``h_k``); a kernel with none
        left loses its branch, a block with none left becomes its residual.

        What the removed channels added to the projections (see
        :meth:`KernelBranch.removed_constant`) is folded into ``BN_out``'s running mean, so
        that the eval output is unchanged (training-mode BN subtracts the batch mean, which
        absorbs it).

        Returns:
            how every parameter of the cut layers maps to its replacement.
        """
        if len(keep) != len(self.branches):
            raise ConfigError(f'SearchingBlock.prune: {len(keep)} index sets for '
                              f'{len(self.branches)} kernels')
        slices: List[ParamSlice] = []
        branches = []
        for branch, idx in zip(self.branches, keep):
            idx = idx.to(device=branch.dw_norm.weight.device, dtype=torch.long)
            if len(idx) == branch.hidden_channels:
                branches.append(branch)
                continue
            self.out_norm.running_mean.sub_(branch.removed_constant(idx))
            if len(idx):
                slices += branch.prune(idx)
                branches.append(branch)
            else:
                slices += [ParamSlice(p, None) for p in branch.parameters()]
        self.branches = nn.ModuleList(branches)
        if not branches and self.out_norm is not None:
            slices += [ParamSlice(p, None) for p in self.out_norm.parameters()]
            self.out_norm = None
        return slices

    def remove_context(self) -> List[ParamSlice]:
        """Drop the context path (all its tokens were pruned); the identity remains."""
        slices = [ParamSlice(p, None) for p in self.context.parameters()]
        self.context = None
        return slices
