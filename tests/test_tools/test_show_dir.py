"""``tools/test.py CONFIG CKPT --show-dir DIR`` draws every test sample with the host's own
visualization hook: mmseg's segmentation overlays and mmpose's skeletons, as PNG files under
``DIR``."""
import glob
import os.path as osp

import cv2
import pytest
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from mmengine.runner import save_checkpoint

from mmnas.datasets.tiny import make_tiny_coco
from mmnas.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def initial_checkpoint(config: str, path: str) -> str:
    """The config's model, freshly initialised, saved as a checkpoint at ``path``."""
    register_all_modules(init_default_scope_=False)
    cfg = Config.fromfile(config)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    model.init_weights()
    save_checkpoint({'state_dict': model.state_dict()}, path)
    return path


def drawn_images(show_dir: str) -> dict:
    """Every image file under ``show_dir`` by path, read back (so that a broken file fails)."""
    paths = sorted(p for p in glob.glob(osp.join(show_dir, '**', '*'), recursive=True)
                   if p.endswith(('.png', '.jpg')))
    images = {p: cv2.imread(p) for p in paths}
    assert all(image is not None and image.size > 0 for image in images.values())
    return images


def test_show_dir_draws_segmentation_overlays(tmp_path, small_config, run_tool, capsys):
    ckpt = initial_checkpoint(small_config, str(tmp_path / 'init.pth'))
    show_dir = tmp_path / 'show'
    assert run_tool('test', small_config, ckpt, '--work-dir', tmp_path / 'work',
                    '--show-dir', show_dir) == 0, capsys.readouterr().err
    # The tiny val split holds two 64x128 frames; each is drawn with its prediction (mmseg
    # puts the ground truth's drawing beside it when the sample has one).
    images = drawn_images(str(show_dir))
    assert len(images) == 2
    assert all(image.shape[0] == 64 and image.shape[1] in (128, 256)
               for image in images.values())


@pytest.fixture(scope='module')
def tiny_coco(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('data') / 'coco')
    make_tiny_coco(root, num_train=2, num_val=2)
    return root


def test_show_dir_draws_pose_skeletons(tmp_path, tiny_coco, run_tool, capsys):
    config = tmp_path / 'pose.py'
    base = osp.join(REPO, 'configs', 'hrnas', 'hrnas-supernet_tiny-coco-256x192.py')
    ann_file = osp.join(tiny_coco, 'annotations', 'person_keypoints_val2017.json')
    config.write_text(f'''_base_ = [{base!r}]
model = dict(backbone=dict(
    stem_channels=8, expand_ratio=1, context=None,
    stages=[dict(blocks=(1, ), channels=(8, )), dict(blocks=(1, 1), channels=(8, 16)),
            dict(blocks=(1, 1, 1), channels=(8, 16, 24)),
            dict(blocks=(1, 1, 1, 1), channels=(8, 16, 24, 32))]),
    head=dict(in_channels=8 + 16 + 24 + 32))
test_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                       dataset=dict(data_root={tiny_coco + '/'!r}))
test_evaluator = [dict(type='mmnas.MMEvalMetric',
                       metric=dict(type='CocoKeypointAP', ann_file={ann_file!r}))]
''')
    ckpt = initial_checkpoint(str(config), str(tmp_path / 'init.pth'))
    show_dir = tmp_path / 'show'
    assert run_tool('test', config, ckpt, '--work-dir', tmp_path / 'work',
                    '--show-dir', show_dir) == 0, capsys.readouterr().err
    # One drawing per person (mmpose numbers them <image>_<i>.jpg), on its whole val image.
    images = drawn_images(str(show_dir))
    val_images = {osp.splitext(osp.basename(p))[0]: cv2.imread(p)
                  for p in glob.glob(osp.join(tiny_coco, 'val2017', '*.jpg'))}
    drawn_of = {p: osp.basename(p).rsplit('_', 1)[0] for p in images}
    assert set(drawn_of.values()) == set(val_images)
    for path, image in images.items():
        assert image.shape[1] == val_images[drawn_of[path]].shape[1]


def test_show_dir_needs_a_visualization_hook(tmp_path, small_config, run_tool, capsys):
    config = tmp_path / 'no_hook.py'
    config.write_text(f'''_base_ = [{small_config!r}]
default_hooks = dict(visualization=None)
''')
    ckpt = initial_checkpoint(small_config, str(tmp_path / 'init.pth'))
    assert run_tool('test', config, ckpt, '--show-dir', tmp_path / 'show') != 0
    assert 'default_hooks.visualization' in capsys.readouterr().err
