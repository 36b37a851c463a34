"""Resource-aware progressive shrinking (HR-NAS §3.3): which channels are searched, what each
costs, which of them to cut, and the cut itself.

The searched channels are the hidden channels of every kernel branch of every searching block
of the backbone and of the heads searched with it (:class:`SearchScope`; their scales γ live
in each :class:`KernelBranch`'s ``dw_norm``) and the tokens of every lightweight transformer
(γ of its ``token_norm``). Channel ``c`` gets the penalty weight
``p_c = cost_c / mean_c' cost_c'``, where ``cost_c`` is its op's FLOPs divided by the op's
channels, counted by mmengine's FLOPs analysis at a fixed input size.
"""
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from mmnas.cost import module_flops
from mmnas.models import HEAD_KEYS, get_searchable_backbone, searched_heads, unwrap_model
from mmnas.models.ops import ParamSlice
from mmnas.structures import ArchSpec
from mmnas.utils.config_check import ConfigError
from .context import LightweightTransformer
from .fused_block import FusedSearchingBlock
from .searching_block import SearchingBlock


class SearchScope(nn.Module):
    """The searched part of a stock model as one network: its HR-NAS backbone and the parts
    after it up to the last one with searching blocks (e.g. mmseg's decode head, or mmpose's
    stock ``FeatureMapProcessor`` and then the head), so that channels of all of them are
    found, priced and cut together.

    Holds the model's own modules (no copies). Block names carry the part's attribute:
    ``backbone.stages.2.branches.1.0``, ``decode_head.transform``.

    Shapes: ``(N, C, H, W) → the last searched part's output``.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        model = unwrap_model(model)
        self.backbone = get_searchable_backbone(model)
        self.kernel_sizes = tuple(self.backbone.kernel_sizes)
        heads = searched_heads(model)
        present = [key for key in HEAD_KEYS if getattr(model, key, None) is not None]
        last = max((present.index(key) for key in heads), default=-1)
        self.parts = present[:last + 1]
        for key in self.parts:
            setattr(self, key, getattr(model, key))
        fused = [name for name, m in self.named_modules() if isinstance(m, FusedSearchingBlock)]
        if fused:
            raise ConfigError(f'HR-NAS: {fused[0]} (and {len(fused) - 1} more) is a '
                              'FusedSearchingBlock, the deploy form, which cannot be shrunk; '
                              'expected SearchingBlocks (build the network with fused=False)')
        for key, head in heads.items():
            if tuple(head.kernel_sizes) != self.kernel_sizes:
                raise ConfigError(f'HR-NAS: the searched {key} has kernels '
                                  f'{list(head.kernel_sizes)} but the backbone '
                                  f'{list(self.kernel_sizes)}; expected the same kernels')

    def searching_blocks(self):
        """``(name, block)`` for every searching block, in forward order."""
        return ((name, m) for name, m in self.named_modules() if isinstance(m, SearchingBlock))

    def forward(self, x: Tensor):
        feats = self.backbone(x)
        for key in self.parts:
            feats = getattr(self, key)(feats)
        return feats


def scope_arch(spec: ArchSpec) -> Dict[str, Mapping]:
    """The per-block widths of ``spec`` (backbone and searched heads) by
    :class:`SearchScope` block name."""
    arch = {f'backbone.{name}': widths for name, widths in spec.backbone['arch'].items()}
    for key, cfg in spec.heads.items():
        arch.update({f'{key}.{name}': widths for name, widths in cfg.get('arch', {}).items()})
    return arch


@dataclass
class ScaleGroup:
    """Searched channels of one op: a kernel branch or a transformer's tokens.

    Attributes:
        block: name of the searching block (a module path in the backbone).
        kind: ``'kernel'`` or ``'tokens'``.
        index: position of the kernel among the block's current kernels (0 for tokens).
        norm: module path of the BN whose γ are searched (all its channels are the
            group's).
        size: channels in the group.
        cost: FLOPs per channel (cost_c above, before normalisation).
    """
    block: str
    kind: str
    index: int
    norm: str
    size: int
    cost: float


def scale_groups(backbone: nn.Module, input_shape: Sequence[int]) -> List[ScaleGroup]:
    """Every searched channel group of ``backbone`` (a ``HRNASSuperNet`` or a
    :class:`SearchScope`) with its per-channel FLOPs.

    A kernel branch's channel costs ``B_k / h_k``, its branch's FLOPs (expansion, depthwise,
    projection and two BNs) over its width; a token costs ``T / n`` of its transformer's
    FLOPs ``T``.
    """
    flops = module_flops(backbone, input_shape)
    groups = []
    for name, block in backbone.searching_blocks():
        for i, h in enumerate(block.hidden_channels):
            groups.append(ScaleGroup(name, 'kernel', i, f'{name}.branches.{i}.dw_norm', h,
                                     flops.get(f'{name}.branches.{i}', 0) / h))
        if isinstance(block.context, LightweightTransformer):
            n = block.context.num_tokens
            groups.append(ScaleGroup(name, 'tokens', 0, f'{name}.context.token_norm', n,
                                     flops.get(f'{name}.context', 0) / n))
    return groups


def mean_cost(groups: Sequence[ScaleGroup]) -> float:
    """``mean_c cost_c`` over all searched channels, the normaliser of the penalty weights."""
    return sum(g.cost * g.size for g in groups) / sum(g.size for g in groups)


def marginal_token_cost(group: ScaleGroup, alive: int, dim: int) -> float:
    """Price of one token of a transformer with ``alive`` tokens left, as the released code
    prices it: its share of the transformer's cost that grows linearly with the tokens plus
    the marginal cost of the ``alive``-th token in the attention products (``2·d`` per pair of
    ``d``-dimensional tokens):

        (T - 2·d·n₀²) / n₀ + 2·d·(n² - (n - 1)²)

    with ``T = cost·n₀`` the transformer's FLOPs when it was priced with ``n₀`` tokens.
    """
    n0 = group.size
    return (group.cost * n0 - 2 * dim * n0**2) / n0 + 2 * dim * (alive**2 - max(alive - 1, 0)**2)


def penalty_weights(groups: Sequence[ScaleGroup],
                    backbone: nn.Module) -> List[Tuple[nn.Parameter, Tensor]]:
    """``(γ, p)`` per searched BN: p holds each channel's ``cost_c / mean cost``."""
    if not groups:
        return []
    mean = mean_cost(groups)
    weights = []
    for g in groups:
        gamma = backbone.get_submodule(g.norm).weight
        weights.append((gamma, torch.full_like(gamma, g.cost / mean, requires_grad=False)))
    return weights


def l1_penalty(weights: Sequence[Tuple[nn.Parameter, Tensor]]) -> Tensor:
    """``Σ_c p_c |γ_c|`` over all searched channels (the term λ multiplies); 0 once every
    searched channel is gone."""
    if not weights:
        return torch.zeros(())
    return torch.stack([(p * gamma.abs()).sum() for gamma, p in weights]).sum()


def plan_shrink(groups: Sequence[ScaleGroup], backbones: Sequence[nn.Module],
                threshold: float) -> Tuple[Dict[str, dict], float]:
    """Which channels survive: those with ``|γ| > threshold`` in any of ``backbones`` (the
    trained network and, if there is one, its EMA copy).

    Returns:
        ``(plan, saved)``: per block that changes, ``dict(kernels=[kept indices per current
        kernel])`` and/or ``dict(tokens=kept indices)`` (empty: remove the transformer), and
        the FLOPs the cut saves.
    """
    plan: Dict[str, dict] = {}
    saved = 0.0
    blocks = dict(backbones[0].searching_blocks())
    for g in groups:
        alive = torch.zeros(g.size, dtype=torch.bool)
        for backbone in backbones:
            gamma = backbone.get_submodule(g.norm).weight.detach()
            alive |= gamma.abs().cpu() > threshold
        keep = alive.nonzero().flatten()
        context = blocks[g.block].context
        if g.kind == 'tokens' and not context.prunable_tokens and len(keep):
            keep = torch.arange(g.size)  # spatial tokens: the whole transformer or nothing
        if len(keep) == g.size:
            continue
        saved += g.cost * (g.size - len(keep))
        entry = plan.setdefault(g.block, {})
        if g.kind == 'tokens':
            entry['tokens'] = keep
        else:
            block = blocks[g.block]
            entry.setdefault('kernels', [torch.arange(h) for h in block.hidden_channels])
            entry['kernels'][g.index] = keep
    return plan, saved


def plan_for_arch(backbone: nn.Module, arch: Mapping[str, Mapping]) -> Dict[str, dict]:
    """The cut that turns ``backbone`` into the widths of ``arch`` (an ``export_arch()``
    result), keeping the first channels: used to give a network the shape of a checkpoint
    before its weights are loaded."""
    plan = {}
    for name, block in backbone.searching_blocks():
        spec = arch.get(name)
        if spec is None:
            continue
        target = dict(zip(backbone.kernel_sizes, spec['hidden_channels']))
        current = dict(zip(block.kernel_sizes, block.hidden_channels))
        entry = {}
        if any(target.get(k, 0) > h for k, h in current.items()) or \
                any(k not in current for k, h in target.items() if h):
            raise ConfigError(f'HR-NAS: block {name} has kernels {current} and cannot be cut to '
                              f'{target}')
        if any(target.get(k, 0) != h for k, h in current.items()):
            entry['kernels'] = [torch.arange(target.get(k, 0)) for k in block.kernel_sizes]
        tokens = spec.get('num_tokens')
        if isinstance(block.context, LightweightTransformer) and tokens is not None and \
                tokens != block.context.num_tokens:
            entry['tokens'] = torch.arange(tokens)
        if entry:
            plan[name] = entry
    return plan


def apply_plan(backbone: nn.Module, plan: Mapping[str, dict]) -> List[ParamSlice]:
    """Cut ``backbone`` in place as ``plan`` says; returns how every cut parameter maps to
    its replacement (for the optimizer state)."""
    blocks: Dict[str, SearchingBlock] = dict(backbone.searching_blocks())
    slices: List[ParamSlice] = []
    for name, entry in plan.items():
        block = blocks[name]
        if 'kernels' in entry:
            slices += block.prune(entry['kernels'])
        tokens: Optional[Tensor] = entry.get('tokens')
        if tokens is not None:
            if len(tokens) == 0:
                slices += block.remove_context()
            else:
                slices += block.context.prune(tokens)
    return slices
