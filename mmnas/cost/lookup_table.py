"""Cost lookup tables: the cost of every (operation, input shape) of a search space.

Hardware-aware search (DenseNAS, ProxylessNAS, FBNet) needs the cost of every candidate
operation at the shape it sees in the supernet, before the search, and a differentiable
expected cost from it. A :class:`CostTable` holds those numbers by key (a string naming the
operation and its input/output shapes, chosen by the search space), with the metric and unit
they were taken in:

- ``latency``: milliseconds per batch, timed on the current device by
  :func:`measure_latency` (warm-up runs, then the median of repeated timed runs);
- ``flops``: millions of multiply-adds per image, mmengine's count (:func:`count_complexity`),
  the device-independent fallback.

``tools/build_cost_table.py`` writes a table for a config's search space; the search reads it.
"""
import json
import os.path as osp
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Mapping, Sequence, Tuple, Union

import torch
from torch import nn

from mmnas.utils.atomic import atomic_write_text
from mmnas.utils.config_check import ConfigError
from .complexity import count_complexity

#: The unit each metric is stored in.
METRIC_UNITS = dict(latency='ms', flops='MFLOPs')


@dataclass
class CostTable:
    """Costs by key.

    Attributes:
        metric: ``'latency'`` or ``'flops'``.
        entries: cost of each key, in :attr:`unit`.
        meta: how the table was made (device, batch size, input shape, repeats, ...).
    """
    metric: str
    entries: Dict[str, float] = field(default_factory=dict)
    meta: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.metric not in METRIC_UNITS:
            raise ConfigError(f'cost table metric {self.metric!r}: expected one of '
                              f'{sorted(METRIC_UNITS)}')

    @property
    def unit(self) -> str:
        return METRIC_UNITS[self.metric]

    def __getitem__(self, key: str) -> float:
        try:
            return self.entries[key]
        except KeyError:
            source = self.meta.get('file', 'the cost table')
            raise ConfigError(f'{source} has no entry {key!r} ({len(self.entries)} entries): '
                              'was it built for another search space or input shape? Rebuild '
                              'it with tools/build_cost_table.py') from None

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def dump(self, path: str) -> None:
        """Write the table as JSON; the file appears complete or not at all."""
        data = dict(asdict(self), unit=self.unit)
        atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True) + '\n')

    @classmethod
    def load(cls, path: str) -> 'CostTable':
        """Read a table written by :meth:`dump`.

        Raises:
            ConfigError: the file is missing, not JSON, or not a cost table.
        """
        if not osp.isfile(path):
            raise ConfigError(f'cost table {path!r} does not exist (build it with '
                              'tools/build_cost_table.py)')
        try:
            with open(path) as f:
                data = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f'cost table {path!r} is not valid JSON: {e}') from None
        if (not isinstance(data, dict) or not isinstance(data.get('entries'), dict)
                or 'metric' not in data):
            raise ConfigError(f'cost table {path!r}: expected a JSON object with "metric" and '
                              '"entries"')
        meta = dict(data.get('meta', {}), file=path)
        return cls(metric=data['metric'],
                   entries={k: float(v) for k, v in data['entries'].items()}, meta=meta)


@torch.no_grad()
def measure_latency(module: nn.Module,
                    input_shape: Sequence[int],
                    batch_size: int = 32,
                    warmup: int = 10,
                    repeats: int = 30) -> float:
    """Median wall time of ``module`` on a random ``(batch_size, *input_shape)`` batch, in ms.

    Runs in eval mode without gradients on the device of the module's parameters (or buffers;
    CPU for a module without either), ``warmup`` untimed runs first (allocator, cuDNN
    algorithm choice, caches), then ``repeats`` timed ones; on CUDA each run is synchronised
    so that the kernel time, not the launch, is measured.
    """
    tensors = list(module.parameters()) + list(module.buffers())
    device = tensors[0].device if tensors else torch.device('cpu')
    x = torch.randn(batch_size, *input_shape, device=device)
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    training = module.training
    module.eval()
    try:
        for _ in range(warmup):
            module(x)
        sync()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            module(x)
            sync()
            times.append(time.perf_counter() - start)
    finally:
        module.train(training)
    return statistics.median(times) * 1e3


def build_cost_table(entries: Mapping[str, Tuple[nn.Module, Sequence[int]]],
                     metric: str = 'latency',
                     batch_size: int = 32,
                     warmup: int = 10,
                     repeats: int = 30,
                     meta: Union[Mapping[str, Any], None] = None) -> CostTable:
    """Measure every entry: ``key → (module, input shape (C, H, W))``.

    ``latency`` times each module with :func:`measure_latency`; ``flops`` counts it with
    mmengine (per image, in millions). The modules are measured where they are (move them to
    the device first).
    """
    table = CostTable(metric=metric,
                      meta=dict(meta or {}, batch_size=batch_size, warmup=warmup,
                                repeats=repeats))
    for key, (module, input_shape) in entries.items():
        if metric == 'latency':
            table.entries[key] = measure_latency(module, input_shape, batch_size, warmup,
                                                 repeats)
        else:
            table.entries[key] = count_complexity(module, input_shape)['flops'] / 1e6
    return table
