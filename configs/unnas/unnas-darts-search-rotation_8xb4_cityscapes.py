# UnNAS-DARTS on Cityscapes with the rotation pretext (UnNAS supp. §B.1): no labels; the Cityscapes
# search network (12 cells, 16 channels, one reduction cell) classifies by which multiple of 90° an
# image crop was rotated (all four turns of every crop in the batch), in mmpretrain's
# ImageClassifier over the unlabelled leftImg8bit training images. The crops are square (512×512
# after mmseg's random rescale of the 2048×1024 frames) so that every rotation keeps the shape. The
# Cityscapes search schedule: 400 epochs at batch 32 (8 GPUs × 4), weights SGD lr 0.1 cosine,
# weight decay 3e-4, α from the start; the network derived from it is evaluated with
# darts-eval_cityscapes-769x769.py.
#   bash tools/dist_train.sh configs/unnas/unnas-darts-search-rotation_8xb4_cityscapes.py 8
#   python tools/search.py configs/unnas/unnas-darts-search-rotation_8xb4_cityscapes.py \
#       work_dirs/unnas-darts-search-rotation_8xb4_cityscapes/epoch_400.pth
_base_ = ['./unnas-darts-search-rotation_1xb32_in1k.py']

data_root = 'data/cityscapes'
crop_size = 512
rotation_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
images = dict(_delete_=True, type='CustomDataset', data_root=data_root,
              data_prefix='leftImg8bit/train',
              with_label=False, pipeline=rotation_pipeline)
model = dict(
    backbone=dict(num_cells=12, reduction_cells=[4]),
    # 4 nodes × 2C after the one reduction.
    head=dict(in_channels=128))
train_dataloader = dict(batch_size=4, dataset=dict(dataset=images))
train_cfg = dict(max_epochs=400, arch_start=0,
                 arch_dataloader=dict(batch_size=4, dataset=dict(dataset=images)))
optim_wrapper = dict(weights=dict(optimizer=dict(lr=0.1, weight_decay=3e-4)),
                     architecture=dict(optimizer=dict(lr=3e-4)))
param_scheduler = dict(
    weights=[dict(type='CosineAnnealingLR', T_max=400, eta_min=0.0, by_epoch=True, begin=0,
                  end=400, convert_to_iter_based=True)])
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(checkpoint=dict(interval=20))
search_cfg = dict(input_shape=(3, crop_size, crop_size))
