# UnNAS-DARTS on ImageNet-1K with the jigsaw pretext (seed §B.1): no labels; a 225×225 crop
# is cut into 3×3 tiles of 0.76 of their 75-pixel cells, shuffled by one of 1000
# permutations of maximal Hamming distance, each tile standardised on its own; 30% of the
# images are made grey. Every tile passes through the shared search network; the pooled
# features of the 9 tiles are concatenated for a linear classifier over the permutations.
# Batch and both learning rates halved as the seed does where batch 64 does not fit (batch 32,
# weights lr 0.05, α lr 1.5e-4).
_base_ = ['./_base_/darts-search_in1k.py']

grid = 3
num_tiles = grid * grid
num_permutations = 1000
jigsaw_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=225),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomGrayscale', prob=0.3, keep_channels=True),
    dict(type='mmnas.JigsawPretext', grid=grid, num_permutations=num_permutations,
         tile_ratio=0.76),
    dict(type='PackInputs'),
]
# The tiles are standardised by the transform: no mean/std here.
data_preprocessor = dict(_delete_=True, type='mmnas.TileDataPreprocessor', num_tiles=num_tiles,
                         num_classes=num_permutations, to_rgb=True)
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
