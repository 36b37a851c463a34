"""Every file in ``configs/`` through the tools users type.

For each config: ``tools/train.py`` → ``tools/test.py`` (where the config tests) →
``tools/train.py --resume`` → ``tools/search.py`` (where it has a ``search_cfg``), on the tiny
datasets. The config is shrunk only by ``--cfg-options`` computed from the config itself: data
roots moved to the tiny datasets, one or two iterations or epochs, batches of two, inputs
scaled down by one factor. Its model, evaluator, schedulers, hooks and checkpoint format stay
as they are. A config that retrains a searched architecture (``arch_spec`` pointing into
``work_dirs/<search config>/``) first runs that search config the same way. A new config is
covered without touching this file.

The sweep takes longer than the test suite's budget (tracing the paper supernets for their
FLOPs dominates), so it is marked ``config_sweep`` and runs on its own::

    .venv/bin/python -m pytest -m config_sweep -n 2 --dist loadgroup tests/test_tools/test_all_configs.py
"""
import glob
import os
import os.path as osp
import re
from typing import Any, Dict, Iterator, List, Set, Tuple

import pytest
from mmengine.config import Config

from mmnas.datasets.tiny import (make_tiny_ade20k, make_tiny_cityscapes, make_tiny_coco,
                                 make_tiny_imagenet, make_tiny_kitti)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(osp.relpath(p, REPO)
                 for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)

#: Which tiny dataset stands in for a data root, by a word in the configured root.
_TINY_BY_ROOT = (('cityscapes', 'cityscapes'), ('ade', 'ade20k'), ('coco', 'coco'),
                 ('kitti', 'kitti'), ('imagenet', 'imagenet'))
#: Keys holding image sizes (pixels) in pipelines, codecs, data preprocessors and loops.
_SIZE_KEYS = ('scale', 'crop_size', 'input_size', 'heatmap_size', 'size', 'resolutions',
              'input_shape', 'stride')
#: Where sizes live: pipelines, data preprocessors, codecs, sliding-window tests, loops.
_SIZED_PARTS = ('pipeline', 'data_preprocessor', 'codec', 'coder', 'model.test_cfg',
                'input_shape', 'resolutions', 'crop_size')
#: The keys whose value is the training crop: the scale factor brings it to ``_TARGET``.
_CROP_KEYS = {'RandomResizedCrop': 'scale', 'RandomCrop': 'crop_size',
              'TopdownAffine': 'input_size'}
_TARGET = 64


@pytest.fixture(scope='module')
def tiny_roots(tmp_path_factory, run_tool) -> Dict[str, str]:
    """Every tiny dataset, small enough that one epoch is a few iterations."""
    out = tmp_path_factory.mktemp('tiny_all')
    roots = {name: str(out / name) for _, name in _TINY_BY_ROOT}
    make_tiny_cityscapes(roots['cityscapes'], num_train=4, num_val=2, image_size=(128, 256))
    make_tiny_ade20k(roots['ade20k'], num_train=4, num_val=2, min_size=96, max_size=128)
    make_tiny_coco(roots['coco'], num_train=4, num_val=2)
    make_tiny_kitti(roots['kitti'], num_train=4, num_val=2, num_test=2)
    make_tiny_imagenet(roots['imagenet'], num_classes=4, num_train_per_class=2,
                       num_val_per_class=1, min_size=48, max_size=64)
    # The 100-class search lists of the DenseNAS configs, made by the converter users run.
    assert run_tool('dataset_converters/imagenet_subset', roots['imagenet'],
                           '--num-classes', 4, '--suffix', '100cls') == 0
    return roots


def _walk(node: Any, path: str) -> Iterator[Tuple[str, Any]]:
    """``(dotted path, value)`` for every value; list items are addressed by index."""
    yield path, node
    items = node.items() if isinstance(node, dict) else \
        enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        yield from _walk(value, f'{path}.{key}' if path else str(key))


def _dataloader_paths(cfg: dict) -> List[str]:
    """Top-level ``*_dataloader`` keys and dataloaders nested in loop configs."""
    return [path for path, value in _walk(cfg, '')
            if path.split('.')[-1].endswith('dataloader') and isinstance(value, dict)]


def _scale_factor(cfg: dict) -> float:
    crops = []
    for path, value in _walk(cfg.get('train_dataloader', {}), ''):
        if isinstance(value, dict) and value.get('type', '').split('.')[-1] in _CROP_KEYS:
            crop = value.get(_CROP_KEYS[value['type'].split('.')[-1]])
            crops += list(crop) if isinstance(crop, (list, tuple)) else [crop]
    sizes = [c for c in crops if isinstance(c, int)]
    return max(1.0, min(sizes) / _TARGET) if sizes else 1.0


def _shrunk(value: Any, factor: float, key: str) -> Any:
    if isinstance(value, bool) or factor == 1.0:
        return None
    if isinstance(value, int) and value >= 16:
        return max(1, int(round(value / factor)))
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        head = 1 if key == 'input_shape' else 0  # (C, H, W): channels stay
        if all(v >= 16 for v in value[head:]):
            return type(value)(list(value[:head]) +
                               [max(1, int(round(v / factor))) for v in value[head:]])
    return None


