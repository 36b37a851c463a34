"""tools/rank_correlation.py end to end on the tiny ImageNet-style set: sampled genotypes
within the cost range of a reference, each trained with the rotation pretext and with labels
by the stock runner, the rank correlations, the JSON and the plot."""
import json
import os.path as osp
import random

import pytest

from mmnas.cost import count_complexity
from mmnas.structures import ArchSpec
from mmnas.unnas import DARTSNet, check_genotype, sample_genotype

#: A 3-cell, 8-channel evaluation network (4 nodes × 4C after two reductions: 128 channels).
SMALL = dict(channels=8, num_cells=3, stem='cifar')


def tiny_config(tmp_path, repo_root, name, data_root):
    path = tmp_path / name
    path.write_text(f'''
_base_ = [{repo_root + '/configs/unnas/' + name!r}]
tiny = dict(data_root={data_root!r}, classes={data_root + '/meta/classes.txt'!r})
model = dict(backbone=dict(channels=8, num_cells=3), head=dict(in_channels=128))
train_dataloader = dict(dataset=tiny)
val_dataloader = dict(dataset=tiny)
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=20))
''')
    return str(path)


def test_rank_correlation_tool(tmp_path, repo_root, run_tool, tiny_data, capsys):
    root = tiny_data['imagenet']
    pretext = tiny_config(tmp_path, repo_root, 'darts-eval-rotation_tiny-imagenet.py', root)
    supervised = tiny_config(tmp_path, repo_root, 'darts-eval_tiny-imagenet.py', root)
    # The reference: a sampled genotype's arch.json (on 3 cells, 2 of them reductions, few
    # samples come within 20% of DARTS_V2, whose reduction cell is pools and skips).
    reference = sample_genotype(random.Random(123))
    ArchSpec('unnas', dict(type='mmnas.DARTSNet', genotype=reference)).dump(
        str(tmp_path / 'reference.json'))
    work_dir = tmp_path / 'work'
    assert run_tool('rank_correlation', '--pretext', 'rotation', '--pretext-config', pretext,
                    '--supervised-config', supervised, '--num-archs', 3, '--seed', 1,
                    '--flops-range', 0.8, 1.2, '--reference', tmp_path / 'reference.json',
                    '--input-shape', 3, 32, 32, '--work-dir', work_dir,
                    '--cfg-options', 'train_cfg.max_epochs=1') == 0
    assert 'Spearman rho' in capsys.readouterr().out
    result = json.loads((work_dir / 'rank_correlation.json').read_text())
    assert osp.getsize(work_dir / 'rank_correlation.png') > 0
    samples = result['samples']
    assert len(samples) == 3
    ref = count_complexity(DARTSNet(reference, **SMALL), (3, 32, 32))
    for s in samples:
        assert check_genotype(s['genotype']) == s['genotype']
        # The kept genotypes are counted again, on an independently built network.
        cost = count_complexity(DARTSNet(s['genotype'], **SMALL), (3, 32, 32))
        assert (s['params'], s['flops']) == (cost['params'], cost['flops'])
        assert all(0.8 * ref[k] <= cost[k] <= 1.2 * ref[k] for k in ('params', 'flops'))
        assert 0 <= s['pretext_accuracy'] <= 100 and 0 <= s['supervised_accuracy'] <= 100
    assert len({json.dumps(s['genotype']) for s in samples}) == 3
    for key in ('spearman_rho', 'kendall_tau'):
        constant = any(len({s[f'{task}_accuracy'] for s in samples}) == 1
                       for task in ('pretext', 'supervised'))
        # None (JSON for NaN) exactly when one accuracy list is constant.
        assert (result[key] is None) == constant
        assert constant or -1 <= result[key] <= 1


@pytest.mark.parametrize('pretext, metric', [('colorization', 'aAcc'),
                                             ('jigsaw', 'accuracy/top1')])
def test_other_pretexts_run_through_their_default_configs(tmp_path, run_tool, tiny_data,
                                                          pretext, metric):
    """--pretext colorization / jigsaw pick their darts-eval-<pretext>_tiny-imagenet.py and
    metric; one training and one validation batch of 16 images per run."""
    root = tiny_data['imagenet']
    data = [f'{split}_dataloader.dataset.{key}'
            for split in ('train', 'val') for key in ('data_root', 'classes', 'indices')]
    values = [root, root + '/meta/classes.txt', 16] * 2
    work_dir = tmp_path / 'work'
    assert run_tool('rank_correlation', '--pretext', pretext, '--num-archs', 2,
                    '--input-shape', 3, 32, 32, '--work-dir', work_dir, '--cfg-options',
                    'train_cfg.max_epochs=1',
                    *[f'{k}={v}' for k, v in zip(data, values)]) == 0
    result = json.loads((work_dir / 'rank_correlation.json').read_text())
    assert result['pretext'] == pretext and result['pretext_metric'] == metric
    assert result['pretext_config'].endswith(f'darts-eval-{pretext}_tiny-imagenet.py')
    assert all(0 <= s['pretext_accuracy'] <= 100 for s in result['samples'])
