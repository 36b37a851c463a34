# The paper's supernet (HR-NAS supp. §2: stem of two stride-2 3x3 convolutions with 24 channels,
# five parallel modules with 1, 2, 3, 4, 4 branches of 18/36/72/144 channels, searching blocks with
# kernels 3/5/7 at expansion 4, lightweight transformers with n = 8 tokens on s = 8 maps) in
# mmseg's EncoderDecoder, with the searched head of the authors' released code (the paper does
# not describe it): all branches resized to stride 4 and concatenated (270 channels), one
# searching block to 90 channels (expansion 4, shrunk with the backbone), a 1x1 classifier,
# no dropout.
_base_ = ['mmseg::_base_/models/fcn_hr18.py']

norm_cfg = dict(type='SyncBN', momentum=0.01, eps=1e-3, requires_grad=True)
model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmnas.HRNASSuperNet',
        expand_ratio=4,
        kernel_sizes=(3, 5, 7),
        context=dict(type='mmnas.LightweightTransformer', num_tokens=8, proj_size=8),
        norm_cfg=norm_cfg),
    decode_head=dict(
        _delete_=True,
        type='mmnas.HRNASSegHead',
        in_channels=[18, 36, 72, 144],
        channels=90,
        kernel_sizes=(3, 5, 7),
        expand_ratio=4,
        dropout_ratio=0.0,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
