import os
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO


def pytest_configure(config):
    # Tests run on CPU with few threads each; keep BLAS/OMP from oversubscribing the cores
    # when pytest-xdist runs several workers.
    os.environ.setdefault('OMP_NUM_THREADS', '1')
