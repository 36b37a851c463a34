# HR-NAS supp. §3 ablation (Cityscapes, 512x1024): HR-NAS-A's Cityscapes run (hrnas-a_cityscapes.py)
# with only the context path of the identity-residual searching blocks changed. The paper
# ablates on a searched network (main paper Table 6, multi-branch + MixConv space) whose
# architecture and penalty λ it does not give, so the paper config's supernet and λ stand in.
# Row 'Enc (spatial)' of HR-NAS supp. Table 2: lightweight transformer with n = 8, s = 8,
# encoder only, spatial tokens.
_base_ = ['../hrnas-a_cityscapes.py']

model = dict(
    backbone=dict(
        context=dict(_delete_=True, type='mmnas.LightweightTransformer', num_tokens=8,
                     proj_size=8, tokens='spatial', use_decoder=False)))
