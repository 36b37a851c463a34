# The child selected by bignas-search_tiny-imagenet.py (arch.json + searched.pth), as a
# standalone static network in mmpretrain's stock classifier on the tiny ImageNet-style set.
#   python tools/test.py configs/bignas/bignas-child_tiny-imagenet.py \
#       work_dirs/bignas-search_tiny-imagenet/searched.pth
_base_ = ['./bignas-supernet_tiny-imagenet.py']

arch_spec = 'work_dirs/bignas-search_tiny-imagenet/arch.json'
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmnas.SearchedBackbone',
        arch_spec=arch_spec,
        drop_path_rate=0.1,
        dropout_rate=0.1))
# Optional fine-tuning, as bignas-child_in1k.py: BigNAS's children need no retraining.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-5),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=None)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=10, by_epoch=True, eta_min=0.0)]
train_cfg = dict(_delete_=True, by_epoch=True, max_epochs=10, val_interval=10)
val_cfg = dict(_delete_=True)
test_cfg = dict(_delete_=True)
