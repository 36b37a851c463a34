# UnNAS-DARTS on ImageNet-1K with the rotation pretext (UnNAS supp. §B.1): no labels; each image is
# rotated by 0, 90, 180 and 270°, all four in the batch as the released code does (so a batch of 32
# images is 128 inputs), and the network classifies the turn (4 ways). The search network does not
# fit batch 64 here, so batch and both learning rates are halved (UnNAS supp. §B.1: batch 32,
# weights lr 0.05, α lr 1.5e-4).
_base_ = ['./_base_/darts-search_in1k.py']

num_classes = 4
rotation_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
model = dict(head=dict(num_classes=num_classes))
data_preprocessor = dict(type='mmnas.RotationDataPreprocessor', num_classes=num_classes)
train_dataloader = dict(batch_size=32, dataset=dict(dataset=dict(pipeline=rotation_pipeline)))
train_cfg = dict(arch_dataloader=dict(batch_size=32,
                                      dataset=dict(dataset=dict(pipeline=rotation_pipeline))))
optim_wrapper = dict(weights=dict(optimizer=dict(lr=0.05)),
                     architecture=dict(optimizer=dict(lr=1.5e-4)))
auto_scale_lr = dict(base_batch_size=32)
