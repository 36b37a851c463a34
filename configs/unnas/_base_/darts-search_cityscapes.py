# The DARTS search of NAS-DARTS / UnNAS-DARTS on Cityscapes (UnNAS supp. §B.1), with the
# segmentation labels (NAS): mmseg's EncoderDecoder with the 12-cell, 16-channel search
# network (one reduction cell, as the released Cityscapes search: output stride 16) and an
# ASPP head with one atrous rate, 6. Half of the training images train the weights, the other
# half α, one step each, from the start; 400 epochs at batch 32, weights SGD lr 0.1 cosine,
# weight decay 3e-4, α Adam 3e-4 (0.5, 0.999) weight decay 1e-3. 512×1024 crops of mmseg's
# stock Cityscapes pipeline; where batch 32 does not fit, halve it and both learning rates.
_base_ = [
    'mmseg::_base_/datasets/cityscapes.py', 'mmseg::_base_/default_runtime.py'
]

crop_size = (512, 1024)
num_classes = 19
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0,
                           seg_pad_val=255, size=crop_size),
    backbone=dict(type='mmnas.DARTSCellNet', channels=16, num_cells=12, stem='imagenet',
                  reduction_cells=[4]),
    # 4 nodes × 2C after the one reduction.
    decode_head=dict(type='ASPPHead', in_channels=128, in_index=0, channels=128,
                     dilations=(1, 6), dropout_ratio=0.1, num_classes=num_classes,
                     norm_cfg=norm_cfg, align_corners=False,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                      loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

cityscapes = {{_base_.train_dataloader.dataset}}
# mmseg's base samples infinitely (iteration-based); the search runs in epochs.
# Workers restart every pass (persistent ones would carry their random state from one pass to
# the next, which a resumed run cannot recreate) and the random states travel with each
# checkpoint (RNGStateHook): --resume continues bit-identically.
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_delete_=True, type='mmnas.SplitDataset', dataset=cityscapes, ratio=0.5,
                 part='first'))
arch_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='mmnas.SplitDataset', dataset=cityscapes, ratio=0.5, part='second'))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None

max_epochs = 400
train_cfg = dict(
    type='mmnas.BilevelTrainLoop',
    max_epochs=max_epochs,
    arch_start=0,
    alternate='iter',
    arch_dataloader=arch_dataloader,
    arch_updater=dict(type='mmnas.BaseArchUpdater'))
optim_wrapper = dict(
    constructor='mmnas.ArchWeightOptimWrapperConstructor',
    weights=dict(type='OptimWrapper',
                 optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=3e-4),
                 clip_grad=dict(max_norm=5.0)),
    architecture=dict(type='OptimWrapper',
                      optimizer=dict(type='Adam', lr=3e-4, betas=(0.5, 0.999),
                                     weight_decay=1e-3)))
param_scheduler = dict(
    weights=[dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0.0, by_epoch=True,
                  begin=0, end=max_epochs, convert_to_iter_based=True)],
    architecture=[])
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=20, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'),
    rng_state=dict(type='mmnas.RNGStateHook'))
log_processor = dict(by_epoch=True)
search_cfg = dict(type='mmnas.DeriveArchLoop', input_shape=(3, 512, 1024))
