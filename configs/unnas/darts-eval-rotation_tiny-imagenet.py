# The rotation pretext as an evaluation task (UnNAS's sample-based experiments): the fixed
# DARTSNet of darts-eval_tiny-imagenet.py trained and validated on rotated tiny ImageNet-style
# images, 4-way classification of the quarter turn, no labels. tools/rank_correlation.py
# trains it next to darts-eval_tiny-imagenet.py for every sampled genotype.
#   python tools/train.py configs/unnas/darts-eval-rotation_tiny-imagenet.py
_base_ = ['./darts-eval_tiny-imagenet.py']

num_classes = 4
model = dict(head=dict(num_classes=num_classes))
data_preprocessor = dict(num_classes=num_classes)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmnas.RotationPretext'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=36, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size=32),
    dict(type='mmnas.RotationPretext'),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
