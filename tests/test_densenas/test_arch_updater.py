"""DenseNASArchUpdater inside a stock mmpretrain classifier: the architecture step with the
Adam of DenseNAS supp. §A.1, its cost-aware loss and the re-balancing of DenseNAS supp. eq. (1);
the weight step's dropping-path sampling."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from mmnas.densenas import DenseNASArchUpdater, DenseNASCostModel, DenseNASRouted
from mmnas.engine import ArchWeightOptimWrapperConstructor
from mmnas.engine.runner.arch_updater import compute_loss
from mmnas.registry import MODELS
from mmnas.utils.config_check import ConfigError

#: The optimisers of DenseNAS supp. §A.1: SGD for the weights, Adam for α and β.
SEED_OPTIM = dict(
    weights=dict(type='OptimWrapper',
                 optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=4e-5)),
    architecture=dict(type='OptimWrapper',
                      optimizer=dict(type='Adam', lr=0.05, betas=(0.5, 0.999),
                                     weight_decay=1e-3)))


def classifier(space):
    cfg = dict(type='ImageClassifier',
               data_preprocessor=dict(num_classes=4, mean=[127.5] * 3, std=[127.5] * 3),
               backbone=dict(type='mmnas.DenseNASRouted', search_space=space),
               neck=dict(type='GlobalAveragePooling'),
               head=dict(type='LinearClsHead', num_classes=4, in_channels=24))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
    model.init_weights()
    return model


def batch(seed, n=4):
    g = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 256, (3, 32, 32), generator=g, dtype=torch.uint8)
              for _ in range(n)]
    samples = [DataSample().set_gt_label(int(torch.randint(0, 4, (), generator=g)))
               for _ in range(n)]
    return dict(inputs=inputs, data_samples=samples)


@pytest.fixture
def searched(tiny_space):
    torch.manual_seed(0)
    model = classifier(tiny_space)
    with torch.no_grad():
        for p in model.backbone.arch_parameters():
            p.normal_()
    optim = ArchWeightOptimWrapperConstructor(SEED_OPTIM)(model)
    return model, optim


def spy_on_draws(monkeypatch, backbone):
    """The candidates the next ``sample_ops`` draws, as a list filled when it is called."""
    drawn = []
    sample_ops = backbone.sample_ops

    def recorded(num):
        drawn[:] = sample_ops(num)
        return drawn

    monkeypatch.setattr(backbone, 'sample_ops', recorded)
    return drawn


def test_architecture_step_keeps_every_unsampled_probability(searched, monkeypatch):
    model, optim = searched
    backbone = model.backbone
    updater = DenseNASArchUpdater(loss_weight=0.15, tau=15.0,
                                  cost_cfg=dict(input_shape=(3, 32, 32)))
    weights = {n: p.detach().clone() for n, p in model.named_parameters()
               if not n.startswith('backbone.alphas') and not n.startswith('backbone.betas')}
    for step in range(3):
        alphas = [a.detach().clone() for a in backbone.alphas]
        betas = [b.detach().clone() for b in backbone.betas]
        drawn = spy_on_draws(monkeypatch, backbone)
        log_vars = updater.step(model, batch(step), None, optim)
        assert backbone.active_ops is None  # the mixed forward is back after the step
        assert len(drawn) == len(alphas) and all(len(set(o)) == 2 for o in drawn)
        moved = 0
        for old, new, ops in zip(alphas, backbone.alphas, drawn):
            unsampled = [o for o in range(old.numel()) if o not in ops]
            p_old, p_new = F.softmax(old, 0), F.softmax(new.detach(), 0)
            torch.testing.assert_close(p_new[unsampled], p_old[unsampled], rtol=1e-5, atol=0)
            torch.testing.assert_close(new.detach()[unsampled], old[unsampled], rtol=0, atol=0)
            torch.testing.assert_close(p_new[ops].sum(), p_old[ops].sum(), rtol=1e-5, atol=0)
            moved += not torch.allclose(p_new[ops], p_old[ops])
        # Adam's step is ±lr per entry at first, so a pair whose two gradients share a sign
        # keeps its ratio; the others take the update within their total mass.
        assert moved > len(alphas) // 2, step
        # β is updated as a whole (every block's outgoing distribution moves).
        assert all(not torch.equal(b.detach(), old) for b, old in zip(backbone.betas, betas)
                   if b.numel() > 1)
        assert set(log_vars) >= {'loss', 'loss_cost', 'cost'}
    # The architecture step writes no weight gradient and moves no weight.
    for name, param in model.named_parameters():
        if name in weights:
            assert param.grad is None, name
            assert torch.equal(param.detach(), weights[name]), name


def test_cost_term_is_lambda_log_cost_over_log_tau(searched):
    model, optim = searched
    updater = DenseNASArchUpdater(loss_weight=0.2, tau=1700.0,
                                  cost_cfg=dict(input_shape=(3, 32, 32), estimation='local'))
    loss, log_vars = updater.loss(model, batch(0))
    # The classifier (24 → 4 classes of the model's head) is counted, as released.
    cost = DenseNASCostModel(model.backbone, (3, 32, 32), estimation='local',
                             num_classes=4)(model.backbone)
    assert float(log_vars['cost']) == pytest.approx(float(cost), rel=1e-6)
    without = DenseNASArchUpdater(cost_cfg=dict(input_shape=(3, 32, 32), estimation='local',
                                                classifier=False))
    _, plain = without.loss(model, batch(0))
    assert float(log_vars['cost']) - float(plain['cost']) == pytest.approx(24 * 4 / 1e6,
                                                                           abs=1e-7)
    assert float(log_vars['loss_cost']) == pytest.approx(
        0.2 * math.log(float(cost)) / math.log(1700.0), rel=1e-6)
    task, _ = compute_loss(model, batch(0))
    assert float(loss) == pytest.approx(float(task) + float(log_vars['loss_cost']), rel=1e-6)


def test_weight_step_runs_one_sampled_operation_per_layer(searched):
    model, _ = searched
    updater = DenseNASArchUpdater()
    updater.before_weight_step(model)
    active = model.backbone.active_ops
    assert len(active) == len(model.backbone.alphas) and all(len(o) == 1 for o in active)
    updater.after_weight_step(model)
    assert model.backbone.active_ops is None


def test_weight_step_draws_follow_alpha(tiny_space):
    """Dropping-path draws each layer's operation from softmax(α) (uniform while α is)."""
    torch.manual_seed(0)
    net = DenseNASRouted(tiny_space)
    with torch.no_grad():
        net.alphas[0].copy_(torch.tensor([2.0, 0.0, -1.0]))
    counts = torch.zeros(3)
    for _ in range(2000):
        counts[net.sample_ops(1)[0][0]] += 1
    torch.testing.assert_close(counts / 2000, F.softmax(net.alphas[0].detach(), 0),
                               atol=0.04, rtol=0)


@pytest.mark.parametrize('kwargs, match', [
    (dict(tau=1.0), 'tau=1.0'),
    (dict(num_sampled=0), 'num_sampled=0'),
    (dict(cost_cfg=dict(tabel='x.json')), r"unknown keys \['tabel'\]"),
    (dict(cost_cfg=dict(estimation='global')), 'estimation'),
])
def test_bad_updater_settings_are_named(searched, kwargs, match):
    model, optim = searched
    with pytest.raises(ConfigError, match=match):
        DenseNASArchUpdater(**kwargs).step(model, batch(0), None, optim)


def test_other_backbones_are_refused():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(dict(type='ImageClassifier',
                                  backbone=dict(type='mmnas.DenseNASNet', blocks=[
                                      dict(channels=8, stride=1, ops=['skip'])],
                                      stem=dict(channels=8, stride=2)),
                                  neck=dict(type='GlobalAveragePooling'),
                                  head=dict(type='LinearClsHead', num_classes=4,
                                            in_channels=8)))
    with pytest.raises(ConfigError, match='DenseNASRouted backbone, got DenseNASNet'):
        DenseNASArchUpdater().before_weight_step(model)
