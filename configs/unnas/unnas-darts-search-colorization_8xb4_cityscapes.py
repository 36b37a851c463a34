# UnNAS-DARTS on Cityscapes with the colorization pretext (seed §B.1): no labels; from L,
# each pixel's colour among the 262 ab bins (see unnas-darts-search-colorization_1xb64_in1k.py),
# with the Cityscapes search network and head of nas-darts-search_8xb4_cityscapes.py.
_base_ = ['./nas-darts-search_8xb4_cityscapes.py']

num_bins = 262  # len(mmnas.unnas.pretext.ab_bins(10)[0])
color_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmnas.ColorizationPretext', grid=10),
    dict(type='PackSegInputs'),
]
model = dict(
    data_preprocessor=dict(mean=[50.0], std=[25.0], bgr_to_rgb=False, seg_pad_val=num_bins),
    backbone=dict(in_channels=1),
    decode_head=dict(num_classes=num_bins, ignore_index=num_bins))
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=color_pipeline)))
train_cfg = dict(arch_dataloader=dict(dataset=dict(dataset=dict(pipeline=color_pipeline))))
search_cfg = dict(input_shape=(1, 512, 1024))
