"""DARTS networks: the search supernet ``DARTSCellNet`` (α-weighted mixed operations on every
cell edge) and the fixed ``DARTSNet`` built from a genotype alone.

Both stack ``num_cells`` cells after a stem; cells at ``reduction_cells`` (default 1/3 and 2/3
of the depth) halve the resolution and double the width C. Cell k reads the outputs of the
cells k-2 and k-1 (c_{k-2}, c_{k-1}), brings both to C channels and outputs the concatenation
of its intermediate nodes (``multiplier`` · C channels).
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmcv.cnn.bricks import DropPath
from torch import Tensor, nn

from mmnas.models import DifferentiableBackbone, FeatureInfo, SearchableBackbone
from mmnas.registry import MODELS
from mmnas.structures import ArchSpec, jsonable_config
from mmnas.utils.config_check import ConfigError
from .genotype import check_genotype, derive_genotype, edge_index, num_edges
from .operations import POOLS, PRIMITIVES, build_op, build_preprocess, norm

STEMS = ('imagenet', 'cifar')
DEFAULT_INIT = (dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='relu'),
                dict(type='Constant', val=1, layer=['_BatchNorm']))


class CellLayout:
    """Where each cell of a DARTS network reduces and how wide it is.

    Args:
        channels: C of the first cells (the stem's output width for ``'imagenet'``).
        num_cells: cells in the network.
        reduction_cells: indices of the reduction cells (default ``num_cells // 3`` and
            ``2 * num_cells // 3``).
        stem: ``'imagenet'``: three stride-2 3×3 convs (DARTS's ImageNet stem: c_{-2} at 1/4,
            c_{-1} at 1/8 of the input); ``'cifar'``: one stride-1 3×3 conv to 3C.
        last_reduction_stride: stride of the last reduction cell; 1 keeps its resolution
            (the segmentation network of UnNAS supp. §B.2) while it still doubles the width.
        cell_channels: output width of a cell, ``f(C, is_reduction)``.
    """

    def __init__(self, channels: int, num_cells: int, reduction_cells: Optional[Sequence[int]],
                 stem: str, last_reduction_stride: int, cell_channels) -> None:
        if stem not in STEMS:
            raise ConfigError(f'DARTS stem={stem!r}: expected one of {list(STEMS)}')
        if num_cells < 1:
            raise ConfigError(f'DARTS num_cells={num_cells}: expected at least 1')
        if stem == 'imagenet' and channels % 2:
            raise ConfigError(f'DARTS channels={channels}: the ImageNet stem needs an even '
                              'width')
        if reduction_cells is None:
            reduction_cells = sorted({num_cells // 3, 2 * num_cells // 3} - {0}) or []
        reduction_cells = sorted(set(int(i) for i in reduction_cells))
        if any(not 0 <= i < num_cells for i in reduction_cells):
            raise ConfigError(f'DARTS reduction_cells={reduction_cells}: expected indices in '
                              f'[0, {num_cells - 1}]')
        if last_reduction_stride not in (1, 2):
            raise ConfigError(f'DARTS last_reduction_stride={last_reduction_stride}: expected '
                              '1 or 2')
        self.reduction_cells = reduction_cells
        stem_stride = 8 if stem == 'imagenet' else 1
        width = channels
        prev_prev = prev = channels if stem == 'imagenet' else 3 * channels
        # The ImageNet stem's c_{-2} is at half the resolution of c_{-1}.
        stride_prev = stem == 'imagenet'
        reduction = stem_stride
        self.cells: List[dict] = []
        for i in range(num_cells):
            is_reduction = i in reduction_cells
            stride = 1
            if is_reduction:
                width *= 2
                last = i == reduction_cells[-1]
                stride = last_reduction_stride if last else 2
            reduction *= stride
            out = cell_channels(width, is_reduction)
            self.cells.append(dict(in_channels=(prev_prev, prev), channels=width,
                                   reduction=is_reduction, stride=stride,
                                   reduce_prev=stride_prev, out_channels=out,
                                   out_reduction=reduction))
            prev_prev, prev, stride_prev = prev, out, stride == 2

    def feature_info(self) -> List[FeatureInfo]:
        return [FeatureInfo(c['out_channels'], c['out_reduction'], f'cells.{i}')
                for i, c in enumerate(self.cells)]


def build_stem(stem: str, in_channels: int, channels: int,
               norm_cfg: dict) -> Tuple[nn.Module, Optional[nn.Module]]:
    """``(stem0, stem1)``: c_{-2} = stem0(x), c_{-1} = stem1(c_{-2}) (ImageNet), or one stem
    whose output is both (CIFAR, stem1 None)."""
    if stem == 'imagenet':
        stem0 = nn.Sequential(
            nn.Conv2d(in_channels, channels // 2, 3, 2, 1, bias=False),
            norm(norm_cfg, channels // 2), nn.ReLU(inplace=True),
            nn.Conv2d(channels // 2, channels, 3, 2, 1, bias=False), norm(norm_cfg, channels))
        stem1 = nn.Sequential(
            nn.ReLU(inplace=False), nn.Conv2d(channels, channels, 3, 2, 1, bias=False),
            norm(norm_cfg, channels))
        return stem0, stem1
    return nn.Sequential(nn.Conv2d(in_channels, 3 * channels, 3, 1, 1, bias=False),
                         norm(norm_cfg, 3 * channels)), None


class _DARTSBase(SearchableBackbone):
    """Stem, cells and outputs shared by the supernet and the fixed network."""

    cells: nn.ModuleList

    def _build_stem(self, stem, in_channels, channels, norm_cfg) -> None:
        self.stem0, stem1 = build_stem(stem, in_channels, channels, norm_cfg)
        if stem1 is not None:
            self.stem1 = stem1

    def _stem(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        s0 = self.stem0(x)
        return (s0, self.stem1(s0)) if hasattr(self, 'stem1') else (s0, s0)

    def _forward_cells(self, x: Tensor, run_cell) -> Tuple[Tensor, ...]:
        s0, s1 = self._stem(x)
        outs = []
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, run_cell(i, cell, s0, s1)
            if i in self.out_indices:
                outs.append(s1)
        return tuple(outs[self._out_order.index(i)] for i in self.out_indices)

    def _set_outputs(self, layout: CellLayout, out_indices: Sequence[int]) -> None:
        self.feature_info = layout.feature_info()
        self.out_indices = self.normalize_out_indices(out_indices, len(layout.cells))
        self._out_order = sorted(self.out_indices)


class MixedOp(nn.Module):
    """One edge of the search cell: Σ_o w_o · o(x) over the primitives, w = softmax(α_edge).

    Pooling outputs pass through a non-affine norm first (DARTS), so that their scale
    matches the convolutions' normalised outputs inside the sum.
    """

    def __init__(self, channels: int, stride: int, primitives: Sequence[str],
                 norm_cfg: dict) -> None:
        super().__init__()
        self.ops = nn.ModuleList(build_op(p, channels, stride, norm_cfg) for p in primitives)
        self.pool_norms = nn.ModuleDict({
            str(k): norm(dict(norm_cfg, affine=False), channels)
            for k, p in enumerate(primitives) if p in POOLS})

    def run(self, k: int, x: Tensor, pool_norm: bool = True) -> Tensor:
        """Operation ``k`` alone (with its search-time pool norm if ``pool_norm``)."""
        y = self.ops[k](x)
        if pool_norm and str(k) in self.pool_norms:
            y = self.pool_norms[str(k)](y)
        return y

    def forward(self, x: Tensor, weights: Tensor) -> Tensor:
        """``x`` ``(N, C, H, W)``, ``weights`` ``(O,)`` → ``(N, C, H/s, W/s)``."""
        return sum(w * self.run(k, x) for k, w in enumerate(weights))


class SearchCell(nn.Module):
    """A DARTS search cell: node i = Σ_{j < i+2} MixedOp_{ij}(state_j) (edges from the two
    inputs have the cell's stride)."""

    def __init__(self, in_channels: Tuple[int, int], channels: int, stride: int,
                 reduce_prev: bool, primitives: Sequence[str], num_nodes: int, multiplier: int,
                 norm_cfg: dict) -> None:
        super().__init__()
        self.num_nodes = num_nodes
        self.multiplier = multiplier
        self.preprocess0 = build_preprocess(in_channels[0], channels, reduce_prev, norm_cfg)
        self.preprocess1 = build_preprocess(in_channels[1], channels, False, norm_cfg)
        self.edges = nn.ModuleList(
            MixedOp(channels, stride if j < 2 else 1, primitives, norm_cfg)
            for i in range(num_nodes) for j in range(i + 2))

    def forward(self, s0: Tensor, s1: Tensor, weights: Tensor) -> Tensor:
        """``weights`` ``(E, O)`` = softmax(α) of this cell type."""
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for i in range(self.num_nodes):
            states.append(sum(self.edges[edge_index(i, j)](h, weights[edge_index(i, j)])
                              for j, h in enumerate(states)))
        return torch.cat(states[-self.multiplier:], dim=1)

    def forward_discrete(self, s0: Tensor, s1: Tensor, cell: List[list],
                         primitives: Sequence[str]) -> Tensor:
        """The cell as the derived genotype ``cell`` computes it: one operation per kept
        edge, weight 1, no search-time pool norm (what :class:`DARTSNet` runs)."""
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for i in range(self.num_nodes):
            states.append(sum(
                self.edges[edge_index(i, j)].run(primitives.index(op), states[j], False)
                for op, j in cell[2 * i:2 * i + 2]))
        return torch.cat(states[-self.multiplier:], dim=1)


@MODELS.register_module()
class DARTSCellNet(_DARTSBase, DifferentiableBackbone):
    """The DARTS search network (supernet) with architecture parameters α.

    α_normal and α_reduce are ``(E, O)`` (E = 14 edges for 4 nodes, O = 8 operations), shared
    by all normal resp. all reduction cells; every edge outputs Σ_o softmax(α_edge)_o · o(x).
    :meth:`arch_parameters` hands them to the architecture optimizer of a bilevel search;
    :meth:`genotype` derives the discrete cells and :meth:`export_arch` the
    :class:`DARTSNet` config.

    Args:
        channels: initial width C (DARTS search: 16).
        num_cells: cells (DARTS search: 8).
        in_channels: input channels (1 for the colorization pretext's L channel).
        stem: ``'imagenet'`` (stride 8 before the cells) or ``'cifar'`` (stride 1).
        reduction_cells: indices of reduction cells (default 1/3 and 2/3 of the depth).
        last_reduction_stride: 1 keeps the resolution in the last reduction cell.
        primitives: the candidate operations (a subset of :data:`PRIMITIVES`).
        num_nodes: intermediate nodes per cell.
        multiplier: how many of the last nodes make up the cell output.
        norm_cfg: norm of the stem; the cells use it with ``affine=False`` (DARTS).
        out_indices: cells whose outputs are returned (negative counts from the end).
        init_cfg: mmengine initialisation of the weights (α start at 1e-3 · N(0, 1)).

    Shapes: ``(N, in_channels, H, W) →`` per out index ``(N, multiplier · C_k, H / r_k,
    W / r_k)``.
    """

    def __init__(self,
                 channels: int = 16,
                 num_cells: int = 8,
                 in_channels: int = 3,
                 stem: str = 'imagenet',
                 reduction_cells: Optional[Sequence[int]] = None,
                 last_reduction_stride: int = 2,
                 primitives: Sequence[str] = PRIMITIVES,
                 num_nodes: int = 4,
                 multiplier: int = 4,
                 norm_cfg: dict = dict(type='BN'),
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[Sequence[dict]] = DEFAULT_INIT) -> None:
        super().__init__(init_cfg=list(init_cfg) if init_cfg else None)
        primitives = tuple(primitives)
        unknown = [p for p in primitives if p not in PRIMITIVES]
        if unknown or len(set(primitives)) != len(primitives):
            raise ConfigError(f'DARTSCellNet primitives {list(primitives)}: expected distinct '
                              f'names from {list(PRIMITIVES)}')
        if all(p == 'none' for p in primitives):
            raise ConfigError('DARTSCellNet primitives: no operation besides "none"; the '
                              'search space has no valid choice')
        if not 1 <= multiplier <= num_nodes:
            raise ConfigError(f'DARTSCellNet multiplier={multiplier}: expected 1..num_nodes='
                              f'{num_nodes}')
        self.primitives = primitives
        self.num_nodes = num_nodes
        self.multiplier = multiplier
        self._config = dict(channels=channels, num_cells=num_cells, in_channels=in_channels,
                            stem=stem, last_reduction_stride=last_reduction_stride,
                            norm_cfg=copy.deepcopy(norm_cfg),
                            # As given: "-1" stays the last cell at another depth.
                            out_indices=list(out_indices))
        # As given: None places the reductions at 1/3 and 2/3 of another depth too.
        self._config['reduction_cells'] = reduction_cells and list(reduction_cells)
        layout = CellLayout(channels, num_cells, reduction_cells, stem, last_reduction_stride,
                            lambda c, _: multiplier * c)
        cell_norm = dict(norm_cfg, affine=False)
        self._build_stem(stem, in_channels, channels, norm_cfg)
        self.cells = nn.ModuleList(
            SearchCell(c['in_channels'], c['channels'], c['stride'], c['reduce_prev'],
                       primitives, num_nodes, multiplier, cell_norm) for c in layout.cells)
        self.is_reduction = [c['reduction'] for c in layout.cells]
        self._set_outputs(layout, out_indices)
        shape = (num_edges(num_nodes), len(primitives))
        self.alpha_normal = nn.Parameter(1e-3 * torch.randn(shape))
        self.alpha_reduce = nn.Parameter(1e-3 * torch.randn(shape))

    def arch_parameters(self) -> List[nn.Parameter]:
        """α_normal, α_reduce."""
        return [self.alpha_normal, self.alpha_reduce]

    def arch_weights(self) -> Dict[str, Tensor]:
        """softmax(α) per cell type, ``(E, O)`` each."""
        return dict(normal=self.alpha_normal.softmax(-1), reduce=self.alpha_reduce.softmax(-1))

    def genotype(self) -> dict:
        """The derived cells: per node the top-2 incoming edges, each with its strongest
        operation other than ``none``."""
        return derive_genotype(self.alpha_normal, self.alpha_reduce, self.primitives,
                               self.num_nodes, self.multiplier)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        weights = self.arch_weights()
        return self._forward_cells(x, lambda i, cell, s0, s1: cell(
            s0, s1, weights['reduce' if self.is_reduction[i] else 'normal']))

    def export_arch(self) -> ArchSpec:
        """The derived :class:`DARTSNet` at the search network's size (an evaluation config
        changes ``channels``, ``num_cells``, ... through ``SearchedBackbone`` overrides)."""
        weights = self.arch_weights()
        backbone = dict(type='mmnas.DARTSNet', genotype=self.genotype(), **self._config)
        meta = {f'alpha_{k}': w.detach().cpu().tolist() for k, w in weights.items()}
        meta['primitives'] = list(self.primitives)
        return ArchSpec(method='unnas', backbone=jsonable_config(backbone), meta=meta)

    def forward_derived(self, x: Tensor) -> Tuple[Tensor, ...]:
        """The derived genotype's network computed with the supernet's weights: one operation
        per kept edge, weight 1, no search-time pool norm (what :meth:`export` hands back)."""
        geno = self.genotype()
        return self._forward_cells(x, lambda i, cell, s0, s1: cell.forward_discrete(
            s0, s1, geno['reduce' if self.is_reduction[i] else 'normal'], self.primitives))

    def export(self) -> Tuple[ArchSpec, Dict[str, Tensor]]:
        """The :class:`DARTSNet` of :meth:`export_arch` and its weights: each kept edge's
        operation and the shared stem and preprocessors; the cells' non-affine norms become
        affine ones with γ = 1, β = 0 (the same function)."""
        spec = self.export_arch()
        geno = spec.backbone['genotype']
        state = self.state_dict()
        out = {k: v.detach().clone() for k, v in state.items()
               if k.startswith('stem') or '.preprocess' in k}
        for c, is_reduction in enumerate(self.is_reduction):
            cell = geno['reduce' if is_reduction else 'normal']
            for n, (op, j) in enumerate(cell):
                src = (f'cells.{c}.edges.{edge_index(n // 2, j)}.ops.'
                       f'{self.primitives.index(op)}.')
                out.update({f'cells.{c}.ops.{n}.{k[len(src):]}': v.detach().clone()
                            for k, v in state.items() if k.startswith(src)})
        for key in [k for k in out if k.endswith('running_mean')]:
            prefix = key[:-len('running_mean')]
            if prefix + 'weight' not in out:
                out[prefix + 'weight'] = torch.ones_like(out[key])
                out[prefix + 'bias'] = torch.zeros_like(out[key])
        return spec, out


class Cell(nn.Module):
    """A fixed DARTS cell: node i = op_a(state_a) + op_b(state_b) per the genotype; output the
    concatenation of the ``concat`` states."""

    def __init__(self, pairs: List[list], concat: List[int], in_channels: Tuple[int, int],
                 channels: int, stride: int, reduce_prev: bool, norm_cfg: dict,
                 drop_path_rate: float) -> None:
        super().__init__()
        self.preprocess0 = build_preprocess(in_channels[0], channels, reduce_prev, norm_cfg)
        self.preprocess1 = build_preprocess(in_channels[1], channels, False, norm_cfg)
        self.ops = nn.ModuleList(build_op(op, channels, stride if j < 2 else 1, norm_cfg)
                                 for op, j in pairs)
        self.inputs = [j for _, j in pairs]
        self.concat = list(concat)
        # DARTS drops whole paths of every operation except the identity.
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def forward(self, s0: Tensor, s1: Tensor) -> Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for i in range(len(self.ops) // 2):
            node = 0
            for n in (2 * i, 2 * i + 1):
                h = self.ops[n](states[self.inputs[n]])
                node = node + (h if isinstance(self.ops[n], nn.Identity) else self.drop_path(h))
            states.append(node)
        return torch.cat([states[i] for i in self.concat], dim=1)


@MODELS.register_module()
class DARTSNet(_DARTSBase):
    """A fixed DARTS network built from a genotype (the evaluation network).

    Args:
        genotype: a genotype dict (see :mod:`mmnas.unnas.genotype`) or a published name
            (``'DARTS_V2'``).
        channels: initial width C (DARTS ImageNet: 48, CIFAR: 36).
        num_cells: cells (DARTS ImageNet: 14, CIFAR: 20).
        in_channels, stem, reduction_cells, last_reduction_stride, out_indices: as
            :class:`DARTSCellNet`.
        norm_cfg: norm of the stem and, with ``affine``, of the cells.
        affine: whether the cells' norms learn γ, β (the DARTS evaluation network does).
        drop_path_rate: probability of dropping a non-identity operation's output per sample
            in training.
        init_cfg: mmengine initialisation.

    Shapes: ``(N, in_channels, H, W) →`` per out index ``(N, |concat| · C_k, H / r_k,
    W / r_k)``.
    """

    def __init__(self,
                 genotype: Union[str, dict],
                 channels: int = 48,
                 num_cells: int = 14,
                 in_channels: int = 3,
                 stem: str = 'imagenet',
                 reduction_cells: Optional[Sequence[int]] = None,
                 last_reduction_stride: int = 2,
                 norm_cfg: dict = dict(type='BN'),
                 affine: bool = True,
                 drop_path_rate: float = 0.0,
                 out_indices: Sequence[int] = (-1, ),
                 init_cfg: Optional[Sequence[dict]] = DEFAULT_INIT) -> None:
        super().__init__(init_cfg=list(init_cfg) if init_cfg else None)
        self.genotype = check_genotype(genotype)
        if not 0 <= drop_path_rate < 1:
            raise ConfigError(f'DARTSNet drop_path_rate={drop_path_rate}: expected [0, 1)')
        concat = dict(normal=self.genotype['normal_concat'],
                      reduce=self.genotype['reduce_concat'])
        layout = CellLayout(
            channels, num_cells, reduction_cells, stem, last_reduction_stride,
            lambda c, is_reduction: len(concat['reduce' if is_reduction else 'normal']) * c)
        self._config = dict(genotype=self.genotype, channels=channels, num_cells=num_cells,
                            in_channels=in_channels, stem=stem,
                            reduction_cells=reduction_cells and list(reduction_cells),
                            last_reduction_stride=last_reduction_stride, norm_cfg=norm_cfg,
                            affine=affine, drop_path_rate=drop_path_rate,
                            out_indices=list(out_indices))
        cell_norm = dict(norm_cfg, affine=affine)
        self._build_stem(stem, in_channels, channels, norm_cfg)
        self.cells = nn.ModuleList(
            Cell(self.genotype['reduce' if c['reduction'] else 'normal'],
                 concat['reduce' if c['reduction'] else 'normal'], c['in_channels'],
                 c['channels'], c['stride'], c['reduce_prev'], cell_norm, drop_path_rate)
            for c in layout.cells)
        self._set_outputs(layout, out_indices)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        return self._forward_cells(x, lambda i, cell, s0, s1: cell(s0, s1))

    def export_arch(self) -> ArchSpec:
        backbone = dict(type='mmnas.DARTSNet', **self._config)
        return ArchSpec(method='unnas', backbone=jsonable_config(backbone))
