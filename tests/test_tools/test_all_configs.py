"""Every file in ``configs/`` through the tools users type.

For each config: ``tools/train.py`` → ``tools/test.py`` (where the config tests) →
``tools/train.py --resume`` → ``tools/search.py`` (where it has a ``search_cfg``), on the tiny
datasets. The config is shrunk only by ``--cfg-options`` computed from the config itself: data
roots moved to the tiny datasets, one or two iterations or epochs (a coarse-to-fine search's
iterations are its children: the ends of each dimension's range, one fine round), batches of
at most two, inputs scaled down by a power of two to a crop of about 48 to 96 pixels, or by
less where the network cannot take inputs that small (the first training then fails with a
RuntimeError and is run again at the next power of two up, at worst at the config's own
size). Its model, evaluator, schedulers, hooks and checkpoint format stay as they are. A
config that retrains a searched architecture (``arch_spec`` pointing into
``work_dirs/<search config>/``) first runs that search config the same way. A new config is
covered without touching this file.

The sweep takes longer than the test suite's budget, so it is marked ``config_sweep`` and runs
on its own, after the suite in CI (``.ci/run``). All 84 configs passed in 32 minutes on 2
cores (2026-12-03, 59 minutes of worker time; the longest, the BigNAS FPN supernet on
Cityscapes, 244 s, and each HR-NAS retrain with its search 113–119 s), and in 36 minutes in a
later clean-clone CI run the same day (47 before the depthwise blocked gradient was kept off
small maps). Measured on 2 cores
(2026-12-02): a fixed child network (AttentiveNAS A0–A6,
DenseNAS R1–R3, the BigNAS and DenseNAS retrains) takes 7–9 s, a BigNAS supernet 21 s, a
BigNAS search 50–58 s (205 s before its grid was cut to the range's ends), a DenseNAS search
72 s, the BigNAS FPN supernet on Cityscapes 138 s, an HR-NAS paper supernet
(``hrnas-a_cityscapes``, measured 2026-12-03 on 2 shared cores) 106 s, down from
151–159 s: its jit traces of the paper supernet for FLOPs went from five (68 s: channel prices,
logged cost, supernet and searched cost at export) to two (30 s: channel prices and the
searched network, whose backbone count the other costs reuse), and its optimizer from 2352
parameter groups to 2 (``mmnas.MergedGroupsOptimWrapperConstructor``; torch checks each new
group against all earlier ones). Checkpoint saving and weights-only loading (19% of the run
before these cuts, under cProfile) and the config's pretty-printing and the host packages'
metafiles that mmengine reads for every ``mmseg::`` base (15%) remain::

    bash tools/run_tests.sh -m config_sweep
"""
import glob
import math
import os
import os.path as osp
import re
import shutil
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
_TARGET = 48
#: How many times wider a voxel network's pillars are made (see :func:`_bev_grid_options`).
_BEV_FACTOR = 4


