# HR-NAS-A on ADE20K (HR-NAS supp. §1): the Cityscapes optimizer, one cycle and λ = 1.6e-4 on
# 512x512 crops, 512x2048 test, batch 64 (8 GPUs x 8), 200 epochs, 150 classes; the searched head's
# searching block ends in 180 channels, as the authors' released ADE20K config. HR-NAS-B: hrnas-b_ade20k.py.
_base_ = [
    './_base_/hrnas-supernet_seg.py', 'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py', './_base_/seg_adamw-onecycle.py'
]

crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(channels=180, num_classes=150))
# Exact --resume: the random states travel with each checkpoint (RNGStateHook) and the
# workers restart every epoch (persistent ones would carry their random state from one
# epoch to the next, which a resumed run cannot recreate).
train_dataloader = dict(batch_size=8, num_workers=4, persistent_workers=False,
                        sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(num_workers=4)
test_dataloader = val_dataloader
# mIoU, mAcc and aAcc (the three numbers of HR-NAS supp.) in percent, plus a per-class table.
val_evaluator = dict(
    _delete_=True,
    type='mmnas.MMEvalMetric',
    metric=dict(type='MeanIoU', classwise_results=True),
    scale=100)
test_evaluator = val_evaluator

max_epochs = 200
# One cycle (HR-NAS supp. §1): the learning rate rises from 0.0016 to 0.04 over the first 30% and
# anneals back to 0.0016; β1 moves the other way, 0.95 → 0.85 → 0.95 (torch's one-cycle
# defaults around HR-NAS supp.'s 0.9), as mmdet3d's cyclic schedules cycle momentum.
momentum_peak = int(0.3 * max_epochs)
param_scheduler = [
    dict(type='OneCycleLR', eta_max=0.04, div_factor=25, final_div_factor=1, pct_start=0.3,
         by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', eta_min=0.85, T_max=momentum_peak, by_epoch=True,
         begin=0, end=momentum_peak, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', eta_min=0.95, T_max=max_epochs - momentum_peak,
         by_epoch=True, begin=momentum_peak, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=25)
auto_scale_lr = dict(enable=False, base_batch_size=64)
default_hooks = dict(
    rng_state=dict(type='mmnas.RNGStateHook'),
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=25, max_keep_ckpts=3,
                    save_best='mIoU'))

custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty=1.6e-4, warmup=25, interval=25,
         by_epoch=True, input_shape=(3, 512, 512), calib_batches=10),
    dict(type='EMAHook', momentum=1e-4),
]
search_cfg = dict(type='mmnas.DeriveArchLoop', input_shape=(3, 512, 512))
