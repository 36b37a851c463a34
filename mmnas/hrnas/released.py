"""The authors' released per-block architecture file and our ArchSpec, both ways.

The released code writes a searched network as a JSON list with one row per searching block,
in the order the blocks are built, ``[out_channels, 1, stride, kernels, hidden_channels,
expand]`` (``kernels`` the depthwise kernels still alive, ``hidden_channels`` their widths;
both empty for a block that is its residual alone). The build order is: for every module
pair, the fusion module's paths (output branch ``i``, then input branch ``j`` from low to
high), its new branches, then the parallel module's blocks branch by branch; then the head's
blocks (classification: the widening blocks, then the stride-2 merging blocks; dense tasks:
the one block after the concatenation). That is the order of :func:`released_blocks`.

The rows carry no transformer widths (the released classification config searches and
retrains without transformers), so the transformers keep the supernet's tokens, if any.
"""
from typing import Dict, List, Mapping, Sequence, Tuple

from torch import nn

from mmnas.utils.config_check import ConfigError
from .searching_block import SearchingBlock

#: Fields of one released row.
ROW_FIELDS = ('out_channels', 'repeat', 'stride', 'kernels', 'hidden_channels', 'expand')


def released_blocks(backbone: nn.Module,
                    heads: Mapping[str, nn.Module] = {}) -> List[Tuple[str, SearchingBlock]]:
    """``(name, block)`` of every searching block of ``backbone`` (an ``HRNASSuperNet``) and of
    the searched ``heads`` (``{attribute: head}``), in the released build order; names are
    the backbone's own and ``'<attribute>.<name>'`` for heads."""
    blocks = dict(backbone.searching_blocks())
    order = []
    for m in range(len(backbone.stages)):
        for prefix in (f'fusions.{m}.', f'stages.{m}.'):
            order += [(n, b) for n, b in blocks.items() if n.startswith(prefix)]
    if len(order) != len(blocks):
        raise ConfigError('released_blocks: the backbone has searching blocks outside its '
                          'fusion and parallel modules')
    for key, head in heads.items():
        order += [(f'{key}.{n}', b) for n, b in head.searching_blocks()]
    return order


def arch_from_released(rows: Sequence[Sequence], backbone: nn.Module,
                       heads: Mapping[str, nn.Module] = {}
                       ) -> Tuple[Dict[str, dict], Dict[str, Dict[str, dict]]]:
    """The widths of the released ``rows`` as ``arch`` dicts: ``(backbone arch, {attribute:
    head arch})``, for the uncut ``backbone`` and ``heads`` of the same supernet.

    Raises:
        ConfigError: the row count, a row's form, output width, stride or kernels do not
            match the supernet.
    """
    order = released_blocks(backbone, heads)
    if len(rows) != len(order):
        raise ConfigError(f'released architecture: {len(rows)} rows, but the supernet has '
                          f'{len(order)} searching blocks; expected one row per block')
    kernel_sizes = list(backbone.kernel_sizes)
    arch: Dict[str, dict] = {}
    head_arch: Dict[str, Dict[str, dict]] = {key: {} for key in heads}
    for i, (row, (name, block)) in enumerate(zip(rows, order)):
        if not isinstance(row, (list, tuple)) or len(row) != len(ROW_FIELDS):
            raise ConfigError(f'released architecture row {i}: {row!r}; expected '
                              f'[{", ".join(ROW_FIELDS)}]')
        out, _, stride, kernels, hidden, expand = row
        if expand is not True:
            raise ConfigError(f'released architecture row {i}: expand is {expand!r}; every '
                              'searching block here has its 1×1 expansion (expected true)')
        if (out, stride) != (block.out_channels, block.stride):
            raise ConfigError(f'released architecture row {i}: {out} channels at stride '
                              f'{stride}, but block {name} has {block.out_channels} at stride '
                              f'{block.stride}')
        if len(kernels) != len(hidden) or not set(kernels) <= set(kernel_sizes):
            raise ConfigError(f'released architecture row {i}: kernels {kernels} with widths '
                              f'{hidden}; expected one width per kernel of {kernel_sizes}')
        widths = dict(zip(kernels, hidden))
        spec = dict(hidden_channels=[int(widths.get(k, 0)) for k in kernel_sizes])
        key = name.split('.', 1)[0]
        if key in head_arch:
            head_arch[key][name.split('.', 1)[1]] = spec
        else:
            arch[name] = spec
    return arch, head_arch


def released_from_network(backbone: nn.Module,
                          heads: Mapping[str, nn.Module] = {}) -> List[list]:
    """The released rows of a (cut) ``backbone`` and its searched ``heads``."""
    return [[block.out_channels, 1, block.stride, block.kernel_sizes, block.hidden_channels,
             True] for _, block in released_blocks(backbone, heads)]
