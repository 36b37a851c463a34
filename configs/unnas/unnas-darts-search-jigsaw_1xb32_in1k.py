# UnNAS-DARTS on ImageNet-1K with the jigsaw pretext (UnNAS supp. §B.1), as the released task: no
# labels; the image's short side is scaled to 256 and a random 255×255 crop (centre crop for
# validation) is flipped, made grey for 30% of the images, normalised per channel by ImageNet's
# mean and std in the BGR order the released code feeds, and cut into 3×3 cells of 85 pixels with a
# random 64-pixel tile in each, each tile standardised on its own, shuffled by one of Noroozi &
# Favaro's 1000 maximal-Hamming permutations (the released set). (The released PCA lighting noise
# is not applied.) Every tile passes through the shared search network; the pooled features of the
# 9 tiles are concatenated for a linear classifier over the permutations. Batch and both learning
# rates halved as UnNAS supp. §B.1 does where batch 64 does not fit (batch 32, weights lr 0.05, α
# lr 1.5e-4).
_base_ = ['./_base_/darts-search_in1k.py']

grid = 3
num_tiles = grid * grid
num_permutations = 1000
crop_size = 255
# ImageNet's mean and std (0–255) in BGR order, as loaded.
bgr_mean = [103.53, 116.28, 123.675]
bgr_std = [57.375, 57.12, 58.395]
jigsaw_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomGrayscale', prob=0.3, keep_channels=True),
    dict(type='mmnas.JigsawPretext', grid=grid, num_permutations=num_permutations,
         tile_ratio=0.76, mean=bgr_mean, std=bgr_std),
    dict(type='PackInputs'),
]
# The transform normalises: no mean/std here, and BGR stays BGR as the released network sees.
data_preprocessor = dict(_delete_=True, type='mmnas.TileDataPreprocessor', num_tiles=num_tiles,
                         num_classes=num_permutations, to_rgb=False)
model = dict(
    neck=[dict(type='GlobalAveragePooling'),
          dict(type='mmnas.TileConcatNeck', num_tiles=num_tiles)],
    head=dict(num_classes=num_permutations, in_channels=num_tiles * 256))
train_dataloader = dict(batch_size=32, dataset=dict(dataset=dict(pipeline=jigsaw_pipeline)))
train_cfg = dict(arch_dataloader=dict(batch_size=32,
                                      dataset=dict(dataset=dict(pipeline=jigsaw_pipeline))))
optim_wrapper = dict(weights=dict(optimizer=dict(lr=0.05)),
                     architecture=dict(optimizer=dict(lr=1.5e-4)))
auto_scale_lr = dict(base_batch_size=32)
