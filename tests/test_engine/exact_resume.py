"""Kill-and-resume harness: a search through ``tools/train.py`` left alone, and the same search
killed with SIGKILL after its first checkpoint and resumed with ``--resume``, must end with
bit-identical weights, architecture and logged metrics."""
import glob
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time
from typing import Dict, List, Sequence, Tuple

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: Logged scalars that measure the machine, not the run.
TIMING_KEYS = {'time', 'data_time', 'eta', 'memory'}


def _train_cmd(config: str, work_dir: str, options: Sequence[str], resume: bool) -> List[str]:
    cmd = [sys.executable, osp.join(REPO, 'tools', 'train.py'), config, '--work-dir', work_dir]
    if resume:
        cmd.append('--resume')
    return cmd + ['--cfg-options', *options]


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    env.pop('LOCAL_RANK', None)
    return env


def train(config: str, work_dir: str, options: Sequence[str], resume: bool = False) -> str:
    """Run ``tools/train.py`` to the end; returns its output."""
    proc = subprocess.run(_train_cmd(config, work_dir, options, resume), env=_env(), cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return proc.stdout


def train_killed(config: str, work_dir: str, options: Sequence[str]) -> None:
    """Start ``tools/train.py`` and SIGKILL it as soon as its first checkpoint is complete
    (mmengine writes ``last_checkpoint`` after the ``.pth``)."""
    os.makedirs(work_dir, exist_ok=True)
    log = open(osp.join(work_dir, 'killed_run.out'), 'w')
    proc = subprocess.Popen(_train_cmd(config, work_dir, options, False), env=_env(), cwd=REPO,
                            stdout=log, stderr=subprocess.STDOUT)
    marker = osp.join(work_dir, 'last_checkpoint')
    deadline = time.time() + 600
    try:
        while not osp.exists(marker):
            assert proc.poll() is None, (
                f'the run ended (code {proc.returncode}) before writing a checkpoint: '
                + open(log.name).read()[-4000:])
            assert time.time() < deadline, 'no checkpoint within 600 s'
            time.sleep(0.05)
        assert proc.poll() is None, 'the run ended before it could be killed: train longer'
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def scalars(work_dir: str) -> List[List[dict]]:
    """The ``scalars.json`` records of each run in ``work_dir``, oldest run first, without
    timing entries."""
    runs = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
        runs.append([{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in records])
    return runs


def _first_difference(records: List[dict], expected: List[dict]) -> str:
    for record, other in zip(records, expected):
        if record != other:
            return f'logged scalars differ at step {record["step"]}: {record} vs {other}'
    return f'{len(records)} records against {len(expected)}'


def final_checkpoint(work_dir: str) -> dict:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        path = f.read().strip()
    return torch.load(path, map_location='cpu', weights_only=False)


def assert_same_state(a: Dict[str, torch.Tensor], b: Dict[str, torch.Tensor], what: str):
    assert list(a) == list(b), f'{what}: different keys'
    different = [k for k in a if a[k].shape != b[k].shape or not torch.equal(a[k], b[k])]
    assert not different, (f'{what}: {len(different)} of {len(a)} tensors differ, e.g. '
                           f'{different[:5]}')


def assert_same_optimizer(a: dict, b: dict) -> None:
    """Optimizer states (a plain or an ``OptimWrapperDict`` state) are bit-identical."""
    if 'state' not in a:
        assert sorted(a) == sorted(b)
        for name in a:
            assert_same_optimizer(a[name], b[name])
        return
    assert a['param_groups'] == b['param_groups']
    assert sorted(a['state']) == sorted(b['state'])
    for index, state in a['state'].items():
        for name, value in state.items():
            other = b['state'][index][name]
            same = torch.equal(value, other) if torch.is_tensor(value) else value == other
            assert same, f'optimizer state {index}.{name} differs'


def check_exact_resume(config: str, tmp_path, options: Sequence[str]) -> Tuple[dict, dict]:
    """Run ``config`` uninterrupted and killed + resumed (in deterministic mode) and assert
    that both end identical: final weights, optimizer state and message hub, the architecture
    in the checkpoint's meta, and every logged scalar of the resumed part.

    Returns:
        the two final checkpoints (uninterrupted, resumed) for method-specific checks.
    """
    options = ['randomness.seed=0', 'randomness.deterministic=True', *options]
    alone, killed = str(tmp_path / 'alone'), str(tmp_path / 'killed')
    train(config, alone, options)
    train_killed(config, killed, options)
    with open(osp.join(killed, 'last_checkpoint')) as f:
        resumed_from = f.read().strip()
    output = train(config, killed, options, resume=True)
    assert f'Auto resumed from the latest checkpoint {resumed_from}' in output

    a, b = final_checkpoint(alone), final_checkpoint(killed)
    assert a['meta']['iter'] == b['meta']['iter'] and a['meta']['epoch'] == b['meta']['epoch']
    start = torch.load(resumed_from, map_location='cpu', weights_only=False)['meta']['iter']
    assert start < a['meta']['iter'], 'the checkpoint the run resumed from is its last'
    assert_same_state(a['state_dict'], b['state_dict'], 'weights')
    assert_same_optimizer(a['optimizer'], b['optimizer'])
    # The architecture (HR-NAS's cut one) and the positions; the config text differs by the
    # work dir, the rest by the clock.
    for key in set(a['meta']) - {'time', 'cfg', 'mmengine_version', 'experiment_name'}:
        assert repr(a['meta'].get(key)) == repr(b['meta'].get(key)), f'meta[{key!r}] differs'
    for name in ('python', 'torch'):
        assert repr(a['rng_state'][name]) == repr(b['rng_state'][name]), f'{name} RNG differs'
    assert torch.equal(a['rng_state']['numpy']['key'], b['rng_state']['numpy']['key'])

    # The logged records, in order: the killed run logged a beginning of the uninterrupted
    # run's, the resumed run an end, and together they cover it (validation records of an
    # iteration-based run may share their step, so the order is what tells them apart).
    (whole, ), (before_kill, after_resume) = scalars(alone), scalars(killed)
    assert after_resume, 'the resumed run logged nothing'
    assert before_kill == whole[:len(before_kill)], _first_difference(before_kill, whole)
    tail = whole[len(whole) - len(after_resume):]
    assert after_resume == tail, _first_difference(after_resume, tail)
    assert len(before_kill) + len(after_resume) >= len(whole), 'records missing after resume'
    return a, b
