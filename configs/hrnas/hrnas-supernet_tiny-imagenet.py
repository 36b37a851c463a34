# HR-NAS supernet as an mmpretrain ImageClassifier (the searched classification head of the
# released code as the neck: searching blocks to 36/72/144/320 channels merged high to low
# resolution, 1x1 convolution to 1600, global pooling; expansion 1 here; then a linear head)
# on the tiny ImageNet-style set written
# by tools/dataset_converters/make_tiny_datasets.py. Use configs/hrnas/hrnas-a_imagenet.py
# for the paper's ImageNet setting.
_base_ = [
    'mmpretrain::_base_/models/hrnet/hrnet-w18.py',
    'mmpretrain::_base_/datasets/imagenet_bs32_pil_resize.py',
    'mmpretrain::_base_/schedules/imagenet_bs256_coslr.py',
    'mmpretrain::_base_/default_runtime.py'
]

data_root = 'data/tiny/imagenet'
num_classes = 10
stages = [
    dict(blocks=(1, ), channels=(24, )),
    dict(blocks=(1, 1), channels=(18, 36)),
    dict(blocks=(1, 1, 1), channels=(18, 36, 72)),
    dict(blocks=(1, 1, 1, 1), channels=(18, 36, 72, 144)),
]
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmnas.HRNASSuperNet',
        stages=stages,
        expand_ratio=2,
        context=dict(type='mmnas.LightweightTransformer', num_tokens=8, proj_size=4)),
    neck=dict(_delete_=True, type='mmnas.HRNASClsNeck', in_channels=(18, 36, 72, 144),
              head_channels=(36, 72, 144, 320), last_channel=1600, expand_ratio=1),
    head=dict(in_channels=1600, num_classes=num_classes, topk=(1, 5)))
data_preprocessor = dict(num_classes=num_classes)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=64, crop_ratio_range=(0.5, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=72, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size=64),
    dict(type='PackInputs'),
]
# The tiny set is a 10-class subset: the stock ImageNet dataset takes its class names.
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(
        data_root=data_root, classes=data_root + '/meta/classes.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(
        data_root=data_root, classes=data_root + '/meta/classes.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True, type='mmnas.MMEvalMetric', metric=dict(type='Accuracy', topk=(1, 5)),
    scale=100)
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(type='CosineAnnealingLR', T_max=30, by_epoch=True, begin=0, end=30)
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=10)
auto_scale_lr = dict(base_batch_size=16)

search_cfg = dict(type='mmnas.DeriveArchLoop', input_shape=(3, 64, 64))
