"""The two DenseNAS search spaces (the ``search_space`` presets of :class:`DenseNASRouted`),
as the authors' released search configurations lay them out.

A space is a dict:

- ``stem``: ``dict(channels=C, stride=s, op=name or None, op_channels=C')``: a 3×3
  convolution to ``C`` at stride ``s``, then optionally one fixed operation to ``C'``; its
  output is the input block B_0.
- ``blocks``: the routing blocks B_1..B_N and, last, the ending block B_{N+1} that every path
  reaches: ``dict(channels, stride, stage, num_layers)`` each (``stride`` with respect to the
  input image), optionally ``head_op`` to override the space's.
- ``head_op``: the shape-alignment operation on every connection (stride 1 or 2): one name
  (fixed), or a sequence of names, searched per connection as a mixed operation with its own
  α (DenseNAS supp. A.2: the head layer of a routing block is searched like a basic layer).
- ``candidate_ops``: the candidates of every basic layer.
- ``max_connections``: M, how many following blocks a block connects to, one number or one
  per stage of the source block; a connection also needs the target at most one ``stage``
  later and at most one halving of resolution.
- ``temperature``: T of the softmax over a block's outgoing β.
- ``act_cfg``: activation of the inverted residuals and convolutions (the stem's 3×3, the
  ending 1×1), in the supernet and in the derived network (the ResNet blocks keep their own
  ReLU).
- ``search_stem_act_cfg`` (default ``act_cfg``): the activation of the supernet's stem, where
  it differs from the derived network's.
- ``derive_ending`` (default ``True``): whether the derived network keeps the ending block;
  ``False`` ends it at the last routing block of the path (the released ResNet derivation
  drops the 1×1 convolution the supernet ends in).
"""
from typing import List, Sequence

MBV2_OPS = ('ir_k3_e3', 'ir_k3_e6', 'ir_k5_e3', 'ir_k5_e6', 'ir_k7_e3', 'ir_k7_e6', 'skip')
#: The six inverted residuals searched on every connection of the MobileNetV2 space.
MBV2_HEAD_OPS = MBV2_OPS[:-1]


def _stage(channels: Sequence[int], stride: int, stage: int, num_layers: int) -> List[dict]:
    return [dict(channels=c, stride=stride, stage=stage, num_layers=num_layers)
            for c in channels]


#: MobileNetV2-based space of the released search configuration (DenseNAS supp. A.1 and
#: Fig. 2): stem 3×3/2 to 16 then an inverted residual (k3, e1) to 16 (B_0, 112×112);
#: routing blocks 24 | 32, 40, 48 | 56, 64, 72 | 96, 112, 128 | 160, 176, 192 |
#: 320, 352, 384 (stages 1–6 at 56, 28, 14, 14, 7, 7) with three searched layers each,
#: none in stage 6; a 1×1 convolution to 1984 as the ending block. Every connection's head is
#: searched over the six inverted residuals; 4 connections per block; BN without affine
#: parameters during the search (the supernet's default norm_cfg).
MBV2_SPACE = dict(
    stem=dict(channels=16, stride=2, op='ir_k3_e1', op_channels=16),
    blocks=(_stage([24], 4, 1, 3) + _stage([32, 40, 48], 8, 2, 3)
            + _stage([56, 64, 72], 16, 3, 3) + _stage([96, 112, 128], 16, 4, 3)
            + _stage([160, 176, 192], 32, 5, 3) + _stage([320, 352, 384], 32, 6, 0)
            + [dict(channels=1984, stride=32, stage=7, num_layers=0, head_op='conv_k1')]),
    head_op=MBV2_HEAD_OPS,
    candidate_ops=MBV2_OPS,
    max_connections=4,
    temperature=1.0,
    act_cfg=dict(type='ReLU6'))

#: ResNet-based space of the released search configuration (DenseNAS supp. A.4): stem 3×3/2
#: to 32 (B_0); routing blocks 48, 56, 64 (56×56, no layers) | 72, 96, 112 (28×28, 5 layers)
#: | 128, 144, 160, 176 (14×14, 15 layers) | 192, 208, 224 (14×14, 5) | 240, 256, 272, 288
#: (7×7, 5) | 480, 496, 512 (7×7, 1); basic block or skip in every layer, a basic block on
#: every connection, 10 connections per block, T = 0.9. The supernet ends in a 1×1
#: convolution to 512 that the derived network drops. Activations as released (the paper is
#: silent): ReLU in the basic blocks and in the supernet's stem, ReLU6 after the ending 1×1
#: convolution and in the derived network's stem.
RESNET_SPACE = dict(
    stem=dict(channels=32, stride=2, op=None),
    blocks=(_stage([48, 56, 64], 4, 1, 0) + _stage([72, 96, 112], 8, 2, 5)
            + _stage([128, 144, 160, 176], 16, 3, 15) + _stage([192, 208, 224], 16, 4, 5)
            + _stage([240, 256, 272, 288], 32, 5, 5) + _stage([480, 496, 512], 32, 6, 1)
            + [dict(channels=512, stride=32, stage=7, num_layers=0, head_op='conv_k1')]),
    head_op='basic',
    candidate_ops=('basic', 'skip'),
    max_connections=10,
    temperature=0.9,
    act_cfg=dict(type='ReLU6'),
    search_stem_act_cfg=dict(type='ReLU'),
    derive_ending=False)

SPACES = dict(mbv2=MBV2_SPACE, resnet=RESNET_SPACE)
