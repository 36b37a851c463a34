# HR-NAS supp. §3 ablation (Cityscapes, 512x1024): HR-NAS-A's Cityscapes run (hrnas-a_cityscapes.py)
# with only the context path of the identity-residual searching blocks changed. The paper
# ablates on a searched network (main paper Table 6, multi-branch + MixConv space) whose
# architecture and penalty λ it does not give, so the paper config's supernet and λ stand in.
# Row 'Non-local [15]' of HR-NAS supp. Table 2: mmcv's embedded-Gaussian NonLocal2d (C/2 inner
# channels). The paper does not say how it keeps the block affordable on the stride-4 maps;
# here keys and values are 2x2 max-pooled (mmcv's sub_sample), so the FLOPs differ from the
# published ones.
_base_ = ['../hrnas-a_cityscapes.py']

model = dict(
    backbone=dict(
        context=dict(_delete_=True, type='NonLocal2d', reduction=2, use_scale=True,
                     mode='embedded_gaussian', sub_sample=True)))
