# The paper's supernet (HR-NAS supp. §2: stem of two stride-2 3x3 convolutions with 24 channels,
# five parallel modules with 1, 2, 3, 4, 4 branches of 18/36/72/144 channels, searching blocks with
# kernels 3/5/7 at expansion 4, lightweight transformers with n = 8 tokens on s = 8 maps) in
# mmseg's EncoderDecoder, with an FCN head on the concatenated branches (90 channels).
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
    decode_head=dict(in_channels=[18, 36, 72, 144], channels=90, norm_cfg=norm_cfg))
