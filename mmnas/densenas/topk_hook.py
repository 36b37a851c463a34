"""DenseNASTopKHook: validate the derived network every epoch from a given one on and keep
the best ``k`` as :class:`ArchSpec` files (the released search keeps the top 2 from epoch 120
of 150 for MobileNetV2, 50 of 70 for ResNet; the paper is silent)."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import BaseLoop

from mmnas.engine.runner.export import finalize_spec
from mmnas.models import get_searchable_backbone
from mmnas.registry import HOOKS
from mmnas.structures import ArchSpec
from mmnas.utils.config_check import ConfigError
from .supernet import DenseNASRouted


@HOOKS.register_module()
class DenseNASTopKHook(Hook):
    """Keep the ``k`` best derived architectures of a DenseNAS search.

    From the epoch with 0-based index ``start_epoch`` on, every validation of the search
    (``train_cfg.val_begin`` / ``val_interval`` say when it runs: set them so that it runs
    every epoch from ``start_epoch + 1`` completed epochs) evaluates the currently derived
    network, the Viterbi path with the ``argmax α`` heads and layers on the supernet's
    weights, BN normalising by batch statistics as in the released search. Its spec
    (:meth:`DenseNASRouted.export_arch`, finalised by the export service: FLOPs and
    parameters at ``input_shape``) is ranked by ``metric``; the best ``k`` are written as
    ``arch_top1.json`` … ``arch_top<k>.json`` into the work dir, each with its ``metrics``
    (the validation results), ``cost`` and ``meta['epoch']``, and travel with every
    checkpoint so that a resumed search keeps them.

    Args:
        start_epoch: first (0-based) epoch whose derived network is validated.
        k: how many architectures to keep.
        metric: the validation metric to rank by (higher is better).
        input_shape: ``(C, H, W)`` at which the kept specs' cost is counted.
    """

    priority = 'LOW'

    def __init__(self,
                 start_epoch: int,
                 k: int = 2,
                 metric: str = 'accuracy/top1',
                 input_shape: Sequence[int] = (3, 224, 224)) -> None:
        if k < 1 or start_epoch < 0:
            raise ConfigError(f'DenseNASTopKHook: k={k}, start_epoch={start_epoch}; expected '
                              'k >= 1 and start_epoch >= 0')
        self.start_epoch = start_epoch
        self.k = k
        self.metric = metric
        self.input_shape = tuple(input_shape)
        self.kept: List[ArchSpec] = []
        self._active = False

    @staticmethod
    def _backbone(runner) -> DenseNASRouted:
        backbone = get_searchable_backbone(runner.model)
        if not isinstance(backbone, DenseNASRouted):
            raise ConfigError(f'DenseNASTopKHook needs a DenseNASRouted backbone, got '
                              f'{type(backbone).__name__}')
        return backbone

    def before_val_epoch(self, runner) -> None:
        # Validation runs after the epoch's training, when ``runner.epoch`` counts it.
        training = isinstance(getattr(runner, '_train_loop', None), BaseLoop)
        self._active = training and runner.epoch - 1 >= self.start_epoch
        self._backbone(runner).validate_derived = self._active

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        backbone = self._backbone(runner)
        backbone.validate_derived = False
        if not self._active:
            return
        self._active = False
        metrics = dict(metrics or {})
        if self.metric not in metrics:
            raise ConfigError(f'DenseNASTopKHook: metric {self.metric!r} is not among the '
                              f'validation results {sorted(metrics)}')
        spec = finalize_spec(backbone.export_arch(), self.input_shape, runner.cfg.filename,
                             metrics=metrics, epoch=runner.epoch - 1)
        score = spec.metrics[self.metric]
        rank = sum(s.metrics[self.metric] > score for s in self.kept)
        if rank >= self.k:
            return
        self.kept.insert(rank, spec)
        del self.kept[self.k:]
        self._write(runner)
        print_log(f'DenseNAS: derived network of epoch {runner.epoch - 1} '
                  f'({self.metric} {score:.2f}, {spec.cost["flops"] / 1e6:.1f} MFLOPs) kept '
                  f'as number {rank + 1} of {self.k}', logger='current')

    def _write(self, runner) -> None:
        if is_main_process():
            for rank, spec in enumerate(self.kept, 1):
                spec.dump(osp.join(runner.work_dir, f'arch_top{rank}.json'))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['densenas_topk'] = [s.to_dict() for s in self.kept]

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        kept = checkpoint.get('meta', {}).get('densenas_topk')
        if kept is not None:
            self.kept = [ArchSpec.from_dict(s, 'checkpoint meta densenas_topk') for s in kept]
