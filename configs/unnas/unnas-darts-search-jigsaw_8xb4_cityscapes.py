# UnNAS-DARTS on Cityscapes with the jigsaw pretext (UnNAS supp. §B.1): no labels; the Cityscapes
# search network (12 cells, 16 channels, one reduction cell) inside the jigsaw classifier of
# unnas-darts-search-jigsaw_1xb32_in1k.py, over the unlabelled leftImg8bit training images.
# As the released Cityscapes jigsaw: the frame's short side is rescaled to 321–1024 pixels, a
# 321×321 crop is cut into 3×3 cells of 107 pixels with an 81-pixel tile (0.76 of a cell) in
# each, shuffled by one of the 1000 released maximal-Hamming permutations (the rest as the
# ImageNet task). The
# Cityscapes search schedule: 400 epochs at batch 32 (8 GPUs × 4), weights SGD lr 0.1 cosine,
# weight decay 3e-4, α from the start.
#   bash tools/dist_train.sh configs/unnas/unnas-darts-search-jigsaw_8xb4_cityscapes.py 8
_base_ = ['./unnas-darts-search-jigsaw_1xb32_in1k.py']

data_root = 'data/cityscapes'
crop_size = 321
jigsaw_pipeline = [
    dict(type='LoadImageFromFile'),
    # Short side 512 × [0.627, 2]: from the 321 crop up to 1024.
    dict(type='RandomResize', scale=(1024, 512), ratio_range=(321 / 512, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomGrayscale', prob=0.3, keep_channels=True),
    dict(type='mmnas.JigsawPretext', grid=3, num_permutations=1000, tile_ratio=0.76,
         mean={{_base_.bgr_mean}}, std={{_base_.bgr_std}}),
    dict(type='PackInputs'),
]
images = dict(_delete_=True, type='CustomDataset', data_root=data_root,
              data_prefix='leftImg8bit/train', with_label=False, pipeline=jigsaw_pipeline)
model = dict(
    backbone=dict(num_cells=12, reduction_cells=[4]),
    # 9 tiles × (4 nodes × 2C after the one reduction).
    head=dict(in_channels=9 * 128))
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
search_cfg = dict(input_shape=(3, 81, 81))
