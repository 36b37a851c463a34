"""ArchSpec: the one file format of every architecture mmnas searches.

Whatever the method (HR-NAS's surviving widths, BigNAS's child choices, a DARTS genotype,
DenseNAS's Viterbi path), the result is a backbone config that builds exactly that network,
its cost as counted by mmengine, and where it came from. A config uses it through
``backbone=dict(type='mmnas.SearchedBackbone', arch_spec='path/to/arch.json')``.
"""
import copy
import json
import os.path as osp
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Optional

from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn

from mmnas.registry import MODELS
from mmnas.utils.atomic import atomic_write_text
from mmnas.utils.config_check import ConfigError

SPEC_VERSION = 1


@dataclass
class ArchSpec:
    """A searched architecture.

    Attributes:
        method: the search method that produced it (``hrnas``, ``bignas``, ``unnas``,
            ``densenas``).
        backbone: the config that builds the network, e.g.
            ``dict(type='mmnas.HRNASSuperNet', ..., arch={...})``.
        heads: configs of the stock model's parts after the backbone that were searched
            with it, by their attribute (``'decode_head'``, ``'head'``, ``'neck'``), e.g.
            HR-NAS's searched heads; empty when only the backbone was searched.
        cost: ``flops`` (multiply-adds, mmengine's convention), ``params`` and the
            ``input_shape`` ``[C, H, W]`` they were counted at.
        metrics: evaluation results at export time, if any.
        meta: provenance (mmnas version, config file, checkpoint, time).
    """
    method: str
    backbone: Dict[str, Any]
    heads: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    cost: Dict[str, Any] = field(default_factory=dict)
    metrics: Dict[str, float] = field(default_factory=dict)
    meta: Dict[str, Any] = field(default_factory=dict)

    def build(self, **overrides) -> nn.Module:
        """Build the network from the spec alone; ``overrides`` replace backbone arguments
        (e.g. ``out_indices`` for another task)."""
        return MODELS.build(dict(copy.deepcopy(self.backbone), **overrides))

    def build_head(self, key: str, **overrides) -> nn.Module:
        """Build the searched part ``key`` of :attr:`heads` (e.g. ``'decode_head'``);
        ``overrides`` replace its arguments."""
        if key not in self.heads:
            raise ConfigError(f'ArchSpec: no searched head {key!r}; the spec has '
                              f'{sorted(self.heads) or "none"}')
        return MODELS.build(dict(copy.deepcopy(self.heads[key]), **overrides))

    def to_dict(self) -> dict:
        return dict(version=SPEC_VERSION, **asdict(self))

    def dump(self, path: str) -> None:
        """Write the spec as JSON. The file appears complete or not at all."""
        text = json.dumps(self.to_dict(), indent=2, sort_keys=False, default=_jsonable)
        atomic_write_text(path, text + '\n')

    @classmethod
    def load(cls, path: str) -> 'ArchSpec':
        """Read a spec written by :meth:`dump`.

        Raises:
            ConfigError: the file is missing, is not JSON, or lacks a required field.
        """
        if not osp.isfile(path):
            raise ConfigError(f'architecture spec {path!r} does not exist')
        try:
            with open(path) as f:
                data = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f'architecture spec {path!r} is not valid JSON: {e}') from None
        return cls.from_dict(data, f'architecture spec {path!r}')

    @classmethod
    def from_dict(cls, data: Any, source: str = 'architecture spec') -> 'ArchSpec':
        """The spec of :meth:`to_dict`'s output (a file's content, a checkpoint's
        ``meta['arch_spec']``); ``source`` names where it came from in errors.

        Raises:
            ConfigError: ``data`` is not a spec of this version.
        """
        if not isinstance(data, dict):
            raise ConfigError(f'{source}: expected a JSON object')
        data = dict(data)
        version = data.pop('version', None)
        if version != SPEC_VERSION:
            raise ConfigError(f'{source}: version {version!r}, expected {SPEC_VERSION}')
        missing = [k for k in ('method', 'backbone') if k not in data]
        if missing:
            raise ConfigError(f'{source}: missing {", ".join(missing)}')
        if not isinstance(data['backbone'], dict) or 'type' not in data['backbone']:
            raise ConfigError(f'{source}: "backbone" must be a config dict with a "type"')
        unknown = set(data) - {'method', 'backbone', 'heads', 'cost', 'metrics', 'meta'}
        if unknown:
            raise ConfigError(f'{source}: unknown fields {sorted(unknown)}')
        return cls(**copy.deepcopy(data))


