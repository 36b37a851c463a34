"""BilevelTrainLoop + BaseArchUpdater on a one-edge supernet in a stock mmpretrain classifier:
which step moves what, when architecture steps start, logging and resume."""
import copy

import pytest
import torch
from mmengine.runner import Runner

from mmnas.engine import BaseArchUpdater
from mmnas.registry import ARCH_UPDATERS
from mmnas.utils.config_check import ConfigError


@ARCH_UPDATERS.register_module(force=True)
class PhaseRecorder(BaseArchUpdater):
    """First-order updater that says which step is running, for gradient hooks to read.

    The runner copies its config, so the record lives on the class (reset by each test).
    """

    record: dict = {}

    def step(self, model, arch_batch, train_batch, optim_wrapper):
        self.record['phase'] = 'architecture'
        self.record['arch_steps'] += 1
        self.record['train_batch_given'].append(train_batch is not None)
        return super().step(model, arch_batch, train_batch, optim_wrapper)

    def before_weight_step(self, model):
        self.record['phase'] = 'weights'


COSINE = dict(weights=[dict(type='CosineAnnealingLR', T_max=2, by_epoch=True, eta_min=0.0)],
              architecture=[])


def _runner(work_dir, classifier_cfg, split_loader, optim_wrapper, max_epochs=2,
            param_scheduler=COSINE, **train_cfg):
    return Runner(
        model=copy.deepcopy(classifier_cfg),
        work_dir=str(work_dir),
        train_dataloader=split_loader('first'),
        train_cfg=dict(type='mmnas.BilevelTrainLoop', arch_dataloader=split_loader('second'),
                       max_epochs=max_epochs, **train_cfg),
        optim_wrapper=copy.deepcopy(optim_wrapper),
        param_scheduler=copy.deepcopy(param_scheduler),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1),
                           checkpoint=dict(type='CheckpointHook', interval=1)),
        randomness=dict(seed=0),
        default_scope='mmpretrain',
        log_level='WARNING')


def _record():
    PhaseRecorder.record = dict(phase=None, arch_steps=0, train_batch_given=[])
    return PhaseRecorder.record


def test_alpha_moves_only_in_the_architecture_step_and_weights_only_in_the_weight_step(
        tmp_path, classifier_cfg, split_loader, bilevel_optim_wrapper):
    record = _record()
    runner = _runner(tmp_path, classifier_cfg, split_loader, bilevel_optim_wrapper,
                     arch_updater=dict(type='PhaseRecorder'), arch_start=1)
    model = runner.model
    seen = {'alpha': set(), 'stem': set(), 'head': set()}
    watched = dict(alpha=model.backbone.alpha, stem=model.backbone.stem[0].weight,
                   head=model.head.fc.weight)
    for name, param in watched.items():
        param.register_hook(lambda grad, name=name: seen[name].add(record['phase']))
    alpha_start = model.backbone.alpha.detach().clone()
    runner.train()
    assert seen == {'alpha': {'architecture'}, 'stem': {'weights'}, 'head': {'weights'}}
    # 16 images per half, batch 4: 4 iterations per epoch; α starts with the 2nd epoch.
    assert record['arch_steps'] == 4
    assert all(record['train_batch_given'])
    assert not torch.equal(model.backbone.alpha.detach(), alpha_start)
    assert model.backbone.alpha.requires_grad


def test_alpha_stays_put_before_arch_start(tmp_path, classifier_cfg, split_loader,
                                           bilevel_optim_wrapper):
    record = _record()
    runner = _runner(tmp_path, classifier_cfg, split_loader, bilevel_optim_wrapper,
                     max_epochs=1, arch_updater=dict(type='PhaseRecorder'),
                     arch_start=1)
    runner.train()
    assert record['arch_steps'] == 0
    assert torch.equal(runner.model.backbone.alpha.detach(), torch.zeros(2))


def test_fraction_start_and_logged_arch_loss(tmp_path, classifier_cfg, split_loader,
                                             bilevel_optim_wrapper):
    record = _record()
    runner = _runner(tmp_path, classifier_cfg, split_loader, bilevel_optim_wrapper,
                     arch_updater=dict(type='PhaseRecorder'), arch_start=0.75)
    runner.train()
    assert runner.train_loop.arch_start_iter == 6
    assert record['arch_steps'] == 2
    history = runner.message_hub.log_scalars
    assert 'train/arch_loss' in history and 'train/loss' in history
    assert 'train/weights.lr' in history and 'train/architecture.lr' in history


def test_alternate_per_epoch(tmp_path, classifier_cfg, split_loader, bilevel_optim_wrapper):
    """DenseNAS: a whole pass of architecture steps (no training batch) before each epoch."""
    record = _record()
    runner = _runner(tmp_path, classifier_cfg, split_loader, bilevel_optim_wrapper,
                     arch_updater=dict(type='PhaseRecorder'), alternate='epoch')
    runner.train()
    assert record['arch_steps'] == 8
    assert not any(record['train_batch_given'])
    assert 'train/arch_loss' in runner.message_hub.log_scalars


def test_resume_gives_the_uninterrupted_run(tmp_path, classifier_cfg, split_loader,
                                            bilevel_optim_wrapper):
    """Same weights, α, optimizer states and held-out batches after a resume. At a constant
    lr: mmengine's by-epoch cosine schedule itself does not resume bit-exactly."""
    constant = dict(weights=[], architecture=[])
    whole = _runner(tmp_path / 'whole', classifier_cfg, split_loader, bilevel_optim_wrapper,
                    param_scheduler=constant)
    whole.train()
    first = _runner(tmp_path / 'part', classifier_cfg, split_loader, bilevel_optim_wrapper,
                    max_epochs=1, param_scheduler=constant)
    first.train()
    resumed = _runner(tmp_path / 'part', classifier_cfg, split_loader, bilevel_optim_wrapper,
                      param_scheduler=constant)
    resumed._resume = True
    resumed.train()
    assert not torch.equal(whole.model.backbone.alpha.detach(), torch.zeros(2))
    for (name, a), b in zip(whole.model.state_dict().items(),
                            resumed.model.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)


@pytest.mark.parametrize('change, match', [
    (dict(alternate='step'), 'alternate'),
    (dict(arch_start=1.5), 'arch_start'),
    (dict(arch_start=3), 'arch_start'),
    (dict(arch_updater=dict(type='NoSuchUpdater')), 'NoSuchUpdater'),
])
def test_bad_loop_config_is_named(tmp_path, classifier_cfg, split_loader, bilevel_optim_wrapper,
                                  change, match):
    runner = _runner(tmp_path, classifier_cfg, split_loader, bilevel_optim_wrapper, **change)
    with pytest.raises(ConfigError, match=match):
        runner.train()
