# HR-NAS supp. §3 ablation (Cityscapes, 512x1024): HR-NAS-A's Cityscapes run (hrnas-a_cityscapes.py)
# with only the context path of the identity-residual searching blocks changed. The paper
# ablates on a searched network (main paper Table 6, multi-branch + MixConv space) whose
# architecture and penalty λ it does not give, so the paper config's supernet and λ stand in.
# Row 'Baseline' of HR-NAS supp. Tables 1-2: no context path.
_base_ = ['../hrnas-a_cityscapes.py']

model = dict(backbone=dict(context=None))
