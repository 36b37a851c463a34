"""UnNAS searches end to end: tools/train.py runs the bilevel search of a pretext config on
the tiny set, tools/search.py derives the genotype into an ArchSpec that builds the network."""
import re

import pytest
import torch

from mmnas.structures import ArchSpec
from mmnas.unnas import DARTSNet


def check_search(work_dir, run_tool, config, input_shape):
    assert run_tool('train', config, '--work-dir', work_dir) == 0
    ckpt = work_dir / 'epoch_2.pth'
    assert run_tool('search', config, ckpt, '--work-dir', work_dir / 'search') == 0
    spec = ArchSpec.load(str(work_dir / 'search' / 'arch.json'))
    assert spec.method == 'unnas' and spec.cost['flops'] > 0
    net = spec.build()
    assert isinstance(net, DARTSNet)
    assert net(torch.randn(2, *input_shape))[0].shape[0] == 2
    # α moved away from uniform (they start at 1e-3 · N(0, 1): softmax within ~5e-4 of 1/8),
    # and the spec says so.
    state = torch.load(ckpt, map_location='cpu', weights_only=False)['state_dict']
    alpha = state['backbone.alpha_normal']
    assert (alpha.softmax(-1) - 1 / 8).abs().max() > 0.005
    torch.testing.assert_close(torch.tensor(spec.meta['alpha_normal']), alpha.softmax(-1))
    return spec


SMALL = "model = dict(backbone=dict(channels=4, num_cells=3), {head})"
CLS_HEAD = 'head=dict(in_channels=64)'


def test_rotation_search_derives_a_network_that_trains_above_chance(
        tmp_path, repo_root, run_tool, tiny_search_config, tiny_data, capsys):
    config = tiny_search_config('unnas-darts-search-rotation_tiny-imagenet',
                                model=SMALL.format(head=CLS_HEAD))
    spec = check_search(tmp_path / 'rotation', run_tool, config, (3, 16, 16))
    assert spec.backbone['stem'] == 'cifar' and spec.cost['input_shape'] == [3, 16, 16]
    # The derived cell in darts-eval_tiny-imagenet.py (3 cells, C = 8 to keep it short),
    # 4 epochs of the 10-class tiny set: top-1 well above chance (10%) on its val split.
    root = tiny_data['imagenet']
    eval_config = tmp_path / 'eval.py'
    eval_config.write_text(f'''
_base_ = [{repo_root + '/configs/unnas/darts-eval_tiny-imagenet.py'!r}]
tiny = dict(data_root={root!r}, classes={root + '/meta/classes.txt'!r})
model = dict(backbone=dict(arch_spec={str(tmp_path / 'rotation' / 'search' / 'arch.json')!r},
                           channels=8, num_cells=3),
             head=dict(in_channels=128))
train_dataloader = dict(dataset=tiny)
val_dataloader = dict(dataset=tiny)
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=4, val_interval=4)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=4, eta_min=0.0, by_epoch=True, begin=0,
                        end=4, convert_to_iter_based=True)]
default_hooks = dict(checkpoint=dict(interval=4))
randomness = dict(seed=0)
''')
    capsys.readouterr()
    assert run_tool('train', eval_config, '--work-dir', tmp_path / 'eval') == 0
    top1 = re.findall(r'Epoch\(val\).*accuracy/top1: ([0-9.]+)', capsys.readouterr().out)
    assert len(top1) == 1 and float(top1[0]) > 25


@pytest.mark.parametrize('name, head', [
    ('unnas-darts-search-colorization_tiny-imagenet',
     'decode_head=dict(in_channels=64, channels=64)'),
    ('unnas-darts-search-jigsaw_tiny-imagenet', 'head=dict(in_channels=4 * 64)'),
    ('nas-darts-search_tiny-imagenet', CLS_HEAD),
])
def test_other_tasks_search_one_epoch(tmp_path, run_tool, tiny_search_config, name, head):
    """Colorization, jigsaw and the labels (NAS): the same search (derived as the rotation
    one), one epoch with α from the start."""
    config = tiny_search_config(name, max_epochs=1, arch_start=0, model=SMALL.format(head=head))
    work_dir = tmp_path / name
    assert run_tool('train', config, '--work-dir', work_dir) == 0
    state = torch.load(work_dir / 'epoch_1.pth', map_location='cpu',
                       weights_only=False)['state_dict']
    assert (state['backbone.alpha_normal'].softmax(-1) - 1 / 8).abs().max() > 0.005


LABELS = "dict(type='LoadAnnotations')"
COLOR = "dict(type='mmnas.ColorizationPretext')"


