# HR-NAS-A for ImageNet classification (HR-NAS supp. §1): the paper's supernet as the backbone of
# mmpretrain's ImageClassifier with the searched classification head of the authors' released
# code as the neck (the paper does not describe it: searching blocks widen the branches to
# 36/72/144/320 channels and merge them high to low resolution, a 1x1 convolution to 1600
# channels, global pooling; shrunk with the backbone) and a linear head (the released
# classifier also drops 20% of the pooled features first; mmpretrain's LinearClsHead has no
# dropout), the whole shrunk during training by the FLOPs-weighted L1 penalty
# λ = 1.8e-4 (HR-NAS-B: 1.2e-4, hrnas-b_imagenet.py). RMSProp (momentum 0.9, weight decay
# 1e-5), lr 0.064 at batch 1024 (16 GPUs x 64) decayed by 0.97 every 2.4 epochs, EMA 0.9999,
# 350 epochs, 224x224 random resized crops and flips, single-crop testing.
_base_ = [
    'mmpretrain::_base_/models/hrnet/hrnet-w18.py',
    'mmpretrain::_base_/datasets/imagenet_bs64_pil_resize.py',
    'mmpretrain::_base_/default_runtime.py'
]

norm_cfg = dict(type='SyncBN', momentum=0.01, eps=1e-3, requires_grad=True)
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmnas.HRNASSuperNet',
        expand_ratio=4,
        kernel_sizes=(3, 5, 7),
        context=dict(type='mmnas.LightweightTransformer', num_tokens=8, proj_size=8),
        norm_cfg=norm_cfg),
    neck=dict(
        _delete_=True,
        type='mmnas.HRNASClsNeck',
        in_channels=(18, 36, 72, 144),
        head_channels=(36, 72, 144, 320),
        last_channel=1600,
        kernel_sizes=(3, 5, 7),
        expand_ratio=4,
        norm_cfg=norm_cfg),
    head=dict(in_channels=1600))

val_evaluator = dict(
    _delete_=True, type='mmnas.MMEvalMetric', metric=dict(type='Accuracy', topk=(1, 5)),
    scale=100)
test_evaluator = val_evaluator

# TensorFlow-style RMSProp as in the mobile NAS literature HR-NAS supp. follows (AtomNAS):
# decay 0.9, ε 1e-3.
optim_wrapper = dict(
    type='OptimWrapper',
    # paramwise_cfg gives every parameter a group of its own, and torch checks each new group
    # against all earlier ones; groups with equal options are merged (same training).
    constructor='mmnas.MergedGroupsOptimWrapperConstructor',
    optimizer=dict(type='RMSprop', lr=0.064, alpha=0.9, eps=1e-3, momentum=0.9,
                   weight_decay=1e-5),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
# 0.97 every 2.4 epochs, applied as the same rate per epoch (mmengine's exponential schedule
# steps whole epochs or iterations).
max_epochs = 350
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.97**(1 / 2.4), by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=1024)
# Exact --resume: the random states travel with each checkpoint (RNGStateHook) and the
# workers restart every epoch (persistent ones would carry their random state from one
# epoch to the next, which a resumed run cannot recreate).
train_dataloader = dict(persistent_workers=False)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=3, save_best='auto'),
    rng_state=dict(type='mmnas.RNGStateHook'))

# λ warms up over the first 25 epochs (the released code, for every task; the paper does not
# say); vanished channels are cut every 5 epochs (the authors' classification evaluation
# interval), FLOPs counted at 224x224.
# The penalty and EMA follow the released code where the paper is silent (the hook's
# defaults): channel costs priced at 224x224, each token priced every iteration by its
# marginal cost, the EMA model's BN re-estimated before validation and saving, the last
# cut decided by the EMA weights. price_size=None, token_penalty='average', ema_bn='live',
# final_mask='union' give the earlier behaviour.
custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty=1.8e-4, warmup=25, interval=5,
         by_epoch=True, input_shape=(3, 224, 224), calib_batches=10),
    dict(type='EMAHook', momentum=1e-4),
]
search_cfg = dict(type='mmnas.DeriveArchLoop', input_shape=(3, 224, 224))
