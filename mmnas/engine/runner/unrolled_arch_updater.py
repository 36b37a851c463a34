"""DARTS's second-order architecture step (Liu et al., ICLR 2019, Eq. 6–8)."""
from contextlib import contextmanager
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.optim import OptimWrapperDict
from torch import Tensor, nn

from mmnas.registry import ARCH_UPDATERS
from mmnas.utils.config_check import ConfigError
from .arch_updater import BaseArchUpdater


@ARCH_UPDATERS.register_module()
class UnrolledArchUpdater(BaseArchUpdater):
    """The α gradient at the weights after one virtual weight step ("unrolled", second order).

    With w' = w − ξ ∇_w L_train(w, α) (one step of the ``weights`` SGD: ξ its current lr,
    with its momentum and weight decay):

        ∇_α L_val(w', α) − ξ ∇²_{α,w} L_train(w, α) ∇_{w'} L_val(w', α)

    where the Hessian-vector product is the central difference
    (∇_α L_train(w⁺, α) − ∇_α L_train(w⁻, α)) / 2ε, w^± = w ± ε v, v = ξ ∇_{w'} L_val(w', α)
    and ε = r / ‖v‖ (DARTS: r = 0.01). The weights are back to w afterwards and no weight
    ``.grad`` is written. Under DDP the two weight gradients are averaged over ranks (so w'
    and v are those of the global batch) and the α gradient is averaged by :meth:`reduce`.

    It needs the batch of the following weight step: ``BilevelTrainLoop`` with
    ``alternate='iter'``.

    Args:
        r: size of the finite-difference step, relative to ‖v‖.
    """

    def __init__(self, r: float = 1e-2) -> None:
        if not r > 0:
            raise ConfigError(f'UnrolledArchUpdater.r={r}: expected a positive number')
        self.r = r

    def arch_gradients(self, model: nn.Module, alphas: List[nn.Parameter], arch_batch,
                       train_batch, optim_wrapper: OptimWrapperDict
                       ) -> Tuple[List[Tensor], Dict[str, Tensor]]:
        if train_batch is None:
            raise ConfigError('UnrolledArchUpdater needs the training batch of each step: '
                              "use it with BilevelTrainLoop(alternate='iter')")
        optimizer = optim_wrapper['weights'].optimizer
        groups = [(g, [p for p in g['params'] if p.requires_grad])
                  for g in optimizer.param_groups]
        weights = [p for _, params in groups for p in params]
        lrs = [g['lr'] for g, params in groups for _ in params]
        with restored(weights):
            # w' = w − ξ (∇_w L_train + λ w + μ · momentum buffer), as the SGD step would.
            train_loss, _ = self.loss(model, train_batch)
            grads = self._grads(train_loss, weights)
            with torch.no_grad():
                grad_iter = iter(grads)
                for group, params in groups:
                    for p in params:
                        step = next(grad_iter) + group.get('weight_decay', 0.0) * p
                        buf = optimizer.state.get(p, {}).get('momentum_buffer')
                        if buf is not None:
                            step = step + group.get('momentum', 0.0) * buf
                        p.sub_(group['lr'] * step)
            val_loss, log_vars = self.loss(model, arch_batch)
            found = torch.autograd.grad(val_loss, alphas + weights, allow_unused=True)
            d_alpha = _zeros_for_none(found[:len(alphas)], alphas)
            d_weights = _zeros_for_none(found[len(alphas):], weights)
            self.reduce(d_weights)
        direction = [lr * d for lr, d in zip(lrs, d_weights)]
        norm = torch.sqrt(sum((d * d).sum() for d in direction))
        if norm == 0:
            return d_alpha, log_vars
        eps = self.r / norm
        sides = []
        for sign in (1.0, -1.0):
            with restored(weights):
                with torch.no_grad():
                    for p, d in zip(weights, direction):
                        p.add_(sign * eps * d)
                loss, _ = self.loss(model, train_batch)
                sides.append(_zeros_for_none(
                    torch.autograd.grad(loss, alphas, allow_unused=True), alphas))
        hessian_vector = [(plus - minus) / (2 * eps) for plus, minus in zip(*sides)]
        return [d - hv for d, hv in zip(d_alpha, hessian_vector)], log_vars

    def _grads(self, loss: Tensor, params: List[nn.Parameter]) -> List[Tensor]:
        grads = _zeros_for_none(torch.autograd.grad(loss, params, allow_unused=True), params)
        self.reduce(grads)
        return grads


@contextmanager
def restored(params: Sequence[nn.Parameter]):
    """Put ``params`` back to their values on entry when leaving."""
    saved = [p.detach().clone() for p in params]
    try:
        yield
    finally:
        with torch.no_grad():
            for p, value in zip(params, saved):
                p.copy_(value)


def _zeros_for_none(grads: Sequence[Optional[Tensor]], params: Sequence[Tensor]) -> List[Tensor]:
    """Unused parameters (``None`` gradients) count as zero gradients."""
    return [torch.zeros_like(p) if g is None else g for g, p in zip(grads, params)]
