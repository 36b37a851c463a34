"""Bricks of mobile networks built from the elastic layers, or from static layers of the same
parameter names (``elastic=False``), so that a child's state dict is a slice of its supernet's
(:func:`~mmnas.models.ops.slice_state_dict`).

- :class:`ElasticConvBNAct`: conv → [BN] → [activation].
- :class:`ElasticSqueezeExcitation`: squeeze-and-excitation with a sigmoid or hard-sigmoid
  gate.

Their static counterparts of other parameter names (mmcv's ``ConvModule`` layout) are
:mod:`mmnas.models.layers`; both take their gates from :data:`SE_GATES`.
- :class:`Shortcut`: the residual path of an inverted residual block whose input and output
  may differ in size and channels.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer
from torch import Tensor, nn

from .elastic import ElasticBatchNorm2d, ElasticConv2d

#: Squeeze-and-excitation gates: ``sigmoid`` (SE-Net), ``hard_sigmoid`` = ``relu6(x + 3) / 6``
#: (MobileNetV3 §5.2, what AttentiveNAS's released SE layers use).
SE_GATES = dict(sigmoid=torch.sigmoid, hard_sigmoid=F.hardsigmoid)


class ElasticConvBNAct(nn.Module):
    """conv → BN (``norm=True``) → activation (``act_cfg``), elastic or static.

    Shapes: ``(N, C_in, H, W) → (N, C_out, H / stride, W / stride)``.

    Args:
        in_channels, out_channels: largest widths (the static layer's widths).
        kernel_size: largest (odd) kernel; "same" padding ``k // 2``.
        stride: stride.
        depthwise: one filter per channel.
        act_cfg: mmcv activation config, ``None`` for none.
        norm: BatchNorm after the conv (a conv without BN has no bias either, as in the
            feature-mixing layer of MobileNetV3's head).
        elastic: elastic layers (:class:`ElasticConv2d`, :class:`ElasticBatchNorm2d`) or
            ``nn.Conv2d`` / ``nn.BatchNorm2d``.
        bn_eps, bn_momentum: BatchNorm settings.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 depthwise: bool = False, act_cfg: Optional[dict] = None, norm: bool = True,
                 elastic: bool = True, bn_eps: float = 1e-5,
                 bn_momentum: Optional[float] = 0.1) -> None:
        super().__init__()
        if elastic:
            self.conv = ElasticConv2d(in_channels, out_channels, kernel_size, stride, depthwise)
        else:
            self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                                  kernel_size // 2, groups=in_channels if depthwise else 1,
                                  bias=False)
        self.bn = None
        if norm:
            bn = ElasticBatchNorm2d if elastic else nn.BatchNorm2d
            self.bn = bn(out_channels, eps=bn_eps, momentum=bn_momentum)
        self.act = build_activation_layer(act_cfg) if act_cfg else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return self.act(x)


class ElasticSqueezeExcitation(nn.Module):
    """``x · gate(W_e relu(W_r mean_hw(x) + b_r) + b_e)`` (SE-Net), ``W_r`` to ``squeeze``
    channels.

    Elastic: ``C`` follows the input, the squeeze width is :meth:`set_choice`'s.

    Shapes: ``(N, C, H, W) → (N, C, H, W)``.

    Args:
        channels: largest ``C``.
        squeeze: largest squeeze width.
        gate: ``'sigmoid'`` or ``'hard_sigmoid'`` (:data:`SE_GATES`).
        elastic: elastic or static 1×1 convolutions.
    """

    def __init__(self, channels: int, squeeze: int, gate: str = 'sigmoid',
                 elastic: bool = True) -> None:
        super().__init__()
        if gate not in SE_GATES:
            raise ValueError(f'ElasticSqueezeExcitation: gate must be one of '
                             f'{sorted(SE_GATES)}, got {gate!r}')
        conv = ElasticConv2d if elastic else nn.Conv2d
        self.reduce = conv(channels, squeeze, 1, bias=True)
        self.expand = conv(squeeze, channels, 1, bias=True)
        self.gate = gate

    def set_choice(self, channels: int, squeeze: int) -> None:
        self.reduce.set_choice(out_channels=squeeze)
        self.expand.set_choice(out_channels=channels)

    def forward(self, x: Tensor) -> Tensor:
        s = x.mean((2, 3), keepdim=True)
        return x * SE_GATES[self.gate](self.expand(torch.relu(self.reduce(s))))


class Shortcut(nn.Module):
    """The residual path of a block from ``C_in`` to ``C_out`` channels with stride ``s``:
    ``s × s`` average pooling when ``s > 1`` (padding 1 on an odd map, so that its size is
    the strided convolution's ``ceil(H / s)``), then a bias-free 1×1 convolution when
    ``C_in ≠ C_out``; the identity otherwise. AttentiveNAS's released blocks (the paper is
    silent on the projection).

    Shapes: ``(N, C_in, H, W) → (N, C_out, ceil(H / s), ceil(W / s))``.

    Args:
        in_channels, out_channels: largest widths.
        stride: ``s``.
        project: build the 1×1 projection (needed unless ``C_in = C_out`` for every child).
        elastic: elastic or static projection.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1,
                 project: bool = True, elastic: bool = True) -> None:
        super().__init__()
        self.stride = stride
        self.conv = None
        if project:
            self.conv = ElasticConv2d(in_channels, out_channels, 1) if elastic else nn.Conv2d(
                in_channels, out_channels, 1, bias=False)

    def forward(self, x: Tensor, out_channels: int) -> Tensor:
        if self.stride > 1:
            x = F.avg_pool2d(x, self.stride, padding=x.shape[-1] % 2)
        if x.shape[1] != out_channels:
            if self.conv is None:
                raise ValueError(f'Shortcut: {x.shape[1]} input channels, {out_channels} '
                                 'output channels and no projection')
            if isinstance(self.conv, ElasticConv2d):
                self.conv.set_choice(out_channels=out_channels)
            x = self.conv(x)
        return x
