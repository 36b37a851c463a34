# BigNAS single-stage model on ImageNet-1k with mmpretrain's stock classifier, data and
# runtime: the default search space (mmnas.bignas.DEFAULT_SEARCH_SPACE), the sandwich rule
# (biggest, smallest, 2 random children) with inplace distillation, resolution pairing over
# {192, 224, 288, 320} from one 224 crop, regularisation on the biggest child only, and
# exponential LR decay with a constant ending at 5%. Total batch 8 × 128 = 1024.
#
#   bash tools/dist_train.sh configs/bignas/bignas-supernet_8xb128_in1k.py 8
#   python tools/search.py configs/bignas/bignas-search_in1k.py work_dirs/.../epoch_360.pth
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs64_pil_resize.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    'mmpretrain::_base_/default_runtime.py',
]

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmnas.BigNASSuperNet',
        # search_space defaults to the design note's space; any other is a config like it.
        # AttentiveNAS's released training: drop-path in the last two stages only.
        drop_path_rate=0.2,
        dropout_rate=0.2,
        # Cross-replica BN for every child (BigNAS trains with synchronized BN); inactive in
        # a single process.
        sync_bn=True),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1984,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        topk=(1, 5)))

# One 224 crop per image; the backbone resizes it (bicubic) to each child's resolution.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
# A 224 centre crop, resized to the evaluated child's resolution the same way.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=128, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=128, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# Weight decay lives in the sandwich rule (biggest child only); none on BN and bias.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.4, momentum=0.9, nesterov=True, weight_decay=0.0),
    clip_grad=dict(type='value', clip_value=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    # 0.97 every 2.4 epochs (EfficientNet), down to 5% of the initial rate, then constant.
    dict(type='mmnas.ExpDecayConstantEndLR', gamma=0.97**(1 / 2.4), end_factor=0.05,
         by_epoch=True, begin=5),
]
train_cfg = dict(
    _delete_=True,
    type='mmnas.SandwichEpochTrainLoop',
    max_epochs=360,
    val_interval=10,
    num_random=2,
    distill_loss=dict(type='mmnas.SoftTargetKLDivLoss', tau=1.0),
    prediction='head',
    weight_decay=1e-5,
    seed=0)
# The biggest and the smallest child, each after BN re-calibration on 64 training batches.
val_cfg = dict(_delete_=True, type='mmnas.ChildrenValLoop', children=('max', 'min'),
               num_bn_batches=64)
# The random states (dropout, drop-path, augmentation) in each checkpoint, and workers that
# restart every epoch (persistent ones would carry their random state across epochs, which a
# resumed run cannot recreate): --resume continues bit-identically.
default_hooks = dict(checkpoint=dict(max_keep_ckpts=3), rng_state=dict(type='mmnas.RNGStateHook'))
auto_scale_lr = dict(base_batch_size=1024)
