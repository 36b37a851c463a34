"""HRNASSuperNet: the HR-NAS high-resolution multi-branch supernet (HR-NAS supp. §2, Fig. 1).

A stem of two 3×3 convolutions, then five (fusion module, parallel module) pairs. Parallel
module ``m`` keeps ``len(channels[m])`` branches at strides 4, 8, 16, 32 (for a stride-4
stem) and runs a chain of searching blocks on each; the fusion module before it exchanges
information between neighbouring resolutions and opens the new lower-resolution branch.
Every convolution path after the stem is a :class:`SearchingBlock`, so all of them shrink.

The network returns the final branch maps, high to low resolution, so stock heads take
them as they take HRNet's: mmseg ``FCNHead(input_transform='resize_concat')``, mmpose
``HeatmapHead`` after a ``FeatureMapProcessor``, mmpretrain ``HRFuseScales``, and mmdet3d
``SECONDFPN`` on a PointPillars BEV pseudo-image.
"""
import copy
import inspect
from typing import Any, Dict, List, Mapping, Optional, Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer
from torch import Tensor, nn

from mmnas.models import ConvBNAct, FeatureInfo, SearchableBackbone
from mmnas.registry import MODELS
from mmnas.structures import ArchSpec, jsonable_config
from mmnas.utils.config_check import ConfigError
from .context import LightweightTransformer
from .fused_block import FusedSearchingBlock
from .searching_block import SearchingBlock

#: The transformer's token count n when the context config leaves it at its default.
_TOKENS = inspect.signature(LightweightTransformer).parameters['num_tokens'].default

#: The Cityscapes supernet of the paper (``blocks`` per branch, ``channels`` per branch).
CITYSCAPES_STAGES = (
    dict(blocks=(1, ), channels=(24, )),
    dict(blocks=(2, 2), channels=(18, 36)),
    dict(blocks=(2, 2, 3), channels=(18, 36, 72)),
    dict(blocks=(2, 2, 3, 4), channels=(18, 36, 72, 144)),
    dict(blocks=(2, 2, 3, 4), channels=(18, 36, 72, 144)),
)


def check_arch_widths(owner: str, name: str, hidden: Any, kernel_sizes: Sequence[int],
                      widest: int) -> None:
    """``arch[name].hidden_channels`` of ``owner`` (a supernet or a searched head): one whole
    number per kernel, from 0 (the branch is removed) to the supernet's hidden width."""
    expected = (f'a list of {len(kernel_sizes)} whole numbers (one per kernel '
                f'{list(kernel_sizes)}), each from 0 to the supernet width {widest}')
    if not isinstance(hidden, (list, tuple)) or len(hidden) != len(kernel_sizes):
        raise ConfigError(f'{owner}: arch block {name!r} field "hidden_channels" is '
                          f'{hidden!r}; expected {expected}')
    for width in hidden:
        if isinstance(width, bool) or not isinstance(width, int) or not 0 <= width <= widest:
            raise ConfigError(f'{owner}: arch block {name!r} field "hidden_channels" '
                              f'has {width!r}; expected {expected}')


def check_arch_tokens(name: str, tokens: Any, most: int) -> None:
    """``arch[name].num_tokens``: 0 (the transformer is removed) up to the supernet's."""
    if isinstance(tokens, bool) or not isinstance(tokens, int) or not 0 <= tokens <= most:
        raise ConfigError(f'HRNASSuperNet: arch block {name!r} field "num_tokens" is '
                          f'{tokens!r}; expected a whole number from 0 to the supernet\'s '
                          f'{most}')


