"""The DARTS search over 2 processes (gloo, torchrun): each rank steps α on its own held-out
batches, the averaged α gradient keeps α identical on both ranks."""
import os
import os.path as osp
import socket
import subprocess
import sys

import torch

from .test_search import CLS_HEAD, SMALL

#: A hook module the ranks import (through the config's custom_imports): each writes its α.
HOOK = '''
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class DumpAlphaHook(Hook):

    def after_train(self, runner):
        backbone = runner.model.module.backbone
        torch.save([a.detach() for a in backbone.arch_parameters()],
                   f'{runner.work_dir}/alpha_rank{get_rank()}.pt')
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_alpha_stay_identical_on_two_ranks(tmp_path, repo_root, tiny_search_config):
    (tmp_path / 'dump_alpha_hook.py').write_text(HOOK)
    config = tiny_search_config('unnas-darts-search-rotation_tiny-imagenet', max_epochs=1,
                                arch_start=0, model=SMALL.format(head=CLS_HEAD) + '''
custom_imports = dict(imports=['dump_alpha_hook'], allow_failed_imports=False)
custom_hooks = [dict(type='DumpAlphaHook')]
''')
    env = dict(os.environ, OMP_NUM_THREADS='1', PORT=str(_free_port()),
               PYTHONPATH=str(tmp_path),
               MMNAS_PYTHON=sys.executable)
    work_dir = tmp_path / 'dist'
    subprocess.run(['bash', osp.join(repo_root, 'tools', 'dist_train.sh'), config, '2',
                    '--work-dir', work_dir], check=True, env=env, cwd=tmp_path,
                   capture_output=True)
    rank0 = torch.load(work_dir / 'alpha_rank0.pt', weights_only=True)
    rank1 = torch.load(work_dir / 'alpha_rank1.pt', weights_only=True)
    for a, b in zip(rank0, rank1):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    # They did move (Adam's first steps are ~lr = 3e-2 per entry): not a trivial agreement.
    assert max(a.abs().max().item() for a in rank0) > 1e-2
