"""The expected cost of a DenseNAS supernet under its architecture distribution.

Each candidate's cost comes from a :class:`~mmnas.cost.CostTable` (latency measured on the
device, or FLOPs as the fallback), at the shape it sees in the supernet. A basic layer or a
searched head costs ``Σ_o softmax(α)_o · cost_o``, over the operations the step samples (the
released search: the renormalised ``softmax`` of the drawn pair in the architecture step) or
over all of them; a block costs its layers' sum, and the network the chained (or local)
combination of :mod:`mmnas.densenas.routing` over the transition probabilities, heads
included, so the cost is differentiable in α and β. With ``num_classes`` the classifier's cost
(the linear layer after the global pooling, the same on every path) is added, as the authors'
released search adds it (the paper is silent): a constant that shifts ``log(cost)``.
"""
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from torch import Tensor

from mmnas.cost import CostTable, build_cost_table
from mmnas.utils.config_check import ConfigError
from .routing import chained_cost, local_cost
from .supernet import DenseNASRouted

ESTIMATIONS = ('chained', 'local')
EXPECTATIONS = ('sampled', 'all')


class DenseNASCostModel:
    """Expected cost of ``backbone`` at ``input_shape`` from ``table``.

    Args:
        backbone: the supernet.
        input_shape: ``(C, H, W)`` the table was measured at.
        table: a :class:`CostTable`, a path to one, or ``None`` for a FLOPs table counted
            from the supernet's own modules now (the device-independent fallback).
        estimation: ``'chained'`` (DenseNAS supp. Sec. 3.3) or ``'local'`` (the Table 2 baseline).
        expectation: ``'sampled'``: a layer's or searched head's cost is the expectation over
            the operations the supernet runs now (:meth:`DenseNASRouted.sample_ops`; all when
            none are sampled), as the released search computes it; ``'all'``: always over
            every candidate.
        skip_cost: ``None``, or the cost of ``skip`` as this fraction of the layer's first
            candidate (the released ResNet search's regularisation, 0.1: a free skip would
            otherwise always win the cost term).
        num_classes: ``None``, or the classes of the linear classifier whose cost
            (:meth:`DenseNASRouted.cost_graph`) is added to every path's.

    ``model(backbone)`` returns the expected cost, a scalar tensor in ``table.unit``.
    """

    def __init__(self,
                 backbone: DenseNASRouted,
                 input_shape: Sequence[int],
                 table: Union[None, str, CostTable] = None,
                 estimation: str = 'chained',
                 expectation: str = 'sampled',
                 skip_cost: Optional[float] = None,
                 num_classes: Optional[int] = None) -> None:
        if estimation not in ESTIMATIONS:
            raise ConfigError(f'DenseNAS cost estimation {estimation!r}: expected one of '
                              f'{ESTIMATIONS}')
        if expectation not in EXPECTATIONS:
            raise ConfigError(f'DenseNAS cost expectation {expectation!r}: expected one of '
                              f'{EXPECTATIONS}')
        if skip_cost is not None and not 0 <= skip_cost <= 1:
            raise ConfigError(f'DenseNAS skip_cost={skip_cost}: expected a fraction in [0, 1]')
        self.estimation = estimation
        self.expectation = expectation
        graph, entries = backbone.cost_graph(input_shape, num_classes)
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
        #: The classifier's cost (0 without ``num_classes``).
        self.classifier = float(table[graph['classifier']]) if graph['classifier'] else 0.0
        self.heads = {e: (float(table[k]) if isinstance(k, str) else
                          torch.tensor([table[x] for x in k], device=device))
                      for e, k in graph['heads'].items()}
        self.layers = [torch.tensor([table[k] for k in keys], device=device)
                       for keys in graph['layers']]
        if skip_cost is not None and 'skip' in backbone.candidate_ops:
            skip = backbone.candidate_ops.index('skip')
            for costs in self.layers:
                costs[skip] = skip_cost * costs[0]
        self.head_edges = list(backbone.head_edges)
        self.layer_blocks = [j for j, _ in backbone.layer_index]
        self.num_nodes = len(backbone.nodes)

    @property
    def unit(self) -> str:
        return self.table.unit

    def _expected(self, alpha: Tensor, costs: Tensor,
                  active: Optional[Sequence[int]]) -> Tensor:
        """``Σ_o softmax(α)_o · cost_o`` over ``active`` (renormalised) or every candidate."""
        costs = costs.to(alpha.device)
        if active is None or self.expectation == 'all':
            return F.softmax(alpha, 0) @ costs
        return F.softmax(alpha[list(active)], 0) @ costs[list(active)]

    def own_costs(self, backbone: DenseNASRouted) -> list:
        """Per block, its basic layers' expected cost (the stem's for block 0)."""
        device = next(iter(backbone.arch_parameters())).device
        own = [torch.zeros((), device=device) for _ in range(self.num_nodes)]
        own[0] = own[0] + self.stem
        active = backbone.active_ops or [None] * len(self.layers)
        for j, alpha, costs, ops in zip(self.layer_blocks, backbone.alphas, self.layers,
                                        active):
            own[j] = own[j] + self._expected(alpha, costs, ops)
        return own

    def head_costs(self, backbone: DenseNASRouted) -> dict:
        """Per connection, its head's (expected) cost."""
        heads = dict(self.heads)
        active = backbone.active_head_ops or [None] * len(self.head_edges)
        for e, alpha, ops in zip(self.head_edges, backbone.head_alphas, active):
            heads[e] = self._expected(alpha, self.heads[e], ops)
        return heads

    def __call__(self, backbone: DenseNASRouted) -> Tensor:
        probs = backbone.transition_probs()
        heads = self.head_costs(backbone)
        edges = {e: (probs[e], heads[e]) for e in backbone.edges}
        combine = chained_cost if self.estimation == 'chained' else local_cost
        return combine(self.own_costs(backbone), edges) + self.classifier
