"""DenseNASNet: a fixed network of the DenseNAS spaces (a derived one, or DenseNAS-R1/R2/R3).

It is what :meth:`DenseNASRouted.export_arch` writes and what DenseNAS supp. Table 1 lists: a
stem, then blocks of operations run in sequence, the first operation of each block changing
width and stride (the kept block's shape-alignment head), the others keeping them.
"""
import copy
from typing import List, Mapping, Optional, Sequence, Tuple

from torch import Tensor, nn

from mmnas.models import FeatureInfo, SearchableBackbone
from mmnas.registry import MODELS
from mmnas.structures import ArchSpec, jsonable_config
from mmnas.utils.config_check import ConfigError
from .ops import build_op


@MODELS.register_module()
class DenseNASNet(SearchableBackbone):
    """A fixed DenseNAS network.

    Args:
        blocks: per block ``dict(channels=C, stride=s, ops=[name, ...])``: the first
            operation maps the previous width to ``C`` at stride ``s`` (1 or 2), the others
            are ``C → C`` at stride 1 (names of :mod:`mmnas.densenas.ops`).
        stem: ``dict(channels, stride, op=None, op_channels=None)``: 3×3 convolution, then
            optionally one operation to ``op_channels``.
        in_channels: input channels.
        out_indices: blocks whose outputs are returned (negative counts from the end).
        norm_cfg: normalisation.
        act_cfg: activation of the inverted residuals and convolutions.
        init_cfg: mmengine initialisation.

    Shapes: ``(N, in_channels, H, W) →`` one ``(N, C_b, H / r_b, W / r_b)`` per out index,
    ``r_b`` the product of the strides up to block ``b``.
    """

    def __init__(self,
                 blocks: Sequence[Mapping],
                 stem: Mapping = dict(channels=32, stride=2),
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (-1, ),
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU6'),
                 init_cfg: Optional[List[dict]] = (
                     dict(type='Kaiming', layer='Conv2d', mode='fan_out',
                          nonlinearity='relu'),
                     dict(type='Constant', val=1, layer=['_BatchNorm']))) -> None:
        super().__init__(init_cfg=list(init_cfg) if init_cfg else None)
        self._config = dict(blocks=copy.deepcopy(list(blocks)), stem=copy.deepcopy(dict(stem)),
                            in_channels=in_channels, out_indices=tuple(out_indices),
                            norm_cfg=norm_cfg, act_cfg=act_cfg)
        layers = [build_op('conv_k3', in_channels, stem['channels'], stem['stride'], norm_cfg,
                           act_cfg)]
        channels = stem['channels']
        if stem.get('op'):
            layers.append(build_op(stem['op'], channels, stem['op_channels'], 1, norm_cfg,
                                   act_cfg))
            channels = stem['op_channels']
        self.stem = nn.Sequential(*layers)
        stride = stem['stride']
        self.blocks = nn.ModuleList()
        self.feature_info = []
        for b, block in enumerate(blocks):
            if not isinstance(block, Mapping) or set(block) != {'channels', 'stride', 'ops'}:
                raise ConfigError(f'DenseNASNet: blocks[{b}] = {block!r}; expected a dict of '
                                  'channels, stride and ops')
            if not block['ops'] or block['stride'] not in (1, 2):
                raise ConfigError(f'DenseNASNet: blocks[{b}] needs at least one operation and '
                                  f'stride 1 or 2, got {block!r}')
            ops = [build_op(block['ops'][0], channels, block['channels'], block['stride'],
                            norm_cfg, act_cfg)]
            ops += [build_op(name, block['channels'], block['channels'], 1, norm_cfg, act_cfg)
                    for name in block['ops'][1:]]
            self.blocks.append(nn.Sequential(*ops))
            channels, stride = block['channels'], stride * block['stride']
            self.feature_info.append(FeatureInfo(channels, stride, f'blocks.{b}'))
        num = len(self.blocks)
        self.out_indices = self.normalize_out_indices(out_indices, num)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.stem(x)
        outs = {}
        for b, block in enumerate(self.blocks):
            x = block(x)
            if b in self.out_indices:
                outs[b] = x
        return tuple(outs[i] for i in self.out_indices)

    def export_arch(self) -> ArchSpec:
        """A fixed network exports itself."""
        return ArchSpec(method='densenas',
                        backbone=jsonable_config(dict(type='mmnas.DenseNASNet', **self._config)))
