# Cityscapes evaluation of a searched DARTS cell (seed §B.2): the ImageNet evaluation network
# with (1) the last stride-2 layer (the second reduction cell) at stride 1, output stride 16,
# and (2) no global pooling or classifier but DeepLabv3's ASPP (mmseg's stock ASPPHead, rates
# 6/12/18 at output stride 16 plus image pooling, 256 channels) and bilinear upsampling to the
# full resolution, pixel-wise cross-entropy, mIoU. Depth 12 and width 80 as the released
# evaluation network (78–82); 769×769 crops and mmseg's stock 80k-iteration DeepLabv3 schedule.
#   bash tools/dist_train.sh configs/unnas/darts-eval_cityscapes-769x769.py 4
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
                     dilations=(1, 6, 12, 18), norm_cfg=norm_cfg, align_corners=True),
    auxiliary_head=None,
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(513, 513)))
val_evaluator = dict(
    _delete_=True, type='mmnas.MMEvalMetric', metric=dict(type='MeanIoU'), scale=100)
test_evaluator = val_evaluator
