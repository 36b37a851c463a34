"""The expected cost of a DenseNAS supernet under its architecture distribution.

Each candidate's cost comes from a :class:`~mmnas.cost.CostTable` (latency measured on the
device, or FLOPs as the fallback), at the shape it sees in the supernet. A basic layer costs
``Σ_o softmax(α)_o · cost_o``, a block its layers' sum, and the network the chained (or local)
combination of :mod:`mmnas.densenas.routing` over the transition probabilities, so the cost
is differentiable in α and β.
"""
from typing import Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from torch import Tensor

from mmnas.cost import CostTable, build_cost_table
from mmnas.utils.config_check import ConfigError
from .routing import chained_cost, local_cost
from .supernet import DenseNASRouted

ESTIMATIONS = ('chained', 'local')


class DenseNASCostModel:
    """Expected cost of ``backbone`` at ``input_shape`` from ``table``.

    Args:
        backbone: the supernet.
        input_shape: ``(C, H, W)`` the table was measured at.
        table: a :class:`CostTable`, a path to one, or ``None`` for a FLOPs table counted
            from the supernet's own modules now (the device-independent fallback).
        estimation: ``'chained'`` (DenseNAS supp. Sec. 3.3) or ``'local'`` (the Table 2 baseline).

    ``model(backbone)`` returns the expected cost, a scalar tensor in ``table.unit``.
    """

    def __init__(self,
                 backbone: DenseNASRouted,
                 input_shape: Sequence[int],
                 table: Union[None, str, CostTable] = None,
                 estimation: str = 'chained') -> None:
        if estimation not in ESTIMATIONS:
            raise ConfigError(f'DenseNAS cost estimation {estimation!r}: expected one of '
                              f'{ESTIMATIONS}')
        self.estimation = estimation
        graph, entries = backbone.cost_graph(input_shape)
        if table is None:
            table = build_cost_table(entries, metric='flops',
                                     meta=dict(input_shape=list(input_shape)))
            print_log(f'DenseNAS: no cost table given, counted FLOPs of {len(table)} '
                      'operations instead', logger='current')
        elif isinstance(table, str):
            table = CostTable.load(table)
        elif not isinstance(table, CostTable):
            raise ConfigError(f'DenseNAS cost table: expected a path or a CostTable, got '
                              f'{type(table).__name__}')
        self.table = table
        device = next(iter(backbone.arch_parameters())).device
        self.stem = float(table[graph['stem']])
        self.heads = {e: float(table[k]) for e, k in graph['heads'].items()}
        self.layers = [torch.tensor([table[k] for k in keys], device=device)
                       for keys in graph['layers']]
        self.layer_blocks = [j for j, _ in backbone.layer_index]
        self.num_nodes = len(backbone.nodes)

    @property
    def unit(self) -> str:
        return self.table.unit

    def own_costs(self, backbone: DenseNASRouted) -> list:
        """Per block, its basic layers' expected cost (the stem's for block 0)."""
        device = next(iter(backbone.arch_parameters())).device
        own = [torch.zeros((), device=device) for _ in range(self.num_nodes)]
        own[0] = own[0] + self.stem
        for j, alpha, costs in zip(self.layer_blocks, backbone.alphas, self.layers):
            own[j] = own[j] + F.softmax(alpha, 0) @ costs.to(alpha.device)
        return own

    def __call__(self, backbone: DenseNASRouted) -> Tensor:
        probs = backbone.transition_probs()
        edges = {e: (probs[e], self.heads[e]) for e in backbone.edges}
        combine = chained_cost if self.estimation == 'chained' else local_cost
        return combine(self.own_costs(backbone), edges)
