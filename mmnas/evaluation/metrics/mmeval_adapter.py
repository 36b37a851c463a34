"""Run an mmeval metric inside mmengine's ``Evaluator``.

mmeval metrics are framework-agnostic: ``add(predictions, groundtruths)`` then
``compute_metric(results)``. mmengine's evaluator calls ``process(data_batch, data_samples)``
and ``evaluate(size)`` instead, and gathers the per-sample results across ranks itself. The
single adapter :class:`MMEvalMetric` bridges the two; what differs per metric is only how the
stock data samples (``SegDataSample``, ``DataSample``, ``PoseDataSample``,
``Det3DDataSample``) turn into the metric's ``add`` arguments, a small function registered
with :func:`register_input_converter`.
"""
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import mmeval
import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmnas.registry import METRICS, MMEVAL_METRICS

for _name in mmeval.metrics.__all__:
    MMEVAL_METRICS.register_module(name=_name, module=getattr(mmeval.metrics, _name))

# metric name -> (converter, default prefix of the reported keys)
_CONVERTERS: Dict[str, Tuple[Callable, Optional[str]]] = {}

ArgsAndKwargs = Tuple[Tuple[Any, ...], Dict[str, Any]]


def register_input_converter(*metric_names: str, prefix: Optional[str] = None):
    """Register ``fn(data_batch, data_samples) -> (args, kwargs)`` for ``metric.add``.

    Args:
        metric_names: names of the mmeval metrics (as in :data:`MMEVAL_METRICS`) that take
            their inputs from data samples this way.
        prefix: default prefix of the reported keys (``prefix/key``), like the stock
            metric's (``'accuracy'`` for mmpretrain, ``'coco'`` for mmpose); ``None`` reports
            bare keys, as mmseg does.
    """

    def wrap(fn: Callable) -> Callable:
        for name in metric_names:
            _CONVERTERS[name] = (fn, prefix)
        return fn

    return wrap


def to_numpy(x) -> np.ndarray:
    """A tensor (any device) or array-like as a numpy array."""
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


@register_input_converter('MeanIoU')
def _semantic_segmentation(data_batch, data_samples) -> ArgsAndKwargs:
    """``SegDataSample`` → ``MeanIoU.add(predictions, labels)``, (H, W) label maps."""
    preds = [to_numpy(s['pred_sem_seg']['data']).squeeze(0) for s in data_samples]
    gts = [to_numpy(s['gt_sem_seg']['data']).squeeze(0).astype(preds[0].dtype) for s in data_samples]
    return (preds, gts), {}


@register_input_converter('Accuracy', prefix='accuracy')
def _classification(data_batch, data_samples) -> ArgsAndKwargs:
    """mmpretrain ``DataSample`` → ``Accuracy.add(scores (N, C), labels (N,))``."""
    scores = np.stack([to_numpy(s['pred_score']) for s in data_samples])
    labels = np.stack([to_numpy(s['gt_label']).reshape(-1)[0] for s in data_samples])
    return (scores, labels), {}


@METRICS.register_module()
class MMEvalMetric(BaseMetric):
    """An mmeval metric as an mmengine metric.

    Args:
        metric (dict): the mmeval metric, ``dict(type=<name in MMEVAL_METRICS>, **kwargs)``,
            e.g. ``dict(type='MeanIoU')`` or ``dict(type='Accuracy', topk=(1, 5))``.
        scale (float): factor applied to every reported number, e.g. 100 to report
            percentages as OpenMMLab's logs do. Default 1.
        collect_device (str): where mmengine gathers results across ranks.
        prefix (str, optional): prefix of the reported keys; defaults to the one the
            converter registered (the stock metric's).

    Example:
        >>> val_evaluator = dict(type='mmnas.MMEvalMetric',
        ...                      metric=dict(type='MeanIoU'), scale=100)
    """

    def __init__(self,
                 metric: dict,
                 scale: float = 1.0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        metric = dict(metric)
        name = metric.get('type')
        metric_cls = MMEVAL_METRICS.get(name) if isinstance(name, str) else None
        if metric_cls is None:
            raise KeyError(f'MMEvalMetric: unknown mmeval metric {name!r}; expected one of '
                           f'{sorted(MMEVAL_METRICS.module_dict)}')
        if name not in _CONVERTERS:
            raise KeyError(f'MMEvalMetric: no data-sample converter for {name!r}; metrics '
                           f'with one: {sorted(_CONVERTERS)}')
        self._convert, default_prefix = _CONVERTERS[name]
        super().__init__(collect_device=collect_device, prefix=prefix or default_prefix)
        metric.pop('type')
        # mmengine gathers the per-sample results across ranks; the inner metric never syncs.
        metric.setdefault('dist_backend', 'non_dist')
        self.metric: mmeval.core.BaseMetric = metric_cls(**metric)
        self.scale = scale

    @property
    def dataset_meta(self) -> Optional[dict]:
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        self._dataset_meta = dataset_meta
        self.metric.dataset_meta = dataset_meta

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        args, kwargs = self._convert(data_batch, data_samples)
        self.metric.add(*args, **kwargs)
        self.results.extend(self.metric._results)
        self.metric.reset()

    def compute_metrics(self, results: List[Any]) -> Dict[str, float]:
        raw = self.metric.compute_metric(results)
        scalars: Dict[str, float] = {}
        tables: Dict[str, np.ndarray] = {}
        self._flatten(raw, '', scalars, tables)
        if tables:
            self._print_table(tables)
        return scalars

    def _flatten(self, raw: dict, stem: str, scalars: dict, tables: dict) -> None:
        """Scalars become reported numbers; per-class arrays become a printed table."""
        for key, value in raw.items():
            name = f'{stem}{key}'
            if isinstance(value, dict):
                self._flatten(value, f'{name}/' if stem or key != 'classwise_results' else '',
                              scalars, tables)
            elif np.ndim(value) == 0:
                scalars[name] = float(value) * self.scale
            else:
                tables[name] = np.asarray(value, dtype=float) * self.scale

    def _print_table(self, tables: Dict[str, np.ndarray]) -> None:
        from prettytable import PrettyTable

        length = len(next(iter(tables.values())))
        classes = (self.dataset_meta or {}).get('classes') or [str(i) for i in range(length)]
        table = PrettyTable()
        table.add_column('Class', list(classes)[:length])
        for name, values in tables.items():
            table.add_column(name, [f'{v:.2f}' for v in values])
        print_log(f'per-class results ({self.metric.name}):\n' + table.get_string(),
                  logger='current')
