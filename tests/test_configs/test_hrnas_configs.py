"""The paper's HR-NAS configs (HR-NAS supp. §1: HR-NAS-A/B for Cityscapes, ADE20K, COCO 256x192
and 384x288, KITTI and ImageNet): each builds its full-size model with the heads matching the
supernet's outputs, B differs from A only in λ, and each task's A config runs its whole
recipe (stock pipeline, schedule, shrink hook with EMA, mmeval evaluator) for one epoch on
the tiny data with a one-block supernet."""
import glob
import os.path as osp

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import MODELS, DefaultScope
from mmengine.runner import Runner

from mmnas.hrnas import HRNASSuperNet
from mmnas.structures import ArchSpec
from mmnas.utils import register_all_modules

from .test_stock_models import retarget

#: Task of each config, the stock root its base uses, and the tiny dataset that replaces it.
TASKS = {
    'cityscapes': ('data/cityscapes/', 'cityscapes'),
    'ade20k': ('data/ade/ADEChallengeData2016', 'ade20k'),
    'coco-256x192': ('data/coco/', 'coco'),
    'coco-384x288': ('data/coco/', 'coco'),
    'kitti-3d-3class': ('data/kitti/', 'kitti'),
    'imagenet': ('data/imagenet', 'imagenet'),
}
#: HR-NAS supp. §1's λ per task for HR-NAS-A and HR-NAS-B (KITTI takes Cityscapes' values).
PENALTIES = {
    'cityscapes': (1.6e-4, 6e-5),
    'ade20k': (1.6e-4, 6e-5),
    'coco-256x192': (1e-6, 1e-8),
    'coco-384x288': (1e-6, 1e-8),
    'kitti-3d-3class': (1.6e-4, 6e-5),
    'imagenet': (1.8e-4, 1.2e-4),
}
#: A one-block-per-branch supernet of the paper's widths, cheap enough for a CPU epoch.
ONE_BLOCK_STAGES = [
    dict(blocks=(1, ), channels=(24, )),
    dict(blocks=(1, 1), channels=(18, 36)),
    dict(blocks=(1, 1, 1), channels=(18, 36, 72)),
    dict(blocks=(1, 1, 1, 1), channels=(18, 36, 72, 144)),
]


def config_path(repo_root: str, variant: str, task: str) -> str:
    return osp.join(repo_root, 'configs', 'hrnas', f'hrnas-{variant}_{task}.py')


def shrink_hook(cfg: Config) -> dict:
    return next(h for h in cfg.custom_hooks if h['type'] == 'mmnas.ProgressiveShrinkHook')


def test_every_paper_config_is_covered(repo_root):
    found = {osp.basename(p) for p in glob.glob(osp.join(repo_root, 'configs/hrnas/hrnas-?_*'))}
    assert found == {f'hrnas-{v}_{t}.py' for v in 'ab' for t in TASKS}
    # mim finds them through the metafile that model-index.yml imports.
    with open(osp.join(repo_root, 'configs/hrnas/metafile.yml')) as f:
        listed = {osp.basename(m['Config']) for m in yaml.safe_load(f)['Models']}
    assert listed == found


@pytest.mark.parametrize('task', sorted(TASKS))
def test_b_is_a_with_the_smaller_penalty(repo_root, task):
    a, b = (Config.fromfile(config_path(repo_root, v, task)) for v in 'ab')
    assert (shrink_hook(a)['penalty'], shrink_hook(b)['penalty']) == PENALTIES[task]
    shrink_hook(b)['penalty'] = shrink_hook(a)['penalty']
    assert a.to_dict() == b.to_dict()


def paper_model_input(task: str):
    """The model part under test and one input at a small size of the task's kind."""
    if task.startswith('kitti'):
        return lambda model, x: model.neck(model.backbone(x)), torch.randn(1, 64, 64, 48)
    if task.startswith('coco'):
        return lambda model, x: model.extract_feat(x), torch.randn(1, 3, 64, 48)
    return lambda model, x: model.extract_feat(x), torch.randn(1, 3, 64, 64)


@pytest.mark.parametrize('task', sorted(TASKS))
def test_paper_model_builds_and_runs(repo_root, task):
    """The full supernet of HR-NAS supp. §1 (five parallel modules, 2-4 blocks per branch, kernels
    3/5/7 at expansion 4, transformers) with the task's head, forward on a small input."""
    register_all_modules(init_default_scope_=False)
    cfg = Config.fromfile(config_path(repo_root, 'a', task))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = revert_sync_batchnorm(MODELS.build(cfg.model))
    backbone = model.backbone
    assert isinstance(backbone, HRNASSuperNet)
    assert [len(s.branches) for s in backbone.stages] == [1, 2, 3, 4, 4]
    assert backbone.out_channels == [18, 36, 72, 144]
    run, x = paper_model_input(task)
    model.eval()
    with torch.no_grad():
        feats = run(model, x)
    if task.startswith('kitti'):
        assert [f.shape[1] for f in feats] == [cfg.model.bbox_head.in_channels]
    elif task.startswith('coco'):
        assert feats[-1].shape[1] == cfg.model.head.in_channels
    elif task == 'imagenet':
        assert model.head.fc.in_features == feats[-1].shape[1]


