"""FLOPs and parameters of a network, counted by mmengine's analysis.

mmengine's ``FlopAnalyzer`` (fvcore's jit tracer) counts one multiply-add as one FLOP for
convolutions, linear layers and matrix products, plus norms and resizes. It has no handle for
``aten::scaled_dot_product_attention``, which torch's ``MultiheadAttention`` uses, so the
attention products of transformers would be left out; :func:`sdpa_flop_jit` adds them.

Tracing a paper supernet takes seconds, and a run counts the same network several times (a
hook's penalty weights and its logged cost, the supernet and the searched network it equals
before any cut, a search after its training in one process). The counts of one trace are kept
per network structure (:func:`structure_key`: every module's type, attributes and parameter and
buffer shapes) and input shape, so a network is traced again only when it has changed; the
counts of a part of it (``count_complexity(..., submodules=('backbone',))``) are kept as that
part's own, so that counting the part alone, or a network built alike, traces nothing.
"""
import hashlib
from collections import OrderedDict
from contextlib import contextmanager
from types import MethodType
from typing import Any, Dict, Hashable, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import get_shape
from mmengine.model.utils import _BatchNormXd
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
#: after ``init_weights``). A class names more in its own ``not_structure`` (attributes read
#: only while it builds its children, such as HR-NAS's ``_arch``, whose result is keyed).
_NOT_STRUCTURE = frozenset(
    {'_modules', '_parameters', '_buffers', 'training', '_is_init', 'init_cfg',
     '_params_init_info'})
#: What a SyncBN has that the mmengine ``BatchNormXd`` a runner reverts it to has not.
_SYNC_BN_ONLY = frozenset({'process_group'})
#: ``(C, H, W)``.
Shape = Tuple[int, ...]
#: Networks whose counts are kept, most recent last: FLOPs per module path and the
#: ``(C, H, W)`` input of the submodules whose counts were asked for (:func:`_trace`).
_CACHE_SIZE = 32
_cache: 'OrderedDict[Hashable, Tuple[Dict[str, int], Dict[str, Optional[Shape]]]]' = \
    OrderedDict()


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
    if isinstance(value, MethodType):
        # A method hook: its function and its owner's state, not the owner's address. A
        # module owning it is keyed where it sits in the network.
        owner = value.__self__
        return ('method', value.__func__.__module__, value.__func__.__qualname__,
                type(owner).__qualname__ if isinstance(owner, nn.Module) else
                _plain(owner, depth + 1))
    if depth < 3 and type(value).__repr__ is object.__repr__ and hasattr(value, '__dict__'):
        return type(value).__qualname__, _plain(vars(value), depth + 1)
    return type(value).__qualname__, repr(value)


def structure_key(model: nn.Module, input_shape: Sequence[int]) -> Tuple:
    """What the FLOPs of ``model`` on a ``(C, H, W)`` input depend on: for every submodule its
    path, class, attributes (hyper-parameters, active choices, hooks) and the shapes and
    dtypes of its parameters and buffers, whose values a count does not depend on.

    Equal for what counts the same: a SyncBN and the BatchNormXd a runner without
    distribution reverts it to (a network built afresh from a SyncBN config and the runner's),
    a child set to ``None`` (a cut) and an attribute ``None`` (a build without it), and
    attributes a class names in ``not_structure``.
    """
    parts: List[Hashable] = [tuple(int(s) for s in input_shape)]
    for name, module in model.named_modules(remove_duplicate=False):
        cls = type(module)
        skip = _NOT_STRUCTURE.union(getattr(cls, 'not_structure', ()))
        if isinstance(module, nn.SyncBatchNorm):  # eval mode: the same batch_norm op
            cls, skip = _BatchNormXd, skip | _SYNC_BN_ONLY
        values = {k: v for k, v in vars(module).items() if k not in skip}
        values.update((k, None) for k, v in module._modules.items() if v is None)
        # torch keys a module's hooks by a process-wide handle counter, so two builds of one
        # network differ there: hooks count by what they are, in their order.
        attributes = tuple(
            (k, _plain(tuple(v.values()) if k.endswith('_hooks') and isinstance(v, dict) else v))
            for k, v in sorted(values.items()))
        tensors = tuple((k, None if t is None else (tuple(t.shape), str(t.dtype)))
                        for k, t in list(module._parameters.items()) +
                        list(module._buffers.items()))
        parts.append((name, cls.__module__, cls.__qualname__, attributes, tensors))
    return tuple(parts)


