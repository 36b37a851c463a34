"""BilevelTrainLoop: alternate weight steps on the training split with architecture steps on
a held-out split (DARTS, UnNAS, DenseNAS)."""
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Union

from mmengine.runner import EpochBasedTrainLoop
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from mmnas.registry import LOOPS
from mmnas.utils.config_check import ConfigError
from ..hooks.rng_state import preserved_rng
from .arch_updater import arch_parameters, build_arch_updater

ALTERNATE = ('iter', 'epoch')


@contextmanager
def frozen(params: List[nn.Parameter]):
    """Take ``params`` out of autograd for the duration (they get no ``.grad``)."""
    states = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, state in zip(params, states):
            p.requires_grad_(state)


@LOOPS.register_module()
class BilevelTrainLoop(EpochBasedTrainLoop):
    """mmengine's epoch-based loop with an architecture step next to every weight step.

    min_α L_val(w*(α), α)  s.t.  w*(α) = argmin_w L_train(w, α): the weights w are trained by
    ``runner.model.train_step(batch, optim_wrapper['weights'])`` with α frozen; α by
    ``arch_updater.step(...)`` on batches of ``arch_dataloader`` (the held-out split). The
    runner's optimizer must therefore be an ``OptimWrapperDict`` with ``weights`` and
    ``architecture`` (see ``ArchWeightOptimWrapperConstructor``).

    Hooks are called as in ``EpochBasedTrainLoop`` (one train iteration = one weight step), so
    logging, checkpoints, param schedulers, validation and ``--resume`` work unchanged. In
    ``alternate='iter'`` the architecture step's log variables are added to the iteration's
    outputs as ``arch_<name>``; in ``alternate='epoch'`` they are written to the message hub
    as ``train/arch_<name>``.

    Under DDP, α are frozen in the weight step and the sampled ops of a method may leave
    weights unused, so the wrapper must be built with
    ``model_wrapper_cfg=dict(type='MMDistributedDataParallel', find_unused_parameters=True)``;
    the loop refuses to start otherwise. α gradients are averaged across ranks by the updater.

    Args:
        runner: the runner.
        dataloader: the training (weights) split, loader or config.
        arch_dataloader: the held-out (architecture) split, loader or config.
        max_epochs: epochs over ``dataloader``.
        arch_updater: config of an ``ARCH_UPDATERS`` entry, e.g.
            ``dict(type='DARTSArchUpdater', unrolled=False)``.
        arch_start: when architecture steps begin: an epoch index (int), or a fraction of
            the whole run in (0, 1) (the UnNAS ImageNet search uses 0.5).
        alternate: ``'iter'``: one architecture step before each weight step, on the next
            held-out batch (DARTS); ``'epoch'``: a full pass over the held-out split before
            each epoch of weight steps (DenseNAS).
        val_begin, val_interval: as in ``EpochBasedTrainLoop``.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 arch_dataloader: Union[DataLoader, Dict],
                 max_epochs: int,
                 arch_updater: Union[dict, object] = dict(type='BaseArchUpdater'),
                 arch_start: Union[int, float] = 0,
                 alternate: str = 'iter',
                 val_begin: int = 1,
                 val_interval: int = 1) -> None:
        super().__init__(runner, dataloader, max_epochs, val_begin, val_interval)
        if alternate not in ALTERNATE:
            raise ConfigError(f'train_cfg.alternate={alternate!r}: expected one of '
                              f'{list(ALTERNATE)}')
        self.alternate = alternate
        self.arch_start_iter = self._arch_start_iter(arch_start)
        if isinstance(arch_dataloader, dict):
            diff_rank_seed = runner._randomness_cfg.get('diff_rank_seed', False)
            arch_dataloader = runner.build_dataloader(
                arch_dataloader, seed=runner.seed, diff_rank_seed=diff_rank_seed)
        self.arch_dataloader = arch_dataloader
        self.arch_updater = build_arch_updater(arch_updater)
        self._arch_passes = 0
        self._arch_iterator: Optional[Iterator] = None
        model = runner.model
        if isinstance(model, DistributedDataParallel) and not model.find_unused_parameters:
            raise ConfigError(
                'BilevelTrainLoop under DDP: the architecture parameters take no part in the '
                'weight step, so set model_wrapper_cfg=dict(type=\'MMDistributedDataParallel\', '
                'find_unused_parameters=True)')

    def _arch_start_iter(self, arch_start: Union[int, float]) -> int:
        if isinstance(arch_start, bool) or not isinstance(arch_start, (int, float)):
            raise ConfigError(f'train_cfg.arch_start={arch_start!r}: expected an epoch index '
                              'or a fraction in (0, 1)')
        if isinstance(arch_start, int) or float(arch_start).is_integer():
            if not 0 <= arch_start <= self._max_epochs:
                raise ConfigError(f'train_cfg.arch_start={arch_start}: expected an epoch in '
                                  f'[0, max_epochs={self._max_epochs}]')
            return int(arch_start) * len(self.dataloader)
        if not 0 < arch_start < 1:
            raise ConfigError(f'train_cfg.arch_start={arch_start}: a fraction must lie in '
                              '(0, 1)')
        return int(round(arch_start * self._max_iters))

    @property
    def searching(self) -> bool:
        """Whether architecture steps are on at the current iteration."""
        return self._iter >= self.arch_start_iter

    def _arch_pass(self, index: int) -> Iterator:
        """Pass number ``index`` over the held-out split, shuffled by the sampler's seed and
        ``index`` (as the training split is per epoch), so a resumed run sees the batches an
        uninterrupted one would."""
        sampler = getattr(self.arch_dataloader, 'sampler', None)
        if hasattr(sampler, 'set_epoch'):
            sampler.set_epoch(index)
        return iter(self.arch_dataloader)

    def _next_arch_batch(self):
        """The next held-out batch of ``alternate='iter'``: step k of the search takes batch
        k mod L of pass k // L (L batches per pass), wherever the run (re)started.

        A resumed run re-reads the first batches of the current pass to get there; the random
        numbers that takes (the iterator's seed, main-process augmentation) were drawn before
        the checkpoint by the run left alone and are in its saved random states, so the
        re-reading must not draw any. At the start of a pass the run left alone opens the
        pass here, so a resumed one does too.
        """
        if self._arch_iterator is None:
            steps = self._iter - self.arch_start_iter
            self._arch_passes, skip = divmod(steps, len(self.arch_dataloader))
            if skip == 0:
                self._arch_iterator = self._arch_pass(self._arch_passes)
            else:
                with preserved_rng():
                    self._arch_iterator = self._arch_pass(self._arch_passes)
                    for _ in range(skip):
                        next(self._arch_iterator)
        try:
            return next(self._arch_iterator)
        except StopIteration:
            self._arch_passes += 1
            self._arch_iterator = self._arch_pass(self._arch_passes)
            return next(self._arch_iterator)

    def run_epoch(self) -> None:
        """One epoch of weight steps; with ``alternate='epoch'`` preceded by one pass of
        architecture steps over the held-out split."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        if self.alternate == 'epoch' and self.searching:
            for arch_batch in self._arch_pass(self._epoch):
                log_vars = self.arch_updater.step(self.runner.model, arch_batch, None,
                                                  self.runner.optim_wrapper)
                for name, value in log_vars.items():
                    self.runner.message_hub.update_scalar(f'train/arch_{name}', value)
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        """(Architecture step on a held-out batch, if alternating per iteration) then one
        weight step with α frozen."""
        runner = self.runner
        runner.call_hook('before_train_iter', batch_idx=idx, data_batch=data_batch)
        arch_vars = {}
        if self.alternate == 'iter' and self.searching:
            arch_vars = self.arch_updater.step(runner.model, self._next_arch_batch(), data_batch,
                                               runner.optim_wrapper)
        self.arch_updater.before_weight_step(runner.model)
        with frozen(arch_parameters(runner.model)):
            outputs = runner.model.train_step(data_batch,
                                              optim_wrapper=runner.optim_wrapper['weights'])
        self.arch_updater.after_weight_step(runner.model)
        outputs.update({f'arch_{name}': value for name, value in arch_vars.items()})
        runner.call_hook('after_train_iter', batch_idx=idx, data_batch=data_batch,
                         outputs=outputs)
        self._iter += 1