def shrink_options(cfg: Config, roots: Dict[str, str], arch_specs: Dict[str, str]) -> Dict:
    """The ``--cfg-options`` that run ``cfg`` on the tiny data in a few iterations."""
    plain = cfg.to_dict()
    options: Dict[str, Any] = {}
    moved: Dict[str, str] = {}
    for loader in _dataloader_paths(plain):
        node = _get(plain, loader)
        options.update({f'{loader}.batch_size': 2, f'{loader}.num_workers': 0})
        if 'persistent_workers' in node:
            options[f'{loader}.persistent_workers'] = False
        for path, value in _walk(node, loader):
            if not isinstance(value, dict):
                continue
            root = value.get('data_root')
            if isinstance(root, str):
                tiny = next(t for word, t in _TINY_BY_ROOT if word in root.lower())
                moved[root.rstrip('/')] = roots[tiny]
            if isinstance(value.get('times'), int):  # RepeatDataset
                options[f'{path}.times'] = 1
            if 'bbox_file' in value:  # detected person boxes: the tiny set has none
                options[f'{path}.bbox_file'] = None
    # Every path under a moved data root (datasets, evaluators, GT databases) follows it.
    for path, value in _walk(plain, ''):
        if isinstance(value, str) and path not in options:
            for old, new in moved.items():
                if value == old or value.startswith(old + '/'):
                    options[path] = new + value[len(old):]
    train_cfg = plain.get('train_cfg') or {}
    if 'max_iters' in train_cfg:
        options.update({'train_cfg.max_iters': 2})
        if 'val_interval' in train_cfg:
            options['train_cfg.val_interval'] = 2
    elif 'max_epochs' in train_cfg:
        options.update({'train_cfg.max_epochs': 1})
        if 'val_interval' in train_cfg:
            options['train_cfg.val_interval'] = 1
        if 'val_begin' in train_cfg:
            options['train_cfg.val_begin'] = 1
    checkpoint = (plain.get('default_hooks') or {}).get('checkpoint')
    if checkpoint and 'interval' in checkpoint:
        options['default_hooks.checkpoint.interval'] = 2 if 'max_iters' in train_cfg else 1
    factor = _scale_factor(plain)
    for path, value in _walk(plain, ''):
        key = path.split('.')[-1]
        if key in _SIZE_KEYS and path not in options and any(
                part in path for part in _SIZED_PARTS):
            small = _shrunk(value, factor, key)
            if small is not None:
                options[path] = small
    for path, value in _walk(plain, ''):
        if path.endswith('arch_spec') and isinstance(value, str):
            match = re.match(r'work_dirs/([^/]+)/arch\.json$', value)
            if match and match.group(1) in arch_specs:
                options[path] = arch_specs[match.group(1)]
    return options


def _get(node: Any, path: str) -> Any:
    for key in path.split('.'):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def _cli(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        inner = ','.join(_cli(v) for v in value)
        return f'[{inner}]' if isinstance(value, list) else f'({inner}{"," * (len(value) == 1)})'
    return str(value)


def _needed_searches(cfg: Config) -> List[str]:
    """Search configs whose ``arch.json`` this config retrains."""
    names = []
    for path, value in _walk(cfg.to_dict(), ''):
        if path.endswith('arch_spec') and isinstance(value, str):
            match = re.match(r'work_dirs/([^/]+)/arch\.json$', value)
            if match:
                names.append(match.group(1))
    return names


def _latest_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


class ConfigRunner:
    """Runs configs through the tools, remembering each search's ``arch.json``."""

    def __init__(self, run_tool, roots: Dict[str, str], work_root: str) -> None:
        self.run_tool = run_tool
        self.roots = roots
        self.work_root = work_root
        self.arch_specs: Dict[str, str] = {}
        self.done: Set[str] = set()

    def _config(self, name: str) -> str:
        found = [c for c in CONFIGS if osp.splitext(osp.basename(c))[0] == name]
        assert found, f'no config {name} for work_dirs/{name}/arch.json'
        return osp.join(REPO, found[0])

    def run(self, config: str) -> None:
        if config in self.done:  # already run as the search another config retrains
            return
        self.done.add(config)
        cfg = Config.fromfile(config)
        for search in _needed_searches(cfg):
            if search not in self.arch_specs:
                self.run(self._config(search))
        options = shrink_options(cfg, self.roots, self.arch_specs)
        name = osp.splitext(osp.basename(config))[0]
        work_dir = osp.join(self.work_root, name)
        cli = [f'{k}={_cli(v)}' for k, v in options.items()]

        def tool(*args) -> None:
            code = self.run_tool(*args, '--work-dir', work_dir, '--cfg-options', *cli)
            assert code == 0, f'{args[0]} {name} exited with {code}'

        tool('train', config)
        checkpoint = _latest_checkpoint(work_dir)
        if cfg.get('test_dataloader') and cfg.get('test_evaluator') and cfg.get('test_cfg') \
                is not None:
            tool('test', config, checkpoint)
        train_cfg = cfg.get('train_cfg') or {}
        longer = ['train_cfg.max_iters=3'] if 'max_iters' in train_cfg else \
            ['train_cfg.max_epochs=2']
        cli += longer
        tool('train', config, '--resume')
        resumed = _latest_checkpoint(work_dir)
        assert resumed != checkpoint, f'{name}: --resume wrote no later checkpoint'
        if cfg.get('search_cfg'):
            tool('search', config, resumed)
            arch = osp.join(work_dir, 'arch.json')
            assert osp.isfile(arch), f'{name}: tools/search.py wrote no arch.json'
            self.arch_specs[name] = arch


@pytest.fixture(scope='module')
def config_runner(tiny_roots, run_tool, tmp_path_factory) -> ConfigRunner:
    return ConfigRunner(run_tool, tiny_roots, str(tmp_path_factory.mktemp('work')))


@pytest.mark.config_sweep
@pytest.mark.parametrize('config', [
    pytest.param(c, marks=pytest.mark.xdist_group(c.split(os.sep)[1])) for c in CONFIGS
])
def test_config_through_the_tools(config, config_runner):
    config_runner.run(osp.join(REPO, config))
