# Retrain the network derived by the tiny search (densenas-mbv2-search_tiny-imagenet.py) on the
# tiny ImageNet-style set, with the retraining recipe of DenseNAS supp. scaled down: SGD 0.9,
# weight decay 4e-5, cosine to 1e-4. Validation on the tiny set's own val split.
#   python tools/search.py configs/densenas/densenas-mbv2-search_tiny-imagenet.py \
#       work_dirs/densenas-mbv2-search_tiny-imagenet/epoch_8.pth
#   python tools/train.py configs/densenas/densenas-retrain_tiny-imagenet.py
_base_ = ['./densenas-retrain_8xb128_in1k.py']

data_root = 'data/tiny/imagenet'
num_classes = 10
arch_spec = 'work_dirs/densenas-mbv2-search_tiny-imagenet/arch.json'
model = dict(
    backbone=dict(arch_spec=arch_spec),
    head=dict(in_channels=128, num_classes=num_classes, topk=(1, 5)))
data_preprocessor = dict(num_classes=num_classes)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=36, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size=32),
    dict(type='PackInputs'),
]
classes = data_root + '/meta/classes.txt'
train_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, split='train', classes=classes, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, split='val', classes=classes, pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 12
optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = dict(T_max=max_epochs, end=max_epochs)
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
auto_scale_lr = dict(base_batch_size=16)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=max_epochs))