@pytest.fixture(scope='module')
def tiny_roots(tmp_path_factory, run_tool) -> Dict[str, str]:
    """Every tiny dataset, small enough that one epoch is a few iterations."""
    out = tmp_path_factory.mktemp('tiny_all')
    roots = {name: str(out / name) for _, name in _TINY_BY_ROOT}
    make_tiny_cityscapes(roots['cityscapes'], num_train=4, num_val=2, image_size=(128, 256))
    make_tiny_ade20k(roots['ade20k'], num_train=4, num_val=2, min_size=96, max_size=128)
    make_tiny_coco(roots['coco'], num_train=4, num_val=2)
    make_tiny_kitti(roots['kitti'], num_train=4, num_val=2, num_test=2)
    make_tiny_imagenet(roots['imagenet'], num_classes=4, num_train_per_class=5,
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
    if not sizes or min(sizes) < 2 * _TARGET:
        return 1.0
    # A power of two keeps the input a multiple of the network's strides where it was one.
    return float(2**int(math.log2(min(sizes) / _TARGET)))


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


def shrink_options(cfg: Config, roots: Dict[str, str], arch_specs: Dict[str, str],
                   factor: float = None) -> Dict:
    """The ``--cfg-options`` that run ``cfg`` on the tiny data in a few iterations, its
    inputs divided by ``factor`` (by default :func:`_scale_factor`'s)."""
    plain = cfg.to_dict()
    options: Dict[str, Any] = {}
    moved: Dict[str, str] = {}
    for loader in _dataloader_paths(plain):
        node = _get(plain, loader)
        # At most two: a loader of one (mmseg's validation on images of different sizes)
        # stays one.
        options.update({f'{loader}.batch_size': min(node.get('batch_size', 2), 2),
                        f'{loader}.num_workers': 0})
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
    # Two batches an epoch where training reads a stock dataset (the tiny ImageNet's 20
    # images would be ten sandwich steps of a paper supernet); a split into weight and
    # architecture halves keeps the whole set so that neither half is empty.
    path, dataset = 'train_dataloader.dataset', (plain.get('train_dataloader') or {}).get(
        'dataset')
    while isinstance(dataset, dict) and isinstance(dataset.get('dataset'), dict) \
            and not dataset.get('type', '').endswith('SplitDataset'):
        path, dataset = f'{path}.dataset', dataset['dataset']
    if isinstance(dataset, dict) and not dataset.get('type', '').endswith('SplitDataset') \
            and 'datasets' not in dataset:
        options[f'{path}.indices'] = 4
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
        if train_cfg.get('arch_start'):  # architecture steps from the first epoch
            options['train_cfg.arch_start'] = 0
    length = 2 if 'max_iters' in train_cfg else 1
    for path, value in _walk(plain.get('param_scheduler') or [], 'param_scheduler'):
        # A phase that starts in the run starts and ends inside its first training; a later
        # phase takes the iteration or epoch the resumed training adds, so phases keep their
        # order and never overlap (overlapping chained schedulers multiply their factors).
        if not isinstance(value, dict):
            continue
        # (mmengine ends an open phase at the run's end, which would be its begin here).
        begin, end = value.get('begin', 0), value.get('end')
        if isinstance(begin, (int, float)) and begin >= length:
            options.update({f'{path}.begin': length, f'{path}.end': length + 1})
        elif isinstance(end, (int, float)) and end > length:
            options[f'{path}.end'] = length
    # A search's iterations are its candidates: a coarse-to-fine search keeps the ends of
    # each dimension's range and one fine round of one dimension around its best child (the
    # paper grid is 3^5 children, each calibrated and scored: minutes for one config).
    search_cfg = plain.get('search_cfg') or {}
    for key, small in (('coarse_levels', lambda v: [min(v), max(v)]),
                       ('fine_dims', lambda v: list(v[:1])), ('top_k', lambda v: 1),
                       ('fine_rounds', lambda v: min(v, 1))):
        if search_cfg.get(key):
            options[f'search_cfg.{key}'] = small(search_cfg[key])
    checkpoint = (plain.get('default_hooks') or {}).get('checkpoint')
    if checkpoint and 'interval' in checkpoint:
        options['default_hooks.checkpoint.interval'] = 2 if 'max_iters' in train_cfg else 1
    factor = _scale_factor(plain) if factor is None else factor
    for path, value in _walk(plain, ''):
        key = path.split('.')[-1]
        if key in _SIZE_KEYS and path not in options and any(
                part in path for part in _SIZED_PARTS):
            small = _shrunk(value, factor, key)
            if small is not None:
                options[path] = small
    options.update(_bev_grid_options(plain, options))
    for path, value in _walk(plain, ''):
        if path.endswith('arch_spec') and isinstance(value, str):
            match = re.match(r'work_dirs/([^/]+)/arch\.json$', value)
            if match and match.group(1) in arch_specs:
                options[path] = arch_specs[match.group(1)]
    return options


def _bev_grid_options(plain: dict, options: Dict, factor: int = _BEV_FACTOR) -> Dict:
    """A voxel network's input is its bird's-eye-view grid: pillars ``factor`` times wider
    on the ground make it ``factor``² times smaller (PointPillars' 496x432 grid at batch two
    would hold a paper supernet's 15 GB on this machine). The grid stays a multiple of the
    original's largest power-of-two divisor (the network's stride: 16 for 496x432), the
    point-cloud range growing where it must (by 4 of the wider pillars for KITTI's, to
    128x112); every copy of the range,
    the pillar size and the grid (voxelizer, pillar encoder, scatter, range filters, the
    cost hooks' input shapes) follows."""
    layer = next((value for _, value in _walk(plain, '') if isinstance(value, dict)
                  and 'voxel_size' in value and 'point_cloud_range' in value), None)
    if layer is None:
        return {}
    voxel, pc_range = list(layer['voxel_size']), list(layer['point_cloud_range'])
    x0, y0, z0, x1, y1, z1 = pc_range
    grid = [round((y1 - y0) / voxel[1]), round((x1 - x0) / voxel[0])]  # (H, W) as scattered
    align = math.gcd(*grid) & -math.gcd(*grid)
    small = [align * math.ceil(g / factor / align) for g in grid]
    new_voxel = [voxel[0] * factor, voxel[1] * factor] + voxel[2:]
    half_y = small[0] * new_voxel[1] / 2
    new_range = [x0, round((y0 + y1) / 2 - half_y, 4), z0,
                 round(x0 + small[1] * new_voxel[0], 4), round((y0 + y1) / 2 + half_y, 4), z1]
    found = {}
    for path, value in _walk(plain, ''):
        if path in options or not isinstance(value, (list, tuple)):
            continue
        if list(value) == pc_range:
            found[path] = type(value)(new_range)
        elif list(value) == voxel:
            found[path] = type(value)(new_voxel)
        elif len(value) >= 2 and list(value[-2:]) == grid:
            found[path] = type(value)(list(value[:-2]) + small)
    return found


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
    """Search configs whose ``arch.json`` this config retrains: read by a part of the config
    (a top-level variable, such as a base's ``arch_spec = ...`` that a child config no longer
    uses, is only the config language's)."""
    names = []
    for path, value in _walk(cfg.to_dict(), ''):
        if '.' in path and path.endswith('arch_spec') and isinstance(value, str):
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

    def _cli(self, cfg: Config, config: str, name: str, work_dir: str,
             factor: float) -> List[str]:
        """The shrinking ``--cfg-options`` at ``factor``; builds the cost table the config
        reads first, as users do, with the table tool."""
        options = shrink_options(cfg, self.roots, self.arch_specs, factor)
        cli = [f'{k}={_cli(v)}' for k, v in options.items()]
        table = (cfg.get('cost_cfg') or {}).get('table')
        if isinstance(table, str) and table.startswith('work_dirs/'):
            built = osp.join(work_dir, osp.basename(table))
            code = self.run_tool('build_cost_table', config, '--out', built, '--batch-size', 2,
                                 '--warmup', 0, '--repeats', 1, '--cfg-options', *cli)
            assert code == 0, f'build_cost_table {name} exited with {code}'
            cli += [f'{path}={built}' for path, value in _walk(cfg.to_dict(), '')
                    if value == table]
        return cli

    def _tool(self, name: str, work_dir: str, cli: List[str], *args) -> None:
        code = self.run_tool(*args, '--work-dir', work_dir, '--cfg-options', *cli)
        assert code == 0, f'{args[0]} {name} exited with {code}'

    def run(self, config: str) -> None:
        if config in self.done:  # already run as the search another config retrains
            return
        self.done.add(config)
        cfg = Config.fromfile(config)
        for search in _needed_searches(cfg):
            if search not in self.arch_specs:
                self.run(self._config(search))
        name = osp.splitext(osp.basename(config))[0]
        work_dir = osp.join(self.work_root, name)
        factor = _scale_factor(cfg.to_dict())
        while True:
            cli = self._cli(cfg, config, name, work_dir, factor)
            try:
                self._tool(name, work_dir, cli, 'train', config)
                break
            except RuntimeError:
                if factor <= 1:
                    raise
                # The network cannot take inputs this small (DARTS's ImageNet auxiliary
                # classifier pools a 5x5 window from the second reduction cell's map): the
                # next power of two up, in a fresh work dir, up to the config's own size.
                shutil.rmtree(work_dir, ignore_errors=True)
                factor /= 2

        def tool(*args) -> None:
            self._tool(name, work_dir, cli, *args)

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
        # Later configs read only arch.json; the checkpoints of all 84 configs (paper
        # supernets with their EMA copies and optimizer states) filled the disk (an earlier
        # sweep left 28 GB).
        for path in glob.glob(osp.join(work_dir, '**', '*.pth'), recursive=True):
            os.remove(path)


@pytest.fixture(scope='module')
def config_runner(tiny_roots, run_tool, tmp_path_factory) -> ConfigRunner:
    return ConfigRunner(run_tool, tiny_roots, str(tmp_path_factory.mktemp('work')))


@pytest.mark.config_sweep
@pytest.mark.parametrize('config', [
    # One worker per folder: a retrain config runs after the search it retrains, which is in
    # its folder; ``hrnas/ablations`` (no searches) balances the paper supernets over two.
    pytest.param(c, marks=pytest.mark.xdist_group(osp.dirname(osp.relpath(c, 'configs'))))
    for c in CONFIGS
])
def test_config_through_the_tools(config, config_runner):
    config_runner.run(osp.join(REPO, config))


def test_bev_grid_shrinks_consistently():
    """The shrunk pillars, range and scatter grid of the paper KITTI config agree with each
    other and keep the network's stride (in the suite, which the sweep is not part of)."""
    cfg = Config.fromfile(osp.join(REPO, 'configs/hrnas/hrnas-a_kitti-3d-3class.py'))
    options = _bev_grid_options(cfg.to_dict(), {})
    voxel = options['model.data_preprocessor.voxel_layer.voxel_size']
    x0, y0, _, x1, y1, _ = options['model.data_preprocessor.voxel_layer.point_cloud_range']
    grid = options['model.middle_encoder.output_shape']
    assert voxel[:2] == [0.16 * _BEV_FACTOR] * 2 and voxel[2] == 4
    assert grid == [round((y1 - y0) / voxel[1]), round((x1 - x0) / voxel[0])] == [128, 112]
    assert options['model.voxel_encoder.point_cloud_range'] == [x0, y0, -3, x1, y1, 1]
    assert options['custom_hooks.0.input_shape'] == (64, 128, 112)
    assert options['search_cfg.input_shape'] == (64, 128, 112)
    # Every range filter of every pipeline follows the voxelizer.
    filters = [k for k in options if k.endswith('point_cloud_range')]
    assert len([k for k in filters if 'dataloader' in k]) == 4
