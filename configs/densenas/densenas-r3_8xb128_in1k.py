# DenseNAS-R3 of DenseNAS supp. Table 1: bottlenecks (1×1, 3×3, 1×1 with 4× expansion), so each
# block's output width is 4× the table's inner width. mmengine counts 3.431 GFLOPs (the
# DenseNAS README: 3.41B). Schedule as DenseNAS-R1.
_base_ = ['./densenas-r1_8xb128_in1k.py']

model = dict(
    backbone=dict(blocks=[
        dict(channels=192, stride=2, ops=['bottleneck']),
        dict(channels=288, stride=2, ops=['bottleneck'] * 4),
        dict(channels=704, stride=2, ops=['bottleneck'] * 16),
        dict(channels=832, stride=1, ops=['bottleneck'] * 4),
        dict(channels=1152, stride=2, ops=['bottleneck'] * 2),
        dict(channels=2048, stride=1, ops=['bottleneck']),
    ]),
    head=dict(in_channels=2048))
