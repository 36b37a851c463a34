# ImageNet-1K evaluation of a searched DARTS cell (UnNAS supp. §B.2, "the network used in IN1K
# classification"), as the released UnNAS evaluation trains it (DARTS's mobile setting): the
# genotype of a search's arch.json as a 14-cell DARTSNet in mmpretrain's ImageClassifier with
# DARTS's auxiliary classifier on the second reduction cell (loss weight 0.4), 250 epochs of
# Nesterov SGD (momentum 0.9, weight decay 3e-5, no gradient clipping) at lr 0.5 for batch
# 1024 (8 GPUs × 128), label smoothing 0.1, and the released schedule set once per epoch:
# cosine over all 250 epochs times a linear warm-up factor from 0.1 over the first 5; the
# drop-path rate rises linearly from 0 to the backbone's drop_path_rate (released: 0).
# The released evaluation matches FLOPs by the width: 48 for DARTS_V2, 42–54 for the UnNAS
# cells (mmnas.unnas.EVAL_SIZES; `python -m mmnas.unnas.table` prints them with their cost);
# darts-eval-zoo_8xb128_in1k.py evaluates a zoo cell at its released width.
#   python tools/search.py configs/unnas/unnas-darts-search-rotation_1xb32_in1k.py \
#       work_dirs/unnas-darts-search-rotation_1xb32_in1k/epoch_2.pth
#   bash tools/dist_train.sh configs/unnas/darts-eval_8xb128_in1k.py 8
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs64.py',
    'mmpretrain::_base_/default_runtime.py'
]

arch_spec = 'work_dirs/unnas-darts-search-rotation_1xb32_in1k/arch.json'
channels = 48
num_cells = 14
model = dict(
    type='ImageClassifier',
    # The genotype from the spec, at the evaluation network's size; the second reduction
    # cell (2 · 14 // 3) feeds the auxiliary classifier, the last one the main classifier.
    backbone=dict(type='mmnas.SearchedBackbone', arch_spec=arch_spec, channels=channels,
                  num_cells=num_cells, stem='imagenet', drop_path_rate=0.0,
                  norm_cfg=dict(type='SyncBN'), affine=True,
                  out_indices=[2 * num_cells // 3, -1]),
    # No neck: the head pools the last map itself and needs the auxiliary map at 7×7.
    # 4 concatenated nodes × 4C after two reductions, for both maps.
    head=dict(type='mmnas.DARTSAuxClsHead', num_classes=1000, in_channels=16 * channels,
              aux_in_channels=16 * channels, aux_weight=0.4, aux_stem='imagenet',
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
warmup_epochs = 5
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=3e-5, nesterov=True))
param_scheduler = [
    # Both active together: mmengine multiplies them. The warm-up factor reaches 1 at epoch
    # `warmup_epochs`, hence the end one epoch later.
    dict(type='LinearLR', start_factor=0.1, end_factor=1.0, by_epoch=True, begin=0,
         end=warmup_epochs + 1),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0.0, by_epoch=True, begin=0,
         end=max_epochs),
]
custom_hooks = [dict(type='mmnas.DropPathScheduleHook')]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=1024)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=3,
                                     save_best='auto'))
