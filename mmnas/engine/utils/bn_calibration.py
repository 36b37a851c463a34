"""Re-estimate BatchNorm running statistics of a network whose structure changed.

Weight sharing (a child sliced from a supernet, a network whose channels were just pruned) keeps
the learned affine parameters valid but not the running mean and variance, which were
accumulated by a different network. Both BigNAS (before evaluating a child) and HR-NAS (after a
shrink) recompute them from a few training batches with the weights frozen.
"""
from typing import Iterable

import torch
from mmengine.dataset import DefaultSampler, InfiniteSampler
from mmengine.dist import all_reduce, get_world_size
from mmengine.model import BaseModel
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.data import DataLoader, Sampler

from mmnas.models import unwrap_model


def _calibration_sampler(loader: DataLoader) -> Sampler:
    """A sampler for reading ``loader``'s dataset besides the training loop.

    mmengine's ``InfiniteSampler`` keeps one index generator for its lifetime: a second
    loader over it would take indices away from training, and leaving it early would close
    the generator (training then stops with ``StopIteration``). It is replaced by a
    ``DefaultSampler`` with the same shuffling and seed (the same per-rank shard). Other
    samplers draw fresh indices on every ``iter()`` and are shared as they are.
    """
    sampler = loader.sampler
    if isinstance(sampler, InfiniteSampler):
        return DefaultSampler(loader.dataset, shuffle=sampler.shuffle, seed=sampler.seed)
    return sampler


@torch.no_grad()
def recalibrate_bn(model: nn.Module, data_batches: Iterable[dict], num_batches: int,
                   num_workers: int = 0) -> int:
    """Reset every BatchNorm's running statistics and re-estimate them as the exact average
    over ``num_batches`` batches (``momentum=None``), without touching any weight.

    Args:
        model: an mmengine ``BaseModel`` (possibly DDP-wrapped) whose ``data_preprocessor``
            turns a dataloader batch into model inputs.
        data_batches: dataloader batches, e.g. ``runner.train_dataloader``. A ``DataLoader``
            is read through a separate loader over the same dataset and collate function,
            so the iterator the training loop is in the middle of goes on undisturbed (see
            :func:`_calibration_sampler` for the sampler).
        num_batches: how many batches to use; fewer is fine if the loader is shorter.
            Under DDP every rank estimates on its own shard and the estimates are averaged
            over the ranks (all-reduce), as HR-NAS's released code does.
        num_workers: worker processes of that separate loader (0: the main process; with
            workers, augmentation draws from the workers' seeds instead of the main
            process's random state).

    Returns:
        The number of batches actually used.
    """
    net = unwrap_model(model)
    if not isinstance(net, BaseModel):
        raise TypeError(f'recalibrate_bn expects an mmengine BaseModel, got {type(net).__name__}')
    norms = [m for m in net.modules() if isinstance(m, _BatchNorm) and m.track_running_stats]
    if not norms:
        return 0
    momenta = [m.momentum for m in norms]
    training = net.training
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average: the plain mean over the batches seen
    if isinstance(data_batches, DataLoader):
        data_batches = DataLoader(data_batches.dataset, batch_size=data_batches.batch_size,
                                  sampler=_calibration_sampler(data_batches),
                                  collate_fn=data_batches.collate_fn, num_workers=num_workers,
                                  worker_init_fn=data_batches.worker_init_fn if num_workers
                                  else None)
    net.train()
    used = 0
    try:
        for batch in data_batches:
            if used == num_batches:
                break
            data = net.data_preprocessor(batch, True)
            net._run_forward(data, mode='tensor')
            used += 1
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        net.train(training)
    if get_world_size() > 1:
        for m in norms:
            all_reduce(m.running_mean, 'mean')
            all_reduce(m.running_var, 'mean')
    return used
