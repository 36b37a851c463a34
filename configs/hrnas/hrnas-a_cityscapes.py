# HR-NAS-A on Cityscapes (HR-NAS supp. §1): the paper's supernet shrunk during training by the
# FLOPs-weighted L1 penalty λ = 1.6e-4 (HR-NAS-B: 6.0e-5, hrnas-b_cityscapes.py).
# 512x1024 crops, 1024x2048 test, batch 32 (8 GPUs x 4), AdamW lr 0.04 with one cycle down
# to 0.0016, weight decay 1e-5, EMA 0.9999, 430 epochs; stock mmseg augmentation (resize,
# crop, flip, photometric distortion).
_base_ = [
    './_base_/hrnas-supernet_seg.py', 'mmseg::_base_/datasets/cityscapes.py',
    'mmseg::_base_/default_runtime.py', './_base_/seg_adamw-onecycle.py'
]

crop_size = (512, 1024)
model = dict(data_preprocessor=dict(size=crop_size), decode_head=dict(num_classes=19))

# Epoch-based, as the paper counts its schedule: a finite sampler per epoch.
# Exact --resume: the random states travel with each checkpoint (RNGStateHook) and the
# workers restart every epoch (persistent ones would carry their random state from one
# epoch to the next, which a resumed run cannot recreate).
train_dataloader = dict(batch_size=4, num_workers=4, persistent_workers=False,
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

max_epochs = 430
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
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=10)
auto_scale_lr = dict(enable=False, base_batch_size=32)
default_hooks = dict(
    rng_state=dict(type='mmnas.RNGStateHook'),
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=10, max_keep_ckpts=3,
                    save_best='mIoU'))

# λ warms up over the first 25 epochs; vanished channels are cut every 10 epochs (at each
# validation, as the authors do). EMA 0.9999 is mmengine's momentum 1e-4.
# The penalty and EMA follow the released code where the paper is silent (the hook's
# defaults): channel costs priced at 224x224, each token priced every iteration by its
# marginal cost, the EMA model's BN re-estimated before validation and saving, the last
# cut decided by the EMA weights. price_size=None, token_penalty='average', ema_bn='live',
# final_mask='union' give the earlier behaviour.
custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty=1.6e-4, warmup=25, interval=10,
         by_epoch=True, input_shape=(3, 512, 1024), calib_batches=10),
    dict(type='EMAHook', momentum=1e-4),
]

search_cfg = dict(type='mmnas.DeriveArchLoop', input_shape=(3, 512, 1024))
