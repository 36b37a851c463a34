# HR-NAS supernet with its searched segmentation head (branches at stride 4, concatenated,
# one searching block to 90 channels, 1x1 classifier; shrunk with the backbone) on the tiny
# Cityscapes-format set written by tools/dataset_converters/make_tiny_datasets.py (the
# README's demo). A reduced supernet and head (one block per branch, four branches, all
# kernels and transformers, expansion 2 in the backbone and 1 in the head) at 128×256 crops so
# that a few hundred CPU iterations show the metric rising. Point `data_root` at the real
# Cityscapes and use configs/hrnas/hrnas-a_cityscapes.py for the paper's setting.
_base_ = [
    'mmseg::_base_/models/fcn_hr18.py', 'mmseg::_base_/datasets/cityscapes.py',
    'mmseg::_base_/default_runtime.py'
]

data_root = 'data/tiny/cityscapes/'
crop_size = (128, 256)
norm_cfg = dict(type='SyncBN', momentum=0.01, eps=1e-3, requires_grad=True)
stages = [
    dict(blocks=(1, ), channels=(24, )),
    dict(blocks=(1, 1), channels=(18, 36)),
    dict(blocks=(1, 1, 1), channels=(18, 36, 72)),
    dict(blocks=(1, 1, 1, 1), channels=(18, 36, 72, 144)),
]
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        _delete_=True,
        type='mmnas.HRNASSuperNet',
        stages=stages,
        expand_ratio=2,
        context=dict(type='mmnas.LightweightTransformer', num_tokens=8, proj_size=8),
        norm_cfg=norm_cfg),
    decode_head=dict(
        _delete_=True,
        type='mmnas.HRNASSegHead',
        in_channels=[18, 36, 72, 144],
        channels=90,
        expand_ratio=1,
        dropout_ratio=0.0,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(512, 256), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(512, 256), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

# mIoU, mAcc and aAcc (the three numbers of HR-NAS supp.) in percent, plus a per-class table.
val_evaluator = dict(
    _delete_=True,
    type='mmnas.MMEvalMetric',
    metric=dict(type='MeanIoU', classwise_results=True),
    scale=100)
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    # paramwise_cfg gives every parameter a group of its own, and torch checks each new group
    # against all earlier ones; groups with equal options are merged (same training).
    constructor='mmnas.MergedGroupsOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=1e-2, weight_decay=1e-5),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = [dict(type='PolyLR', eta_min=1e-5, power=0.9, begin=0, end=400, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=400, val_interval=200)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=200, max_keep_ckpts=1,
                    save_best='mIoU'),
    # As mmseg's schedules: the segmentation visualization hook, off until --show-dir.
    visualization=dict(type='SegVisualizationHook'),
    # The random states in each checkpoint: --resume continues bit-identically.
    rng_state=dict(type='mmnas.RNGStateHook'))
log_processor = dict(by_epoch=False)
env_cfg = dict(cudnn_benchmark=False)

# Resource-aware progressive shrinking: λ warms up over the first 100 iterations, vanished
# channels are cut every 100 iterations and at the end (FLOPs counted at the crop size).
custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty=5e-3, warmup=100, by_epoch=False,
         interval=100, input_shape=(3, 128, 256), calib_batches=4)
]

search_cfg = dict(type='mmnas.DeriveArchLoop', input_shape=(3, 256, 512))
