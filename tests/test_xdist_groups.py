"""The suite's ``xdist_group`` marks group under the installed pytest and pytest-xdist: a group's
tests share one worker (its module fixtures are built once, a config sweep's retrain finds the
search it retrains). pytest 9.2 with pytest-xdist 3.8 silently ran them round-robin."""
import json
import os
import subprocess
import sys

GROUPED = '''
import json, os, pytest

@pytest.mark.parametrize('i', [
    pytest.param(i, marks=pytest.mark.xdist_group('a' if i < 4 else 'b')) for i in range(8)])
def test_where(i):
    with open(os.path.join(os.environ['RAN_DIR'], f'ran_{i}.json'), 'w') as f:
        json.dump([i, os.environ['PYTEST_XDIST_WORKER']], f)
'''


def test_a_group_runs_on_one_worker(tmp_path):
    (tmp_path / 'pytest.ini').write_text('[pytest]\n')
    (tmp_path / 'test_grouped.py').write_text(GROUPED)
    proc = subprocess.run([sys.executable, '-m', 'pytest', '-n', '2', '--dist', 'loadgroup',
                           '-p', 'no:cacheprovider', '-q', 'test_grouped.py'], cwd=tmp_path,
                          env=dict(os.environ, RAN_DIR=str(tmp_path)), capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    ran = dict(json.loads(p.read_text()) for p in tmp_path.glob('ran_*.json'))
    assert sorted(ran) == list(range(8))
    workers = {group: {ran[i] for i in ids} for group, ids in
               (('a', range(4)), ('b', range(4, 8)))}
    assert all(len(w) == 1 for w in workers.values()), workers
