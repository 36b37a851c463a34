# darts-eval_8xb128_in1k.py on the tiny ImageNet-style set (demo and tests): the genotype
# the tiny rotation search wrote, as a 5-cell, 16-channel network on 32×32 crops with DARTS's
# CIFAR stem, 10 classes; no auxiliary classifier, as the networks of the released
# sample-based experiments (which this config serves in tools/rank_correlation.py).
#   python tools/search.py configs/unnas/unnas-darts-search-rotation_tiny-imagenet.py \
#       work_dirs/unnas-darts-search-rotation_tiny-imagenet/epoch_4.pth
#   python tools/train.py configs/unnas/darts-eval_tiny-imagenet.py
_base_ = ['./darts-eval_8xb128_in1k.py']

data_root = 'data/tiny/imagenet'
arch_spec = 'work_dirs/unnas-darts-search-rotation_tiny-imagenet/arch.json'
channels = 16
num_classes = 10
model = dict(
    backbone=dict(arch_spec=arch_spec, channels=channels, num_cells=5, stem='cifar',
                  norm_cfg=dict(type='BN'), out_indices=[-1]),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(_delete_=True, type='LinearClsHead', num_classes=num_classes,
              in_channels=16 * channels, topk=(1, )))
data_preprocessor = dict(num_classes=num_classes)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=36, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size=32),
    dict(type='PackInputs'),
]
tiny = dict(data_root=data_root, classes=data_root + '/meta/classes.txt')
train_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline, **tiny))
val_dataloader = dict(batch_size=16, num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline, **tiny))
test_dataloader = val_dataloader
val_evaluator = dict(metric=dict(topk=(1, )))
test_evaluator = val_evaluator

max_epochs = 20
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=0.0, by_epoch=True, begin=1,
         end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
auto_scale_lr = dict(base_batch_size=16)
default_hooks = dict(logger=dict(interval=5),
                     checkpoint=dict(interval=max_epochs, save_best=None))
