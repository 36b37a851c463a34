import pytest


@pytest.fixture(scope='session')
def small_imagenet(tmp_path_factory) -> str:
    """A small tiny-ImageNet: 4 classes, 8 training images each (two batches of 8 per half)."""
    from mmnas.datasets.tiny import make_tiny_imagenet
    root = str(tmp_path_factory.mktemp('data') / 'imagenet')
    make_tiny_imagenet(root, num_classes=4, num_train_per_class=8, num_val_per_class=2,
                       min_size=32, max_size=40)
    return root


@pytest.fixture
def tiny_search_config(tmp_path, repo_root, small_imagenet):
    """``make(name, max_epochs=2, arch_start=0.5, model='')``: configs/unnas/<name>.py on the
    small set, batch 8 (2 iterations per epoch), a checkpoint at the end; ``model`` is config
    text that shrinks the model (a 3-cell, 4-channel search network: 64 output channels)."""

    def make(name: str, max_epochs: int = 2, arch_start: float = 0.5, model: str = '') -> str:
        path = tmp_path / f'{name}.py'
        path.write_text(f'''
_base_ = [{repo_root + '/configs/unnas/' + name + '.py'!r}]
data_root = {small_imagenet!r}
tiny = dict(data_root=data_root, classes=data_root + '/meta/classes.txt')
loader = dict(batch_size=8, dataset=dict(dataset=tiny))
train_dataloader = loader
train_cfg = dict(max_epochs={max_epochs}, arch_start={arch_start}, arch_dataloader=loader)
param_scheduler = dict(weights=[dict(type='CosineAnnealingLR', T_max={max_epochs}, by_epoch=True,
                                     begin=0, end={max_epochs}, convert_to_iter_based=True)])
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval={max_epochs}))
randomness = dict(seed=0)
{model}
''')
        return str(path)

    return make
