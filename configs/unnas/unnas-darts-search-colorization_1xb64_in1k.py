# UnNAS-DARTS on ImageNet-1K with the colorization pretext (seed §B.1): no labels; the
# network sees the lightness L and classifies every pixel's colour into one of the 262
# in-gamut bins of a 10-wide ab grid. The task is pixel-wise, so the model is mmseg's
# EncoderDecoder: the search network (1 input channel) and an ASPP head with one atrous rate,
# 6, next to the 1×1 and image-pooling branches (the released search head), upsampled to the
# crop for a pixel-wise cross-entropy. Batch 64, weights lr 0.1, α lr 3e-4 (seed).
_base_ = ['./_base_/darts-search_in1k.py']

num_bins = 262  # len(mmnas.unnas.pretext.ab_bins(10)[0])
color_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmnas.ColorizationPretext', grid=10),
    dict(type='mmseg.PackSegInputs'),
]
model = dict(
    _delete_=True,
    type='mmseg.EncoderDecoder',
    # L in [0, 100]; crops share one size (no padding); bin 255 exists, so the padding label
    # and the ignored one are num_bins.
    data_preprocessor=dict(type='mmseg.SegDataPreProcessor', mean=[50.0], std=[25.0],
                           bgr_to_rgb=False, size_divisor=1, pad_val=0, seg_pad_val=num_bins),
    backbone=dict(type='mmnas.DARTSCellNet', channels=16, num_cells=8, stem='imagenet',
                  in_channels=1),
    decode_head=dict(
        type='mmseg.ASPPHead', in_channels=256, in_index=0, channels=128, dilations=(1, 6),
        dropout_ratio=0.0, num_classes=num_bins, ignore_index=num_bins, align_corners=False,
        norm_cfg=dict(type='BN', requires_grad=True),
        loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=color_pipeline)))
train_cfg = dict(arch_dataloader=dict(dataset=dict(dataset=dict(pipeline=color_pipeline))))
