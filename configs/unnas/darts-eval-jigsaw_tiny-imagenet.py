# The jigsaw pretext as an evaluation task (UnNAS's sample-based experiments): the fixed
# DARTSNet of darts-eval_tiny-imagenet.py shared by the 2×2 tiles of a 32×32 crop, classifying
# which of the 24 permutations shuffled them (as unnas-darts-search-jigsaw_tiny-imagenet.py),
# no labels. tools/rank_correlation.py --pretext jigsaw trains it next to
# darts-eval_tiny-imagenet.py for every sampled genotype.
#   python tools/train.py configs/unnas/darts-eval-jigsaw_tiny-imagenet.py
_base_ = ['./darts-eval_tiny-imagenet.py']

grid = 2
num_tiles = grid * grid
num_permutations = 24
# ImageNet's mean and std (0–255) in BGR order, as loaded; the tiles stay BGR.
jigsaw = dict(type='mmnas.JigsawPretext', grid=grid, num_permutations=num_permutations,
              tile_ratio=0.76, mean=[103.53, 116.28, 123.675], std=[57.375, 57.12, 58.395])
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0), backend='pillow'),
    dict(type='RandomGrayscale', prob=0.3, keep_channels=True),
    jigsaw,
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=36, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size=32),
    jigsaw,
    dict(type='PackInputs'),
]
# The tiles are standardised by the transform: no mean/std here.
data_preprocessor = dict(_delete_=True, type='mmnas.TileDataPreprocessor', num_tiles=num_tiles,
                         num_classes=num_permutations, to_rgb=False)
model = dict(
    neck=[dict(type='GlobalAveragePooling'),
          dict(type='mmnas.TileConcatNeck', num_tiles=num_tiles)],
    # Per tile 4 nodes × 4C after two reductions at the base's C = 16.
    head=dict(num_classes=num_permutations, in_channels=num_tiles * 256))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
