"""configs/bignas: every config names registered types; the ImageNet supernet and the S/M/L/XL
children build; the Cityscapes config trains its segmenter with the sandwich rule."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmnas.bignas import BigNASSuperNet
from mmnas.registry import MODELS
from mmnas.utils.config_check import check_types
from .conftest import TINY_SPACE

CONFIGS = sorted(glob.glob(osp.join(osp.dirname(__file__), '..', '..', 'configs', 'bignas',
                                    '*.py')))


#: The configs with content of their own (the S/M/L/XL ones only set a budget or a path).
MAIN = [c for c in CONFIGS if not osp.basename(c).startswith(('bignas-search-', 'bignas-s_',
                                                                   'bignas-m_', 'bignas-l_',
                                                                   'bignas-xl_'))]


@pytest.mark.parametrize('path', MAIN, ids=osp.basename)
def test_config_names_registered_types(path):
    check_types(Config.fromfile(path))


def test_search_budgets_follow_the_seed_children():
    budgets = {
        n: Config.fromfile(p).search_cfg.max_flops
        for n, p in zip('smlx', [c for c in CONFIGS if 'search-' in c])
    }
    assert sorted(budgets.values()) == [250e6, 420e6, 590e6, 1040e6]


def test_imagenet_child_config_builds_the_exported_child(tmp_path):
    net = BigNASSuperNet()
    net.set_arch(net.min_arch())
    net.export_arch().dump(tmp_path / 'arch.json')
    cfg = Config.fromfile([c for c in CONFIGS if c.endswith('bignas-s_in1k.py')][0])
    cfg.model.backbone.arch_spec = str(tmp_path / 'arch.json')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    assert model.backbone.static and model.backbone.current_arch == net.min_arch()
    # Stock loops: no sandwich rule, no per-child validation.
    assert 'type' not in cfg.train_cfg and cfg.train_cfg.by_epoch and 'type' not in cfg.val_cfg
    with torch.no_grad():
        assert model(torch.randn(1, 3, 224, 224), mode='tensor').shape == (1, 1000)


def test_cityscapes_config_trains_the_segmenter_with_the_sandwich(tiny_cityscapes, tmp_path):
    cfg = Config.fromfile([c for c in CONFIGS if 'cityscapes' in c][0])
    space = dict(TINY_SPACE, resolution=(48, 64))
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='PackSegInputs')
    ]
    cfg.merge_from_dict(dict(
        work_dir=str(tmp_path),
        model=dict(data_preprocessor=dict(size=(64, 128)),
                   backbone=dict(search_space=space, out_indices=(0, 1, 2)),
                   neck=dict(in_channels=[16, 24, 32], num_outs=3),
                   decode_head=dict(in_channels=[256] * 3, in_index=[0, 1, 2], channels=16,
                                    feature_strides=[2, 4, 8])),
        train_dataloader=dict(batch_size=2, num_workers=0, persistent_workers=False,
                              sampler=dict(type='InfiniteSampler'),
                              dataset=dict(data_root=tiny_cityscapes, pipeline=pipeline)),
        val_dataloader=dict(num_workers=0, persistent_workers=False,
                            dataset=dict(data_root=tiny_cityscapes, pipeline=pipeline)),
        train_cfg=dict(max_iters=1, val_interval=1),
        val_cfg=dict(num_bn_batches=1),
        default_hooks=dict(checkpoint=dict(interval=-1)),
    ))
    cfg.test_dataloader = cfg.val_dataloader
    runner = Runner.from_cfg(cfg)
    runner.model = revert_sync_batchnorm(runner.model)  # one CPU process: no SyncBN
    runner.train()
    log = set(runner.message_hub.log_scalars)
    assert {'train/max.decode.loss_ce', 'train/min.loss_distill',
            'train/random1.loss_distill', 'val/max/mIoU', 'val/min/mIoU'} <= log, sorted(log)
    # Resolution pairing on a dense task: the smallest child at the lowest resolution.
    rule = runner.train_loop.rule
    assert [a['resolution'] for _, a in rule.last_children[:2]] == [64, 48]
