# The colorization-pretext DARTS search on the tiny ImageNet-style set (demo and tests): the
# search network of unnas-darts-search-rotation_tiny-imagenet.py with the 1×1 conv head over
# the 313 colour bins, on 16×16 crops.
#   python tools/train.py configs/unnas/unnas-darts-search-colorization_tiny-imagenet.py
#   python tools/search.py configs/unnas/unnas-darts-search-colorization_tiny-imagenet.py \
#       work_dirs/unnas-darts-search-colorization_tiny-imagenet/epoch_4.pth
_base_ = ['./unnas-darts-search-colorization_1xb64_in1k.py']

data_root = 'data/tiny/imagenet'
max_epochs = 4
tiny_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=16, crop_ratio_range=(0.5, 1.0), backend='pillow'),
    dict(type='mmnas.ColorizationPretext'),
    dict(type='mmseg.PackSegInputs'),
]
tiny = dict(type='ImageNet', data_root=data_root, split='train',
            classes=data_root + '/meta/classes.txt', pipeline=tiny_pipeline)
model = dict(backbone=dict(channels=8, num_cells=4, stem='cifar'),
             decode_head=dict(in_channels=128, channels=128))
loader = dict(batch_size=16, num_workers=0, persistent_workers=False,
              dataset=dict(dataset=dict(_delete_=True, **tiny)))
train_dataloader = loader
train_cfg = dict(max_epochs=max_epochs, arch_dataloader=loader)
optim_wrapper = dict(weights=dict(optimizer=dict(lr=0.05)),
                     architecture=dict(optimizer=dict(lr=3e-2)))
param_scheduler = dict(
    weights=[dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0.0, by_epoch=True,
                  begin=0, end=max_epochs, convert_to_iter_based=True)])
auto_scale_lr = dict(base_batch_size=16)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=max_epochs))
search_cfg = dict(input_shape=(1, 16, 16))
