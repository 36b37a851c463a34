"""DenseNASArchUpdater: the dropping-path search rule of DenseNAS (DenseNAS supp. §A.3) with its
cost-aware loss, run by :class:`~mmnas.engine.runner.bilevel_loop.BilevelTrainLoop`.

- Weight step (:meth:`before_weight_step`): one candidate per basic layer and per searched
  head is drawn from ``softmax(α)`` and only it runs (α is uniform during the weight-only
  warm-up, so the draw is uniform then, as in DenseNAS supp. §A.3).
- Architecture step (:meth:`step`): two candidates per layer and head are drawn and run,
  weighted by their renormalised ``softmax(α)``; the loss is
  ``task + λ · log(cost) / log(τ)`` with ``cost`` the expected network cost
  (:class:`DenseNASCostModel`, chained by default); after the optimiser step only the drawn
  entries of α keep their update, shifted by the re-balancing bias of DenseNAS supp. eq. (1), so
  every undrawn candidate keeps its probability. β is updated as a whole.
"""
import math
from typing import Dict, Optional, Tuple

import torch
from mmengine.optim import OptimWrapperDict
from torch import Tensor, nn

from mmnas.engine.runner.arch_updater import BaseArchUpdater, compute_loss
from mmnas.models import get_searchable_backbone, unwrap_model
from mmnas.registry import ARCH_UPDATERS
from mmnas.utils.config_check import ConfigError
from .cost_model import DenseNASCostModel
from .routing import rebalance_alpha
from .supernet import DenseNASRouted


@ARCH_UPDATERS.register_module()
class DenseNASArchUpdater(BaseArchUpdater):
    """Dropping-path sampling, cost-aware architecture loss and α re-balancing.

    Args:
        loss_weight: λ of the cost term (DenseNAS: 0.15 with latency, 0.2 with FLOPs).
        tau: τ, in the cost's unit (DenseNAS: 15 ms; 1700 or 3500 MFLOPs for ResNet).
        cost_cfg: ``dict(table=path or None, input_shape=(C, H, W), estimation='chained' or
            'local', expectation='sampled' or 'all', skip_cost=None or fraction,
            classifier=True or False)``: ``table`` is a file from
            ``tools/build_cost_table.py`` (``None``: the FLOPs of the supernet's operations,
            counted at the first step); ``classifier`` (default ``True``, as the released
            search) adds the cost of a linear classifier over the model's
            ``head.num_classes``; the others are those of :class:`DenseNASCostModel`; other
            keys of the config's ``cost_cfg`` (``metric``, ``batch_size``, for the tool) are
            ignored here.
        num_sampled: candidates per layer in an architecture step (DenseNAS supp. §A.3: 2).
    """

    def __init__(self,
                 loss_weight: float = 0.15,
                 tau: float = 15.0,
                 cost_cfg: Optional[dict] = None,
                 num_sampled: int = 2) -> None:
        if tau <= 1:
            raise ConfigError(f'DenseNASArchUpdater: tau={tau} must be > 1 (log(τ) divides)')
        if num_sampled < 1:
            raise ConfigError(f'DenseNASArchUpdater: num_sampled={num_sampled} must be >= 1')
        cost_cfg = dict(cost_cfg or {})
        unknown = set(cost_cfg) - {'table', 'input_shape', 'estimation', 'expectation',
                                   'skip_cost', 'classifier', 'metric', 'batch_size'}
        if unknown:
            raise ConfigError(f'DenseNASArchUpdater: cost_cfg has unknown keys '
                              f'{sorted(unknown)}; expected table, input_shape, estimation, '
                              'expectation, skip_cost, classifier')
        self.loss_weight = loss_weight
        self.tau = tau
        self.num_sampled = num_sampled
        self.table = cost_cfg.get('table')
        self.input_shape = tuple(cost_cfg.get('input_shape', (3, 224, 224)))
        self.estimation = cost_cfg.get('estimation', 'chained')
        self.expectation = cost_cfg.get('expectation', 'sampled')
        self.skip_cost = cost_cfg.get('skip_cost')
        self.classifier = bool(cost_cfg.get('classifier', True))
        self._cost_model: Optional[DenseNASCostModel] = None

    @staticmethod
    def backbone(model: nn.Module) -> DenseNASRouted:
        backbone = get_searchable_backbone(model)
        if not isinstance(backbone, DenseNASRouted):
            raise ConfigError(f'DenseNASArchUpdater searches a DenseNASRouted backbone, got '
                              f'{type(backbone).__name__}')
        return backbone

    def cost_model(self, model: nn.Module) -> DenseNASCostModel:
        """The cost model of the supernet, built (and its table read or counted) once."""
        if self._cost_model is None:
            self._cost_model = DenseNASCostModel(self.backbone(model), self.input_shape,
                                                 self.table, self.estimation,
                                                 self.expectation, self.skip_cost,
                                                 self.num_classes(model))
        return self._cost_model

    def num_classes(self, model: nn.Module) -> Optional[int]:
        """The classes of the model's head whose classifier the cost counts (``None`` with
        ``cost_cfg.classifier=False``)."""
        if not self.classifier:
            return None
        num_classes = getattr(getattr(unwrap_model(model), 'head', None), 'num_classes', None)
        if not isinstance(num_classes, int):
            raise ConfigError('DenseNASArchUpdater: cost_cfg.classifier=True counts the '
                              'classifier over model.head.num_classes, but the model\'s head '
                              'has no num_classes; set cost_cfg.classifier=False')
        return num_classes

    def loss(self, model: nn.Module, batch) -> Tuple[Tensor, Dict[str, Tensor]]:
        """``task + λ · log(cost) / log(τ)``; logs ``loss_cost`` and the expected ``cost``."""
        loss, log_vars = compute_loss(model, batch)
        cost = self.cost_model(model)(self.backbone(model))
        cost_loss = self.loss_weight * torch.log(cost) / math.log(self.tau)
        log_vars = dict(log_vars, loss_cost=cost_loss.detach(), cost=cost.detach())
        return loss + cost_loss, log_vars

    def step(self, model: nn.Module, arch_batch, train_batch,
             optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        backbone = self.backbone(model)
        sampled = backbone.sample_ops(self.num_sampled) + backbone.active_head_ops
        alphas = list(backbone.alphas) + list(backbone.head_alphas)
        before = [alpha.detach().clone() for alpha in alphas]
        try:
            log_vars = super().step(model, arch_batch, train_batch, optim_wrapper)
        finally:
            backbone.reset_ops()
        with torch.no_grad():
            for alpha, old, ops in zip(alphas, before, sampled):
                alpha.copy_(rebalance_alpha(old, alpha, torch.tensor(ops, device=alpha.device)))
        return log_vars

    def before_weight_step(self, model: nn.Module) -> None:
        """Dropping-path: the weight step trains one candidate per layer."""
        self.backbone(model).sample_ops(1)

    def after_weight_step(self, model: nn.Module) -> None:
        self.backbone(model).reset_ops()
