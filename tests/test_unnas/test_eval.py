"""Evaluation of a derived genotype: ImageNet-style classification and Cityscapes
segmentation (last reduction at stride 1, stock ASPP head) from an arch.json, through
tools/train.py on the tiny sets."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

from mmnas.unnas import DARTSCellNet
from mmnas.utils import register_all_modules


@pytest.fixture(scope='module')
def arch_spec(tmp_path_factory) -> str:
    """A derived genotype written by a search network with random α."""
    torch.manual_seed(0)
    net = DARTSCellNet(channels=8, num_cells=4, stem='cifar')
    with torch.no_grad():
        for alpha in net.arch_parameters():
            alpha.normal_()
    path = str(tmp_path_factory.mktemp('search') / 'arch.json')
    net.export_arch().dump(path)
    return path


def write(tmp_path, base: str, body: str) -> str:
    path = tmp_path / 'eval.py'
    path.write_text(f'_base_ = [{base!r}]\n{body}')
    return str(path)


def test_classification_eval(tmp_path, repo_root, arch_spec, run_tool, capsys, small_imagenet):
    root = small_imagenet
    config = write(tmp_path, f'{repo_root}/configs/unnas/darts-eval_tiny-imagenet.py', f'''
tiny = dict(data_root={root!r}, classes={root + '/meta/classes.txt'!r})
model = dict(backbone=dict(arch_spec={arch_spec!r}, num_cells=3, channels=8),
             head=dict(num_classes=4, in_channels=128))
data_preprocessor = dict(num_classes=4)
train_dataloader = dict(batch_size=8, dataset=tiny)
val_dataloader = dict(batch_size=8, dataset=tiny)
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = []
''')
    assert run_tool('train', config, '--work-dir', tmp_path / 'work') == 0
    assert 'accuracy/top1' in capsys.readouterr().out


def test_cityscapes_eval_has_output_stride_16(tmp_path, repo_root, arch_spec, run_tool,
                                              tiny_cityscapes):
    config = write(tmp_path, f'{repo_root}/configs/unnas/darts-eval_tiny-cityscapes.py', f'''
model = dict(backbone=dict(arch_spec={arch_spec!r}))
train_dataloader = dict(batch_size=2, dataset=dict(data_root={tiny_cityscapes!r}))
val_dataloader = dict(dataset=dict(data_root={tiny_cityscapes!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=2)
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=2))
''')
    register_all_modules(init_default_scope_=False)
    cfg = Config.fromfile(config)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    assert model.backbone.out_strides == [16] and model.backbone.out_channels == [256]
    model.eval()
    with torch.no_grad():
        feats = model.extract_feat(torch.randn(1, 3, 64, 128))
        logits = model.encode_decode(torch.randn(1, 3, 64, 128), [dict(
            img_shape=(64, 128), pad_shape=(64, 128), ori_shape=(64, 128))])
    assert feats[0].shape[-2:] == (4, 8)
    assert logits.shape == (1, 19, 64, 128)  # bilinear upsampling to the full resolution
    assert run_tool('train', config, '--work-dir', tmp_path / 'work') == 0
