# The supervised DARTS search (NAS-DARTS) on the tiny ImageNet-style set, the labelled
# counterpart of the unnas-darts-search-*_tiny-imagenet.py pretext searches: same search
# network, data split and schedule, 10-way class labels as the task.
#   python tools/train.py configs/unnas/nas-darts-search_tiny-imagenet.py
#   python tools/search.py configs/unnas/nas-darts-search_tiny-imagenet.py \
#       work_dirs/nas-darts-search_tiny-imagenet/epoch_4.pth
_base_ = ['./unnas-darts-search-rotation_tiny-imagenet.py']

num_classes = 10
tiny_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=16, crop_ratio_range=(0.5, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
model = dict(head=dict(num_classes=num_classes))
data_preprocessor = dict(num_classes=num_classes)
loader = dict(dataset=dict(dataset=dict(pipeline=tiny_pipeline)))
train_dataloader = loader
train_cfg = dict(arch_dataloader=loader)
