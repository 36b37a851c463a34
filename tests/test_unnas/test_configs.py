"""The paper configs carry the seed's search settings (§B.1) and evaluation changes (§B.2)."""
import pytest
from mmengine.config import Config

SEARCHES = {
    # config: (batch, weights lr, α lr) — halved where batch 64 does not fit (seed §B.1).
    'nas-darts-search_1xb64_in1k': (64, 0.1, 3e-4),
    'unnas-darts-search-rotation_1xb32_in1k': (32, 0.05, 1.5e-4),
    'unnas-darts-search-colorization_1xb64_in1k': (64, 0.1, 3e-4),
    'unnas-darts-search-jigsaw_1xb32_in1k': (32, 0.05, 1.5e-4),
}


@pytest.mark.parametrize('name', sorted(SEARCHES))
def test_imagenet_search_settings(repo_root, name):
    cfg = Config.fromfile(f'{repo_root}/configs/unnas/{name}.py')
    batch, lr, arch_lr = SEARCHES[name]
    assert cfg.train_dataloader.batch_size == cfg.train_cfg.arch_dataloader.batch_size == batch
    parts = {cfg.train_dataloader.dataset.part, cfg.train_cfg.arch_dataloader.dataset.part}
    assert parts == {'first', 'second'} and cfg.train_dataloader.dataset.ratio == 0.5
    assert cfg.train_cfg.type == 'mmnas.BilevelTrainLoop'
    assert (cfg.train_cfg.max_epochs, cfg.train_cfg.arch_start) == (2, 0.5)
    weights = cfg.optim_wrapper.weights.optimizer
    assert (weights.type, weights.lr, weights.momentum, weights.weight_decay) == \
        ('SGD', lr, 0.9, 3e-5)
    arch = cfg.optim_wrapper.architecture.optimizer
    assert (arch.type, arch.lr, tuple(arch.betas), arch.weight_decay) == \
        ('Adam', arch_lr, (0.5, 0.999), 1e-3)
    cosine, = cfg.param_scheduler.weights
    assert cosine.type == 'CosineAnnealingLR' and cosine.T_max == 2
    assert cfg.model.backbone.type == 'mmnas.DARTSCellNet'
    assert (cfg.model.backbone.channels, cfg.model.backbone.num_cells) == (16, 8)


def test_cityscapes_eval_follows_the_seed(repo_root):
    cfg = Config.fromfile(f'{repo_root}/configs/unnas/darts-eval_cityscapes-769x769.py')
    assert cfg.model.type == 'EncoderDecoder' and cfg.model.decode_head.type == 'ASPPHead'
    assert cfg.model.backbone.last_reduction_stride == 1
    assert cfg.model.auxiliary_head is None
    assert tuple(cfg.model.decode_head.dilations) == (1, 6, 12, 18)
