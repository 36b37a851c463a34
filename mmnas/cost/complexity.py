"""FLOPs and parameters of a network, counted by mmengine's analysis.

mmengine's ``FlopAnalyzer`` (fvcore's jit tracer) counts one multiply-add as one FLOP for
convolutions, linear layers and matrix products, plus norms and resizes. It has no handle for
``aten::scaled_dot_product_attention``, which torch's ``MultiheadAttention`` uses, so the
attention products of transformers would be left out; :func:`sdpa_flop_jit` adds them.
"""
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Sequence

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import get_shape
from torch import nn


def sdpa_flop_jit(inputs: List[Any], outputs: List[Any]) -> int:
    """Multiply-adds of ``softmax(Q Kᵀ) V`` for Q ``(..., L, d)``, K ``(..., S, d)``,
    V ``(..., S, d_v)``: ``L·S·d`` for the scores and ``L·S·d_v`` for the weighted sum."""
    q, k, v = (get_shape(x) for x in inputs[:3])
    batch = 1
    for size in q[:-2]:
        batch *= size
    return batch * q[-2] * k[-2] * (q[-1] + v[-1])


@contextmanager
def _flop_analyzer(model: nn.Module, input_shape: Sequence[int]) -> Iterator[FlopAnalyzer]:
    """mmengine's analyzer of ``model`` on one ``(1, C, H, W)`` random input, traced in eval
    mode without gradients (a trace in training mode would update BN statistics); the model
    is put back in its mode afterwards."""
    training = model.training
    # A parameter-free module (an identity, a pooling) is counted on the CPU.
    device = next(iter(list(model.parameters()) + list(model.buffers())),
                  torch.empty(0)).device
    # The input comes from a generator of its own: counting, which searches do at moments a
    # resumed run does not repeat (DenseNAS at its first architecture step), must not move
    # the global random stream.
    inputs = torch.randn(1, *input_shape, generator=torch.Generator().manual_seed(0))
    model.eval()
    try:
        with torch.no_grad():
            analyzer = FlopAnalyzer(model, (inputs.to(device), ))
            analyzer.set_op_handle('aten::scaled_dot_product_attention', sdpa_flop_jit)
            analyzer.unsupported_ops_warnings(False)
            analyzer.uncalled_modules_warnings(False)
            yield analyzer
    finally:
        model.train(training)


def count_complexity(model: nn.Module, input_shape: Sequence[int]) -> dict:
    """FLOPs and parameters of ``model`` on one input of shape ``(C, H, W)``.

    Returns:
        ``dict(flops=int, params=int, input_shape=[C, H, W])``.
    """
    with _flop_analyzer(model, input_shape) as analyzer:
        flops = int(analyzer.total())
    return dict(flops=flops, params=int(parameter_count(model)['']),
                input_shape=[int(s) for s in input_shape])


def module_flops(model: nn.Module, input_shape: Sequence[int]) -> Dict[str, int]:
    """FLOPs of every submodule of ``model`` (by module path, ``''`` the whole) on one
    ``(C, H, W)`` input, counted as :func:`count_complexity` counts them."""
    with _flop_analyzer(model, input_shape) as analyzer:
        return dict(analyzer.by_module())


#: mmengine's operator groups that are products of weights and activations.
MULTIPLY_ADD_OPS = ('conv', 'linear', 'addmm', 'matmul', 'bmm', 'einsum',
                    'scaled_dot_product_attention')


def count_multiply_adds(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-adds of the convolutions, linear layers and matrix products of ``model`` on
    one ``(C, H, W)`` input, without the norms and resizes that :func:`count_complexity` adds:
    the "FLOPs" of the mobile-network papers (MobileNetV3, OFA, BigNAS, AttentiveNAS)."""
    with _flop_analyzer(model, input_shape) as analyzer:
        return int(sum(n for op, n in analyzer.by_operator().items()
                       if op in MULTIPLY_ADD_OPS))
