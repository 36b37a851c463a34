# Cityscapes evaluation of a searched DARTS cell (UnNAS supp. §B.2): the ImageNet evaluation
# network with (1) the last stride-2 layer (the second reduction cell) at stride 1, output stride
# 16, and (2) no global pooling or classifier but DeepLabv3's ASPP (mmseg's stock ASPPHead, rates
# 6/12/18 at output stride 16 plus image pooling, 256 channels) and bilinear upsampling to the full
# resolution, pixel-wise cross-entropy, mIoU. Where the paper is silent, as the released UnNAS
# segmentation evaluation: depth 12, width 78–86 per cell so that the cost matches
# (mmnas.unnas.EVAL_SIZES; 82 for DARTS_V2, 80 here for a searched cell), no auxiliary head and no
# dropout, 769×769 crops, batch 64 (8 GPUs × 8), Nesterov SGD (momentum 0.9, weight decay 1e-4) at
# lr 0.1 with a cosine decay to 0 over 2700 epochs of the 2975 training images (46 iterations each,
# the last partial batch dropped). The released network makes its second reduction a normal cell
# instead (one width doubling); UnNAS supp. §B.2's stride change keeps the doubling. mmseg's
# ASPPHead fuses with a 3×3 conv where the released one uses 1×1.
#   bash tools/dist_train.sh configs/unnas/darts-eval_cityscapes-769x769.py 8
_base_ = [
    'mmseg::_base_/models/deeplabv3_r50-d8.py',
    'mmseg::_base_/datasets/cityscapes_769x769.py', 'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py'
]

arch_spec = 'work_dirs/unnas-darts-search-rotation_1xb32_in1k/arch.json'
channels = 80
norm_cfg = dict(type='SyncBN', requires_grad=True)
crop_size = (769, 769)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(_delete_=True, type='mmnas.SearchedBackbone', arch_spec=arch_spec,
                  channels=channels, num_cells=12, stem='imagenet', last_reduction_stride=1,
                  norm_cfg=norm_cfg, affine=True, drop_path_rate=0.0, out_indices=[-1]),
    # 4 concatenated nodes × 4C after two doublings of the width, at 1/16.
    decode_head=dict(in_channels=16 * channels, in_index=0, channels=256,
                     dilations=(1, 6, 12, 18), dropout_ratio=0.0, norm_cfg=norm_cfg,
                     align_corners=True),
    auxiliary_head=None,
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(513, 513)))
val_evaluator = dict(
    _delete_=True, type='mmnas.MMEvalMetric', metric=dict(type='MeanIoU'), scale=100)
test_evaluator = val_evaluator
train_dataloader = dict(batch_size=8)
iters_per_epoch = 2975 // 64
max_iters = 2700 * iters_per_epoch
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=True),
    clip_grad=None)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=0.0, by_epoch=False, begin=0,
         end=max_iters)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=100 * iters_per_epoch)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=100 * iters_per_epoch))
