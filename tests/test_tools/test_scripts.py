"""The shell entry points run the project's interpreter and reject bad arguments in one line."""
import os
import os.path as osp
import stat
import subprocess

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def fake_python(tmp_path) -> str:
    """An executable that prints the arguments it was called with, standing in for python."""
    path = tmp_path / 'bin' / 'python'
    path.parent.mkdir()
    path.write_text('#!/bin/sh\necho "$0 $*"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


@pytest.mark.parametrize('script, args, tool', [
    ('dist_train.sh', ['cfg.py', '2', '--amp'], 'train.py cfg.py --launcher pytorch --amp'),
    ('dist_test.sh', ['cfg.py', 'ckpt.pth', '2'], 'test.py cfg.py ckpt.pth --launcher pytorch'),
])
@pytest.mark.parametrize('variable', ['MMNAS_PYTHON', 'MMNAS_VENV'])
def test_dist_scripts_run_the_environment_python(tmp_path, script, args, tool, variable):
    python = fake_python(tmp_path)
    value = python if variable == 'MMNAS_PYTHON' else str(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ('MMNAS_PYTHON', 'MMNAS_VENV')}
    done = subprocess.run(['bash', osp.join(REPO, 'tools', script), *args],
                          env=dict(env, **{variable: value}), capture_output=True, text=True,
                          check=True)
    assert done.stdout.startswith(f'{python} -m torch.distributed.run ')
    assert '--nproc_per_node=2' in done.stdout
    assert done.stdout.rstrip().endswith(osp.join(REPO, 'tools', tool))


def test_demo_rejects_an_unknown_method():
    done = subprocess.run(['bash', osp.join(REPO, 'tools', 'demo.sh'), 'nosuchnas'],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "tools/demo.sh: unknown method 'nosuchnas'; expected hrnas, bignas, unnas or densenas"]
