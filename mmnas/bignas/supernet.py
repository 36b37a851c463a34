"""BigNASSuperNet: a MobileNetV3 / EfficientNet-style single-stage model (BigNAS, Yu et al.
ECCV 2020), elastic in width, depth, kernel and expansion per stage and in input resolution.

Structure (the default space, :data:`~mmnas.bignas.space.DEFAULT_SEARCH_SPACE`)::

    first_conv  3×3 stride 2, conv-BN-swish                       (N, c_0, H/2, W/2)
    stages[i]   d_i MBConv blocks (1×1 expand t_i, k_i×k_i depthwise, optional
                hard-sigmoid SE, 1×1 project) with a residual each: the first block has
                stride s_i and an avg-pool / 1×1 projection shortcut where its size or
                width changes, the others the identity              (N, c_i, H/r_i, W/r_i)
    last_conv   1×1 conv-BN-swish to 6·c_S, global pooling, 1×1 conv-swish without BN
                (MobileNetV3's head)                                (N, c_last, 1, 1)

The blocks and the head are AttentiveNAS's released ones (Wang et al. CVPR 2021, its
BigNAS-style space), so its checkpoints load through
``tools/model_converters/attentivenas2mmnas.py``.

Weight sharing (BigNAS supp. §C): a child uses the lower-index channels of every layer, the first
``d_i`` blocks of stage ``i`` and the centre ``k×k`` of every depthwise kernel, through the
elastic layers of :mod:`mmnas.models.ops.elastic`.

Outputs ``out_indices`` index ``stages`` (0 … S-1) and ``last_conv`` (S, pooled to 1×1; its
feature_info reduction is that of the map it pools). Each returned
map is zero-padded to the largest width of its layer, so stock heads built once for the
supernet serve every child, and the head's lower-index slice is what the child uses.

With ``arch`` the class builds that child as a standalone static network (``nn.Conv2d`` and
``nn.BatchNorm2d`` of the child's shapes, blocks beyond ``d_i`` absent), with the same
parameter names as the supernet: :func:`~mmnas.models.ops.slice_state_dict` gives its
weights. A static child with an input resolution resizes its input (bicubic, short side) to
it, as the supernet does for that child: both take the same prefetched crop (BigNAS supp. §C).
"""
import itertools
import random
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from mmcv.cnn.bricks import DropPath
from torch import Tensor, nn

from mmnas.models import ElasticBackbone, FeatureInfo, resize_short_side
from mmnas.models.ops import (ElasticBatchNorm2d, ElasticConvBNAct, ElasticSqueezeExcitation,
                              Shortcut, pad_channels, slice_state_dict)
from mmnas.registry import MODELS
from mmnas.structures import ArchSpec, jsonable_config
from mmnas.utils.config_check import ConfigError
from .space import DEFAULT_SEARCH_SPACE, SearchSpace


