"""Evaluate one child of an elastic supernet: slice, re-calibrate BN, run the evaluator.

Shared by BigNAS's validation of its biggest and smallest children during training and by
the coarse-to-fine search. A child's BN statistics are not the supernet's (every child saw
different activations through the same BN), so they are recomputed on training batches at
the child's resolution before it is evaluated.
"""
from typing import Iterable, Optional, Sequence

import torch
from mmengine.dist import all_reduce_params
from mmengine.runner import Runner, ValLoop
from torch.nn.modules.batchnorm import _BatchNorm

from mmnas.models import (ElasticBackbone, get_searchable_backbone, no_regularization,
                          unwrap_model)
from mmnas.registry import LOOPS
from mmnas.utils.config_check import ConfigError
from ..utils import recalibrate_bn


def get_elastic_backbone(model) -> ElasticBackbone:
    backbone = get_searchable_backbone(model)
    if not isinstance(backbone, ElasticBackbone):
        raise ConfigError(f'model.backbone is a {type(backbone).__name__}, not an elastic '
                          'supernet (mmnas.models.ElasticBackbone): it has no children')
    return backbone


def training_batches(runner: Runner) -> Iterable[dict]:
    """Training batches for BN re-calibration: the training data loader, which
    :func:`~mmnas.engine.utils.recalibrate_bn` reads through a separate loader, so that the
    training loop's own iterator is not advanced: a validation between two iterations leaves
    the batches training sees (and a resumed run, which does not repeat it, sees the same)."""
    return runner.train_loop.dataloader


@torch.no_grad()
def calibrate_child(model, arch: dict, data_batches: Iterable[dict], num_batches: int,
                    num_workers: int = 0) -> int:
    """Set the child ``arch`` and recompute its BN statistics on ``num_batches`` batches at
    its resolution, dropout and drop-path off. In a multi-process run every process then
    holds the average of all processes' statistics. ``num_workers``: of the calibration
    loader (:func:`~mmnas.engine.utils.recalibrate_bn`). Returns the batches used."""
    net = unwrap_model(model)
    backbone = get_elastic_backbone(net)
    backbone.set_arch(arch)
    with backbone.input_resolution(backbone.arch_resolution(arch)), no_regularization(net):
        used = recalibrate_bn(net, data_batches, num_batches, num_workers)
    if used == 0:
        raise RuntimeError('BN re-calibration got no training batch: the data loader is empty')
    stats = [b for m in net.modules() if isinstance(m, _BatchNorm) and m.track_running_stats
             for b in (m.running_mean, m.running_var)]
    all_reduce_params(stats, op='mean')
    return used


@torch.no_grad()
def evaluate_child(runner: Runner, arch: dict, num_bn_batches: int,
                   dataloader: Optional[Iterable] = None, evaluator=None,
                   num_workers: int = 0) -> dict:
    """BN re-calibration on ``runner.train_dataloader`` (a loader of ``num_workers``
    workers), then the metrics of the child ``arch`` on ``dataloader`` / ``evaluator`` (the
    runner's validation ones by default)."""
    model = runner.model
    net = unwrap_model(model)
    calibrate_child(model, arch, training_batches(runner), num_bn_batches, num_workers)
    backbone = get_elastic_backbone(net)
    dataloader = runner.val_dataloader if dataloader is None else dataloader
    evaluator = runner.val_evaluator if evaluator is None else evaluator
    training = net.training
    net.eval()
    try:
        with backbone.input_resolution(backbone.arch_resolution(arch)):
            for batch in dataloader:
                outputs = model.val_step(batch)
                evaluator.process(data_samples=outputs, data_batch=batch)
        return evaluator.evaluate(len(dataloader.dataset))
    finally:
        net.train(training)


@LOOPS.register_module()
class ChildrenValLoop(ValLoop):
    """Validate chosen children of an elastic supernet, each after BN re-calibration.

    Metrics come back per child, ``<child>/<metric>`` (e.g. ``max/accuracy/top1``,
    ``min/accuracy/top1``). The supernet is set back to the child it computed before.

    Args:
        runner, dataloader, evaluator, fp16: as ``ValLoop``.
        children: ``'max'`` (biggest) and/or ``'min'`` (smallest).
        num_bn_batches: training batches for BN re-calibration (AttentiveNAS: 64).
    """

    def __init__(self, runner, dataloader, evaluator, children: Sequence[str] = ('max', 'min'),
                 num_bn_batches: int = 64, fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        unknown = set(children) - {'max', 'min'}
        if not children or unknown:
            raise ConfigError(f'ChildrenValLoop: children must be among "max", "min", got '
                              f'{list(children)}')
        self.children = tuple(children)
        self.num_bn_batches = num_bn_batches

    def run(self) -> dict:
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        backbone = get_elastic_backbone(self.runner.model)
        current = backbone.current_arch
        # The re-calibration overwrites the supernet's BN statistics; training goes on from
        # its own (validation happens after the checkpoint of its iteration and is not
        # repeated on resume, so it must leave no trace for the resume to be exact).
        statistics = _bn_statistics(self.runner.model)
        saved = [t.clone() for t in statistics]
        metrics = {}
        try:
            for name in self.children:
                arch = backbone.max_arch() if name == 'max' else backbone.min_arch()
                result = evaluate_child(self.runner, arch, self.num_bn_batches,
                                        self.dataloader, self.evaluator)
                metrics.update({f'{name}/{k}': v for k, v in result.items()})
        finally:
            backbone.set_arch(current)
            with torch.no_grad():
                for t, value in zip(statistics, saved):
                    t.copy_(value)
        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics


def _bn_statistics(model) -> list:
    """The running statistics (mean, variance, batch count) of every BN in ``model``."""
    return [b for m in unwrap_model(model).modules() if isinstance(m, _BatchNorm) and m.track_running_stats
            for b in (m.running_mean, m.running_var, m.num_batches_tracked)]
