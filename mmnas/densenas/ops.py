"""The operations of the DenseNAS search spaces, by name: the shared blocks of mmnas.models and
mmpretrain's ResNet blocks.

=================  ==============================================================
name               operation
=================  ==============================================================
``ir_k{k}_e{e}``   MobileNetV2 inverted residual (:class:`~mmnas.models.InvertedResidual`):
                   1×1 expansion to ``e·C_in`` (none for ``e = 1``), k×k depthwise,
                   linear 1×1 projection; identity shortcut when shapes allow
``basic``          ResNet basic block (mmpretrain ``BasicBlock``), projection shortcut
                   (1×1 conv + BN) when stride or width changes
``bottleneck``     ResNet bottleneck (mmpretrain ``Bottleneck``, expansion 4: the inner
                   width is ``C_out / 4``), projection shortcut as above
``conv_k{k}``      k×k convolution + BN + activation (:class:`~mmnas.models.ConvBNAct`;
                   stems and tails)
``skip``           identity; only where input and output shapes are equal
=================  ==============================================================
"""
import re
from typing import Optional

from mmcv.cnn import build_conv_layer, build_norm_layer
from mmpretrain.models.backbones.resnet import BasicBlock, Bottleneck
from torch import nn

from mmnas.models import ConvBNAct, InvertedResidual
from mmnas.utils.config_check import ConfigError

_IR = re.compile(r'ir_k(\d+)_e(\d+)$')
_CONV = re.compile(r'conv_k(\d+)$')


def _projection(in_channels: int, out_channels: int, stride: int, conv_cfg: Optional[dict],
                norm_cfg: dict) -> Optional[nn.Module]:
    """ResNet's shortcut: 1×1 conv + BN when the block changes shape, else identity."""
    if stride == 1 and in_channels == out_channels:
        return None
    return nn.Sequential(
        build_conv_layer(conv_cfg, in_channels, out_channels, 1, stride=stride, bias=False),
        build_norm_layer(norm_cfg, out_channels)[1])


def check_op_name(name: str) -> str:
    """``name`` if it names an operation of this module, else a :class:`ConfigError`."""
    if not isinstance(name, str) or not (_IR.match(name) or _CONV.match(name)
                                         or name in ('basic', 'bottleneck', 'skip')):
        raise ConfigError(f'DenseNAS operation {name!r}: expected ir_k<kernel>_e<expansion>, '
                          'basic, bottleneck, conv_k<kernel> or skip')
    return name


def build_op(name: str,
             in_channels: int,
             out_channels: int,
             stride: int = 1,
             norm_cfg: dict = dict(type='BN'),
             act_cfg: dict = dict(type='ReLU6'),
             conv_cfg: Optional[dict] = None) -> nn.Module:
    """The operation ``name`` mapping ``(N, in_channels, H, W)`` to
    ``(N, out_channels, ⌈H/stride⌉, ⌈W/stride⌉)``.

    ``act_cfg`` is used by inverted residuals and ``conv_k``; the ResNet blocks keep their own
    ReLU, as in mmpretrain's ResNet.
    """
    check_op_name(name)
    if name == 'skip':
        if stride != 1 or in_channels != out_channels:
            raise ConfigError(f'DenseNAS operation skip needs equal input and output shapes, '
                              f'got {in_channels}→{out_channels} channels at stride {stride}')
        return nn.Identity()
    ir = _IR.match(name)
    if ir:
        kernel, expansion = int(ir.group(1)), int(ir.group(2))
        return InvertedResidual(in_channels, out_channels, in_channels * expansion, kernel,
                                stride, conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
    conv = _CONV.match(name)
    if conv:
        kernel = int(conv.group(1))
        return ConvBNAct(in_channels, out_channels, kernel, stride, conv_cfg=conv_cfg,
                         norm_cfg=norm_cfg, act_cfg=act_cfg)
    block = BasicBlock if name == 'basic' else Bottleneck
    if name == 'bottleneck' and out_channels % 4:
        raise ConfigError(f'DenseNAS operation bottleneck: output width {out_channels} is not '
                          'a multiple of its expansion 4')
    return block(in_channels, out_channels, stride=stride,
                 downsample=_projection(in_channels, out_channels, stride, conv_cfg, norm_cfg),
                 conv_cfg=conv_cfg, norm_cfg=norm_cfg)
