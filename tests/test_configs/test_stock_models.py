"""Each host's stock model (mmseg EncoderDecoder, mmpose TopdownPoseEstimator, mmdet3d
PointPillars VoxelNet, mmpretrain ImageClassifier) with an mmnas backbone, built from our
configs, trains a step on a batch that the stock dataset and pipeline produce."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DATASETS, MODELS, DefaultScope

from mmnas.hrnas import HRNASSuperNet
from mmnas.utils import register_all_modules

CONFIGS = {
    'cityscapes': ('hrnas-supernet_tiny-cityscapes.py', 'mmseg.models.EncoderDecoder'),
    'coco': ('hrnas-supernet_tiny-coco-256x192.py', 'mmpose.models.TopdownPoseEstimator'),
    'kitti': ('hrnas-supernet_tiny-kitti-3d-3class.py', 'mmdet3d.models.VoxelNet'),
    'imagenet': ('hrnas-supernet_tiny-imagenet.py', 'mmpretrain.models.ImageClassifier'),
}


def retarget(node, old: str, new: str):
    """Every path under the config's ``data_root`` moved to ``new``."""
    if isinstance(node, dict):
        return type(node)({k: retarget(v, old, new) for k, v in node.items()})
    if isinstance(node, (list, tuple)):
        return type(node)(retarget(v, old, new) for v in node)
    if isinstance(node, str) and node.startswith(old.rstrip('/')):
        return new.rstrip('/') + node[len(old.rstrip('/')):]
    return node


def load_tiny_config(repo_root: str, name: str, tiny_data: dict) -> Config:
    cfg = Config.fromfile(osp.join(repo_root, 'configs', 'hrnas', CONFIGS[name][0]))
    return Config(retarget(cfg.to_dict(), cfg.data_root, tiny_data[name]))


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_stock_model_with_mmnas_backbone_trains_a_step(repo_root, tiny_data, name):
    register_all_modules(init_default_scope_=False)
    cfg = load_tiny_config(repo_root, name, tiny_data)
    module, cls_name = CONFIGS[name][1].rsplit('.', 1)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = revert_sync_batchnorm(MODELS.build(cfg.model))
        model.init_weights()
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert type(model).__name__ == cls_name and type(model).__module__.startswith(module)
    assert isinstance(model.backbone, HRNASSuperNet)

    batch = pseudo_collate([dataset[0], dataset[1]])
    before = {k: v.detach().clone() for k, v in model.backbone.named_parameters()}
    model.train()
    log_vars = model.train_step(batch, optim_wrapper)
    assert torch.isfinite(torch.as_tensor(log_vars['loss'])) and log_vars['loss'] > 0
    changed = sum(not torch.equal(before[k], v) for k, v in model.backbone.named_parameters())
    assert changed > len(before) // 2
