"""The contract of a weight-sharing supernet whose children are chosen by an ``arch`` dict.

The sandwich rule (``mmnas.bignas``), BN re-calibration before evaluation and the
coarse-to-fine search (``mmnas.engine.runner.CoarseToFineSearchLoop``) only talk to this
interface, so any elastic supernet plugs into them.
"""
import random
from abc import abstractmethod
from contextlib import contextmanager
from typing import Iterator, List, Optional, Sequence

import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from torch import Tensor, nn
from torch.nn.modules.dropout import _DropoutNd

from .base_backbone import SearchableBackbone


def resize_short_side(x: Tensor, size: int, mode: str = 'bicubic') -> Tensor:
    """Resize ``(N, C, H, W)`` so that ``min(H, W) = size``, keeping the aspect ratio."""
    h, w = x.shape[-2:]
    if min(h, w) == size:
        return x
    scale = size / min(h, w)
    out = (size, int(round(w * scale))) if h <= w else (int(round(h * scale)), size)
    return F.interpolate(x, out, mode=mode, align_corners=False)


@contextmanager
def no_regularization(model: nn.Module) -> Iterator[None]:
    """Dropout and drop-path off (eval behaviour) inside the block, BN left as it is.

    BigNAS regularises only the biggest child: the others, and BN re-calibration, run
    without them.
    """
    layers = [m for m in model.modules() if isinstance(m, (_DropoutNd, DropPath))]
    modes = [m.training for m in layers]
    for m in layers:
        m.training = False
    try:
        yield
    finally:
        for m, mode in zip(layers, modes):
            m.training = mode


class ElasticBackbone(SearchableBackbone):
    """A supernet: :meth:`set_arch` makes it compute one child, sliced from shared weights.

    An ``arch`` is a JSON-able dict (what the child is: widths, depths, kernels, input
    resolution, ...). :meth:`export_arch` describes the current child as a standalone static
    network, whose weights ``mmnas.models.ops.slice_state_dict`` cuts from the supernet.
    """

    @abstractmethod
    def set_arch(self, arch: dict) -> None:
        """Make the supernet compute the child ``arch`` (validated)."""

    @property
    @abstractmethod
    def current_arch(self) -> dict:
        """The child the supernet computes now."""

    @abstractmethod
    def max_arch(self) -> dict:
        """The biggest child (every dimension at its largest choice)."""

    @abstractmethod
    def min_arch(self) -> dict:
        """The smallest child."""

    @abstractmethod
    def sample_arch(self, rng: random.Random) -> dict:
        """A uniformly random child; all randomness comes from ``rng``."""

    @abstractmethod
    def coarse_archs(self, levels: Sequence[float], dims: Sequence[str]) -> List[dict]:
        """The coarse grid: children whose every dimension of ``dims`` sits at one relative
        position (``levels``, 0 = smallest choice, 1 = largest) in all stages, the other
        dimensions at their largest."""

    @abstractmethod
    def mutate_arch(self, arch: dict, dims: Sequence[str]) -> List[dict]:
        """All children that differ from ``arch`` by one step in one dimension of one stage
        (or of the resolution), among the dimensions ``dims``."""

    def arch_resolution(self, arch: dict) -> Optional[int]:
        """The input resolution (short side) of ``arch``, ``None`` if not elastic."""
        return arch.get('resolution')

    @contextmanager
    def input_resolution(self, size: Optional[int]) -> Iterator[None]:
        """Resize (bicubic) every input of :meth:`forward` to short side ``size`` inside the
        block: a batch prefetched at one size serves every child's resolution."""
        if size is None:
            yield
            return
        handle = self.register_forward_pre_hook(
            lambda module, args: (resize_short_side(args[0], size), *args[1:]))
        try:
            yield
        finally:
            handle.remove()
