"""Exponential decay with a constant ending (BigNAS supp. §B).

BigNAS's children converge at different speeds: a plain exponential (or cosine) decay to
zero over-trains the big ones while the small ones still learn. The rate decays as
``η_t = η_0 · γ^t`` until it reaches ``end_factor · η_0`` (5% in the paper; 3–10% give the
same accuracy) and stays there.
"""
from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler

from mmnas.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class ExpDecayConstantEndParamScheduler(_ParamScheduler):
    """``value_t = value_0 · max(γ^(t - begin), end_factor)``.

    Args:
        optimizer: the (wrapped) optimizer.
        param_name: the scheduled parameter (``lr``, ``momentum``).
        gamma: decay factor per step (per epoch when ``by_epoch``), in (0, 1].
        end_factor: the constant ending, as a fraction of the initial value, in [0, 1].
        begin, end, last_step, by_epoch, verbose: as every mmengine scheduler.
    """

    def __init__(self, optimizer, param_name: str, gamma: float, end_factor: float = 0.05,
                 begin: int = 0, end: int = INF, last_step: int = -1, by_epoch: bool = True,
                 verbose: bool = False) -> None:
        if not 0 < gamma <= 1:
            raise ValueError(f'{type(self).__name__}: gamma must be in (0, 1], got {gamma}')
        if not 0 <= end_factor <= 1:
            raise ValueError(f'{type(self).__name__}: end_factor must be in [0, 1], got '
                             f'{end_factor}')
        self.gamma = gamma
        self.end_factor = end_factor
        super().__init__(optimizer, param_name=param_name, begin=begin, end=end,
                         last_step=last_step, by_epoch=by_epoch, verbose=verbose)

    def _get_value(self) -> list:
        factor = max(self.gamma**(self.last_step - self.begin), self.end_factor)
        return [base * factor for base in self.base_values]


@PARAM_SCHEDULERS.register_module()
class ExpDecayConstantEndLR(LRSchedulerMixin, ExpDecayConstantEndParamScheduler):
    """The learning rate decays exponentially to ``end_factor`` of its initial value, then
    stays constant (BigNAS: ``end_factor=0.05``)."""
