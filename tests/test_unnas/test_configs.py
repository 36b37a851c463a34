"""The paper configs carry the search settings of UnNAS supp. §B.1 and the evaluation changes
of §B.2."""
import pytest
import torch
from mmengine.config import Config

SEARCHES = {
    # config: (batch, weights lr, α lr) — halved where batch 64 does not fit
    # (UnNAS supp. §B.1).
    'nas-darts-search_1xb64': (64, 0.1, 3e-4),
    'unnas-darts-search-rotation_1xb32': (32, 0.05, 1.5e-4),
    'unnas-darts-search-colorization_1xb64': (64, 0.1, 3e-4),
    'unnas-darts-search-jigsaw_1xb32': (32, 0.05, 1.5e-4),
}
#: Epochs and the start of α updates: half of the 2 IN1K epochs postponed, 1 epoch of IN22K.
DATASETS = {'in1k': ('ImageNet', 2, 0.5), 'in22k': ('ImageNet21k', 1, 0)}


@pytest.mark.parametrize('dataset', sorted(DATASETS))
@pytest.mark.parametrize('name', sorted(SEARCHES))
def test_imagenet_search_settings(repo_root, name, dataset):
    cfg = Config.fromfile(f'{repo_root}/configs/unnas/{name}_{dataset}.py')
    batch, lr, arch_lr = SEARCHES[name]
    dataset_type, epochs, arch_start = DATASETS[dataset]
    assert cfg.train_dataloader.dataset.dataset.type == dataset_type
    assert cfg.train_cfg.arch_dataloader.dataset.dataset.type == dataset_type
    assert cfg.train_dataloader.batch_size == cfg.train_cfg.arch_dataloader.batch_size == batch
    parts = {cfg.train_dataloader.dataset.part, cfg.train_cfg.arch_dataloader.dataset.part}
    assert parts == {'first', 'second'} and cfg.train_dataloader.dataset.ratio == 0.5
    assert cfg.train_cfg.type == 'mmnas.BilevelTrainLoop'
    assert (cfg.train_cfg.max_epochs, cfg.train_cfg.arch_start) == (epochs, arch_start)
    weights = cfg.optim_wrapper.weights.optimizer
    assert (weights.type, weights.lr, weights.momentum, weights.weight_decay) == \
        ('SGD', lr, 0.9, 3e-5)
    arch_optim = cfg.optim_wrapper.architecture.optimizer
    assert (arch_optim.type, arch_optim.lr, tuple(arch_optim.betas), arch_optim.weight_decay) == \
        ('Adam', arch_lr, (0.5, 0.999), 1e-3)
    cosine, = cfg.param_scheduler.weights
    assert cosine.type == 'CosineAnnealingLR' and cosine.T_max == epochs
    assert cfg.model.backbone.type == 'mmnas.DARTSCellNet'
    assert (cfg.model.backbone.channels, cfg.model.backbone.num_cells) == (16, 8)


def test_cityscapes_eval_follows_the_seed(repo_root):
    cfg = Config.fromfile(f'{repo_root}/configs/unnas/darts-eval_cityscapes-769x769.py')
    assert cfg.model.type == 'EncoderDecoder' and cfg.model.decode_head.type == 'ASPPHead'
    assert cfg.model.backbone.last_reduction_stride == 1
    assert cfg.model.auxiliary_head is None
    assert tuple(cfg.model.decode_head.dilations) == (1, 6, 12, 18)
    # Where the paper is silent, the released segmentation evaluation: depth 12, batch 64,
    # Nesterov SGD at 0.1 with cosine decay over 2700 epochs of 2975 images.
    assert cfg.model.backbone.num_cells == 12 and cfg.model.decode_head.dropout_ratio == 0
    assert cfg.train_dataloader.batch_size * 8 == 64
    sgd = cfg.optim_wrapper.optimizer
    assert (sgd.lr, sgd.momentum, sgd.nesterov, sgd.weight_decay) == (0.1, 0.9, True, 1e-4)
    cosine, = cfg.param_scheduler
    assert cosine.type == 'CosineAnnealingLR' and cosine.eta_min == 0
    assert cfg.train_cfg.max_iters == cosine.T_max == 2700 * 46


def test_pretexts_are_the_released_tasks(repo_root):
    from mmengine.registry import MODELS, DefaultScope
    from mmnas.utils import register_all_modules
    color = Config.fromfile(
        f'{repo_root}/configs/unnas/unnas-darts-search-colorization_1xb64_in1k.py')
    head = color.model.decode_head
    # The released search head: one 1×1 conv to the 313 bins, no ASPP.
    assert (head.type, head.num_convs, head.num_classes) == ('mmseg.FCNHead', 0, 313)
    register_all_modules(init_default_scope_=False)
    with DefaultScope.overwrite_default_scope('mmseg'):
        built = MODELS.build(head)
    convs = [m for m in built.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 1 and convs[0].kernel_size == (1, 1)
    assert convs[0].out_channels == 313
    jigsaw = Config.fromfile(f'{repo_root}/configs/unnas/unnas-darts-search-jigsaw_1xb32_in1k.py')
    steps = {step.type: step for step in jigsaw.jigsaw_pipeline}
    assert steps['RandomCrop'].crop_size == 255 and steps['RandomGrayscale'].prob == 0.3
    pretext = steps['mmnas.JigsawPretext']
    assert (pretext.grid, pretext.num_permutations, pretext.tile_ratio) == (3, 1000, 0.76)
