"""The two DenseNAS search spaces (the ``search_space`` presets of :class:`DenseNASRouted`).

A space is a dict:

- ``stem``: ``dict(channels=C, stride=s, op=name or None, op_channels=C')``: a 3×3
  convolution to ``C`` at stride ``s``, then optionally one fixed operation to ``C'``; its
  output is the input block B_0.
- ``blocks``: the routing blocks B_1..B_N and, last, the ending block B_{N+1} that every path
  reaches: ``dict(channels, stride, stage, num_layers)`` each (``stride`` with respect to the
  input image), optionally ``head_op`` to override the space's.
- ``head_op``: the shape-alignment operation on every connection (stride 1 or 2).
- ``candidate_ops``: the candidates of every basic layer.
- ``max_connections``: M, how many following blocks a block connects to; a connection also
  needs the target at most one ``stage`` later and at most one halving of resolution.
- ``temperature``: of the softmax over a block's outgoing β.
- ``act_cfg``: activation of the inverted residuals and convolutions.
"""
from typing import List

MBV2_OPS = ('ir_k3_e3', 'ir_k3_e6', 'ir_k5_e3', 'ir_k5_e6', 'ir_k7_e3', 'ir_k7_e6', 'skip')


def _stage(channels: List[int], stride: int, stage: int, num_layers: int) -> List[dict]:
    return [dict(channels=c, stride=stride, stage=stage, num_layers=num_layers)
            for c in channels]


#: MobileNetV2-based space (DenseNAS supp. Sec. 3, design notes): stem 3×3/2 to 32 then an inverted
#: residual (k3, e1) to 16; 17 routing blocks of widths 24…384 over strides 4…32; a 1×1
#: convolution to 1984 as the ending block.
MBV2_SPACE = dict(
    stem=dict(channels=32, stride=2, op='ir_k3_e1', op_channels=16),
    blocks=(_stage([24, 32], 4, 1, 2) + _stage([32, 40, 48], 8, 2, 3)
            + _stage([64, 72, 80, 96], 16, 3, 3) + _stage([112, 128, 160], 16, 4, 3)
            + _stage([192, 224, 256], 32, 5, 3) + _stage([320, 384], 32, 6, 1)
            + [dict(channels=1984, stride=32, stage=7, num_layers=0, head_op='conv_k1')]),
    head_op='ir_k3_e3',
    candidate_ops=MBV2_OPS,
    max_connections=4,
    temperature=1.0,
    act_cfg=dict(type='ReLU6'))

#: ResNet-based space (DenseNAS supp. A.4): basic block or skip in every basic layer, so width (which
#: blocks) and depth (how many layers are not skipped) are searched. Stem 3×3/2 to 32 as in
#: DenseNAS supp. Table 1; the ending block is a 512-wide basic block at stride 32.
RESNET_SPACE = dict(
    stem=dict(channels=32, stride=2, op=None),
    blocks=(_stage([48, 56, 64], 4, 1, 2) + _stage([72, 96, 112, 128], 8, 2, 4)
            + _stage([176, 192, 208, 240], 16, 3, 16) + _stage([288, 384, 448], 32, 4, 2)
            + [dict(channels=512, stride=32, stage=5, num_layers=0)]),
    head_op='basic',
    candidate_ops=('basic', 'skip'),
    max_connections=4,
    temperature=0.9,
    act_cfg=dict(type='ReLU'))

SPACES = dict(mbv2=MBV2_SPACE, resnet=RESNET_SPACE)
