"""FLOPs and parameters of a network, counted by mmengine's analysis.

mmengine's ``FlopAnalyzer`` (fvcore's jit tracer) counts one multiply-add as one FLOP for
convolutions, linear layers and matrix products, plus norms and resizes. It has no handle for
``aten::scaled_dot_product_attention``, which torch's ``MultiheadAttention`` uses, so the
attention products of transformers would be left out; :func:`sdpa_flop_jit` adds them.

Tracing a paper supernet takes seconds, and a run counts the same network several times (a
hook's penalty weights and its logged cost, the supernet and the searched network it equals
before any cut, a search after its training in one process). The counts of one trace are kept
per network structure (:func:`structure_key`: every module's type, attributes and parameter and
buffer shapes) and input shape, so a network is traced again only when it has changed.
"""
import hashlib
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Dict, Hashable, Iterator, List, Sequence, Tuple

import numpy as np
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


#: Module attributes that are not its structure: the registries whose contents are keyed
#: separately (children, parameters and buffer shapes), the train/eval flag (counting is in
#: eval mode) and mmengine's initialisation record (a network counts the same before and
#: after ``init_weights``).
_NOT_STRUCTURE = frozenset(
    {'_modules', '_parameters', '_buffers', 'training', '_is_init', 'init_cfg',
     '_params_init_info'})
#: Networks whose counts are kept, most recent last.
_CACHE_SIZE = 32
_cache: 'OrderedDict[Hashable, Dict[str, int]]' = OrderedDict()


def _plain(value: Any, depth: int = 0) -> Hashable:
    """A hashable stand-in for an attribute value that is equal only for equal values."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return type(value).__name__, value
    if isinstance(value, torch.Tensor):
        data = value.detach().cpu()
        data = data.float() if data.dtype == torch.bfloat16 else data
        return 'tensor', tuple(value.shape), str(value.dtype), _plain(data.numpy())
    if isinstance(value, np.ndarray):
        digest = hashlib.sha1(np.ascontiguousarray(value).tobytes()).hexdigest()
        return 'ndarray', value.shape, str(value.dtype), digest
    if isinstance(value, (torch.dtype, torch.device, torch.Size)):
        return type(value).__name__, str(value)
    if isinstance(value, (set, frozenset)):
        return 'set', tuple(sorted((_plain(v, depth + 1) for v in value), key=repr))
    if isinstance(value, (list, tuple)):  # a config's list is a built network's tuple
        return 'sequence', tuple(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):  # a ConfigDict and the dict it was read from alike
        return 'dict', tuple(
            (_plain(k, depth + 1), _plain(v, depth + 1)) for k, v in value.items())
    if isinstance(value, nn.Module):  # a module held outside ``_modules``: its layout
        return 'module', type(value).__qualname__, repr(value)
    if depth < 3 and type(value).__repr__ is object.__repr__ and hasattr(value, '__dict__'):
        return type(value).__qualname__, _plain(vars(value), depth + 1)
    return type(value).__qualname__, repr(value)


def structure_key(model: nn.Module, input_shape: Sequence[int]) -> Tuple:
    """What the FLOPs of ``model`` on a ``(C, H, W)`` input depend on: for every submodule its
    path, class, attributes (hyper-parameters, active choices, hooks) and the shapes and
    dtypes of its parameters and buffers, whose values a count does not depend on."""
    parts: List[Hashable] = [tuple(int(s) for s in input_shape)]
    for name, module in model.named_modules(remove_duplicate=False):
        cls = type(module)
        # torch keys a module's hooks by a process-wide handle counter, so two builds of one
        # network differ there: hooks count by what they are, in their order.
        attributes = tuple(
            (k, _plain(tuple(v.values()) if k.endswith('_hooks') and isinstance(v, dict) else v))
            for k, v in sorted(vars(module).items()) if k not in _NOT_STRUCTURE)
        tensors = tuple((k, None if t is None else (tuple(t.shape), str(t.dtype)))
                        for k, t in list(module._parameters.items()) +
                        list(module._buffers.items()))
        parts.append((name, cls.__module__, cls.__qualname__, attributes, tensors))
    return tuple(parts)


def _flops_by_module(model: nn.Module, input_shape: Sequence[int]) -> Dict[str, int]:
    """FLOPs per module path (``''`` the whole) from one trace, or from the cache."""
    key = structure_key(model, input_shape)
    if key in _cache:
        _cache.move_to_end(key)
    else:
        with _flop_analyzer(model, input_shape) as analyzer:
            _cache[key] = {name: int(flops) for name, flops in analyzer.by_module().items()}
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return dict(_cache[key])


def count_complexity(model: nn.Module, input_shape: Sequence[int]) -> dict:
    """FLOPs and parameters of ``model`` on one input of shape ``(C, H, W)``.

    Returns:
        ``dict(flops=int, params=int, input_shape=[C, H, W])``.
    """
    return dict(flops=_flops_by_module(model, input_shape)[''], params=int(parameter_count(model)['']),
                input_shape=[int(s) for s in input_shape])


def module_flops(model: nn.Module, input_shape: Sequence[int]) -> Dict[str, int]:
    """FLOPs of every submodule of ``model`` (by module path, ``''`` the whole) on one
    ``(C, H, W)`` input, counted as :func:`count_complexity` counts them."""
    return _flops_by_module(model, input_shape)


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
