"""End to end through tools/train.py, test.py and search.py, and their handling of bad input."""
import os
import pickle

import pytest
import torch
from mmengine.config import Config

from mmnas.registry import MODELS
from mmnas.structures import ArchSpec


def test_train_test_search_resume(tmp_path, small_config, run_tool, capsys):
    work_dir = tmp_path / 'work'
    assert run_tool('train', small_config, '--work-dir', work_dir) == 0
    ckpt = work_dir / 'iter_2.pth'
    assert ckpt.is_file()
    out = capsys.readouterr().out
    assert 'mIoU' in out and 'per-class results' in out

    preds = tmp_path / 'preds.pkl'
    assert run_tool('test', small_config, ckpt, '--work-dir', work_dir, '--out', preds) == 0
    with open(preds, 'rb') as f:
        assert len(pickle.load(f)) == 2
    assert 'mAcc' in capsys.readouterr().out

    assert run_tool('search', small_config, ckpt, '--work-dir', work_dir) == 0
    spec = ArchSpec.load(str(work_dir / 'arch.json'))
    assert spec.method == 'hrnas' and spec.meta['checkpoint'] == str(ckpt)
    net = MODELS.build(dict(type='mmnas.SearchedBackbone', arch_spec=str(work_dir / 'arch.json')))
    assert sum(p.numel() for p in net.parameters()) == spec.cost['params']
    assert net(torch.randn(1, 3, 64, 128))[0].shape == (1, 8, 16, 32)

    # The exported network retrains and tests in the same stock pipeline, from its spec alone.
    retrain = tmp_path / 'retrain.py'
    retrain.write_text(f'''_base_ = [{str(small_config)!r}]
model = dict(backbone=dict(_delete_=True, type='mmnas.SearchedBackbone',
                           arch_spec={str(work_dir / 'arch.json')!r}))
custom_hooks = []
''')
    assert run_tool('train', retrain, '--work-dir', tmp_path / 'retrain') == 0
    assert run_tool('test', retrain, tmp_path / 'retrain' / 'iter_2.pth',
                    '--work-dir', tmp_path / 'retrain') == 0
    assert 'mIoU' in capsys.readouterr().out

    assert run_tool('train', small_config, '--work-dir', work_dir, '--resume',
                    '--cfg-options', 'train_cfg.max_iters=3') == 0
    assert 'resumed epoch: 0, iter: 2' in capsys.readouterr().out
    assert torch.load(work_dir / 'iter_3.pth', weights_only=True)['meta']['iter'] == 3


@pytest.mark.parametrize('options, message', [
    (['train_dataloader.dataset.data_root=/no/such/root'],
     "train_dataloader.dataset.data_root: '/no/such/root' does not exist"),
    (['model.backbone.type=mmnas.HRNASSuperNett'],
     "model.backbone.type: unknown type 'mmnas.HRNASSuperNett'"),
    (['train_cfg.max_iters=many'], "train_cfg.max_iters='many': expected a int"),
    (['model.backbone.stem_chanels=8'], "HRNASSuperNet has no argument 'stem_chanels'"),
    (['model.no_such.key=1'], "the config has no key 'no_such'"),
])
def test_bad_input_is_one_line_and_leaves_no_work_dir(tmp_path, small_config, run_tool, capsys,
                                                      options, message):
    work_dir = tmp_path / 'work'
    assert run_tool('train', small_config, '--work-dir', work_dir, '--cfg-options',
                    *options) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert not work_dir.exists()


def test_failure_after_start_cleans_only_what_it_wrote(tmp_path, small_config, run_tool):
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    (work_dir / 'keep.txt').write_text('earlier results')
    # torch refuses a negative learning rate only when the optimizer is built, after the
    # runner has started writing logs into the work dir.
    with pytest.raises(ValueError, match='learning rate'):
        run_tool('train', small_config, '--work-dir', work_dir, '--cfg-options',
                 'optim_wrapper.optimizer.lr=-1.0')
    assert sorted(os.listdir(work_dir)) == ['keep.txt']


def test_corrupt_or_missing_checkpoint(tmp_path, small_config, run_tool, capsys):
    good = tmp_path / 'good.pth'
    torch.save({'state_dict': {}}, good)
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(good.read_bytes()[:100])
    assert run_tool('test', small_config, truncated, '--work-dir', tmp_path / 'w') == 2
    err = capsys.readouterr().err
    assert 'corrupt or truncated' in err and str(truncated) in err
    assert run_tool('test', small_config, tmp_path / 'missing.pth', '--work-dir',
                    tmp_path / 'w') == 2
    assert 'does not exist' in capsys.readouterr().err
    assert not (tmp_path / 'w').exists()


def test_search_needs_a_search_cfg(tmp_path, small_config, run_tool, capsys):
    assert run_tool('search', small_config, '--work-dir', tmp_path / 'w', '--cfg-options',
                    'search_cfg=None') == 2
    assert 'has no search_cfg' in capsys.readouterr().err



@pytest.mark.parametrize('field, value, expected', [
    ('hidden_channels', [10 ** 6, 1, 1], 'each from 0 to the supernet width'),
    ('hidden_channels', [-1, 1, 1], 'each from 0 to the supernet width'),
    ('hidden_channels', ['wide', 1, 1], 'whole numbers'),
    ('hidden_channels', [1, 1], 'a list of 3 whole numbers'),
])
def test_impossible_arch_json_is_one_line(tmp_path, small_config, run_tool, capsys, field,
                                          value, expected):
    """An edited arch.json with an impossible width names the block, the field and the
    expected range instead of failing deep inside a convolution."""
    supernet = MODELS.build(Config.fromfile(small_config).model.backbone)
    spec = supernet.export_arch()
    block = next(iter(spec.backbone['arch']))
    spec.backbone['arch'][block][field] = value
    spec.dump(str(tmp_path / 'edited.json'))
    retrain = tmp_path / 'retrain.py'
    retrain.write_text(f'''_base_ = [{str(small_config)!r}]
model = dict(backbone=dict(_delete_=True, type='mmnas.SearchedBackbone',
                           arch_spec={str(tmp_path / 'edited.json')!r}))
custom_hooks = []
''')
    assert run_tool('train', retrain, '--work-dir', tmp_path / 'retrain') == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert block in err and field in err and expected in err, err
    assert not (tmp_path / 'retrain').exists()
