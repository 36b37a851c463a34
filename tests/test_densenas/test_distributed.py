"""The DenseNAS search on 2 processes (torchrun, gloo): α and β stay identical on every rank
(the drawn candidates are rank 0's, the α/β gradients are averaged before the step)."""
import os
import os.path as osp
import socket
import subprocess
import sys

import torch

from .test_search import SEARCH, tiny_config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_ranks_keep_identical_architecture_parameters(tmp_path, repo_root):
    from mmnas.datasets.tiny import make_tiny_imagenet
    root = str(tmp_path / 'imagenet')
    make_tiny_imagenet(root, num_train_per_class=5, num_val_per_class=1, min_size=32,
                       max_size=40)
    loader = dict(batch_size=5)  # 40 + 10 images: 4 + 1 batches per rank
    config = tiny_config(
        repo_root, SEARCH, root, tmp_path / 'search.py',
        **{'train_cfg.max_epochs': 2, 'train_cfg.arch_start': 1, 'train_cfg.val_interval': 9,
           'train_cfg.arch_dataloader': loader, 'train_dataloader': loader,
           'param_scheduler.weights.0.T_max': 2, 'param_scheduler.weights.0.end': 2,
           'default_hooks.checkpoint.interval': 9,
           'custom_imports': dict(imports=['tests.test_densenas.rank_state'],
                                  allow_failed_imports=False),
           'custom_hooks': [dict(type='mmnas.SaveArchPerRank')]})
    env = dict(os.environ, OMP_NUM_THREADS='1', PORT=str(_free_port()),
               MMNAS_PYTHON=sys.executable)
    work_dir = tmp_path / 'dist'
    done = subprocess.run(['bash', osp.join(REPO, 'tools', 'dist_train.sh'), config, '2',
                           '--work-dir', work_dir], env=env, cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [torch.load(work_dir / f'arch_rank{r}.pth', weights_only=True) for r in (0, 1)]
    assert ranks[0].keys() == ranks[1].keys() and ranks[0]
    moved = max(float(v.abs().max()) for v in ranks[0].values())
    assert moved > 1e-3
    for name in ranks[0]:
        torch.testing.assert_close(ranks[0][name], ranks[1][name], rtol=0, atol=0, msg=name)
