"""tools/rank_correlation.py end to end on the tiny ImageNet-style set: sampled genotypes
within the cost range of CIFAR ResNet-56, each trained with the rotation pretext and with
labels by the stock runner, the rank correlations with a bootstrap interval, the JSON and the
plot; and the percentile-stratified draw from a user's accuracy table."""
import json
import os.path as osp
import random

import pytest

from mmnas.cost import count_complexity
from mmnas.evaluation import resnet_cifar
from mmnas.structures import ArchSpec
from mmnas.unnas import DARTSNet, check_genotype, sample_genotype


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


def test_rank_correlation_tool_with_the_resnet56_filter(tmp_path, repo_root, run_tool,
                                                        tiny_data, capsys):
    root = tiny_data['imagenet']
    pretext = tiny_config(tmp_path, repo_root, 'darts-eval-rotation_tiny-imagenet.py', root)
    supervised = tiny_config(tmp_path, repo_root, 'darts-eval_tiny-imagenet.py', root)
    work_dir = tmp_path / 'work'
    # The paper's filter: params and FLOPs within 80–120% of CIFAR ResNet-56, the cells
    # counted as the released sample networks (16 channels, 20 cells, 32×32).
    assert run_tool('rank_correlation', '--pretext', 'rotation', '--pretext-config', pretext,
                    '--supervised-config', supervised, '--num-archs', 3, '--seed', 1,
                    '--flops-range', 0.8, 1.2, '--bootstrap', 200, '--work-dir', work_dir,
                    '--cfg-options', 'train_cfg.max_epochs=1') == 0
    assert 'Spearman rho' in capsys.readouterr().out
    result = json.loads((work_dir / 'rank_correlation.json').read_text())
    assert osp.getsize(work_dir / 'rank_correlation.png') > 0
    assert result['reference'] == 'resnet56' and result['cost_size'] == [16, 20]
    samples = result['samples']
    assert len(samples) == 3
    # He et al.'s ResNet-56: 0.85 M parameters, about 125 M multiply-adds.
    ref = count_complexity(resnet_cifar(56), (3, 32, 32))
    assert ref['params'] == pytest.approx(0.85e6, rel=0.01)
    assert ref['flops'] == pytest.approx(125e6, rel=0.03)
    for s in samples:
        assert check_genotype(s['genotype']) == s['genotype']
        # The kept genotypes are counted again, on an independently built network.
        cost = count_complexity(DARTSNet(s['genotype'], channels=16, num_cells=20,
                                         stem='cifar'), (3, 32, 32))
        assert (s['params'], s['flops']) == (cost['params'], cost['flops'])
        assert all(0.8 * ref[k] <= cost[k] <= 1.2 * ref[k] for k in ('params', 'flops'))
        assert 0 <= s['pretext_accuracy'] <= 100 and 0 <= s['supervised_accuracy'] <= 100
    assert len({json.dumps(s['genotype']) for s in samples}) == 3
    constant = any(len({s[f'{task}_accuracy'] for s in samples}) == 1
                   for task in ('pretext', 'supervised'))
    for key in ('spearman_rho', 'kendall_tau'):
        # None (JSON for NaN) exactly when one accuracy list is constant.
        assert (result[key] is None) == constant
        assert constant or -1 <= result[key] <= 1
    low, high = result['spearman_rho_ci']
    assert constant or low is None or -1 <= low <= high <= 1


def test_accuracy_table_is_sampled_by_percentile(tmp_path, repo_root, run_tool, tiny_data):
    """The NAS-Bench-101 part on a small user table: one entry from each half of the ranked
    accuracies, only the pretext trained, the table's accuracy as the supervised one."""
    root = tiny_data['imagenet']
    pretext = tiny_config(tmp_path, repo_root, 'darts-eval-rotation_tiny-imagenet.py', root)
    rng = random.Random(5)
    table = []
    for i in range(6):
        path = tmp_path / 'table' / f'arch_{i}.json'
        ArchSpec('unnas', dict(type='mmnas.DARTSNet', genotype=sample_genotype(rng))).dump(
            str(path))
        table.append(dict(arch_spec=f'arch_{i}.json', accuracy=90.0 - 5 * i))
    (tmp_path / 'table' / 'accuracy.json').write_text(json.dumps(table))
    work_dir = tmp_path / 'work'
    assert run_tool('rank_correlation', '--pretext-config', pretext, '--accuracy-table',
                    tmp_path / 'table' / 'accuracy.json', '--num-archs', 2, '--strata', 2,
                    '--bootstrap', 50, '--work-dir', work_dir,
                    '--cfg-options', 'train_cfg.max_epochs=1') == 0
    result = json.loads((work_dir / 'rank_correlation.json').read_text())
    picked = result['samples']
    # Ascending accuracy: entries 5, 4, 3 are the lower half, 2, 1, 0 the upper one.
    assert picked[0]['table_index'] in (3, 4, 5) and picked[1]['table_index'] in (0, 1, 2)
    for s in picked:
        assert s['supervised_accuracy'] == table[s['table_index']]['accuracy']
        assert osp.isdir(work_dir / f'arch_{s["index"]}' / 'pretext')
        assert not osp.exists(work_dir / f'arch_{s["index"]}' / 'supervised')
    assert run_tool('rank_correlation', '--accuracy-table', tmp_path / 'table' / 'accuracy.json',
                    '--num-archs', 3, '--work-dir', work_dir) == 2


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
