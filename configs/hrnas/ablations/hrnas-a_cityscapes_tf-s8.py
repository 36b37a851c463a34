# HR-NAS supp. §3 ablation (Cityscapes, 512x1024): HR-NAS-A's Cityscapes run (hrnas-a_cityscapes.py)
# with only the context path of the identity-residual searching blocks changed. The paper
# ablates on a searched network (main paper Table 6, multi-branch + MixConv space) whose
# architecture and penalty λ it does not give, so the paper config's supernet and λ stand in.
# Row '8x8' of HR-NAS supp. Table 1: lightweight transformer, n = 8 tokens projected to
# s x s = 8x8 maps, encoder + decoder, channel tokens.
# s = 8 with encoder + decoder on channel tokens is the paper's transformer (also row
# 'Enc + Dec (channel)' of Table 2).
_base_ = ['../hrnas-a_cityscapes.py']

model = dict(
    backbone=dict(
        context=dict(_delete_=True, type='mmnas.LightweightTransformer', num_tokens=8,
                     proj_size=8, tokens='channel', use_decoder=True)))
