# The colorization pretext as an evaluation task (UnNAS's sample-based experiments): the fixed
# DARTSNet of darts-eval_tiny-imagenet.py on the lightness L of tiny ImageNet-style images,
# classifying each pixel's ab colour into Zhang et al.'s 313 bins, no labels (as
# unnas-darts-search-colorization_tiny-imagenet.py and the released colorization network: mmseg's
# EncoderDecoder with a 1×1 conv head upsampled to the crop). Validated by the pixel accuracy of
# mmeval's MeanIoU (aAcc). tools/rank_correlation.py --pretext colorization trains it next to
# darts-eval_tiny-imagenet.py for every sampled genotype.
#   python tools/train.py configs/unnas/darts-eval-colorization_tiny-imagenet.py
_base_ = ['./darts-eval_tiny-imagenet.py']

num_bins = 313  # len(mmnas.unnas.pretext.ab_bins())
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0), backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmnas.ColorizationPretext'),
    dict(type='mmseg.PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=36, edge='short', backend='pillow'),
    dict(type='CenterCrop', crop_size=32),
    dict(type='mmnas.ColorizationPretext'),
    dict(type='mmseg.PackSegInputs'),
]
model = dict(
    _delete_=True,
    type='mmseg.EncoderDecoder',
    # L in [0, 100]; bin 255 exists, so the padding label and the ignored one are num_bins.
    data_preprocessor=dict(type='mmseg.SegDataPreProcessor', mean=[44.9], std=[22.6],
                           bgr_to_rgb=False, size_divisor=1, pad_val=0, seg_pad_val=num_bins),
    backbone=dict(type='mmnas.SearchedBackbone',
                  arch_spec='work_dirs/unnas-darts-search-rotation_tiny-imagenet/arch.json',
                  channels=16, num_cells=5, stem='cifar', in_channels=1,
                  norm_cfg=dict(type='BN'), affine=True),
    # 4 nodes × 4C after two reductions at C = 16.
    decode_head=dict(
        type='mmseg.FCNHead', in_channels=256, in_index=0, channels=256, num_convs=0,
        concat_input=False, dropout_ratio=0.0, num_classes=num_bins, ignore_index=num_bins,
        align_corners=True,
        norm_cfg=dict(type='BN', requires_grad=True),
        loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True, type='mmnas.MMEvalMetric',
    metric=dict(type='MeanIoU', num_classes=num_bins, ignore_index=num_bins), scale=100)
test_evaluator = val_evaluator
