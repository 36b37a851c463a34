"""The contract every mmnas backbone keeps with the stock heads that consume it."""
from abc import abstractmethod
from dataclasses import dataclass
from typing import Dict, Iterable, List, Sequence, Tuple

from mmengine.model import BaseModule
from torch import Tensor, nn

from mmnas.utils.config_check import ConfigError


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
    with :meth:`export_arch`. :meth:`export` hands the searched network back: its spec and
    its weights, which ``SearchedBackbone(arch_spec=..., checkpoint=...)`` loads strictly.
    """

    feature_info: List[FeatureInfo]
    out_indices: Tuple[int, ...]

    def normalize_out_indices(self, out_indices: Sequence[int],
                              num_outputs: int) -> Tuple[int, ...]:
        """``out_indices`` as indices into the ``num_outputs`` outputs, negative ones counted
        from the end (``-1`` is the last, lowest-resolution one), as in mmcls/mmseg backbones.

        Raises:
            ConfigError: no index, or one outside ``[-num_outputs, num_outputs - 1]``.
        """
        given = tuple(int(i) for i in out_indices)
        if not given or any(not -num_outputs <= i < num_outputs for i in given):
            raise ConfigError(f'{type(self).__name__}: out_indices {given} must index its '
                              f'{num_outputs} outputs (0 … {num_outputs - 1}, or negative '
                              'from the end)')
        return tuple(i % num_outputs for i in given)

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

    def export(self) -> Tuple['ArchSpec', Dict[str, Tensor]]:  # noqa: F821
        """The searched network: ``(spec, state_dict)``, where ``spec.build()`` loads
        ``state_dict`` with ``strict=True`` and then computes :meth:`forward_derived`.

        Pure: the network keeps running as it did (no mode switch), and the tensors are
        copies. This default serves a network that is its own searched architecture (a fixed
        network, HR-NAS's cut supernet); supernets that export a part of themselves (a
        child, a derived path) override it.
        """
        return self.export_arch(), {k: v.detach().clone() for k, v in self.state_dict().items()}

    def forward_derived(self, x: Tensor) -> Tuple[Tensor, ...]:
        """What the network :meth:`export` hands back computes, run with this network's own
        weights: :meth:`forward` here; a supernet that mixes candidates (DARTS, DenseNAS)
        runs only its derived operations. ``(N, C_in, H, W)`` → as :meth:`forward`."""
        return self(x)

    def build_supernet(self) -> 'SearchableBackbone':
        """The whole search space as a network, to report what the search started from.

        A weight-sharing supernet keeps its shape while it is searched and is its own
        supernet; a backbone that cuts itself during the search (HR-NAS) builds the uncut one.
        """
        return self


class DifferentiableBackbone(SearchableBackbone):
    """A supernet searched by gradient descent on continuous architecture parameters (DARTS's
    α, DenseNAS's α and β): a bilevel search's architecture step moves exactly
    :meth:`arch_parameters`, the weight step every other parameter."""

    @abstractmethod
    def arch_parameters(self) -> Iterable[nn.Parameter]:
        """The architecture parameters, each a leaf ``nn.Parameter`` of this module."""
