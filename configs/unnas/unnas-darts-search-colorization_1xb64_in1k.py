# UnNAS-DARTS on ImageNet-1K with the colorization pretext (UnNAS supp. §B.1): no labels; the
# network sees the lightness L (normalised as the released code does, (L/100 − 0.449)/0.226)
# and classifies every pixel's colour into one of Zhang et al.'s 313 in-gamut ab bins. The
# task is pixel-wise, so the model is mmseg's EncoderDecoder: the search network (1 input
# channel) and, as the released search head, a single 1×1 conv to the 313 classes (mmseg's
# stock FCNHead without convs), bilinearly upsampled to the crop for a pixel-wise
# cross-entropy. (ASPP belongs to the segmentation evaluation, not to this search.) Batch 64,
# weights lr 0.1, α lr 3e-4 (UnNAS supp. §B.1).
_base_ = ['./_base_/darts-search_in1k.py']

num_bins = 313  # len(mmnas.unnas.pretext.ab_bins())
color_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmnas.ColorizationPretext'),
    dict(type='mmseg.PackSegInputs'),
]
model = dict(
    _delete_=True,
    type='mmseg.EncoderDecoder',
    # L in [0, 100]; crops share one size (no padding); bin 255 exists, so the padding label
    # and the ignored one are num_bins.
    data_preprocessor=dict(type='mmseg.SegDataPreProcessor', mean=[44.9], std=[22.6],
                           bgr_to_rgb=False, size_divisor=1, pad_val=0, seg_pad_val=num_bins),
    backbone=dict(type='mmnas.DARTSCellNet', channels=16, num_cells=8, stem='imagenet',
                  in_channels=1),
    # 4 nodes × 4C after two reductions at C = 16; no convs: conv_seg is the 1×1 head.
    decode_head=dict(
        type='mmseg.FCNHead', in_channels=256, in_index=0, channels=256, num_convs=0,
        concat_input=False, dropout_ratio=0.0, num_classes=num_bins, ignore_index=num_bins,
        align_corners=True, norm_cfg=dict(type='BN', requires_grad=True),
        loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=color_pipeline)))
train_cfg = dict(arch_dataloader=dict(dataset=dict(dataset=dict(pipeline=color_pipeline))))
# The searched network's cost is counted on what it sees here: the lightness channel alone.
search_cfg = dict(input_shape=(1, 224, 224))