# The colorization head is the released single 1×1 conv: its width is its input's.
@pytest.mark.parametrize('name, in_channels, target, head_channels', [
    ('nas-darts-search_8xb4_cityscapes', 3, LABELS, 16),
    ('unnas-darts-search-colorization_8xb4_cityscapes', 1, COLOR, 32),
])
def test_cityscapes_search_one_iteration(tmp_path, repo_root, run_tool, tiny_cityscapes, name,
                                         in_channels, target, head_channels):
    """The Cityscapes searches (labels, colorization) run their bilevel step on the tiny
    Cityscapes set with a 3-cell network (one reduction: output stride 16)."""
    config = tmp_path / 'search.py'
    config.write_text(f'''
_base_ = [{repo_root + '/configs/unnas/' + name + '.py'!r}]
crop_size = (64, 128)
pipeline = [dict(type='LoadImageFromFile'), {target},
            dict(type='RandomCrop', crop_size=crop_size), dict(type='PackSegInputs')]
data = dict(data_root={tiny_cityscapes!r}, pipeline=pipeline)
loader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(dataset=data))
train_dataloader = loader
train_cfg = dict(max_epochs=1, arch_dataloader=loader)
model = dict(data_preprocessor=dict(size=crop_size),
             backbone=dict(channels=4, num_cells=3, reduction_cells=[1]),
             decode_head=dict(in_channels=32, channels={head_channels}, norm_cfg=dict(type='BN')))
param_scheduler = dict(weights=[])
optim_wrapper = dict(architecture=dict(optimizer=dict(lr=3e-2)))
default_hooks = dict(checkpoint=dict(interval=1), logger=dict(interval=1))
''')
    work_dir = tmp_path / 'work'
    assert run_tool('train', config, '--work-dir', work_dir) == 0
    state = torch.load(work_dir / 'epoch_1.pth', map_location='cpu',
                       weights_only=False)['state_dict']
    assert state['backbone.stem0.0.weight'].shape[1] == in_channels
    # α start at 1e-3 · N(0, 1); an Adam step of 3e-2 moves every entry by about 3e-2.
    assert state['backbone.alpha_reduce'].abs().min() > 1e-2


# Rotation turns the crops in its data preprocessor (all four turns in the batch).
ROTATION = ""
# 2×2 tiles and their 24 permutations keep the tiny run small.
JIGSAW = "dict(type='mmnas.JigsawPretext', grid=2, num_permutations=24, tile_ratio=0.76),"
JIGSAW_PREPROCESSOR = 'data_preprocessor = dict(num_tiles=4, num_classes=24)'
JIGSAW_NECK = "[dict(type='GlobalAveragePooling'), dict(type='mmnas.TileConcatNeck', num_tiles=4)]"


@pytest.mark.parametrize('name, pretext, preprocessor, neck, classes, features', [
    ('unnas-darts-search-rotation_8xb4_cityscapes', ROTATION, '',
     "dict(type='GlobalAveragePooling')", 4, 32),
    ('unnas-darts-search-jigsaw_8xb4_cityscapes', JIGSAW, JIGSAW_PREPROCESSOR, JIGSAW_NECK, 24,
     4 * 32),
])
def test_cityscapes_classification_pretexts_one_epoch(tmp_path, repo_root, run_tool,
                                                      tiny_cityscapes, name, pretext,
                                                      preprocessor, neck, classes, features):
    """Rotation and jigsaw on Cityscapes: the unlabelled frames, split in two halves without
    labels, square crops, the classifier's bilevel step with the Cityscapes search network."""
    config = tmp_path / 'search.py'
    config.write_text(f'''
_base_ = [{repo_root + '/configs/unnas/' + name + '.py'!r}]
pipeline = [dict(type='LoadImageFromFile'), dict(type='RandomCrop', crop_size=64),
            {pretext} dict(type='PackInputs')]
images = dict(data_root={tiny_cityscapes!r}, pipeline=pipeline)
loader = dict(batch_size=2, num_workers=0, persistent_workers=False,
              dataset=dict(dataset=images))
train_dataloader = loader
train_cfg = dict(max_epochs=1, arch_dataloader=loader)
model = dict(backbone=dict(channels=4, num_cells=3, reduction_cells=[1]), neck={neck},
             head=dict(num_classes={classes}, in_channels={features}))
{preprocessor}
param_scheduler = dict(weights=[])
optim_wrapper = dict(architecture=dict(optimizer=dict(lr=3e-2)))
default_hooks = dict(checkpoint=dict(interval=1), logger=dict(interval=1))
''')
    work_dir = tmp_path / 'work'
    assert run_tool('train', config, '--work-dir', work_dir) == 0
    state = torch.load(work_dir / 'epoch_1.pth', map_location='cpu',
                       weights_only=False)['state_dict']
    assert state['head.fc.weight'].shape == (classes, features)
    assert state['backbone.alpha_reduce'].abs().min() > 1e-2
