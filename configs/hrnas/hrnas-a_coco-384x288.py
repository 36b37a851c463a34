# HR-NAS-A for COCO keypoints at 384x288 (HR-NAS supp. §1): the 256x192 setting at the larger input
# (96x72 heatmaps, σ = 3 as mmpose's HRNet 384x288) with batch 192 (8 GPUs x 24).
_base_ = ['./hrnas-a_coco-256x192.py']

input_size = (288, 384)
codec = dict(type='MSRAHeatmap', input_size=input_size, heatmap_size=(72, 96), sigma=3)
model = dict(head=dict(decoder=codec))
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
train_dataloader = dict(batch_size=24, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
auto_scale_lr = dict(base_batch_size=192)

custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty=1e-6, warmup=25, interval=30,
         by_epoch=True, input_shape=(3, 384, 288), calib_batches=10),
    dict(type='EMAHook', momentum=1e-4),
]
search_cfg = dict(type='mmnas.DeriveArchLoop', input_shape=(3, 384, 288))