def make_divisible(value: float, divisor: int = 8, min_ratio: float = 0.9) -> int:
    """The nearest multiple of ``divisor``, not below ``min_ratio · value`` (MobileNet's rule)."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return new + divisor if new < min_ratio * value else new


def hidden_channels(in_channels: int, expand: float) -> int:
    """Width of the inverted bottleneck: ``in_channels`` when there is no expansion."""
    return in_channels if expand == 1 else make_divisible(in_channels * expand)


def se_channels(hidden: int) -> int:
    """Squeeze width of an SE module on ``hidden`` channels (AttentiveNAS: hidden / 4)."""
    return make_divisible(hidden // 4)


class MBBlock(nn.Module):
    """Inverted residual block (MobileNetV2/V3, EfficientNet's MBConv) as AttentiveNAS releases
    it: every block has a residual path.

    ``x → [1×1 expand to C_h, BN, swish] → k×k depthwise, BN, swish → [SE] → 1×1 project,
    BN → + shortcut(x)``; ``C_h = hidden_channels(C_in, t)``. The expansion layer exists when
    the space's ratios are not ``(1, )``. The shortcut (:class:`~mmnas.models.ops.Shortcut`)
    is the identity inside a stage; on a stage's first block it average-pools by the stride
    and projects (1×1, no BN) when the child's ``C_in ≠ C_out``. Drop-path (rate
    ``drop_path``) applies when the shortcut is the identity.

    Shapes: ``(N, C_in, H, W) → (N, C_out, H / stride, W / stride)``.
    """

    def __init__(self, in_channels: int, out_channels: int, hidden: int, kernel_size: int,
                 stride: int, expand: bool, se: bool, project: bool, drop_path: float,
                 act_cfg: dict, elastic: bool, bn_eps: float, bn_momentum: float,
                 se_gate: str = 'hard_sigmoid') -> None:
        super().__init__()
        common = dict(elastic=elastic, bn_eps=bn_eps, bn_momentum=bn_momentum)
        self.expand = ElasticConvBNAct(in_channels, hidden, 1, act_cfg=act_cfg, **common) \
            if expand else None
        self.depthwise = ElasticConvBNAct(hidden, hidden, kernel_size, stride, depthwise=True,
                                          act_cfg=act_cfg, **common)
        self.se = (ElasticSqueezeExcitation(hidden, se_channels(hidden), se_gate, elastic)
                   if se else None)
        self.project = ElasticConvBNAct(hidden, out_channels, 1, **common)
        self.shortcut = Shortcut(in_channels, out_channels, stride, project, elastic)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()

    def set_choice(self, in_channels: int, out_channels: int, kernel_size: int,
                   expand: float) -> None:
        """Slice the elastic layers to this child's block."""
        hidden = hidden_channels(in_channels, expand)
        if self.expand is not None:
            self.expand.conv.set_choice(out_channels=hidden)
        self.depthwise.conv.set_choice(kernel_size=kernel_size)
        if self.se is not None:
            self.se.set_choice(hidden, se_channels(hidden))
        self.project.conv.set_choice(out_channels=out_channels)

    def forward(self, x: Tensor) -> Tensor:
        y = x if self.expand is None else self.expand(x)
        y = self.depthwise(y)
        if self.se is not None:
            y = self.se(y)
        y = self.project(y)
        if self.shortcut.stride == 1 and x.shape[1] == y.shape[1]:
            return x + self.drop_path(y)
        return self.shortcut(x, y.shape[1]) + y


class FeatureMixHead(nn.Module):
    """MobileNetV3's efficient last stage (MobileNetV3 §5.1), AttentiveNAS's released head:
    1×1 conv-BN-swish to ``e · C`` channels (``e = 6``), global average pooling, 1×1
    conv-swish (no BN, no bias) to ``C_last``.

    Shapes: ``(N, C, H, W) → (N, C_last, 1, 1)``.
    """

    def __init__(self, in_channels: int, out_channels: int, expand_ratio: int, act_cfg: dict,
                 elastic: bool, bn_eps: float, bn_momentum: float) -> None:
        super().__init__()
        self.expand_ratio = expand_ratio
        self.final_expand = ElasticConvBNAct(in_channels, in_channels * expand_ratio, 1,
                                             act_cfg=act_cfg, elastic=elastic, bn_eps=bn_eps,
                                             bn_momentum=bn_momentum)
        self.feature_mix = ElasticConvBNAct(in_channels * expand_ratio, out_channels, 1,
                                            act_cfg=act_cfg, norm=False, elastic=elastic)

    def set_choice(self, in_channels: int, out_channels: int) -> None:
        self.final_expand.conv.set_choice(out_channels=in_channels * self.expand_ratio)
        self.feature_mix.conv.set_choice(out_channels=out_channels)

    def forward(self, x: Tensor) -> Tensor:
        x = self.final_expand(x).mean((2, 3), keepdim=True)
        return self.feature_mix(x)


