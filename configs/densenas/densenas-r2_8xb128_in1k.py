# DenseNAS-R2 of DenseNAS supp. Table 1 (basic blocks); mmengine counts 3.065 GFLOPs (the
# DenseNAS README: 3.06B). Schedule as DenseNAS-R1.
_base_ = ['./densenas-r1_8xb128_in1k.py']

model = dict(
    backbone=dict(blocks=[
        dict(channels=48, stride=2, ops=['basic']),
        dict(channels=72, stride=2, ops=['basic'] * 4),
        dict(channels=176, stride=2, ops=['basic'] * 16),
        dict(channels=208, stride=1, ops=['basic'] * 4),
        dict(channels=288, stride=2, ops=['basic'] * 2),
        dict(channels=512, stride=1, ops=['basic']),
    ]))
