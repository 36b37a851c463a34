"""The architecture step of a bilevel search: how α moves on a held-out batch."""
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.dist import all_reduce_params, get_world_size
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapperDict
from torch import Tensor, nn

from mmnas.models import DifferentiableBackbone, get_searchable_backbone, unwrap_model
from mmnas.registry import ARCH_UPDATERS
from mmnas.utils.config_check import ConfigError


def arch_parameters(model: nn.Module) -> List[nn.Parameter]:
    """α of the searchable backbone inside ``model`` (empty unless it is a
    :class:`~mmnas.models.DifferentiableBackbone`)."""
    backbone = get_searchable_backbone(model)
    return list(backbone.arch_parameters()) if isinstance(backbone,
                                                          DifferentiableBackbone) else []


def compute_loss(model: nn.Module, batch) -> Tuple[Tensor, Dict[str, Tensor]]:
    """``(loss, log_vars)`` of the stock model on one batch, as its ``train_step`` computes
    them, without touching any optimizer.

    It runs the unwrapped model: under DDP the architecture step must not go through DDP's
    reducer (which expects exactly one ``backward()`` per wrapped forward); its gradients are
    reduced explicitly by :meth:`BaseArchUpdater.reduce`.
    """
    module: BaseModel = unwrap_model(model)
    data = module.data_preprocessor(batch, True)
    losses = module._run_forward(data, mode='loss')
    return module.parse_losses(losses)


@ARCH_UPDATERS.register_module()
class BaseArchUpdater:
    """One architecture step: the first-order gradient ∇_α L_val(w, α) applied by the
    ``architecture`` optimizer.

    Only α receive gradients here (``torch.autograd.grad`` with α as the only inputs, so no
    weight ``.grad`` is written); :class:`BilevelTrainLoop` in turn freezes α during the weight
    step. Under DDP each rank computes the gradient on its own held-out batch and the
    gradients are averaged over ranks before the step, so α stay identical on every rank.

    Methods override :meth:`loss` (e.g. to add a latency term), :meth:`arch_gradients` (e.g.
    DARTS's second-order gradient) or the two weight-step hooks (e.g. to sample a path before
    the weight step).
    """

    def step(self, model: nn.Module, arch_batch, train_batch,
             optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """Update α once.

        Args:
            model: the runner's model (possibly DDP-wrapped).
            arch_batch: a batch of the held-out (architecture) split.
            train_batch: the batch the following weight step will use (None when the loop
                alternates per epoch).
            optim_wrapper: the runner's ``OptimWrapperDict`` with ``architecture`` and
                ``weights``.

        Returns:
            the log variables of the architecture loss.
        """
        alphas = arch_parameters(model)
        if not alphas:
            raise ConfigError('the searchable backbone has no arch_parameters(): nothing for '
                              'an architecture step')
        grads, log_vars = self.arch_gradients(model, alphas, arch_batch, train_batch,
                                              optim_wrapper)
        self.reduce(grads)
        for alpha, grad in zip(alphas, grads):
            alpha.grad = grad
        arch_optim = optim_wrapper['architecture']
        arch_optim.step()
        arch_optim.zero_grad()
        return log_vars

    def loss(self, model: nn.Module, batch) -> Tuple[Tensor, Dict[str, Tensor]]:
        """The architecture objective on a held-out batch (the task loss by default)."""
        return compute_loss(model, batch)

    def arch_gradients(self, model: nn.Module, alphas: List[nn.Parameter], arch_batch,
                       train_batch, optim_wrapper: OptimWrapperDict
                       ) -> Tuple[List[Tensor], Dict[str, Tensor]]:
        """First order: ∇_α L_val(w, α) at the current weights."""
        loss, log_vars = self.loss(model, arch_batch)
        grads = torch.autograd.grad(loss, alphas, allow_unused=True)
        return [torch.zeros_like(a) if g is None else g for a, g in zip(alphas, grads)], log_vars

    @staticmethod
    def reduce(grads: List[Tensor]) -> None:
        """Average α gradients over ranks in place (no-op in one process)."""
        if get_world_size() > 1:
            all_reduce_params(grads, op='mean')

    def before_weight_step(self, model: nn.Module) -> None:
        """Called before each weight step (e.g. to sample the path the step trains)."""

    def after_weight_step(self, model: nn.Module) -> None:
        """Called after each weight step."""


def build_arch_updater(cfg) -> BaseArchUpdater:
    """An updater instance from a config dict ``dict(type=<name in ARCH_UPDATERS>, ...)``."""
    if isinstance(cfg, BaseArchUpdater):
        return cfg
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise ConfigError(f'train_cfg.arch_updater: expected dict(type=..., ...), got {cfg!r}')
    cfg = dict(cfg)
    name = cfg.pop('type')
    cls: Optional[type] = ARCH_UPDATERS.get(name) if isinstance(name, str) else name
    if cls is None:
        raise ConfigError(f'train_cfg.arch_updater.type={name!r} is not a registered arch '
                          f'updater; expected one of {sorted(ARCH_UPDATERS.module_dict)}')
    return cls(**cfg)
