"""Two processes (gloo, CPU) train the same children and stay identical, with the stock DDP
wrapper and no find_unused_parameters, though every child leaves parameters unused."""
import os
import os.path as osp
import socket
import subprocess
import sys

import torch


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_ranks_sample_the_same_children_and_stay_in_sync(tiny_cls_config, tmp_path):
    script = osp.join(osp.dirname(osp.abspath(__file__)), 'dist_sandwich.py')
    env = dict(os.environ, OMP_NUM_THREADS='1')
    subprocess.run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
        '--master_port', str(_free_port()), script, tiny_cls_config, str(tmp_path)
    ], check=True, env=env, cwd=tmp_path, capture_output=True)
    ranks = [torch.load(tmp_path / f'rank{r}.pth', weights_only=True) for r in (0, 1)]
    assert [s for s, _ in ranks[0]['children']] == [0, 1]
    assert ranks[0]['children'] == ranks[1]['children']
    assert [n for n, _ in ranks[0]['children'][0][1]] == ['max', 'min', 'random0', 'random1']
    # Each rank saw other images; gradients averaged before the step keep the weights equal.
    for name, value in ranks[0]['params'].items():
        torch.testing.assert_close(ranks[1]['params'][name], value, rtol=0, atol=1e-6)


def test_synchronized_elastic_bn_equals_one_process_on_the_global_batch(tmp_path):
    """Two ranks with ``sync_bn=True``, half a batch each: the smallest child's BN statistics,
    and the weights and statistics after a sandwich step, equal one process's on the whole
    batch."""
    script = osp.join(osp.dirname(osp.abspath(__file__)), 'dist_sync_bn.py')
    env = dict(os.environ, OMP_NUM_THREADS='1')
    subprocess.run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
        '--master_port', str(_free_port()), script, str(tmp_path)
    ], check=True, env=env, cwd=tmp_path, capture_output=True)
    subprocess.run([sys.executable, script, str(tmp_path)], check=True, env=env, cwd=tmp_path,
                   capture_output=True)
    single = torch.load(tmp_path / 'single.pth', weights_only=False)
    for r in (0, 1):
        rank = torch.load(tmp_path / f'rank{r}.pth', weights_only=False)
        for part in ('stats', 'state'):
            assert set(rank[part]) == set(single[part])
            for k, v in single[part].items():
                torch.testing.assert_close(rank[part][k], v, rtol=1e-4, atol=1e-5,
                                           msg=f'{part} {k} rank {r}')
    # Not vacuous: the statistics moved from their initial values.
    assert any(not torch.equal(v, torch.zeros_like(v)) for k, v in single['stats'].items()
               if k.endswith('running_mean'))


def test_mmengine_sync_bn_becomes_the_elastic_switch(repo_root, tmp_path):
    """mmengine's ``sync_bn`` would swap the elastic BN layers for fixed-width ones: the tools
    turn it into ``model.backbone.sync_bn=True``; without it a config keeps its own setting
    (the ImageNet supernet synchronizes, the Cityscapes one does not)."""
    from mmnas.utils.cli import load_config
    configs = osp.join(repo_root, 'configs', 'bignas')
    imagenet = osp.join(configs, 'bignas-supernet_8xb128_in1k.py')
    cityscapes = osp.join(configs, 'bignas-supernet_fpn_8xb2-80k_cityscapes-512x1024.py')
    work_dir = str(tmp_path)
    for path in (imagenet, cityscapes):
        cfg = load_config(path, dict(sync_bn='torch'), 'none', work_dir)
        assert cfg.model.backbone.sync_bn is True and not cfg.get('sync_bn')
    cfg = load_config(imagenet, None, 'none', work_dir)
    assert cfg.model.backbone.sync_bn is True and not cfg.get('sync_bn')
    cfg = load_config(cityscapes, None, 'none', work_dir)
    assert not cfg.model.backbone.get('sync_bn') and not cfg.get('sync_bn')
