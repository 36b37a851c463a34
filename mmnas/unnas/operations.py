"""The eight DARTS operations (Liu et al., ICLR 2019) and the two cell preprocessors.

Every operation maps ``(N, C, H, W)`` to ``(N, C, H / s, W / s)`` for a stride ``s`` of 1 or 2
(pooling and convolutions pad so that ``ceil`` holds for odd sizes too). Norm layers come from
``norm_cfg`` (mmcv's ``build_norm_layer``): the search network uses ``BN`` with
``affine=False``, the evaluation network plain ``BN`` (``SyncBN`` for several GPUs).
"""
from typing import Dict, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import Tensor, nn

from mmnas.utils.config_check import ConfigError

#: The DARTS search space, in the order of the columns of α.
PRIMITIVES: Tuple[str, ...] = ('none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect',
                               'sep_conv_3x3', 'sep_conv_5x5', 'dil_conv_3x3', 'dil_conv_5x5')
POOLS = ('max_pool_3x3', 'avg_pool_3x3')


def norm(cfg: dict, channels: int) -> nn.Module:
    return build_norm_layer(cfg, channels)[1]


class Zero(nn.Module):
    """``none``: the edge is absent; zeros of the output shape (stride ``s``)."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        if self.stride == 1:
            return x.mul(0.)
        return x[:, :, ::self.stride, ::self.stride].mul(0.)


class ReLUConvBN(nn.Sequential):
    """ReLU → k×k conv → norm (the cell preprocessors and the reduction stem)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 padding: int, norm_cfg: dict) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False),
            norm(norm_cfg, out_channels))


class DilConv(nn.Sequential):
    """ReLU → k×k depthwise conv (dilation d) → 1×1 conv → norm (``dil_conv_kxk``: d = 2)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 dilation: int, norm_cfg: dict) -> None:
        padding = dilation * (kernel_size - 1) // 2
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(in_channels, in_channels, kernel_size, stride, padding, dilation,
                      groups=in_channels, bias=False),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            norm(norm_cfg, out_channels))


class SepConv(nn.Sequential):
    """``sep_conv_kxk``: the separable unit (ReLU-dw-pw-norm) applied twice, the stride on
    the first."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 norm_cfg: dict) -> None:
        super().__init__(DilConv(in_channels, in_channels, kernel_size, stride, 1, norm_cfg),
                         DilConv(in_channels, out_channels, kernel_size, 1, 1, norm_cfg))


class FactorizedReduce(nn.Module):
    """Stride-2 identity with a channel change: ReLU, two 1×1 stride-2 convs on the input and
    on the input shifted by one pixel, concatenated (C_out / 2 each), norm."""

    def __init__(self, in_channels: int, out_channels: int, norm_cfg: dict) -> None:
        super().__init__()
        if out_channels % 2:
            raise ConfigError(f'FactorizedReduce: out_channels={out_channels} must be even')
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(in_channels, out_channels // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(in_channels, out_channels // 2, 1, stride=2, bias=False)
        self.bn = norm(norm_cfg, out_channels)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(x)
        # Pad right/bottom before the shift so both halves are ceil(H / 2) for odd H too.
        shifted = F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(shifted)], dim=1))


def build_op(name: str, channels: int, stride: int, norm_cfg: dict) -> nn.Module:
    """The operation ``name`` of :data:`PRIMITIVES` on ``channels`` channels."""
    builders: Dict[str, callable] = {
        'none': lambda: Zero(stride),
        'max_pool_3x3': lambda: nn.MaxPool2d(3, stride=stride, padding=1),
        'avg_pool_3x3': lambda: nn.AvgPool2d(3, stride=stride, padding=1,
                                             count_include_pad=False),
        'skip_connect': lambda: (nn.Identity() if stride == 1 else
                                 FactorizedReduce(channels, channels, norm_cfg)),
        'sep_conv_3x3': lambda: SepConv(channels, channels, 3, stride, norm_cfg),
        'sep_conv_5x5': lambda: SepConv(channels, channels, 5, stride, norm_cfg),
        'dil_conv_3x3': lambda: DilConv(channels, channels, 3, stride, 2, norm_cfg),
        'dil_conv_5x5': lambda: DilConv(channels, channels, 5, stride, 2, norm_cfg),
    }
    if name not in builders:
        raise ConfigError(f'DARTS operation {name!r}: expected one of {list(PRIMITIVES)}')
    return builders[name]()


def build_preprocess(in_channels: int, out_channels: int, reduce: bool,
                     norm_cfg: dict) -> nn.Module:
    """Bring a cell input to the cell's width C (and halve it when the cell two back was
    before a reduction cell)."""
    if reduce:
        return FactorizedReduce(in_channels, out_channels, norm_cfg)
    return ReLUConvBN(in_channels, out_channels, 1, 1, 0, norm_cfg)
