"""The DenseNAS paper configs: the searches follow DenseNAS supp. §A.1/§A.4, DenseNAS-R1/R2/R3
rebuild DenseNAS supp. Table 1 and land on the published FLOPs (mmengine's count)."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmnas.cost import count_complexity
from mmnas.densenas import DenseNASNet, DenseNASRouted
from mmnas.registry import MODELS
from mmnas.utils import register_all_modules

#: DenseNAS supp. Table 1 per stage at 56, 28, 14, 7: (inner width, blocks) and the DenseNAS
#: README's FLOPs in G.
TABLE1 = {
    'r1': ('basic', [(64, 1), (72, 2), (176, 6), (192, 3), (288, 1), (512, 1)], 1.61),
    'r2': ('basic', [(48, 1), (72, 4), (176, 16), (208, 4), (288, 2), (512, 1)], 3.06),
    'r3': ('bottleneck', [(48, 1), (72, 4), (176, 16), (208, 4), (288, 2), (512, 1)], 3.41),
}


def load(repo_root, name) -> Config:
    return Config.fromfile(osp.join(repo_root, 'configs', 'densenas', name))


@pytest.mark.parametrize('net', sorted(TABLE1))
def test_resnet_space_networks_match_table1_and_the_published_flops(repo_root, net):
    register_all_modules(init_default_scope_=False)
    cfg = load(repo_root, f'densenas-{net}_8xb128_in1k.py')
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'ImageClassifier'
    assert isinstance(model.backbone, DenseNASNet)
    op, stages, gflops = TABLE1[net]
    expansion = 4 if op == 'bottleneck' else 1
    blocks = cfg.model.backbone.blocks
    assert [(b['channels'] // expansion, len(b['ops'])) for b in blocks] == stages
    assert all(set(b['ops']) == {op} for b in blocks)
    assert [b['stride'] for b in blocks] == [2, 2, 2, 1, 2, 1]  # 56, 28, 14, 14, 7, 7
    flops = count_complexity(model, (3, 224, 224))['flops'] / 1e9
    assert flops == pytest.approx(gflops, rel=0.01)
    # The retraining recipe of DenseNAS supp. §A.1.
    assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=0.5, momentum=0.9,
                                               weight_decay=4e-5)
    assert (cfg.param_scheduler.T_max, cfg.param_scheduler.eta_min) == (240, 1e-4)
    assert cfg.train_cfg.max_epochs == 240 and cfg.auto_scale_lr.base_batch_size == 1024
    assert cfg.train_dataloader.batch_size * 8 == 1024


@pytest.mark.parametrize('name, space, epochs, start, val_start, loss_weight, tau, metric', [
    ('densenas-mbv2-search_4xb88_in100.py', 'mbv2', 150, 50, 120, 0.15, 15.0, 'latency'),
    ('densenas-resnet-search_4xb128_in100.py', 'resnet', 70, 10, 50, 0.2, 3500.0, 'flops'),
])
def test_search_configs_follow_the_seed(repo_root, name, space, epochs, start, val_start,
                                        loss_weight, tau, metric):
    cfg = load(repo_root, name)
    # The released search validates the derived network every epoch from val_start_epoch on
    # and keeps the best two.
    [hook] = cfg.custom_hooks
    assert (hook.type, hook.start_epoch, hook.k) == ('mmnas.DenseNASTopKHook', val_start, 2)
    assert (cfg.train_cfg.val_begin, cfg.train_cfg.val_interval) == (val_start + 1, 1)
    assert cfg.model.backbone.search_space == space
    backbone = DenseNASRouted(cfg.model.backbone.search_space, init_cfg=None)
    assert cfg.model.head.in_channels == backbone.nodes[-1]['channels']
    assert cfg.model.head.num_classes == 100
    loop = cfg.train_cfg
    assert (loop.type, loop.max_epochs, loop.arch_start, loop.alternate) == (
        'mmnas.BilevelTrainLoop', epochs, start, 'epoch')
    updater = loop.arch_updater
    assert (updater.loss_weight, updater.tau) == (loss_weight, tau)
    assert updater.cost_cfg.metric == metric and updater.cost_cfg.estimation == 'chained'
    # 20% of each class for α/β, the rest for the weights.
    arch, weights = loop.arch_dataloader.dataset, cfg.train_dataloader.dataset
    assert (arch.type, arch.ratio, arch.part) == ('mmnas.SplitDataset', 0.2, 'first')
    assert (weights.ratio, weights.part) == (0.2, 'second')
    assert arch.dataset.ann_file == 'meta/train_100cls.txt'
    optim = cfg.optim_wrapper
    assert optim.weights.optimizer == dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=4e-5)
    assert optim.architecture.optimizer == dict(type='Adam', lr=3e-4, betas=(0.5, 0.999),
                                                weight_decay=1e-3)
    [cosine] = cfg.param_scheduler.weights
    assert (cosine.T_max, cosine.eta_min) == (epochs, 1e-4)
    assert cfg.param_scheduler.architecture == []
    assert cfg.model_wrapper_cfg.find_unused_parameters


def test_mbv2_space_is_the_released_one(repo_root):
    """16 routing blocks of widths 24…384 at strides 4…32 after the 16-wide input block and
    the 1984-wide ending block (the full table: test_released_spaces.py); the released BN
    settings."""
    cfg = load(repo_root, 'densenas-mbv2-search_4xb88_in100.py')
    net = DenseNASRouted(cfg.model.backbone.search_space, init_cfg=None)
    blocks = net.nodes[1:-1]
    assert len(blocks) == 16 and net.nodes[0]['channels'] == 16
    assert (blocks[0]['channels'], blocks[-1]['channels']) == (24, 384)
    assert net.nodes[-1]['channels'] == 1984
    assert cfg.model.backbone.norm_cfg == dict(type='BN', affine=False, eps=1e-3)


def test_retrain_builds_from_the_searched_spec(repo_root):
    cfg = load(repo_root, 'densenas-retrain_8xb128_in1k.py')
    assert cfg.model.backbone == dict(
        type='mmnas.SearchedBackbone',
        arch_spec='work_dirs/densenas-mbv2-search_4xb88_in100/arch.json')
    assert cfg.optim_wrapper.optimizer.lr == 0.5 and cfg.train_cfg.max_epochs == 240


def test_local_estimation_config_differs_only_in_the_estimation(repo_root):
    """DenseNAS supp. Table 2's comparison: the same search, the same latency table, local
    estimation."""
    chained = load(repo_root, 'densenas-mbv2-search_4xb88_in100.py').to_dict()
    local = load(repo_root, 'densenas-mbv2-search-local_4xb88_in100.py').to_dict()
    assert local['train_cfg']['arch_updater']['cost_cfg']['estimation'] == 'local'
    for cfg in (chained, local):
        cfg['train_cfg']['arch_updater']['cost_cfg'].pop('estimation')
        cfg['cost_cfg'].pop('estimation')
    assert local == chained
