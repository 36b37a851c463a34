"""The released ImageNet evaluation: auxiliary head (weight 0.4), Nesterov SGD, the per-epoch
warm-up + cosine schedule and the linear drop-path schedule."""
import math
from types import SimpleNamespace

import pytest
import torch
from mmcv.cnn.bricks import DropPath
from mmengine.config import Config
from mmengine.optim.scheduler import CosineAnnealingLR, LinearLR
from mmengine.registry import MODELS, DefaultScope
from mmpretrain.structures import DataSample

from mmnas.unnas import DARTSAuxClsHead, DARTSNet, DropPathScheduleHook
from mmnas.utils import register_all_modules
from mmnas.utils.config_check import ConfigError


def released_lr(epoch, base_lr=0.5, max_epochs=250, warmup_epochs=5, warmup_factor=0.1):
    """The released evaluation's lr of an epoch: cosine over all epochs, times a linear
    warm-up factor from `warmup_factor` during the first `warmup_epochs`."""
    lr = 0.5 * base_lr * (1 + math.cos(math.pi * epoch / max_epochs))
    if epoch < warmup_epochs:
        alpha = epoch / warmup_epochs
        lr *= warmup_factor * (1 - alpha) + alpha
    return lr


@pytest.fixture(scope='module')
def cfg(repo_root):
    return Config.fromfile(f'{repo_root}/configs/unnas/darts-eval-zoo_8xb128_in1k.py')


def test_config_is_the_released_evaluation(cfg):
    sgd = cfg.optim_wrapper.optimizer
    assert (sgd.type, sgd.lr, sgd.momentum, sgd.nesterov, sgd.weight_decay) == \
        ('SGD', 0.5, 0.9, True, 3e-5)
    assert 'clip_grad' not in cfg.optim_wrapper
    assert cfg.model.head.aux_weight == 0.4 and cfg.model.head.type == 'mmnas.DARTSAuxClsHead'
    assert cfg.model.backbone.out_indices == [9, -1]
    assert cfg.train_cfg.max_epochs == 250
    assert [h.type for h in cfg.custom_hooks] == ['mmnas.DropPathScheduleHook']
    # The stock schedulers, stepped per epoch, give the released lr in every epoch.
    param = torch.nn.Parameter(torch.zeros(1))
    optim = torch.optim.SGD([param], lr=sgd.lr)
    kinds = dict(LinearLR=LinearLR, CosineAnnealingLR=CosineAnnealingLR)
    schedulers = [kinds[s['type']](optim, **{k: v for k, v in s.items() if k != 'type'})
                  for s in cfg.param_scheduler]
    for epoch in range(cfg.train_cfg.max_epochs):
        assert optim.param_groups[0]['lr'] == pytest.approx(released_lr(epoch), abs=1e-12)
        for scheduler in schedulers:
            scheduler.step()


def test_zoo_config_builds_with_the_auxiliary_head_and_trains_a_step(cfg):
    register_all_modules(init_default_scope_=False)
    small = Config(cfg.model.to_dict())
    small.backbone.update(channels=8, norm_cfg=dict(type='BN'))
    small.head.update(num_classes=10, in_channels=128, aux_in_channels=128)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(small)
    samples = [DataSample().set_gt_label(i) for i in (1, 7)]
    # 224 input: the auxiliary map (cell 9) is 7×7 as the released head assumes.
    losses = model(torch.randn(2, 3, 224, 224), samples, mode='loss')
    assert set(losses) >= {'loss', 'loss_aux'}
    sum(losses[k] for k in ('loss', 'loss_aux')).backward()
    assert model.head.aux_head[-1].weight.grad.abs().sum() > 0
    model.eval()
    with torch.no_grad():
        preds = model(torch.randn(2, 3, 224, 224), samples, mode='predict')
    assert preds[0].pred_score.shape == (10, )


def test_aux_loss_is_weighted():
    torch.manual_seed(0)
    head = DARTSAuxClsHead(num_classes=5, in_channels=16, aux_in_channels=8, aux_weight=0.4,
                           aux_stem='cifar')
    feats = (torch.randn(2, 8, 8, 8), torch.randn(2, 16, 4, 4))
    samples = [DataSample().set_gt_label(i) for i in (0, 3)]
    losses = head.loss(feats, samples)
    aux_alone = head._get_loss(head.aux_head(feats[0]), samples)['loss']
    assert torch.allclose(losses['loss_aux'], 0.4 * aux_alone)
    with pytest.raises(ConfigError, match='2 feature maps'):
        head.loss(feats[1:], samples)
    with pytest.raises(ConfigError, match='aux_stem'):
        DARTSAuxClsHead(num_classes=5, in_channels=16, aux_in_channels=8, aux_stem='coco')


def test_drop_path_rises_linearly_per_epoch():
    net = DARTSNet('DARTS_V2', channels=8, num_cells=3, drop_path_rate=0.3)
    hook = DropPathScheduleHook()
    runner = SimpleNamespace(model=net, epoch=0, max_epochs=10)
    hook.before_train(runner)
    drops = [m for m in net.modules() if isinstance(m, DropPath)]
    assert drops
    for epoch in (0, 4, 9):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        assert all(m.drop_prob == pytest.approx(0.3 * epoch / 10) for m in drops)
    with pytest.raises(ConfigError, match='no DropPath'):
        DropPathScheduleHook(0.2).before_train(
            SimpleNamespace(model=DARTSNet('DARTS_V2', channels=8, num_cells=3), epoch=0,
                            max_epochs=1))
