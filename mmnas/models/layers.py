"""Building blocks shared by the methods' networks (as timm's ``layers``): one
convolution-norm-activation, one squeeze-and-excitation, one static inverted residual and
the in-place activation they use after a norm.

These are the fixed-shape blocks; the elastic (sliced) ones are
:mod:`mmnas.models.ops.elastic_bricks` and the prunable ones live with their methods.
State-dict names follow mmcv and mmpretrain (``conv``, ``bn``; ``expand_conv``,
``depthwise_conv``, ``se``, ``linear_conv``), so weights of networks built from mmcv's
``ConvModule`` and mmpretrain's ``InvertedResidual`` load unchanged.
"""
from typing import Optional

from mmcv.cnn import ConvModule, build_activation_layer
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmnas.registry import MODELS
from mmnas.utils.config_check import ConfigError
from .ops import SE_GATES


#: mmcv activations that take no ``inplace`` argument (the list mmcv's ``ConvModule`` keeps).
_NO_INPLACE = ('Tanh', 'PReLU', 'Sigmoid', 'HSigmoid', 'Swish', 'GELU')


def build_inplace_activation(act_cfg: dict) -> nn.Module:
    """mmcv's activation of ``act_cfg``, in place where its type can be (as ``ConvModule``
    builds it) unless ``act_cfg`` says otherwise: no second tensor per activation, which on a
    CPU costs as much time as the activation itself. Use it only where the input is a fresh
    tensor that nothing else reads (a norm's or a convolution's output)."""
    cfg = dict(act_cfg)
    kind = cfg['type'] if isinstance(cfg['type'], str) else cfg['type'].__name__
    if kind not in _NO_INPLACE:
        cfg.setdefault('inplace', True)
    return build_activation_layer(cfg)


class ConvBNAct(ConvModule):
    """k×k convolution → norm → activation, padded so that
    ``(N, C_in, H, W) → (N, C_out, ⌈H / stride⌉, ⌈W / stride⌉)`` (odd ``kernel_size``).

    mmcv's ``ConvModule`` in its default order: the norm is ``self.bn`` for BN and SyncBN, the
    convolution has a bias only without a norm.

    Args:
        in_channels: C_in.
        out_channels: C_out.
        kernel_size: k.
        stride: stride of the convolution.
        dilation: dilation d (the padding is ``d · (k - 1) / 2``).
        groups: convolution groups (``C_in`` for a depthwise convolution).
        conv_cfg: mmcv convolution config (``None``: ``nn.Conv2d``).
        norm_cfg: mmcv norm config; ``None`` leaves the norm out.
        act_cfg: mmcv activation config; ``None`` leaves the activation out (linear).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1,
                 dilation: int = 1,
                 groups: int = 1,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU')) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride,
                         padding=dilation * (kernel_size - 1) // 2, dilation=dilation,
                         groups=groups, conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)


def squeeze_channels(base: int, ratio: float, divisor: int = 1) -> int:
    """Squeeze width ``ratio · base``: the nearest whole number (at least 1) for
    ``divisor=1``, else MobileNet's rounding: the nearest multiple of ``divisor`` (halves up),
    at least ``divisor``, one multiple more where that loses over 10% of the value."""
    value = base * ratio
    if divisor == 1:
        return max(1, int(round(value)))
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


@MODELS.register_module()
class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation (Hu et al., CVPR 2018): channel gates from pooled features,
    ``x · gate(W_e act(W_r mean_hw(x) + b_r) + b_e)`` with ``W_r: C → C_s``, ``W_e: C_s → C``
    (1×1 convolutions ``reduce`` and ``expand``). ``(N, C, H, W) → (N, C, H, W)``.

    Args:
        in_channels: C.
        ratio: C_s as a fraction of ``reduction_base``.
        reduction_base: the width the ratio is taken of (``None``: C). MobileNetV3 and BigNAS
            count from the expanded width the SE sits on (C itself); EfficientNet from the
            block's input width.
        divisor: C_s is rounded to a multiple of it (see :func:`squeeze_channels`).
        act_cfg: mmcv config of the activation between the two convolutions (SENet: ReLU;
            EfficientNet: Swish).
        gate: ``'sigmoid'`` or ``'hard_sigmoid'`` (``relu6(x + 3) / 6``, MobileNetV3).
    """

    def __init__(self,
                 in_channels: int,
                 ratio: float = 0.25,
                 reduction_base: Optional[int] = None,
                 divisor: int = 1,
                 act_cfg: dict = dict(type='ReLU'),
                 gate: str = 'sigmoid') -> None:
        super().__init__()
        if gate not in SE_GATES:
            raise ConfigError(f'SqueezeExcitation: gate={gate!r}, expected one of '
                              f'{sorted(SE_GATES)}')
        hidden = squeeze_channels(in_channels if reduction_base is None else reduction_base,
                                  ratio, divisor)
        self.reduce = nn.Conv2d(in_channels, hidden, 1)
        self.act = build_activation_layer(act_cfg)
        self.expand = nn.Conv2d(hidden, in_channels, 1)
        self.gate = gate

    def forward(self, x: Tensor) -> Tensor:
        s = self.expand(self.act(self.reduce(x.mean((2, 3), keepdim=True))))
        return x * SE_GATES[self.gate](s)