@MODELS.register_module()
class BigNASSuperNet(ElasticBackbone):
    """The BigNAS single-stage model, or one of its children as a static network.

    Args:
        search_space: the space (format in :mod:`mmnas.bignas.space`); the default space of
            the design note by default.
        arch: build this child as a standalone static network instead of the supernet.
        in_channels: input channels.
        out_indices: outputs, indices into ``stages`` (0 … S-1) and ``last_conv`` (S, or
            -1); default ``(S, )``, the classification feature. ``last_conv`` is built only if
            asked for.
        drop_path_rate: drop-path probability ``p · b / B`` of block ``b`` of ``B`` (global
            index over the largest depths), in the stages of ``drop_path_stages`` only;
            active in training mode only.
        drop_path_stages: the stages with drop-path; the last two by default (AttentiveNAS's
            released training, ``drop_connect_only_last_two_stages``).
        dropout_rate: channel dropout (``Dropout2d``) on every returned map; on the pooled
            ``last_conv`` output it is dropout before the classifier.
        zero_init_residual: zero the last BN γ of every block (BigNAS's initialisation).
        bn_eps, bn_momentum: BatchNorm settings.
        act_cfg: activation (swish).
        se_gate: SE gate, ``'hard_sigmoid'`` (AttentiveNAS's released SE) or ``'sigmoid'``.
        head_expand_ratio: ``e`` of the head's first 1×1 conv (6 = 1344 channels on 224).
        sync_bn: synchronized BN over all processes for every child (BigNAS trains with
            cross-replica BN): each :class:`~mmnas.models.ops.ElasticBatchNorm2d` all-reduces
            the statistics of its slice. Set it here, not with mmengine's ``sync_bn``, which
            would swap the elastic layers for fixed-width ``SyncBatchNorm``.
        init_cfg: mmengine initialisation.

    Shapes: ``(N, in_channels, H, W) → tuple of (N, C_j, H / r_j, W / r_j)`` with ``C_j``
    and ``r_j`` as in :attr:`feature_info`.
    """

    def __init__(self,
                 search_space: Mapping = DEFAULT_SEARCH_SPACE,
                 arch: Optional[Mapping] = None,
                 in_channels: int = 3,
                 out_indices: Optional[Sequence[int]] = None,
                 drop_path_rate: float = 0.0,
                 drop_path_stages: Sequence[int] = (-2, -1),
                 dropout_rate: float = 0.0,
                 zero_init_residual: bool = True,
                 bn_eps: float = 1e-5,
                 bn_momentum: float = 0.1,
                 act_cfg: dict = dict(type='SiLU'),
                 se_gate: str = 'hard_sigmoid',
                 head_expand_ratio: int = 6,
                 sync_bn: bool = False,
                 init_cfg: Optional[List[dict]] = (
                     dict(type='Kaiming', layer='Conv2d', mode='fan_out',
                          nonlinearity='relu'),
                     dict(type='Constant', val=1, layer='_BatchNorm'))) -> None:
        super().__init__(init_cfg=list(init_cfg) if init_cfg else None)
        self.space = SearchSpace(search_space)
        num_stages = len(self.space.stages)
        out_indices = self.normalize_out_indices(
            (num_stages, ) if out_indices is None else out_indices, num_stages + 1)
        self.out_indices = out_indices
        self.static = arch is not None
        if self.static:
            self.space.check(arch)
        self._arch = jsonable_config(dict(arch if self.static else self.space.max_arch()))
        self._config = dict(
            search_space=self.space.to_config(), in_channels=in_channels,
            out_indices=out_indices, drop_path_rate=drop_path_rate,
            drop_path_stages=list(drop_path_stages), dropout_rate=dropout_rate,
            zero_init_residual=zero_init_residual, bn_eps=bn_eps, bn_momentum=bn_momentum,
            act_cfg=act_cfg, se_gate=se_gate, head_expand_ratio=head_expand_ratio,
            sync_bn=sync_bn)
        self.zero_init_residual = zero_init_residual
        common = dict(elastic=not self.static, bn_eps=bn_eps, bn_momentum=bn_momentum)

        shape = self._arch
        self.first_conv = ElasticConvBNAct(in_channels, shape['first_conv']['width'], 3, 2,
                                           act_cfg=act_cfg, **common)
        total = sum(max(s['depth']) for s in self.space.stages)
        dp_stages = set()
        for i in drop_path_stages:
            if not -num_stages <= i < num_stages:
                raise ConfigError(f'BigNASSuperNet: drop_path_stages {list(drop_path_stages)} '
                                  f'must index the {num_stages} stages')
            dp_stages.add(i % num_stages)
        position = 0
        prev = shape['first_conv']['width']
        prev_choices = self.space.first_conv['width']
        stride = 2
        self.stages = nn.ModuleList()
        self.feature_info = []
        for i, (s, a) in enumerate(zip(self.space.stages, shape['stages'])):
            blocks = []
            for j in range(a['depth']):
                in_ch = prev if j == 0 else a['width']
                if self.static:
                    project = in_ch != a['width']
                else:
                    project = j == 0 and tuple(prev_choices) != (a['width'], )
                rate = drop_path_rate * (position + j) / total if i in dp_stages else 0.0
                blocks.append(
                    MBBlock(in_ch, a['width'], hidden_channels(in_ch, a['expand']),
                            a['kernel'], s['stride'] if j == 0 else 1, s['expand'] != (1, ),
                            s['se'], project, rate, act_cfg, se_gate=se_gate, **common))
            position += max(s['depth'])
            prev = a['width']
            prev_choices = s['width']
            stride *= s['stride']
            self.stages.append(nn.Sequential(*blocks))
            self.feature_info.append(FeatureInfo(max(s['width']), stride, f'stages.{i}'))
        self.last_conv = None
        if num_stages in out_indices:
            self.last_conv = FeatureMixHead(prev, shape['last_conv']['width'],
                                            head_expand_ratio, act_cfg, **common)
        self.feature_info.append(
            FeatureInfo(max(self.space.last_conv['width']), stride, 'last_conv'))
        self.dropout = nn.Dropout2d(dropout_rate) if dropout_rate > 0 else nn.Identity()
        for m in self.modules():
            if isinstance(m, ElasticBatchNorm2d):
                m.sync = sync_bn

    def init_weights(self) -> None:
        super().init_weights()
        if self.zero_init_residual:
            for m in self.modules():
                if isinstance(m, MBBlock):
                    nn.init.zeros_(m.project.bn.weight)

    # --- the child ---------------------------------------------------------------------------
    @property
    def current_arch(self) -> dict:
        return jsonable_config(self._arch)

    def set_arch(self, arch: Mapping) -> None:
        """Make the supernet compute ``arch``. A static child accepts only its own arch."""
        self.space.check(arch)
        arch = jsonable_config(dict(arch))
        if self.static:
            if arch != self._arch:
                raise ConfigError('BigNASSuperNet: a static child (built with arch=...) '
                                  'cannot become another child')
            return
        self.first_conv.conv.set_choice(out_channels=arch['first_conv']['width'])
        prev = arch['first_conv']['width']
        for stage, a in zip(self.stages, arch['stages']):
            for j, block in enumerate(itertools.islice(stage, a['depth'])):
                block.set_choice(prev if j == 0 else a['width'], a['width'], a['kernel'],
                                 a['expand'])
            prev = a['width']
        if self.last_conv is not None:
            self.last_conv.set_choice(prev, arch['last_conv']['width'])
        self._arch = arch

    def max_arch(self) -> dict:
        return self.space.max_arch()

    def min_arch(self) -> dict:
        return self.space.min_arch()

    def sample_arch(self, rng: random.Random) -> dict:
        return self.space.sample(rng)

    def coarse_archs(self, levels: Sequence[float],
                     dims: Sequence[str] = ('resolution', 'width', 'depth', 'kernel',
                                            'expand')
                     ) -> List[dict]:
        return self.space.coarse(levels, dims)

    def mutate_arch(self, arch: dict,
                    dims: Sequence[str] = ('resolution', 'width', 'depth', 'kernel', 'expand')
                    ) -> List[dict]:
        return self.space.neighbours(arch, dims)

    def export_arch(self) -> ArchSpec:
        """The current child as a static network: ``ArchSpec.build()`` gives a
        ``BigNASSuperNet(arch=...)``; its weights are ``slice_state_dict(supernet, child)``."""
        backbone = dict(type='mmnas.BigNASSuperNet', **self._config, arch=self._arch)
        return ArchSpec(method='bignas', backbone=jsonable_config(backbone))

    def export(self) -> Tuple[ArchSpec, Dict[str, Tensor]]:
        """The current child (:meth:`set_arch`) and its weights sliced from the supernet's
        (lower-index channels, first blocks, centre of every kernel)."""
        spec = self.export_arch()
        child = spec.build()
        return spec, slice_state_dict(self.state_dict(), child.state_dict())

    def forward(self, x: Tensor) -> tuple:
        outs = {}
        if self.static and self._arch.get('resolution'):
            x = resize_short_side(x, self._arch['resolution'])
        x = self.first_conv(x)
        for i, (stage, a) in enumerate(zip(self.stages, self._arch['stages'])):
            for block in itertools.islice(stage, a['depth']):
                x = block(x)
            if i in self.out_indices:
                outs[i] = x
        if self.last_conv is not None:
            outs[len(self.stages)] = self.last_conv(x)
        return tuple(
            self.dropout(pad_channels(outs[i], self.feature_info[i].num_chs))
            for i in self.out_indices)
