"""Coarse-to-fine selection under a FLOPs budget through tools/search.py, and the exported
child: its weights give the supernet's outputs, and it tests and trains in the stock pipeline."""
import json

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmnas.cost import count_complexity
from mmnas.engine import CoarseToFineSearchLoop, get_elastic_backbone
from mmnas.engine.runner.coarse_to_fine import input_shape_at, pareto_front
from mmnas.structures import ArchSpec
from mmnas.utils.config_check import ConfigError
from .conftest import tiny_overrides

SEARCH = '''
search_cfg = dict(type='mmnas.CoarseToFineSearchLoop', input_shape=(3, 48, 48),
                  max_flops={max_flops}, coarse_levels=(0.0, 1.0),
                  coarse_dims=('resolution', 'width'), top_k=1, fine_rounds=1,
                  fine_dims=('kernel', ), num_bn_batches=2, calibration_workers=1)
# Selection on a held-out quarter of the training set, at test-time preprocessing.
val_dataloader = dict(dataset=dict(
    _delete_=True, type='mmnas.SplitDataset', ratio=0.25, part='first',
    dataset=dict(type='ImageNet', data_root={data_root!r}, split='train',
                 classes={data_root!r} + '/meta/classes.txt',
                 pipeline={{{{_base_.test_pipeline}}}})))
'''


@pytest.fixture(scope='module')
def supernet_checkpoint(tiny_cls_config, tmp_path_factory) -> str:
    """The tiny supernet after a few sandwich iterations."""
    # Set up before the per-test scope restore: leave no runner's DefaultScope behind.
    scopes = list(DefaultScope._instance_dict.items())
    work_dir = tmp_path_factory.mktemp('supernet')
    cfg = Config.fromfile(tiny_cls_config)
    cfg.train_cfg.update(max_iters=4, val_interval=1000)
    cfg.work_dir = str(work_dir)
    runner = Runner.from_cfg(cfg)
    runner.train()
    runner.save_checkpoint(str(work_dir), 'supernet.pth')
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(scopes)
    return str(work_dir / 'supernet.pth')


def search_config(tmp_path, tiny_cls_config, max_flops: float) -> str:
    path = tmp_path / 'search.py'
    data_root = str(Config.fromfile(tiny_cls_config).data_root)
    path.write_text(f'_base_ = [{tiny_cls_config!r}]\n' +
                    SEARCH.format(max_flops=max_flops, data_root=data_root))
    return str(path)


def test_pareto_front_keeps_the_undominated_points():
    points = [(100, 0.5), (50, 0.6), (200, 0.7), (150, 0.65), (120, 0.4), (200, 0.69)]
    assert pareto_front(points) == [1, 3, 2]


def test_input_shape_follows_the_short_side_resize():
    assert input_shape_at((3, 224, 224), 192) == (3, 192, 192)
    assert input_shape_at((3, 224, 448), 192) == (3, 192, 384)
    assert input_shape_at((3, 512, 1024), None) == (3, 512, 1024)


