# A BigNAS child exported by tools/search.py (arch.json + searched.pth), as a standalone static
# network in mmpretrain's stock classifier, trained and tested with the stock loops.
#
#   python tools/test.py configs/bignas/bignas-child_in1k.py \
#       work_dirs/bignas-search_in1k/searched.pth
#   python tools/train.py configs/bignas/bignas-child_in1k.py \
#       --cfg-options load_from=work_dirs/bignas-search_in1k/searched.pth   # optional fine-tuning
#
# BigNAS's children need no retraining (BigNAS supp. §A); fine-tuning is there to compare.
_base_ = ['./bignas-supernet_8xb128_in1k.py']

arch_spec = 'work_dirs/bignas-search_in1k/arch.json'
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmnas.SearchedBackbone',
        arch_spec=arch_spec,
        # As the biggest child of the supernet: dropout and drop-path when training alone.
        drop_path_rate=0.2,
        dropout_rate=0.2))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-5),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=None)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=30, by_epoch=True, eta_min=0.0)]
train_cfg = dict(_delete_=True, by_epoch=True, max_epochs=30, val_interval=1)
val_cfg = dict(_delete_=True)
test_cfg = dict(_delete_=True)