class FusionModule(nn.Module):
    """Exchange information between neighbouring branches and open new branches.

    Output branch ``i < len(in_channels)`` is ``act(Σ_{j ∈ {i-1, i, i+1}} path_ij(x_j))``:
    ``path_ii`` a stride-1 block, ``path_{i,i-1}`` a stride-2 block, ``path_{i,i+1}`` a
    stride-1 block then bilinear upsampling to branch ``i``'s size. A new branch ``b``
    comes from the fused branch ``b-1`` through a stride-2 block.

    Shapes: ``[(N, in_channels[j], H/2^j, W/2^j)] → [(N, out_channels[i], H/2^i, W/2^i)]``.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: Sequence[int],
                 make_block, prefix: str, act_cfg: dict) -> None:
        super().__init__()
        n_in, n_out = len(in_channels), len(out_channels)
        self.paths = nn.ModuleList()
        for i in range(min(n_in, n_out)):
            path = nn.ModuleDict()
            for j in range(max(i - 1, 0), min(i + 2, n_in)):
                path[str(j)] = make_block(f'{prefix}.paths.{i}.{j}', in_channels[j],
                                          out_channels[i], 2 if j < i else 1)
            self.paths.append(path)
        self.new_branches = nn.ModuleList(
            make_block(f'{prefix}.new_branches.{b - n_in}', out_channels[b - 1],
                       out_channels[b], 2) for b in range(n_in, n_out))
        self.act = build_activation_layer(act_cfg)

    def forward(self, xs: List[Tensor]) -> List[Tensor]:
        outs = []
        for i, path in enumerate(self.paths):
            y = None
            for j, block in path.items():
                z = block(xs[int(j)])
                if z.shape[-2:] != xs[i].shape[-2:]:
                    z = F.interpolate(z, xs[i].shape[-2:], mode='bilinear', align_corners=False)
                y = z if y is None else y + z
            outs.append(self.act(y))
        for block in self.new_branches:
            outs.append(block(outs[-1]))
        return outs


class ParallelModule(nn.Module):
    """A chain of stride-1 searching blocks on every branch.

    Shapes: ``[(N, C_b, H_b, W_b)] → [(N, C_b, H_b, W_b)]``.
    """

    def __init__(self, channels: Sequence[int], blocks: Sequence[int], make_block,
                 prefix: str) -> None:
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Sequential(*(make_block(f'{prefix}.branches.{b}.{k}', c, c, 1)
                            for k in range(n)))
            for b, (c, n) in enumerate(zip(channels, blocks)))

    def forward(self, xs: List[Tensor]) -> List[Tensor]:
        return [branch(x) for branch, x in zip(self.branches, xs)]


@MODELS.register_module()
class HRNASSuperNet(SearchableBackbone):
    """The HR-NAS supernet, or a searched network when ``arch`` is given.

    Args:
        in_channels: input channels (3 for images, 64 for a PointPillars pseudo-image).
        stem_channels: channels of the two stem convolutions.
        stem_strides: strides of the two stem convolutions (input stride = their product).
        stages: one dict per (fusion, parallel) pair with ``blocks`` (searching blocks per
            branch) and ``channels`` (per branch); the paper's Cityscapes supernet by default.
        kernel_sizes: depthwise kernel sizes of every searching block.
        expand_ratio: hidden width of each kernel's branch in the supernet, × C_in.
        context: context module on every identity-residual block, e.g.
            ``dict(type='LightweightTransformer', num_tokens=8, proj_size=8)``; ``None`` for
            none (the paper's Table 1 baseline).
        arch: per-block widths of a searched network, ``{block name: dict(hidden_channels=
            [h_k per kernel], num_tokens=n or 0)}`` (block names are module paths, e.g.
            ``'stages.2.branches.1.0'``); blocks not named keep the supernet widths.
        out_indices: which final branches to return (negative counts from the lowest
            resolution).
        norm_cfg: normalisation (the paper: BN momentum 0.01, eps 1e-3).
        act_cfg: activation.
        fused: build every searching block in its deploy form,
            :class:`~mmnas.hrnas.FusedSearchingBlock` (the same network and state dict, one
            expansion and one projection per block, BN folded in eval mode): what a searched
            network built by ``mmnas.SearchedBackbone`` gets. Such a network cannot be shrunk.
        channels_last: run in the NHWC memory format, the layout in which oneDNN's (CPU) and
            cuDNN's depthwise and 1×1 convolutions are fastest (BENCHMARKS.md); the outputs
            are then channels-last tensors, which stock heads and necks take as they are.
        init_cfg: mmengine initialisation.

    Shapes: ``(N, in_channels, H, W) → tuple of (N, channels[-1][b], H/r_b, W/r_b)`` with
    ``r_b = prod(stem_strides) · 2^b``.
    """

    #: What ``mmnas.SearchedBackbone`` builds unless its config says otherwise: the deploy form.
    searched_defaults = dict(fused=True)
    #: Read only while the blocks are built, whose widths the FLOPs cache keys (``mmnas.cost``):
    #: a supernet and the searched network it equals before any cut count alike.
    not_structure = ('_arch', )

    def __init__(self,
                 in_channels: int = 3,
                 stem_channels: int = 24,
                 stem_strides: Sequence[int] = (2, 2),
                 stages: Sequence[Mapping] = CITYSCAPES_STAGES,
                 kernel_sizes: Sequence[int] = (3, 5, 7),
                 expand_ratio: float = 4,
                 context: Optional[dict] = None,
                 arch: Optional[Mapping[str, Mapping]] = None,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 norm_cfg: dict = dict(type='BN', momentum=0.01, eps=1e-3),
                 act_cfg: dict = dict(type='ReLU'),
                 channels_last: bool = True,
                 fused: bool = False,
                 init_cfg: Optional[List[dict]] = (
                     dict(type='Kaiming', layer='Conv2d', mode='fan_out',
                          nonlinearity='relu'),
                     dict(type='Constant', val=1, layer=['_BatchNorm', 'LayerNorm']))) -> None:
        super().__init__(init_cfg=list(init_cfg) if init_cfg else None)
        # Everything but the searched widths: with ``arch`` it rebuilds this network.
        self._config = dict(
            in_channels=in_channels, stem_channels=stem_channels, stem_strides=stem_strides,
            stages=stages, kernel_sizes=kernel_sizes, expand_ratio=expand_ratio,
            context=context, out_indices=out_indices, norm_cfg=norm_cfg, act_cfg=act_cfg,
            channels_last=channels_last)
        self.channels_last = channels_last
        self.fused = fused
        self.kernel_sizes = tuple(kernel_sizes)
        self.expand_ratio = expand_ratio
        self.context = copy.deepcopy(context)
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self._arch: Dict[str, Mapping] = dict(arch or {})

        self.stem = nn.Sequential(
            ConvBNAct(in_channels, stem_channels, 3, stem_strides[0], norm_cfg=norm_cfg,
                      act_cfg=act_cfg),
            ConvBNAct(stem_channels, stem_channels, 3, stem_strides[1], norm_cfg=norm_cfg,
                      act_cfg=act_cfg))
        self.fusions = nn.ModuleList()
        self.stages = nn.ModuleList()
        prev = [stem_channels]
        for m, stage in enumerate(stages):
            channels, blocks = list(stage['channels']), list(stage['blocks'])
            if len(channels) != len(blocks):
                raise ConfigError(f'HRNASSuperNet: stage {m} has {len(channels)} channels but '
                                  f'{len(blocks)} block counts')
            self.fusions.append(
                FusionModule(prev, channels, self._make_block, f'fusions.{m}', act_cfg))
            self.stages.append(ParallelModule(channels, blocks, self._make_block, f'stages.{m}'))
            prev = channels
        unknown = set(self._arch) - {name for name, _ in self.searching_blocks()}
        if unknown:
            raise ConfigError(f'HRNASSuperNet: arch names blocks that this supernet does not '
                              f'have: {sorted(unknown)[:5]}')

        stride = stem_strides[0] * stem_strides[1]
        self.feature_info = [
            FeatureInfo(c, stride * 2**b, f'stages.{len(stages) - 1}.branches.{b}')
            for b, c in enumerate(prev)
        ]
        self.out_indices = self.normalize_out_indices(out_indices, len(prev))

    def _make_block(self, name: str, in_channels: int, out_channels: int,
                    stride: int) -> nn.Module:
        """The searching block called ``name``, at supernet width unless ``arch`` names it
        (in deploy form with ``fused``)."""
        spec = self._arch.get(name, {})
        widest = int(round(in_channels * self.expand_ratio))
        hidden = spec.get('hidden_channels', [widest] * len(self.kernel_sizes))
        check_arch_widths('HRNASSuperNet', name, hidden, self.kernel_sizes, widest)
        context = None
        # Context paths ride on identity residuals; ``num_tokens: 0`` means it was pruned away.
        if self.context is not None and stride == 1 and in_channels == out_channels:
            tokens = spec.get('num_tokens', self.context.get('num_tokens'))
            if 'num_tokens' in spec:
                check_arch_tokens(name, tokens, self.context.get('num_tokens', _TOKENS))
            if tokens != 0:
                context = dict(self.context)
                if tokens is not None:
                    context['num_tokens'] = tokens
        block = FusedSearchingBlock if self.fused else SearchingBlock
        return block(in_channels, out_channels, stride, self.kernel_sizes, hidden, context,
                     self.norm_cfg, self.act_cfg)

    def searching_blocks(self):
        """``(name, block)`` for every searching block, in forward order."""
        return ((name, m) for name, m in self.named_modules()
                if isinstance(m, (SearchingBlock, FusedSearchingBlock)))

    def build_supernet(self) -> 'HRNASSuperNet':
        """The uncut supernet of this configuration (freshly initialised)."""
        return HRNASSuperNet(**self._config).to(next(self.parameters()).device)

    def export_arch(self) -> ArchSpec:
        """The current widths of every searching block: per kernel (0 = removed) and the
        transformer's tokens (0 = removed)."""
        arch = {}
        for name, block in self.searching_blocks():
            arch[name] = dict(hidden_channels=block.hidden_per_kernel(self.kernel_sizes))
            if isinstance(block.context, LightweightTransformer):
                arch[name]['num_tokens'] = block.context.num_tokens
            elif block.context is None and self.context is not None and block.residual is None:
                arch[name]['num_tokens'] = 0
        backbone = dict(type='mmnas.HRNASSuperNet', **self._config, arch=arch)
        return ArchSpec(method='hrnas', backbone=jsonable_config(backbone))

    def forward(self, x: Tensor) -> tuple:
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        xs = [self.stem(x)]
        for fusion, stage in zip(self.fusions, self.stages):
            xs = stage(fusion(xs))
        return tuple(xs[i] for i in self.out_indices)
