# darts-eval_cityscapes-769x769.py on the tiny Cityscapes-format set (demo and tests): the
# genotype of the tiny rotation search as a 5-cell, 16-channel network (ImageNet stem, last
# reduction at stride 1: output stride 16) with the ASPP head on 64×128 crops.
#   python tools/train.py configs/unnas/darts-eval_tiny-cityscapes.py
_base_ = ['./darts-eval_cityscapes-769x769.py']

data_root = 'data/tiny/cityscapes/'
arch_spec = 'work_dirs/unnas-darts-search-rotation_tiny-imagenet/arch.json'
channels = 16
crop_size = (64, 128)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(arch_spec=arch_spec, channels=channels, num_cells=5, norm_cfg=norm_cfg),
    decode_head=dict(in_channels=16 * channels, channels=32, norm_cfg=norm_cfg),
    test_cfg=dict(mode='whole'))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(256, 128), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 128), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=400,
                        by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=400, val_interval=200)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=400))
