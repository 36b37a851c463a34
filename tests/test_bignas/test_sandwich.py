"""The sandwich rule: which children, how they learn, and that it learns."""
import random

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmnas.bignas import SandwichRule
from mmnas.bignas.sandwich import capture_forward
from mmnas.engine import get_elastic_backbone
from mmnas.utils.config_check import ConfigError


def build_runner(config, tmp_path, **train_cfg):
    cfg = Config.fromfile(config)
    cfg.train_cfg.update(train_cfg)
    cfg.work_dir = str(tmp_path)
    return Runner.from_cfg(cfg)


def test_children_follow_the_sandwich_and_depend_only_on_the_step(tiny_cls_config, tmp_path):
    runner = build_runner(tiny_cls_config, tmp_path)
    backbone = get_elastic_backbone(runner.model)
    rule = SandwichRule(num_random=2)
    children = rule.children(backbone, step=7)
    assert [n for n, _ in children] == ['max', 'min', 'random0', 'random1']
    assert children[0][1] == backbone.max_arch() and children[1][1] == backbone.min_arch()
    # Resolution pairing: biggest at the highest, smallest at the lowest.
    assert children[0][1]['resolution'] == 48 and children[1][1]['resolution'] == 32
    random.seed(123)  # global random state must not matter
    assert SandwichRule(num_random=2).children(backbone, 7) == children
    assert rule.children(backbone, 8) != children


def test_one_step_distils_from_a_detached_teacher(tiny_cls_config, tmp_path):
    runner = build_runner(tiny_cls_config, tmp_path)
    model = runner.model
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    rule = runner.train_loop.rule
    seen = []
    loss_fn = rule.distill_loss.forward

    def spy(student, teacher):
        seen.append((student.shape, teacher.requires_grad, teacher.grad_fn))
        return loss_fn(student, teacher)

    rule.distill_loss.forward = spy
    batch = next(iter(runner.train_dataloader))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    log = rule.train_step(model, batch, runner.optim_wrapper, step=0)
    assert len(seen) == 3  # min and two random children
    assert all(shape == (16, 10) and not grad and fn is None for shape, grad, fn in seen)
    assert set(log) >= {'loss', 'max.loss', 'min.loss_distill', 'random0.loss_distill'}
    after = model.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before if k.endswith('weight'))
    with pytest.raises(ValueError, match='detached'):
        loss_fn(torch.randn(2, 3), torch.randn(2, 3, requires_grad=True))


def test_capture_forward_sees_a_direct_forward_call():
    head = torch.nn.Linear(3, 2)
    store = {}
    with capture_forward(head, store):
        out = head.forward(torch.randn(4, 3))
    assert store['output'] is out
    assert 'forward' not in vars(head)


def test_bad_rule_settings_are_reported(tiny_cls_config, tmp_path):
    with pytest.raises(ConfigError, match='num_random'):
        SandwichRule(num_random=-1)
    runner = build_runner(tiny_cls_config, tmp_path, prediction='no_such_head')
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    batch = next(iter(runner.train_dataloader))
    with pytest.raises(ConfigError, match='no_such_head'):
        runner.train_loop.rule.train_step(runner.model, batch, runner.optim_wrapper, 0)


def test_optimizer_weight_decay_with_rule_weight_decay_is_refused(tiny_cls_config, tmp_path):
    cfg = Config.fromfile(tiny_cls_config)
    cfg.optim_wrapper.optimizer.weight_decay = 1e-4
    cfg.work_dir = str(tmp_path)
    with pytest.raises(ConfigError, match='weight_decay'):
        Runner.from_cfg(cfg).train()


def test_short_sandwich_training_makes_biggest_and_smallest_children_learn(
        tiny_cls_config, tmp_path):
    """10 classes (chance 10%): after 150 iterations both ends of the space are far above."""
    runner = build_runner(tiny_cls_config, tmp_path, max_iters=150, val_interval=1000)
    runner.train()
    metrics = runner.val_loop.run()
    assert metrics['max/accuracy/top1'] > 40, metrics
    assert metrics['min/accuracy/top1'] > 30, metrics


def test_each_child_at_its_resolution_and_only_the_biggest_regularised(tiny_cls_config,
                                                                        tmp_path):
    """Inside one sandwich step every child sees the batch at its own resolution, and
    dropout and drop-path are active for the biggest child only."""
    from mmcv.cnn.bricks import DropPath
    from torch import nn
    runner = build_runner(tiny_cls_config, tmp_path)
    model = runner.model
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    rule = runner.train_loop.rule
    backbone = get_elastic_backbone(model)
    regularisers = [m for m in backbone.modules() if isinstance(m, (nn.Dropout2d, DropPath))]
    assert regularisers  # the tiny config has dropout and drop-path
    seen = []
    backbone.first_conv.register_forward_pre_hook(
        lambda m, args: seen.append((tuple(args[0].shape[-2:]),
                                     [r.training for r in regularisers])))
    model.train()
    rule.train_step(model, next(iter(runner.train_dataloader)), runner.optim_wrapper, step=5)
    resolutions = [a['resolution'] for _, a in rule.last_children]
    assert [size for size, _ in seen] == [(r, r) for r in resolutions]
    assert resolutions[:2] == [48, 32]
    assert all(seen[0][1])
    assert not any(any(active) for _, active in seen[1:])
    # Outside the step the model is back in training mode.
    assert all(r.training for r in regularisers)
