"""RNGStateHook: the global random states travel with the checkpoint, so that a resumed run
draws exactly the random numbers (dropout, drop-path, sampled paths, augmentation in the main
process) that the run left alone would have drawn."""
import logging
import random
from contextlib import contextmanager
from typing import Iterator, Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmnas.registry import HOOKS

#: Key of the random states in a checkpoint.
RNG_KEY = 'rng_state'


def get_rng_state() -> dict:
    """The python, numpy and torch (CPU and every CUDA device) global random states, in types
    that torch's ``weights_only`` loader accepts (numpy's key as a tensor)."""
    np_state = np.random.get_state(legacy=False)
    state = dict(
        python=random.getstate(),
        numpy=dict(bit_generator=np_state['bit_generator'],
                   key=torch.from_numpy(np_state['state']['key'].astype(np.int64)),
                   pos=int(np_state['state']['pos']), has_gauss=int(np_state['has_gauss']),
                   gauss=float(np_state['gauss'])),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Set the global random states to ``state`` (from :func:`get_rng_state`)."""
    random.setstate(_as_tuples(state['python']))
    np_state = state['numpy']
    np.random.set_state(dict(
        bit_generator=np_state['bit_generator'],
        state=dict(key=np_state['key'].numpy().astype(np.uint32), pos=np_state['pos']),
        has_gauss=np_state['has_gauss'], gauss=np_state['gauss']))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


def _as_tuples(value):
    # A checkpoint may give lists back where ``random.getstate`` had tuples.
    return tuple(_as_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


@contextmanager
def preserved_rng() -> Iterator[None]:
    """Leave the global random states as they were before the block (e.g. around re-reading
    batches only to put an iterator back in position)."""
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


class _RestoreAfterSkip:
    """Stands in for ``IterBasedTrainLoop.dataloader_iterator`` on resume: the loop re-reads
    the ``skip`` batches it already trained on (which may draw random numbers for their
    augmentation), then, before the first batch it trains on, the random states are set to
    the checkpoint's and the loop gets its own iterator back."""

    def __init__(self, loop, skip: int, state: dict) -> None:
        self.loop = loop
        self.iterator = loop.dataloader_iterator
        self.skip = skip
        self.state = state

    def __iter__(self):
        return self

    def __next__(self):
        if self.skip > 0:
            self.skip -= 1
            return next(self.iterator)
        set_rng_state(self.state)
        self.loop.dataloader_iterator = self.iterator
        return next(self.iterator)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the global random states in every checkpoint and put them back on ``--resume``.

    mmengine 0.10.7 resumes weights, optimizer, schedulers, message hub and the loop counters,
    and re-seeds from the checkpoint's seed: the global generators then start from the seed
    instead of where the run was, so dropout, drop-path, path sampling and main-process
    augmentation (``num_workers=0``) draw other numbers than the uninterrupted run. The
    data side is otherwise already positional: mmengine's samplers shuffle with their own
    generator seeded by ``seed + epoch``, workers are seeded by ``worker_init_fn`` each time
    they start, and ``IterBasedTrainLoop`` re-reads the batches already trained on.

    The states are set back at the point that matches where they were saved:

    - epoch-based loops (checkpoints after an epoch): at the next ``before_train_epoch``,
      so whatever the resumed run does before (building, cost counting) draws nothing that
      counts;
    - ``IterBasedTrainLoop`` and its subclasses: after the loop has re-read the batches it
      skips, just before the first batch it trains on is read.

    Validation runs with the states saved and put back around it: it happens after the
    checkpoint of its iteration (epoch), which a kill may cut short, so it must not move the
    training's random stream (as a side effect, how often one validates does not change the
    training either). A validation due at the checkpoint's iteration (epoch) runs again on
    resume, before training goes on: its metrics are logged and its best-checkpoint decision
    is taken as in the run left alone.

    Persistent data-loader workers (``persistent_workers=True``) keep their random state from
    one epoch to the next, which a resumed run, whose workers start afresh, cannot recreate;
    such loaders in an epoch-based loop are reported with a warning.

    In a multi-process run the checkpoint holds the main process's states only.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._pending: Optional[tuple] = None
        self._resumed: Optional[dict] = None
        self._outside_val: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        # A checkpoint saved during validation (the best one) continues the training stream.
        checkpoint[RNG_KEY] = self._outside_val or get_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.get('meta', {})
        self._pending = (meta.get('iter'), checkpoint.get(RNG_KEY))

    def before_train(self, runner) -> None:
        # Only a resume (the loop continues at the checkpoint's position, set after this
        # checkpoint was loaded) takes the states over; weights loaded to fine-tune leave the
        # seeded ones.
        if self._pending is not None:
            (step, state), self._pending = self._pending, None
            if runner.iter > 0 and runner.iter == step:
                if state is None:
                    print_log('the checkpoint holds no random states (saved without '
                              'RNGStateHook): the resumed run will not repeat the '
                              'uninterrupted one exactly', logger='current',
                              level=logging.WARNING)
                else:
                    self._resumed = state
        loop = runner.train_loop
        if hasattr(loop, 'dataloader_iterator'):
            return
        for name, loader in _loaders(loop):
            if getattr(loader, 'persistent_workers', False) and loader.num_workers > 0:
                print_log(f'{name}: persistent_workers=True keeps the workers\' random state '
                          'across epochs, which a resumed run cannot recreate; set '
                          'persistent_workers=False for an exact resume', logger='current',
                          level=logging.WARNING)

    def before_train_epoch(self, runner) -> None:
        if self._resumed is None:
            return
        state, self._resumed = self._resumed, None
        loop = runner.train_loop
        if _validation_due(loop, runner.val_loop):
            # From the checkpoint's states, as the run left alone validated (e.g. random
            # augmentation of the batches for BN re-calibration); it puts them back after.
            set_rng_state(state)
            runner.val_loop.run()
        if hasattr(loop, 'dataloader_iterator'):
            loop.dataloader_iterator = _RestoreAfterSkip(loop, loop.iter, state)
        else:
            set_rng_state(state)

    def before_val(self, runner) -> None:
        self._outside_val = get_rng_state()

    def after_val(self, runner) -> None:
        if self._outside_val is not None:
            set_rng_state(self._outside_val)
            self._outside_val = None


def _validation_due(loop, val_loop) -> bool:
    """Whether the loop validates right after its current position (as mmengine's loops
    decide after an iteration / epoch)."""
    if val_loop is None:
        return False
    loop._decide_current_val_interval()
    step, end = ((loop.iter, loop.max_iters) if hasattr(loop, 'dataloader_iterator') else
                 (loop.epoch, loop.max_epochs))
    return step >= loop.val_begin and (step % loop.val_interval == 0 or step == end)


def _loaders(loop):
    for name in ('dataloader', 'arch_dataloader'):
        loader = getattr(loop, name, None)
        if loader is not None:
            yield f'train_cfg.{name}' if name != 'dataloader' else 'train_dataloader', loader
