"""DARTS genotypes: the discrete cell a search ends with, as plain JSON-friendly data.

A genotype describes two cells, ``normal`` and ``reduce``; each is a list of
``[operation, input]`` pairs, two per intermediate node in node order: node ``i`` (the
``i + 2``-th state of the cell; states 0 and 1 are the two cell inputs c_{k-2}, c_{k-1}) is
``op_a(state[input_a]) + op_b(state[input_b])`` with inputs < i + 2. ``normal_concat`` /
``reduce_concat`` list the states whose concatenation is the cell output::

    dict(normal=[['sep_conv_3x3', 0], ['sep_conv_3x3', 1], ...],  # 2 × num_nodes pairs
         normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])
"""
import copy
import json
import random
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

import torch
from torch import Tensor

from mmnas.utils.config_check import ConfigError
from .operations import PRIMITIVES

CELL_TYPES = ('normal', 'reduce')

DATA_DIR = Path(__file__).parent / 'tables'


def _load_zoo() -> Tuple[Dict[str, dict], Dict[str, dict]]:
    """The released genotypes and their evaluation sizes (``tables/genotypes.json``)."""
    with open(DATA_DIR / 'genotypes.json') as f:
        zoo = json.load(f)
    return ({k: v['genotype'] for k, v in zoo.items()}, {k: v['eval'] for k, v in zoo.items()})


#: Published genotypes, usable by name wherever a genotype is expected: DARTS's first- and
#: second-order CIFAR-10 cells (Liu et al., ICLR 2019), P-DARTS (Chen et al., ICCV 2019),
#: PC-DARTS searched on CIFAR-10 and on ImageNet (Xu et al., ICLR 2020), and the twelve
#: UnNAS cells (Liu et al., ECCV 2020, supp. §C) searched on ImageNet-1K, ImageNet-22K and
#: Cityscapes with labels (``CLS``; on Cityscapes ``SEG``, segmentation labels) or a pretext
#: task (``ROT``, ``COL``, ``JIG``). The data are those of the released UnNAS code.
#: EVAL_SIZES: per name the released evaluation network's ``channels`` and ``num_cells`` for
#: ``imagenet`` (the width that matches the mobile-setting FLOPs of that cell, 42–54) and
#: ``cityscapes`` (78–86); names the release did not evaluate have none.
GENOTYPES, EVAL_SIZES = _load_zoo()


def eval_size(genotype: str, task: str) -> dict:
    """``dict(channels=..., num_cells=...)`` of the released ``task`` (``'imagenet'`` or
    ``'cityscapes'``) evaluation network of the zoo cell ``genotype``."""
    sizes = EVAL_SIZES.get(genotype.upper()) if isinstance(genotype, str) else None
    if sizes is None:
        raise ConfigError(f'genotype {genotype!r}: expected one of {sorted(GENOTYPES)}')
    if task not in sizes:
        raise ConfigError(f'genotype {genotype!r} has no released {task!r} evaluation size; '
                          f'it has {sorted(sizes)}: set channels and num_cells yourself')
    return dict(sizes[task])


def num_edges(num_nodes: int) -> int:
    """Edges of a search cell: node i has i + 2 inputs (14 for 4 nodes)."""
    return sum(i + 2 for i in range(num_nodes))


def edge_index(node: int, source: int) -> int:
    """Row of α for the edge from state ``source`` into intermediate node ``node``."""
    return sum(i + 2 for i in range(node)) + source


def derive_cell(weights: Tensor, primitives: Sequence[str], num_nodes: int) -> List[list]:
    """The discrete cell of one α (DARTS's rule).

    Args:
        weights: ``(E, O)`` softmax(α) over the O ``primitives`` on the E edges.
        primitives: the operation of each column.
        num_nodes: intermediate nodes (E = :func:`num_edges`).

    Returns:
        ``[op, input]`` pairs: per node the 2 incoming edges whose strongest non-``none``
        weight is largest, each with that strongest non-``none`` operation.
    """
    keep = [k for k, name in enumerate(primitives) if name != 'none']
    if not keep:
        raise ConfigError(f'DARTS primitives {list(primitives)}: no operation besides "none" '
                          'to derive a cell from')
    weights = weights[:, keep]
    cell = []
    for node in range(num_nodes):
        rows = weights[edge_index(node, 0):edge_index(node, node + 2)]
        strength, best = rows.max(dim=1)
        # Stable order: ties go to the earlier input, as Python's sort in DARTS.
        order = sorted(range(node + 2), key=lambda j: -float(strength[j]))[:2]
        cell.extend([primitives[keep[int(best[j])]], j] for j in order)
    return cell


