# UnNAS-DARTS on Cityscapes with the colorization pretext (UnNAS supp. §B.1): no labels; from L,
# each pixel's colour among the 313 ab bins with the released 1×1 conv head (see
# unnas-darts-search-colorization_1xb64_in1k.py), on the Cityscapes search network of
# nas-darts-search_8xb4_cityscapes.py.
_base_ = ['./nas-darts-search_8xb4_cityscapes.py']

num_bins = 313  # len(mmnas.unnas.pretext.ab_bins())
color_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmnas.ColorizationPretext'),
    dict(type='PackSegInputs'),
]
model = dict(
    data_preprocessor=dict(mean=[44.9], std=[22.6], bgr_to_rgb=False, seg_pad_val=num_bins),
    backbone=dict(in_channels=1),
    # 4 nodes × 2C after the one reduction at C = 16.
    decode_head=dict(_delete_=True, type='FCNHead', in_channels=128, in_index=0, channels=128,
                     num_convs=0, concat_input=False, dropout_ratio=0.0,
                     num_classes=num_bins, ignore_index=num_bins, align_corners=True,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False,
                                      loss_weight=1.0)))
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=color_pipeline)))
train_cfg = dict(arch_dataloader=dict(dataset=dict(dataset=dict(pipeline=color_pipeline))))
search_cfg = dict(input_shape=(1, 512, 1024))
