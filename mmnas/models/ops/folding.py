"""Batch norms folded into the layers before them, for inference of deploy-form networks.

In eval mode a BN is a per-channel affine map, so ``BN(W x) = (scale·W) x + shift``: a
network that folds its BNs runs only its convolutions. The folded tensors come from the
current weights and statistics, so they are never stale; :class:`FoldedWeights` keeps them
between inference calls and folds again as soon as one of their sources changes.
"""
from typing import Callable, Iterable, Optional, Tuple

import torch
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm


def fold_batchnorm(norm: _BatchNorm) -> Tuple[Tensor, Tensor]:
    """``(scale, shift)`` with ``norm(x) = scale·x + shift`` per channel in eval mode, both
    ``(C,)``."""
    scale = torch.rsqrt(norm.running_var + norm.eps)
    if norm.weight is not None:
        scale = scale * norm.weight
    shift = -norm.running_mean * scale
    if norm.bias is not None:
        shift = shift + norm.bias
    return scale, shift


def folds_batchnorm(*norms) -> bool:
    """Whether every one of ``norms`` is a BN in eval mode with running statistics, the
    case in which it is an affine map that can be folded."""
    return all(isinstance(n, _BatchNorm) and n.track_running_stats and not n.training
               for n in norms)


class FoldedWeights:
    """The result of a module's fold function, kept while its sources are unchanged.

    With gradients enabled (training, or eval for a backward pass) or under a jit trace
    (FLOPs counting), every call folds again: the gradients reach the module's own weights
    and a trace sees the same operations each time. Without gradients the folded tensors
    are reused while every source is the same tensor (storage, dtype, device) at the same
    version; an optimizer step, a loaded checkpoint, a BN statistics update or a move to
    another device changes one of these, and the next call folds again.

    Copies of a module (``deepcopy`` for EMA, pickling) start with nothing kept.
    """

    def __init__(self) -> None:
        self._tensors: Optional[Tuple[Tensor, ...]] = None
        self._sources: Optional[tuple] = None

    def __call__(self, fold: Callable[[], Tuple[Tensor, ...]],
                 sources: Iterable[Tensor]) -> Tuple[Tensor, ...]:
        """``fold()``, or what it returned last time if ``sources`` did not change."""
        if torch.is_grad_enabled() or torch.jit.is_tracing():
            return fold()
        key = tuple((t.data_ptr(), t.dtype, t.device, t._version) for t in sources)
        if self._tensors is None or self._sources != key:
            self._tensors, self._sources = fold(), key
        return self._tensors

    @property
    def kept(self) -> Optional[Tuple[Tensor, ...]]:
        """The folded tensors kept from the last call without gradients, if any."""
        return self._tensors

    def clear(self) -> None:
        """Forget the kept tensors (a module going back to training frees their memory)."""
        self._tensors = self._sources = None

    def __deepcopy__(self, memo: dict) -> 'FoldedWeights':
        return FoldedWeights()

    def __getstate__(self) -> dict:
        return dict(_tensors=None, _sources=None)
