# ImageNet-1K evaluation of a searched DARTS cell (seed §B.2, "the network used in IN1K
# classification"; DARTS's mobile setting as in the released UnNAS evaluation): the genotype
# of a search's arch.json as a 14-cell, 48-channel DARTSNet in mmpretrain's ImageClassifier,
# 250 epochs of SGD (momentum 0.9, weight decay 3e-5) at lr 0.5 for batch 1024 (8 GPUs × 128)
# with 5 linear warm-up epochs then cosine, label smoothing 0.1. (The released code matches
# FLOPs by a width of ~42 for some UnNAS cells: set `channels`.) DARTS's auxiliary head is
# not used.
#   python tools/search.py configs/unnas/unnas-darts-search-rotation_1xb32_in1k.py \
#       work_dirs/unnas-darts-search-rotation_1xb32_in1k/epoch_2.pth
#   bash tools/dist_train.sh configs/unnas/darts-eval_8xb128_in1k.py 8
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs64.py',
    'mmpretrain::_base_/default_runtime.py'
]

arch_spec = 'work_dirs/unnas-darts-search-rotation_1xb32_in1k/arch.json'
channels = 48
model = dict(
    type='ImageClassifier',
    # The genotype from the spec, at the evaluation network's size.
    backbone=dict(type='mmnas.SearchedBackbone', arch_spec=arch_spec, channels=channels,
                  num_cells=14, stem='imagenet', drop_path_rate=0.0,
                  norm_cfg=dict(type='SyncBN'), affine=True),
    neck=dict(type='GlobalAveragePooling'),
    # 4 concatenated nodes × 4C after two reductions.
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=16 * channels,
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
              topk=(1, 5)))
train_dataloader = dict(batch_size=128, num_workers=8)
val_dataloader = dict(batch_size=128, num_workers=8)
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True, type='mmnas.MMEvalMetric', metric=dict(type='Accuracy', topk=(1, 5)),
    scale=100)
test_evaluator = val_evaluator

max_epochs = 250
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=3e-5),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 5, eta_min=0.0, by_epoch=True, begin=5,
         end=max_epochs),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=1024)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=3,
                                     save_best='auto'))
