# The jigsaw-pretext DARTS search on the tiny ImageNet-style set (demo and tests): 2×2 tiles
# of 32×32 crops (12-pixel tiles), all 24 permutations, the search network of
# unnas-darts-search-rotation_tiny-imagenet.py shared by the tiles.
#   python tools/train.py configs/unnas/unnas-darts-search-jigsaw_tiny-imagenet.py
#   python tools/search.py configs/unnas/unnas-darts-search-jigsaw_tiny-imagenet.py \
#       work_dirs/unnas-darts-search-jigsaw_tiny-imagenet/epoch_4.pth
_base_ = ['./unnas-darts-search-jigsaw_1xb32_in1k.py']

data_root = 'data/tiny/imagenet'
max_epochs = 4
grid = 2
num_tiles = grid * grid
num_permutations = 24
tiny_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0), backend='pillow'),
    dict(type='RandomGrayscale', prob=0.3, keep_channels=True),
    dict(type='mmnas.JigsawPretext', grid=grid, num_permutations=num_permutations,
         tile_ratio=0.76, mean={{_base_.bgr_mean}}, std={{_base_.bgr_std}}),
    dict(type='PackInputs'),
]
tiny = dict(type='ImageNet', data_root=data_root, split='train',
            classes=data_root + '/meta/classes.txt', pipeline=tiny_pipeline)
data_preprocessor = dict(num_tiles=num_tiles, num_classes=num_permutations)
model = dict(backbone=dict(channels=8, num_cells=4, stem='cifar'),
             neck=[dict(type='GlobalAveragePooling'),
                   dict(type='mmnas.TileConcatNeck', num_tiles=num_tiles)],
             head=dict(num_classes=num_permutations, in_channels=num_tiles * 128))
loader = dict(batch_size=8, num_workers=0, persistent_workers=False,
              dataset=dict(dataset=dict(_delete_=True, **tiny)))
train_dataloader = loader
train_cfg = dict(max_epochs=max_epochs, arch_dataloader=loader)
optim_wrapper = dict(weights=dict(optimizer=dict(lr=0.05)),
                     architecture=dict(optimizer=dict(lr=3e-2)))
param_scheduler = dict(
    weights=[dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0.0, by_epoch=True,
                  begin=0, end=max_epochs, convert_to_iter_based=True)])
auto_scale_lr = dict(base_batch_size=8)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=max_epochs))
search_cfg = dict(input_shape=(3, 12, 12))