def test_search_writes_the_best_child_within_budget_and_its_weights(
        tiny_cls_config, supernet_checkpoint, tmp_path, run_tool, repo_root):
    budget = 4e6
    config = search_config(tmp_path, tiny_cls_config, budget)
    work_dir = tmp_path / 'search'
    assert run_tool('search', config, supernet_checkpoint, '--work-dir', work_dir) == 0

    candidates = json.loads((work_dir / 'candidates.json').read_text())
    phases = {c['phase'] for c in candidates}
    assert phases == {'coarse', 'fine'}, phases
    assert all(c['flops'] <= budget and 'accuracy/top1' in c['metrics'] for c in candidates)
    assert all(c['seconds'] > 0 for c in candidates)
    best = max(candidates, key=lambda c: (c['metric'], -c['flops']))
    assert [c for c in candidates if c.get('selected')] == [best]
    spec = ArchSpec.load(str(work_dir / 'arch.json'))
    assert spec.method == 'bignas' and spec.backbone['arch'] == best['arch']
    assert spec.metrics['accuracy/top1'] == best['metric']
    r = best['arch']['resolution']
    assert spec.cost == count_complexity(spec.build(), (3, r, r))
    assert spec.cost['flops'] == best['flops'] <= budget
    assert (work_dir / 'pareto.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'

    # The exported child in the stock classifier, from its spec and sliced weights alone.
    child_cfg = tmp_path / 'child.py'
    child_cfg.write_text(
        f'_base_ = [{repo_root + "/configs/bignas/bignas-child_in1k.py"!r}]\n' +
        tiny_overrides(str(Config.fromfile(tiny_cls_config).data_root)) + f'''
model = dict(backbone=dict(_delete_=True, type='mmnas.SearchedBackbone',
                           arch_spec={str(work_dir / 'arch.json')!r}),
             head=dict(num_classes=10, in_channels=64), data_preprocessor=dict(num_classes=10))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=2)
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=2, by_epoch=False))
# Tested on the held-out split the search scored it on: the search's accuracy.
test_dataloader = dict(batch_size=30, num_workers=0, persistent_workers=False, dataset=dict(
    _delete_=True, type='mmnas.SplitDataset', ratio=0.25, part='first',
    dataset=dict(type='ImageNet', data_root=data_root, split='train',
                 classes=data_root + '/meta/classes.txt', pipeline=test_pipeline)))
''')
    assert run_tool('test', child_cfg, work_dir / 'searched.pth', '--work-dir', tmp_path / 't') == 0
    metrics = json.loads(next((tmp_path / 't').rglob('*.json')).read_text())
    assert metrics['accuracy/top1'] == pytest.approx(spec.metrics['accuracy/top1'])
    assert run_tool('train', child_cfg, '--work-dir', tmp_path / 'retrain', '--cfg-options',
                    f'load_from={work_dir / "searched.pth"}') == 0
    assert (tmp_path / 'retrain' / 'iter_2.pth').is_file()


def test_exported_child_computes_the_supernet_child(tiny_cls_config, supernet_checkpoint,
                                                    tmp_path):
    cfg = Config.fromfile(search_config(tmp_path, tiny_cls_config, 4e6))
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.load_checkpoint(supernet_checkpoint)
    loop = CoarseToFineSearchLoop(runner, **{k: v for k, v in cfg.search_cfg.items()
                                             if k != 'type'})
    spec = loop.run()
    sd = torch.load(tmp_path / 'searched.pth', weights_only=True)['state_dict']
    child_cfg = cfg.model.copy()
    child_cfg['backbone'] = dict(type='mmnas.SearchedBackbone', arch_spec=str(tmp_path /
                                                                              'arch.json'))
    child = runner.build_model(child_cfg)
    child.load_state_dict(sd, strict=True)
    supernet = runner.model
    backbone = get_elastic_backbone(supernet)
    assert backbone.current_arch == spec.backbone['arch']
    assert sum(v.numel() for v in sd.values()) < sum(
        v.numel() for v in supernet.state_dict().values())
    supernet.eval()
    child.eval()
    x = torch.rand(4, 3, 48, 48) * 255  # one prefetched crop, before the data preprocessor
    with torch.no_grad(), backbone.input_resolution(spec.backbone['arch']['resolution']):
        expected = supernet(supernet.data_preprocessor({'inputs': x})['inputs'], mode='tensor')
    with torch.no_grad():
        got = child(child.data_preprocessor({'inputs': x})['inputs'], mode='tensor')
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


def test_budget_below_the_smallest_child_is_reported(tiny_cls_config, tmp_path, run_tool,
                                                     capsys):
    config = search_config(tmp_path, tiny_cls_config, 1e3)
    assert run_tool('search', config, '--work-dir', tmp_path / 'w') != 0
    assert 'max_flops' in capsys.readouterr().err
    with pytest.raises(ConfigError, match='min_flops < max_flops'):
        CoarseToFineSearchLoop(None, (3, 48, 48), max_flops=1e6, min_flops=2e6)
