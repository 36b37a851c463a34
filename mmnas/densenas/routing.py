"""The arithmetic of DenseNAS on its block graph, free of any network.

The routing blocks form a DAG ``0 → … → N+1`` (0: the input block, N+1: the ending block);
an edge ``(i, j)`` carries the transition probability ``p_ij = softmax(β_i)_j`` over block
``i``'s outgoing edges, so the probabilities leaving a block sum to one and the paths from 0
to N+1 form a distribution.

- :func:`viterbi`: the most probable path (DenseNAS supp. Algorithm 1);
- :func:`chained_cost` / :func:`local_cost`: the expected network cost (DenseNAS supp. Sec. 3.3 and
  A.5, Table 2);
- :func:`rebalance_alpha`: the re-balancing bias of DenseNAS supp. eq. (1).
"""
from typing import Dict, List, Mapping, Sequence, Tuple, Union

import torch
from torch import Tensor

Edge = Tuple[int, int]
Number = Union[float, Tensor]


def viterbi(num_nodes: int, probs: Mapping[Edge, float]) -> List[int]:
    """The path ``0 → … → num_nodes - 1`` with the largest product of edge probabilities.

    DenseNAS supp. Algorithm 1: ``P[0] = 1``, ``P[j] = max_i P[i]·p_ij`` over the
    predecessors ``i`` of ``j`` (``S[j]`` the maximiser), then backtrack from the ending
    block. Ties go to the nearest predecessor.

    Args:
        num_nodes: N + 2 (input block, N routing blocks, ending block).
        probs: ``p_ij`` for every edge ``i < j``.

    Returns:
        the block indices on the path, ``[0, …, num_nodes - 1]``.
    """
    best = [0.0] * num_nodes
    best[0] = 1.0
    back = [-1] * num_nodes
    for j in range(1, num_nodes):
        for i in sorted((i for i, k in probs if k == j), reverse=True):
            score = best[i] * float(probs[(i, j)])
            if back[j] < 0 or score > best[j]:
                best[j], back[j] = score, i
        if back[j] < 0:
            raise ValueError(f'viterbi: block {j} has no incoming edge')
    path = [num_nodes - 1]
    while path[-1] != 0:
        path.append(back[path[-1]])
    return path[::-1]


def chained_cost(own: Sequence[Number], edges: Mapping[Edge, Tuple[Number, Number]]) -> Number:
    """Expected cost of the network by chained estimation, computed backwards.

    ``chained_b = own_b + Σ_{j ∈ out(b)} p_bj · (head_bj + chained_j)`` from the ending block
    down to the input block; ``chained_0`` is the expectation, over paths drawn with the
    transition probabilities, of the path's cost (its blocks' own costs plus its heads).

    Args:
        own: ``own_b`` per block (its basic layers' expected cost; the stem for block 0).
        edges: ``(i, j) → (p_ij, head_ij)``, the probability and the cost of the
            shape-alignment head on the edge.
    """
    chained: Dict[int, Number] = {}
    for b in range(len(own) - 1, -1, -1):
        total = own[b]
        for (i, j), (prob, head) in edges.items():
            if i == b:
                total = total + prob * (head + chained[j])
        chained[b] = total
    return chained[0]


def local_cost(own: Sequence[Number], edges: Mapping[Edge, Tuple[Number, Number]]) -> Number:
    """Expected cost by local estimation (DenseNAS supp. Table 2 baseline): every block counts
    as present, its heads weighted by their own probability only,
    ``Σ_b own_b + Σ_(i,j) p_ij · head_ij``."""
    total = sum(own[1:], own[0])
    for prob, head in edges.values():
        total = total + prob * head
    return total


@torch.no_grad()
def rebalance_alpha(before: Tensor, after: Tensor, sampled: Tensor) -> Tensor:
    """DenseNAS supp. eq. (1): keep an architecture step from moving the unsampled operations.

    Only the sampled entries ``O_s`` of ``after`` keep their update; the others are reset to
    ``before``, and ``bias = ln(Σ_{O_s} exp α_o / Σ_{O_s} exp α'_o)`` is added to the sampled
    ones, so that their total ``Σ_{O_s} exp`` (hence the softmax normaliser, hence every
    unsampled probability) is what it was.

    Args:
        before: α of one layer before the step, ``(num_ops,)``.
        after: α after the optimiser step, ``(num_ops,)``.
        sampled: indices of the sampled operations.

    Returns:
        the re-balanced α, ``(num_ops,)``.
    """
    out = before.clone()
    bias = torch.logsumexp(before[sampled], 0) - torch.logsumexp(after[sampled], 0)
    out[sampled] = after[sampled] + bias
    return out
