import pytest

#: A small BigNAS space: every dimension elastic, SE in one stage, seconds per test on CPU.
TINY_SPACE = dict(
    resolution=(32, 40, 48),
    first_conv=dict(width=(8, 16)),
    stages=[
        dict(width=(8, 16), depth=(1, 2), kernel=(3, 5), expand=(1, ), stride=1, se=False),
        dict(width=(16, 24), depth=(1, 2, 3), kernel=(3, 5), expand=(3, 4), stride=2, se=True),
        dict(width=(24, 32), depth=(2, 3), kernel=(3, 5), expand=(4, 6), stride=2, se=False),
    ],
    last_conv=dict(width=(48, 64)))


@pytest.fixture
def tiny_space():
    return TINY_SPACE


@pytest.fixture(scope='session')
def tiny_imagenet(tmp_path_factory) -> str:
    from mmnas.datasets.tiny import make_tiny_imagenet
    root = str(tmp_path_factory.mktemp('data') / 'imagenet')
    make_tiny_imagenet(root, num_train_per_class=24, num_val_per_class=6)
    return root


def tiny_overrides(data_root: str, crop: int = 48) -> str:
    """Config text that puts a BigNAS classification config on the tiny ImageNet-style set
    with the tiny space: seconds per iteration on CPU."""
    return f'''
data_root = {data_root!r}
model = dict(backbone=dict(search_space={TINY_SPACE!r}, drop_path_rate=0.1, dropout_rate=0.1),
             head=dict(num_classes=10, in_channels=64),
             data_preprocessor=dict(num_classes=10))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale={crop}, crop_ratio_range=(0.5, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale={crop * 8 // 7}, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size={crop}),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False,
                        sampler=dict(type='InfiniteSampler', shuffle=True),
                        dataset=dict(data_root=data_root, classes=data_root + '/meta/classes.txt',
                                     pipeline=train_pipeline))
val_dataloader = dict(batch_size=30, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, classes=data_root + '/meta/classes.txt',
                                   pipeline=test_pipeline))
test_dataloader = val_dataloader
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=-1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
'''


@pytest.fixture(scope='session')
def tiny_cls_config(tmp_path_factory, tiny_imagenet, repo_root) -> str:
    """The ImageNet supernet config on the tiny set: iteration-based, a few iterations."""
    base = f'{repo_root}/configs/bignas/bignas-supernet_8xb128_in1k.py'
    path = tmp_path_factory.mktemp('configs') / 'bignas_tiny.py'
    path.write_text(f'_base_ = [{base!r}]\n' + tiny_overrides(tiny_imagenet) + '''
optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [dict(type='mmnas.ExpDecayConstantEndLR', gamma=0.99, end_factor=0.05,
                        by_epoch=False)]
train_cfg = dict(_delete_=True, type='mmnas.SandwichTrainLoop', max_iters=2, val_interval=2,
                 num_random=2, weight_decay=1e-5)
val_cfg = dict(num_bn_batches=2)
''')
    return str(path)
