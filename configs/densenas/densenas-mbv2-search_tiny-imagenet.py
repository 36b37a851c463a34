# The released MobileNetV2 space's shape scaled down for the tiny ImageNet-style set (10
# classes, 32×32 crops), for the demo and the tests: the same stages, strides, block counts,
# connection rule (4 per block) and searched heads over the six inverted residuals, at about
# half the widths, one searched layer per block instead of three and a 128-wide ending block;
# weights only for 2 of 8 epochs, then architecture and weight epochs alternate; the derived
# network is validated and the best two kept from epoch 5 on; FLOPs as the cost.
#   python tools/train.py configs/densenas/densenas-mbv2-search_tiny-imagenet.py
#   python tools/search.py configs/densenas/densenas-mbv2-search_tiny-imagenet.py \
#       work_dirs/densenas-mbv2-search_tiny-imagenet/epoch_8.pth
_base_ = ['./densenas-mbv2-search_4xb88_in100.py']

data_root = 'data/tiny/imagenet'
num_classes = 10
cost_cfg = dict(table=None, metric='flops', batch_size=8, input_shape=(3, 32, 32))


space = dict(
    stem=dict(channels=8, stride=2, op='ir_k3_e1', op_channels=8),
    blocks=[
        dict(channels=12, stride=4, stage=1, num_layers=1),
        dict(channels=16, stride=8, stage=2, num_layers=1),
        dict(channels=20, stride=8, stage=2, num_layers=1),
        dict(channels=24, stride=8, stage=2, num_layers=1),
        dict(channels=28, stride=16, stage=3, num_layers=1),
        dict(channels=32, stride=16, stage=3, num_layers=1),
        dict(channels=36, stride=16, stage=3, num_layers=1),
        dict(channels=48, stride=16, stage=4, num_layers=1),
        dict(channels=56, stride=16, stage=4, num_layers=1),
        dict(channels=64, stride=16, stage=4, num_layers=1),
        dict(channels=80, stride=32, stage=5, num_layers=1),
        dict(channels=88, stride=32, stage=5, num_layers=1),
        dict(channels=96, stride=32, stage=5, num_layers=1),
        dict(channels=160, stride=32, stage=6, num_layers=0),
        dict(channels=176, stride=32, stage=6, num_layers=0),
        dict(channels=192, stride=32, stage=6, num_layers=0),
        dict(channels=128, stride=32, stage=7, num_layers=0, head_op='conv_k1'),
    ],
    head_op=('ir_k3_e3', 'ir_k3_e6', 'ir_k5_e3', 'ir_k5_e6', 'ir_k7_e3', 'ir_k7_e6'),
    candidate_ops=('ir_k3_e3', 'ir_k3_e6', 'ir_k5_e3', 'ir_k5_e6', 'ir_k7_e3', 'ir_k7_e6',
                   'skip'),
    max_connections=4,
    temperature=1.0,
    act_cfg=dict(type='ReLU6'))
model = dict(
    backbone=dict(_delete_=True, type='mmnas.DenseNASRouted', search_space=space,
                  norm_cfg=dict(type='BN', affine=False)),
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
tiny = dict(type='mmpretrain.ImageNet', data_root=data_root, split='train',
            classes=data_root + '/meta/classes.txt', pipeline=train_pipeline)
train_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(dataset=dict(_delete_=True, **tiny)))
val_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(dataset=dict(_delete_=True, **dict(tiny, pipeline=test_pipeline))))
test_dataloader = val_dataloader
train_cfg = dict(
    max_epochs=8,
    arch_start=2,
    val_begin=6,
    val_interval=1,
    arch_dataloader=dict(batch_size=16, num_workers=0, persistent_workers=False,
                         dataset=dict(dataset=dict(_delete_=True, **tiny))),
    # τ in MFLOPs: the tiny supernet's expected cost is about 1 MFLOP, so the cost term's pull
    # is λ / ln(τ) per relative change of the cost, as at the scale of DenseNAS supp..
    arch_updater=dict(cost_cfg=cost_cfg, tau=30.0))
# Faster architecture moves than DenseNAS supp.'s 3e-4 so that 6 short epochs show a choice.
optim_wrapper = dict(
    weights=dict(optimizer=dict(lr=0.1)), architecture=dict(optimizer=dict(lr=3e-2)))
param_scheduler = dict(
    weights=[dict(type='CosineAnnealingLR', T_max=8, eta_min=1e-4, by_epoch=True, begin=0,
                  end=8)])
auto_scale_lr = dict(base_batch_size=16)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=8, max_keep_ckpts=1))
custom_hooks = [dict(type='mmnas.DenseNASTopKHook', start_epoch=5, k=2, input_shape=(3, 32, 32))]
search_cfg = dict(type='mmnas.DeriveArchLoop', input_shape=(3, 32, 32))
