import os
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory) -> dict:
    """All five tiny datasets at their default sizes, once per test process."""
    from mmnas.datasets.tiny import make_tiny_datasets
    return make_tiny_datasets(str(tmp_path_factory.mktemp('tiny')))


def pytest_configure(config):
    # Tests run on CPU with few threads each; keep BLAS/OMP from oversubscribing the cores
    # when pytest-xdist runs several workers.
    os.environ.setdefault('OMP_NUM_THREADS', '1')
