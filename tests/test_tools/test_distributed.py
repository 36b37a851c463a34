"""Two processes through torchrun on the CPU (gloo) do what one process does."""
import os
import os.path as osp
import socket
import subprocess
import sys

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmnas.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _params(path) -> dict:
    state = torch.load(path, weights_only=True)['state_dict']
    return {k: v for k, v in state.items() if 'running_' not in k and 'num_batches' not in k}


def test_two_processes_equal_one_on_the_same_global_batch(tmp_path, small_config):
    """DDP over 2 processes (1 sample each) == 1 process accumulating the 2 samples.

    BN normalises over each process's own samples, so the single process runs the same two
    per-sample batches and accumulates their gradients; parameters must then agree. Both use
    one thread per process (torchrun's default), since a different thread count changes the
    order of float sums.
    """
    cfg = Config.fromfile(small_config)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    init = tmp_path / 'init.pth'
    torch.save({'state_dict': model.state_dict()}, init)
    common = ['--cfg-options', f'load_from={init}', 'optim_wrapper.optimizer.type=SGD',
              'optim_wrapper.optimizer.lr=0.1', 'train_cfg.val_interval=100']
    # tools/dist_train.sh runs MMNAS_PYTHON: this interpreter.
    env = dict(os.environ, OMP_NUM_THREADS='1', PORT=str(_free_port()),
               MMNAS_PYTHON=sys.executable)

    subprocess.run([
        'bash', osp.join(REPO, 'tools', 'dist_train.sh'), small_config, '2', '--work-dir',
        tmp_path / 'dist', *common, 'train_cfg.max_iters=1'
    ], check=True, env=env, cwd=tmp_path, capture_output=True)
    subprocess.run([
        sys.executable, osp.join(REPO, 'tools', 'train.py'), small_config, '--work-dir',
        tmp_path / 'single', *common,
        'train_cfg.max_iters=2', 'optim_wrapper.accumulative_counts=2'
    ], check=True, env=env, cwd=tmp_path, capture_output=True)

    start = _params(init)
    dist = _params(tmp_path / 'dist' / 'iter_1.pth')
    single = _params(tmp_path / 'single' / 'iter_2.pth')
    assert dist.keys() == single.keys() == start.keys()
    moved = max((dist[k] - start[k]).abs().max().item() for k in dist)
    assert moved > 1e-3
    for k in dist:
        torch.testing.assert_close(dist[k], single[k], rtol=0, atol=1e-7, msg=k)
