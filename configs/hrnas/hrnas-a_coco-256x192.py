# HR-NAS-A for COCO keypoints at 256x192 (HR-NAS supp. §1): the paper's supernet in mmpose's
# top-down heatmap estimator, shrunk during training by the FLOPs-weighted L1 penalty λ = 1e-6
# (HR-NAS-B: 1e-8, hrnas-b_coco-256x192.py). The searched pose head of the authors' released
# code (the paper does not describe it): all four branches resized to stride 4 and concatenated
# (270 channels, mmpose's FeatureMapProcessor), one searching block to 90 channels (expansion
# 4, shrunk with the backbone), a 1x1 convolution to the 17 heatmaps.
# Adam lr 1e-3, weight decay 1e-8, ×0.1 at epochs 170 and 200 of 210, batch 384 (8 GPUs x 48),
# EMA 0.9999; random scaling and rotation as the only augmentation; single-crop testing.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py']

input_size = (192, 256)
codec = dict(type='MSRAHeatmap', input_size=input_size, heatmap_size=(48, 64), sigma=2)
norm_cfg = dict(type='SyncBN', momentum=0.01, eps=1e-3, requires_grad=True)
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmnas.HRNASSuperNet',
        expand_ratio=4,
        kernel_sizes=(3, 5, 7),
        context=dict(type='mmnas.LightweightTransformer', num_tokens=8, proj_size=8),
        norm_cfg=norm_cfg),
    neck=dict(type='FeatureMapProcessor', concat=True),
    head=dict(
        type='mmnas.HRNASHeatmapHead',
        in_channels=18 + 36 + 72 + 144,
        last_channel=90,
        kernel_sizes=(3, 5, 7),
        expand_ratio=4,
        norm_cfg=norm_cfg,
        decoder=codec),
    test_cfg=dict(flip_test=False))

# Scaling and rotation only: no flip, no half-body, no shift.
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomBBoxTransform', shift_prob=0.0),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='PackPoseInputs')
]
# Exact --resume: the random states travel with each checkpoint (RNGStateHook) and the
# workers restart every epoch (persistent ones would carry their random state from one
# epoch to the next, which a resumed run cannot recreate).
train_dataloader = dict(batch_size=48, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader

# COCO OKS AP / AP50 / AP75 / AP(M) / AP(L) / AR and PCK through mmeval.
val_evaluator = [
    dict(type='mmnas.MMEvalMetric', metric=dict(
        type='CocoKeypointAP', ann_file='data/coco/annotations/person_keypoints_val2017.json')),
    dict(type='mmnas.MMEvalMetric', metric=dict(type='PCKAccuracy', thr=0.05)),
]
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.999), weight_decay=1e-8))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=210, milestones=[170, 200], gamma=0.1, by_epoch=True)
]
train_cfg = dict(max_epochs=210, val_interval=10)
auto_scale_lr = dict(base_batch_size=384)
default_hooks = dict(checkpoint=dict(save_best='coco/AP', rule='greater', max_keep_ckpts=3),
                     rng_state=dict(type='mmnas.RNGStateHook'))

# λ warms up over the first 25 epochs (the released code, for every task; the paper does not
# say); vanished channels are cut every 30 epochs (the authors' pose evaluation interval), FLOPs
# logged at the input size.
# The penalty and EMA follow the released code where the paper is silent (the hook's
# defaults): channel costs priced at 224x224, each token priced every iteration by its
# marginal cost, the EMA model's BN re-estimated before validation and saving, the last
# cut decided by the EMA weights. price_size=None, token_penalty='average', ema_bn='live',
# final_mask='union' give the earlier behaviour.
custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty=1e-6, warmup=25, interval=30,
         by_epoch=True, input_shape=(3, 256, 192), calib_batches=10),
    dict(type='EMAHook', momentum=1e-4),
]
search_cfg = dict(type='mmnas.DeriveArchLoop', input_shape=(3, 256, 192))
