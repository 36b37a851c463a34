# The BigNAS single-stage model as the backbone of mmseg's stock FPN segmenter on Cityscapes:
# the same supernet, sandwich rule and inplace distillation as on ImageNet, here on per-pixel
# logits (the decode head's output; a child at a lower resolution learns the biggest child's
# map resized to its own). The backbone gives stages 1, 2, 4, 6 (strides 4, 8, 16, 32).
#
#   bash tools/dist_train.sh configs/bignas/bignas-supernet_fpn_8xb2-80k_cityscapes-512x1024.py 8
_base_ = [
    'mmseg::_base_/models/fpn_r50.py', 'mmseg::_base_/datasets/cityscapes.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py'
]

crop_size = (512, 1024)
# The design note's space; input short side elastic around the 512 crop.
search_space = dict(
    resolution=(384, 448, 512),
    first_conv=dict(width=(16, 24)),
    stages=[
        dict(width=(16, 24), depth=(1, 2), kernel=(3, 5), expand=(1, ), stride=1, se=False),
        dict(width=(24, 32), depth=(3, 4, 5), kernel=(3, 5), expand=(4, 5, 6), stride=2,
             se=False),
        dict(width=(32, 40), depth=(3, 4, 5, 6), kernel=(3, 5), expand=(4, 5, 6), stride=2,
             se=True),
        dict(width=(64, 72), depth=(3, 4, 5, 6), kernel=(3, 5), expand=(4, 5, 6), stride=2,
             se=False),
        dict(width=(112, 120, 128), depth=(3, 4, 5, 6, 7, 8), kernel=(3, 5), expand=(4, 5, 6),
             stride=1, se=True),
        dict(width=(192, 200, 208, 216), depth=(3, 4, 5, 6, 7, 8), kernel=(3, 5), expand=(6, ),
             stride=2, se=True),
        dict(width=(216, 224), depth=(1, 2), kernel=(3, 5), expand=(6, ), stride=1, se=True),
    ],
    last_conv=dict(width=(1792, 1984)))
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        _delete_=True,
        type='mmnas.BigNASSuperNet',
        search_space=search_space,
        out_indices=(1, 2, 4, 6),
        drop_path_rate=0.2),
    neck=dict(in_channels=[32, 40, 128, 224]),
    decode_head=dict(num_classes=19))

# Weight decay in the sandwich rule (biggest child only), none in the optimizer.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0),
    clip_grad=dict(_delete_=True, type='value', clip_value=1.0))
# Down to 5% of the initial rate at 60% of training, then constant (BigNAS supp. §B).
param_scheduler = [
    dict(type='mmnas.ExpDecayConstantEndLR', gamma=0.05**(1 / 48000), end_factor=0.05,
         by_epoch=False, begin=0, end=80000)
]
train_cfg = dict(
    _delete_=True,
    type='mmnas.SandwichTrainLoop',
    max_iters=80000,
    val_interval=8000,
    num_random=2,
    distill_loss=dict(type='mmnas.SoftTargetKLDivLoss', tau=1.0),
    prediction='decode_head',
    weight_decay=5e-4,
    seed=0)
val_cfg = dict(_delete_=True, type='mmnas.ChildrenValLoop', children=('max', 'min'),
               num_bn_batches=64)
# The random states (dropout, drop-path, augmentation) in each checkpoint: --resume continues
# bit-identically.
default_hooks = dict(rng_state=dict(type='mmnas.RNGStateHook'))