def _jsonable(obj: Any) -> Any:
    """Tuples and numpy scalars in configs become JSON lists and numbers."""
    if hasattr(obj, 'tolist'):
        return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f'ArchSpec: {type(obj).__name__} is not JSON serialisable')


@MODELS.register_module(name='SearchedBackbone')
def build_searched_backbone(arch_spec: Optional[str] = None,
                            checkpoint: Optional[str] = None,
                            **overrides) -> nn.Module:
    """Build the backbone an :class:`ArchSpec` describes, with its searched weights if given.

    ``tools/search.py`` writes both files: ``arch.json`` and ``searched.pth`` (the stock
    model's state dict with the backbone's as ``backbone.*``, and the spec in
    ``meta['arch_spec']``).

    Args:
        arch_spec: path of the spec (``arch.json``); ``None`` reads it from the checkpoint's
            ``meta['arch_spec']``.
        checkpoint: weights to load with ``strict=True``: the ``backbone.*`` tensors of a
            stock model's checkpoint, or a backbone's own state dict. The network is then
            marked initialised, so that the runner's ``init_weights`` keeps them.
        overrides: backbone arguments to replace, e.g. ``out_indices`` or ``init_cfg``; the
            backbone class's ``searched_defaults`` (HR-NAS: ``fused=True``, its deploy form)
            apply unless replaced.

    Raises:
        ConfigError: neither file is given, or the checkpoint holds no spec when one is
            needed.
    """
    if arch_spec is None and checkpoint is None:
        raise ConfigError('SearchedBackbone: expected arch_spec (arch.json) or a checkpoint '
                          "whose meta holds 'arch_spec' (searched.pth)")
    ckpt = None
    if checkpoint is not None:
        # Through mmengine's loader: mmnas installs a weights_only loader with clear errors.
        ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    if arch_spec is not None:
        spec = ArchSpec.load(arch_spec)
    else:
        meta = ckpt.get('meta') or {}
        if 'arch_spec' not in meta:
            raise ConfigError(f'SearchedBackbone: checkpoint {checkpoint!r} has no '
                              "meta['arch_spec']; pass arch_spec=arch.json")
        spec = ArchSpec.from_dict(meta['arch_spec'], f"{checkpoint!r} meta['arch_spec']")
    net = spec.build(**dict(_searched_defaults(spec.backbone), **overrides))
    if ckpt is not None:
        state = ckpt.get('state_dict', ckpt)
        prefix = 'backbone.'
        if any(k.startswith(prefix) for k in state):
            state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        net.load_state_dict(state, strict=True)
        net._is_init = True
    return net


@MODELS.register_module(name='SearchedHead')
def build_searched_head(key: str, arch_spec: str, **overrides) -> nn.Module:
    """Build the searched head ``key`` (``'decode_head'``, ``'head'``, ``'neck'``) of the
    :class:`ArchSpec` in ``arch_spec`` (``arch.json``), e.g. for retraining a searched network
    with its searched head; ``overrides`` replace its arguments (``num_classes``, ...). Weights
    come with the stock model's ``load_from`` (``searched.pth`` holds the whole model)."""
    spec = ArchSpec.load(arch_spec)
    return spec.build_head(key, **dict(_searched_defaults(spec.heads.get(key, {})), **overrides))


def _searched_defaults(cfg: dict) -> dict:
    """The arguments a searched network of ``cfg``'s type takes unless told otherwise: its
    class's ``searched_defaults`` (e.g. a deploy form), not already set in ``cfg``."""
    cls = MODELS.get(cfg['type']) if 'type' in cfg else None
    return {k: v for k, v in getattr(cls, 'searched_defaults', {}).items() if k not in cfg}


def jsonable_config(cfg: dict) -> dict:
    """A deep copy of ``cfg`` as JSON stores it (tuples become lists), so that a spec in
    memory equals the spec read back from its file."""
    return json.loads(json.dumps(cfg, default=_jsonable))
