"""The contract every mmnas backbone keeps with the stock heads that consume it."""
from abc import abstractmethod
from dataclasses import dataclass
from typing import List, Tuple

from mmengine.model import BaseModule
from torch import Tensor


@dataclass(frozen=True)
class FeatureInfo:
    """One output of a backbone, as timm's ``feature_info`` / detectron2's ``ShapeSpec``.

    Attributes:
        num_chs: channels C of the output map.
        reduction: its stride with respect to the input (H_in / H_out).
        module: name of the submodule whose output it is.
    """
    num_chs: int
    reduction: int
    module: str


class SearchableBackbone(BaseModule):
    """Base class of mmnas backbones (supernets and the fixed networks derived from them).

    ``forward(x)`` takes an image-like batch ``(N, C_in, H, W)`` and returns a tuple with one
    map per entry of :attr:`feature_info`, ``(N, num_chs, H / reduction, W / reduction)``,
    ordered as ``out_indices`` asks. Stock necks and heads are configured from
    :attr:`out_channels` and :attr:`out_strides`.

    Subclasses set ``self.feature_info`` (all outputs the network can give, high to low
    resolution) and ``self.out_indices`` in ``__init__``, and say what architecture they are
    with :meth:`export_arch`.
    """

    feature_info: List[FeatureInfo]
    out_indices: Tuple[int, ...]

    @property
    def out_feature_info(self) -> List[FeatureInfo]:
        """The outputs :meth:`forward` returns, in order."""
        return [self.feature_info[i] for i in self.out_indices]

    @property
    def out_channels(self) -> List[int]:
        return [info.num_chs for info in self.out_feature_info]

    @property
    def out_strides(self) -> List[int]:
        return [info.reduction for info in self.out_feature_info]

    @abstractmethod
    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """``(N, C_in, H, W)`` → one map per ``out_indices`` entry."""

    @abstractmethod
    def export_arch(self) -> 'ArchSpec':  # noqa: F821
        """The architecture this network currently is, as an :class:`~mmnas.structures.ArchSpec`
        whose ``backbone`` config rebuilds it (cost and provenance are filled in by the
        caller)."""

    def build_supernet(self) -> 'SearchableBackbone':
        """The whole search space as a network, to report what the search started from.

        A weight-sharing supernet keeps its shape while it is searched and is its own
        supernet; a backbone that cuts itself during the search (HR-NAS) builds the uncut one.
        """
        return self