def derive_genotype(alpha_normal: Tensor, alpha_reduce: Tensor, primitives: Sequence[str],
                    num_nodes: int = 4, multiplier: int = 4) -> dict:
    """The genotype of a search network's α (``(E, O)`` each)."""
    concat = list(range(2 + num_nodes - multiplier, num_nodes + 2))
    with torch.no_grad():
        return dict(
            normal=derive_cell(alpha_normal.softmax(dim=-1), primitives, num_nodes),
            normal_concat=concat,
            reduce=derive_cell(alpha_reduce.softmax(dim=-1), primitives, num_nodes),
            reduce_concat=list(concat))


def sample_genotype(rng: random.Random, primitives: Sequence[str] = PRIMITIVES,
                    num_nodes: int = 4, multiplier: int = 4) -> dict:
    """A genotype drawn as the released UnNAS sample-based experiments draw them (supp. §A;
    their 500 released samples per setting have these statistics): per cell type and
    intermediate node, two ``[op, input]`` pairs, each op uniform over all ``primitives``
    including ``none`` and each input uniform and independent over the earlier states, so a
    node may read one state twice. The last ``multiplier`` nodes make up the output.

    Args:
        rng: the random source (``random.Random(seed)`` makes the draw reproducible).
        primitives: the candidate operations.
        num_nodes: intermediate nodes per cell.
        multiplier: how many of the last nodes make up the cell output.
    """
    ops = list(primitives)
    if not any(p != 'none' for p in ops):
        raise ConfigError(f'DARTS primitives {ops}: no operation besides "none" to sample '
                          'from')
    if not 1 <= multiplier <= num_nodes:
        raise ConfigError(f'sample_genotype multiplier={multiplier}: expected 1..num_nodes='
                          f'{num_nodes}')
    concat = list(range(2 + num_nodes - multiplier, num_nodes + 2))
    genotype = {}
    for cell in CELL_TYPES:
        genotype[cell] = [[rng.choice(ops), rng.randrange(node + 2)]
                          for node in range(num_nodes) for _ in range(2)]
        genotype[f'{cell}_concat'] = list(concat)
    return genotype


def check_genotype(genotype: Union[str, dict]) -> dict:
    """A copy of ``genotype`` (or the published one of that name, in any case) after checking
    its shape. ``none`` and a node reading one state twice are allowed, as in the released
    samples.

    Raises:
        ConfigError: naming the cell and entry that is not ``[op, input]`` with a known
            operation and an input of an earlier state.
    """
    if isinstance(genotype, str):
        if genotype.upper() not in GENOTYPES:
            raise ConfigError(f'genotype {genotype!r}: expected a dict or one of '
                              f'{sorted(GENOTYPES)}')
        genotype = GENOTYPES[genotype.upper()]
    if not isinstance(genotype, dict):
        raise ConfigError(f'genotype: expected a dict, got {type(genotype).__name__}')
    expected = {f'{c}{s}' for c in CELL_TYPES for s in ('', '_concat')}
    if set(genotype) != expected:
        raise ConfigError(f'genotype keys {sorted(genotype)}: expected {sorted(expected)}')
    genotype = copy.deepcopy(genotype)
    for cell in CELL_TYPES:
        pairs = genotype[cell]
        if not isinstance(pairs, (list, tuple)) or not pairs or len(pairs) % 2:
            raise ConfigError(f'genotype.{cell}: expected two [op, input] pairs per node')
        for n, pair in enumerate(pairs):
            node = n // 2
            if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                    or pair[0] not in PRIMITIVES
                    or not isinstance(pair[1], int) or not 0 <= pair[1] < node + 2):
                raise ConfigError(
                    f'genotype.{cell}[{n}]={pair!r}: expected [op, input] with op one of '
                    f'{list(PRIMITIVES)} and input in [0, {node + 1}]')
        genotype[cell] = [list(p) for p in pairs]
        concat = list(genotype[f'{cell}_concat'])
        num_states = len(pairs) // 2 + 2
        if not concat or any(not isinstance(i, int) or not 0 <= i < num_states
                             for i in concat):
            raise ConfigError(f'genotype.{cell}_concat={concat!r}: expected states in '
                              f'[0, {num_states - 1}]')
        genotype[f'{cell}_concat'] = concat
    if len(genotype['normal']) != len(genotype['reduce']):
        raise ConfigError('genotype: normal and reduce cells must have the same number of '
                          'nodes')
    return genotype