class InvertedResidual(BaseModule):
    """The inverted residual of MobileNetV2 (Sandler et al., CVPR 2018), with the optional SE
    of MobileNetV3::

        x → [1×1 expand to C_h, norm, act] → k×k depthwise (stride s), norm, act → [SE]
          → 1×1 linear projection to C_out, norm → (+ x)

    ``(N, C_in, H, W) → (N, C_out, ⌈H / s⌉, ⌈W / s⌉)``. The expansion exists when
    ``C_h ≠ C_in``, the identity shortcut when ``s = 1`` and ``C_in = C_out``. Parameter names
    and computation are mmpretrain's ``InvertedResidual`` (without SE).

    Args:
        in_channels: C_in.
        out_channels: C_out.
        hidden_channels: C_h, the width of the depthwise convolution (``t · C_in`` for an
            expansion ratio t).
        kernel_size: k of the depthwise convolution.
        stride: s.
        se_cfg: keyword arguments of :class:`SqueezeExcitation` on C_h (``None``: no SE).
        conv_cfg: mmcv convolution config.
        norm_cfg: mmcv norm config.
        act_cfg: activation after the expansion and the depthwise convolution.
        drop_path_rate: stochastic depth of the residual branch (with the shortcut only).
        init_cfg: mmengine initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 hidden_channels: int,
                 kernel_size: int = 3,
                 stride: int = 1,
                 se_cfg: Optional[dict] = None,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 drop_path_rate: float = 0.,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        self.with_res_shortcut = stride == 1 and in_channels == out_channels
        self.with_expand_conv = hidden_channels != in_channels
        if self.with_expand_conv:
            self.expand_conv = ConvBNAct(in_channels, hidden_channels, 1, act_cfg=act_cfg,
                                         **common)
        self.depthwise_conv = ConvBNAct(hidden_channels, hidden_channels, kernel_size, stride,
                                        groups=hidden_channels, act_cfg=act_cfg, **common)
        self.se = SqueezeExcitation(hidden_channels, **se_cfg) if se_cfg is not None else None
        self.linear_conv = ConvBNAct(hidden_channels, out_channels, 1, act_cfg=None, **common)
        self.drop_path = DropPath(drop_path_rate) \
            if self.with_res_shortcut and drop_path_rate > 0 else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        y = self.expand_conv(x) if self.with_expand_conv else x
        y = self.depthwise_conv(y)
        if self.se is not None:
            y = self.se(y)
        y = self.linear_conv(y)
        return x + self.drop_path(y) if self.with_res_shortcut else y