def _trace(model: nn.Module, input_shape: Sequence[int],
           submodules: Iterable[str] = ()) -> Tuple[Dict[str, int], Dict[str, Optional[Shape]]]:
    """FLOPs per module path (``''`` the whole) from one trace, and the ``(C, H, W)`` each of
    ``submodules`` was called on, ``None`` unless it was called once on one ``(1, C, H, W)``
    tensor (only then does the part count as it would alone on that input)."""
    calls: Dict[str, List[Optional[Shape]]] = {path: [] for path in submodules}

    def record(path: str):
        def pre_hook(module, args, kwargs):
            one_image = len(args) == 1 and not kwargs and isinstance(args[0], torch.Tensor) \
                and args[0].dim() >= 1 and args[0].shape[0] == 1
            calls[path].append(tuple(int(s) for s in args[0].shape[1:]) if one_image else None)
        return pre_hook

    # Hooks on the submodules asked for only: reading a shape while jit traces is slow (a hook
    # on every module of a paper supernet more than doubles its trace).
    handles = [model.get_submodule(path).register_forward_pre_hook(record(path),
                                                                   with_kwargs=True)
               for path in calls]
    try:
        with _flop_analyzer(model, input_shape) as analyzer:
            flops = {name: int(n) for name, n in analyzer.by_module().items()}
    finally:
        for handle in handles:
            handle.remove()
    return flops, {path: shapes[0] if len(shapes) == 1 else None for path, shapes in calls.items()}


def _keep(key: Hashable, counts: Tuple[Dict[str, int], Dict[str, Optional[Shape]]]) -> None:
    _cache[key] = counts
    _cache.move_to_end(key)
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)


def _counts(model: nn.Module, input_shape: Sequence[int], submodules: Sequence[str] = ()
            ) -> Tuple[Dict[str, int], Dict[str, Optional[Shape]]]:
    """:func:`_trace`'s counts of ``model``, from the cache where its structure was counted
    with the inputs of ``submodules`` recorded."""
    key = structure_key(model, input_shape)
    counts = _cache.get(key)
    if counts is None or not set(submodules) <= set(counts[1]):
        counts = _trace(model, input_shape, set(submodules) | set(counts[1] if counts else ()))
    _keep(key, counts)
    return counts


def _within(counts: Dict[str, Any], path: str) -> Dict[str, Any]:
    """The entries of module ``path`` and below, by their path relative to it."""
    prefix = path + '.'
    return {name[len(prefix):] if name != path else '': value for name, value in counts.items()
            if name == path or name.startswith(prefix)}


def count_complexity(model: nn.Module, input_shape: Sequence[int],
                     submodules: Sequence[str] = ()) -> dict:
    """FLOPs and parameters of ``model`` on one input of shape ``(C, H, W)``, and of its
    ``submodules`` (module paths, e.g. ``('backbone',)``) from the same trace; a submodule's
    counts are kept as its own, for counting it (or a network built alike) on its input.

    Returns:
        ``dict(flops=int, params=int, input_shape=[C, H, W])``, with ``submodules`` also
        ``submodules={path: dict(flops=int, params=int, input_shape=[C', H', W'])}`` (the
        input the submodule was called on).

    Raises:
        ValueError: a submodule was not called exactly once on one ``(1, C', H', W')``
            tensor, so that it has no count of its own.
    """
    flops, shapes = _counts(model, input_shape, submodules)
    cost = dict(flops=flops[''], params=int(parameter_count(model)['']),
                input_shape=[int(s) for s in input_shape])
    if submodules:
        cost['submodules'] = {}
    for path in submodules:
        part, shape = model.get_submodule(path), shapes[path]
        if shape is None:
            raise ValueError(f'count_complexity: {path} of {type(model).__name__} was not '
                             'called exactly once on one image tensor; count it on its own')
        part_counts = _within(flops, path), _within(shapes, path)
        _keep(structure_key(part, shape), part_counts)
        cost['submodules'][path] = dict(flops=part_counts[0][''],
                                        params=int(parameter_count(part)['']),
                                        input_shape=list(shape))
    return cost


def module_flops(model: nn.Module, input_shape: Sequence[int]) -> Dict[str, int]:
    """FLOPs of every submodule of ``model`` (by module path, ``''`` the whole) on one
    ``(C, H, W)`` input, counted as :func:`count_complexity` counts them."""
    return dict(_counts(model, input_shape)[0])


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
