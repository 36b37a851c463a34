"""ArchSpec: the one file format of every architecture mmnas searches.

Whatever the method (HR-NAS's surviving widths, BigNAS's child choices, a DARTS genotype,
DenseNAS's Viterbi path), the result is a backbone config that builds exactly that network,
its cost as counted by mmengine, and where it came from. A config uses it through
``backbone=dict(type='mmnas.SearchedBackbone', arch_spec='path/to/arch.json')``.
"""
import copy
import json
import os
import os.path as osp
import tempfile
from dataclasses import asdict, dataclass, field
from typing import Any, Dict

from torch import nn

from mmnas.registry import MODELS
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
        cost: ``flops`` (multiply-adds, mmengine's convention), ``params`` and the
            ``input_shape`` ``[C, H, W]`` they were counted at.
        metrics: evaluation results at export time, if any.
        meta: provenance (mmnas version, config file, checkpoint, time).
    """
    method: str
    backbone: Dict[str, Any]
    cost: Dict[str, Any] = field(default_factory=dict)
    metrics: Dict[str, float] = field(default_factory=dict)
    meta: Dict[str, Any] = field(default_factory=dict)

    def build(self, **overrides) -> nn.Module:
        """Build the network from the spec alone; ``overrides`` replace backbone arguments
        (e.g. ``out_indices`` for another task)."""
        return MODELS.build(dict(copy.deepcopy(self.backbone), **overrides))

    def to_dict(self) -> dict:
        return dict(version=SPEC_VERSION, **asdict(self))

    def dump(self, path: str) -> None:
        """Write the spec as JSON. The file appears complete or not at all."""
        directory = osp.dirname(osp.abspath(path))
        os.makedirs(directory, exist_ok=True)
        text = json.dumps(self.to_dict(), indent=2, sort_keys=False, default=_jsonable)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix='.arch-', suffix='.json')
        try:
            with os.fdopen(fd, 'w') as f:
                f.write(text + '\n')
            os.replace(tmp, path)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise

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
        if not isinstance(data, dict):
            raise ConfigError(f'architecture spec {path!r}: expected a JSON object')
        version = data.pop('version', None)
        if version != SPEC_VERSION:
            raise ConfigError(f'architecture spec {path!r}: version {version!r}, expected '
                              f'{SPEC_VERSION}')
        missing = [k for k in ('method', 'backbone') if k not in data]
        if missing:
            raise ConfigError(f'architecture spec {path!r}: missing {", ".join(missing)}')
        if not isinstance(data['backbone'], dict) or 'type' not in data['backbone']:
            raise ConfigError(f'architecture spec {path!r}: "backbone" must be a config dict '
                              'with a "type"')
        unknown = set(data) - {'method', 'backbone', 'cost', 'metrics', 'meta'}
        if unknown:
            raise ConfigError(f'architecture spec {path!r}: unknown fields {sorted(unknown)}')
        return cls(**data)


def _jsonable(obj: Any) -> Any:
    """Tuples and numpy scalars in configs become JSON lists and numbers."""
    if hasattr(obj, 'tolist'):
        return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f'ArchSpec: {type(obj).__name__} is not JSON serialisable')


@MODELS.register_module(name='SearchedBackbone')
def build_searched_backbone(arch_spec: str, **overrides) -> nn.Module:
    """Build the backbone an :class:`ArchSpec` file describes.

    Args:
        arch_spec: path of the spec (``arch.json``).
        overrides: backbone arguments to replace, e.g. ``out_indices`` or ``init_cfg``.
    """
    return ArchSpec.load(arch_spec).build(**overrides)


def jsonable_config(cfg: dict) -> dict:
    """A deep copy of ``cfg`` as JSON stores it (tuples become lists), so that a spec in
    memory equals the spec read back from its file."""
    return json.loads(json.dumps(cfg, default=_jsonable))
