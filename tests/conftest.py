import os
import os.path as osp
import runpy
import sys

import pytest
from mmengine.registry import DefaultScope
from mmengine.visualization import Visualizer

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO_CONFIG = osp.join(REPO, 'configs', 'hrnas', 'hrnas-supernet_tiny-cityscapes.py')


@pytest.fixture(autouse=True)
def restore_default_scope():
    """The newest ``DefaultScope`` is process-wide state (runners and stock helpers create
    one): without this, a test that builds in mmdet3d's scope changes how a later test in the
    same worker resolves a plain type name."""
    before = list(DefaultScope._instance_dict.items())
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(before)


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


@pytest.fixture(scope='session')
def tiny_cityscapes(tmp_path_factory) -> str:
    """A small tiny-Cityscapes: 4 train and 2 val images of 64×128."""
    from mmnas.datasets.tiny import make_tiny_cityscapes
    root = str(tmp_path_factory.mktemp('data') / 'cityscapes')
    make_tiny_cityscapes(root, num_train=4, num_val=2, image_size=(64, 128))
    return root


@pytest.fixture(scope='session')
def small_config(tmp_path_factory, tiny_cityscapes) -> str:
    """The demo config on 64×128 images with a smaller supernet: seconds per run."""
    path = tmp_path_factory.mktemp('configs') / 'small_cityscapes.py'
    path.write_text(f'''
_base_ = [{DEMO_CONFIG!r}]
data_root = {tiny_cityscapes!r}
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 64), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
model = dict(
    data_preprocessor=dict(size=(64, 128)),
    backbone=dict(
        stem_channels=8, expand_ratio=1, context=None,
        stages=[dict(blocks=(1, ), channels=(8, )), dict(blocks=(1, 1), channels=(8, 16)),
                dict(blocks=(1, 1, 1), channels=(8, 16, 24)),
                dict(blocks=(1, 1, 1, 1), channels=(8, 16, 24, 32))]),
    decode_head=dict(in_channels=[8, 16, 24, 32], channels=16))
train_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False,
                        sampler=dict(type='DefaultSampler', shuffle=False),
                        dataset=dict(data_root=data_root, pipeline=pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, pipeline=pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=2)
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=1))
randomness = dict(seed=0)
search_cfg = dict(input_shape=(3, 64, 128))
custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty=5e-3, by_epoch=False, interval=2,
         input_shape=(3, 64, 128), calib_batches=1)
]
''')
    return str(path)


def forget_visualizers() -> None:
    """Drop every named visualizer instance (mmengine keeps them per process by name, and the
    hosts all name theirs 'visualizer'), so that the next run builds its own."""
    classes = [Visualizer]
    while classes:
        cls = classes.pop()
        cls._instance_dict.clear()
        classes += cls.__subclasses__()


def call_tool(name: str, *args) -> int:
    """Run ``tools/<name>.py`` in this process as the command line would, with ``args``;
    returns its exit code."""
    # One process is one run on the command line: neither a visualizer left by a test that
    # built a runner by hand nor this run's own may be reused by another run (its save_dir
    # would receive the other run's drawings).
    forget_visualizers()
    argv = sys.argv
    sys.argv = [f'{name}.py', *map(str, args)]
    try:
        runpy.run_path(osp.join(REPO, 'tools', f'{name}.py'), run_name='__main__')
    except SystemExit as e:
        return e.code
    finally:
        sys.argv = argv
        forget_visualizers()
    return 0


@pytest.fixture(scope='session')
def run_tool():
    """:func:`call_tool`, for tests and fixtures of any scope."""
    return call_tool


@pytest.fixture
def flop_traces(monkeypatch) -> list:
    """Every jit trace the FLOPs counter makes from now on, as ``(class name, (C, H, W))``;
    no counts are kept from before."""
    from mmnas.cost import complexity
    traces = []
    trace = complexity._trace

    def recorded(model, input_shape, submodules=()):
        traces.append((type(model).__name__, tuple(input_shape)))
        return trace(model, input_shape, submodules)

    monkeypatch.setattr(complexity, '_cache', type(complexity._cache)())
    monkeypatch.setattr(complexity, '_trace', recorded)
    return traces
