# The BigNAS single-stage supernet on the tiny ImageNet-style set (10 classes), for the demo
# and the tests: bignas-supernet_8xb128_in1k.py's recipe (sandwich rule with inplace
# distillation, resolution pairing from one crop, regularisation on the biggest child only,
# exponential decay to 5%) on a small space of 3 stages, every dimension elastic, children at
# 32-48 pixels from one 48 crop, 10 epochs.
#   python tools/train.py configs/bignas/bignas-supernet_tiny-imagenet.py
#   python tools/search.py configs/bignas/bignas-search_tiny-imagenet.py \
#       work_dirs/bignas-supernet_tiny-imagenet/epoch_10.pth
_base_ = ['./bignas-supernet_8xb128_in1k.py']

data_root = 'data/tiny/imagenet'
num_classes = 10
crop = 48
search_space = dict(
    resolution=(32, 40, 48),
    first_conv=dict(width=(8, 16)),
    stages=[
        dict(width=(8, 16), depth=(1, 2), kernel=(3, 5), expand=(1, ), stride=1, se=False),
        dict(width=(16, 24), depth=(1, 2, 3), kernel=(3, 5), expand=(3, 4), stride=2, se=True),
        dict(width=(24, 32), depth=(2, 3), kernel=(3, 5), expand=(4, 6), stride=2, se=False),
    ],
    last_conv=dict(width=(48, 64)))
model = dict(
    backbone=dict(search_space=search_space, drop_path_rate=0.1, dropout_rate=0.1),
    head=dict(num_classes=num_classes, in_channels=64),
    data_preprocessor=dict(num_classes=num_classes))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=crop, crop_ratio_range=(0.5, 1.0), backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=crop * 8 // 7, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=crop),
    dict(type='PackInputs'),
]
classes = data_root + '/meta/classes.txt'
train_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, classes=classes, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, classes=classes, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 10
optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='mmnas.ExpDecayConstantEndLR', gamma=0.8, end_factor=0.05, by_epoch=True,
         begin=1),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(num_bn_batches=4)
auto_scale_lr = dict(base_batch_size=16)
default_hooks = dict(logger=dict(interval=5),
                     checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
randomness = dict(seed=0)