def cpu_epoch(cfg: Config, task: str, root: str, work_dir: str) -> Config:
    """The config's recipe for one epoch of four samples (two iterations) with a one-block
    supernet and no loader workers."""
    cfg = Config(retarget(cfg.to_dict(), TASKS[task][0], root))
    cfg.work_dir = work_dir
    cfg.model.backbone.stages = ONE_BLOCK_STAGES
    cfg.model.backbone.expand_ratio = 1
    cfg.model.backbone.context.proj_size = 4
    for key in ('neck', 'decode_head', 'head'):
        if str(cfg.model.get(key, {}).get('type', '')).startswith('mmnas.HRNAS'):
            cfg.model[key].expand_ratio = 1
    cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.val_interval = 1
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
        dataset = loader.dataset.get('dataset', loader.dataset)
        dataset.indices = 4
    hook = shrink_hook(cfg)
    hook.update(warmup=0, interval=1, calib_batches=1,
                input_shape=(hook.input_shape[0], 64, 64))
    if task.startswith(('cityscapes', 'ade20k')):
        # Labels load after the test resize, as in the stock test pipeline: predictions are
        # scored at the original size.
        resize = dict(type='Resize', scale=(64, 64), keep_ratio=False)
        cfg.model.data_preprocessor.size = (64, 64)
        cfg.train_dataloader.dataset.pipeline = [
            dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), resize,
            dict(type='PackSegInputs')]
        cfg.val_dataloader.dataset.pipeline = [
            dict(type='LoadImageFromFile'), resize, dict(type='LoadAnnotations'),
            dict(type='PackSegInputs')]
        cfg.test_dataloader = cfg.val_dataloader
    elif task.startswith('coco'):
        cfg.val_dataloader.dataset.bbox_file = None
        cfg.test_dataloader = cfg.val_dataloader
    elif task == 'imagenet':
        classes = osp.join(root, 'meta', 'classes.txt')
        cfg.model.head.num_classes = 10
        cfg.data_preprocessor = dict(num_classes=10)
        for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            cfg[name].dataset.classes = classes
            for t in cfg[name].dataset.pipeline:
                t.update({k: 64 for k in ('scale', 'crop_size') if k in t})
    return cfg


#: The metric each task's evaluator must report.
METRIC = {
    'cityscapes': 'mIoU', 'ade20k': 'mIoU', 'coco-256x192': 'AP', 'kitti-3d-3class': '3D_AP40',
    'imagenet': 'top1'
}


@pytest.mark.parametrize('task', sorted(METRIC))
def test_paper_recipe_runs_an_epoch(repo_root, tiny_data, tmp_path, task):
    cfg = cpu_epoch(Config.fromfile(config_path(repo_root, 'a', task)), task,
                    tiny_data[TASKS[task][1]], str(tmp_path))
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert any(METRIC[task] in k for k in runner.message_hub.log_scalars), \
        sorted(runner.message_hub.log_scalars)
    # The shrink hook measured the network and wrote the searched architecture, which
    # rebuilds the trained backbone's widths from the spec alone.
    assert runner.message_hub.get_info('hrnas_cost')['flops'] > 0
    spec = ArchSpec.load(osp.join(str(tmp_path), 'arch.json'))
    rebuilt = spec.build()
    assert [p.shape for p in rebuilt.parameters()] == \
        [p.shape for p in runner.model.backbone.parameters()]
    # The searched heads (all but KITTI's stock head) are in the spec and rebuild as cut.
    searched = {'cityscapes': 'decode_head', 'ade20k': 'decode_head', 'coco-256x192': 'head',
                'imagenet': 'neck'}
    assert sorted(spec.heads) == ([searched[task]] if task in searched else [])
    for key in spec.heads:
        assert [p.shape for p in spec.build_head(key).parameters()] == \
            [p.shape for p in getattr(runner.model, key).parameters()]
    # The task's retrain config builds the whole searched model (backbone and searched head)
    # from the spec, and the exported weights load into it as they are.
    retrain = Config.fromfile(config_path(repo_root, 'a-retrain', task)) \
        if osp.exists(config_path(repo_root, 'a-retrain', task)) else None
    if retrain is not None:
        for key in ('backbone', *spec.heads):
            retrain.model[key].arch_spec = osp.join(str(tmp_path), 'arch.json')
        if task == 'imagenet':
            retrain.model.head.num_classes = 10
        with DefaultScope.overwrite_default_scope(retrain.default_scope):
            model = MODELS.build(retrain.model)
        searched = torch.load(osp.join(str(tmp_path), 'searched.pth'), weights_only=False)
        model.load_state_dict(searched['state_dict'])
