# DenseNAS-R1 of DenseNAS supp. Table 1 as a fixed mmpretrain backbone, with the retraining schedule
# of DenseNAS supp.: SGD 0.9, weight decay 4e-5, cosine 0.5 → 1e-4 over 240 epochs, batch 1024
# (8 × 128). mmengine counts 1.610 GFLOPs (the DenseNAS README: 1.61B). ReLU6 after the stem's
# convolution, ReLU in the basic blocks, as in the authors' released ResNet-space networks (the
# paper is silent).
_base_ = [
    'mmpretrain::_base_/models/resnet18.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/default_runtime.py'
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmnas.DenseNASNet',
        stem=dict(channels=32, stride=2),
        blocks=[
            dict(channels=64, stride=2, ops=['basic']),
            dict(channels=72, stride=2, ops=['basic'] * 2),
            dict(channels=176, stride=2, ops=['basic'] * 6),
            dict(channels=192, stride=1, ops=['basic'] * 3),
            dict(channels=288, stride=2, ops=['basic']),
            dict(channels=512, stride=1, ops=['basic']),
        ],
        act_cfg=dict(type='ReLU6')),
    head=dict(in_channels=512))

train_dataloader = dict(batch_size=128, num_workers=8)
val_dataloader = dict(batch_size=128, num_workers=8)
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=4e-5))
param_scheduler = dict(type='CosineAnnealingLR', T_max=240, eta_min=1e-4, by_epoch=True,
                       begin=0, end=240)
train_cfg = dict(by_epoch=True, max_epochs=240, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=1024)
