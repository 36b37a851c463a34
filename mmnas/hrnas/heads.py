"""The searched heads of HR-NAS: task heads built of searching blocks, shrunk with the backbone.

The authors' released supernet ends in searching blocks as well (HR-NAS supp. §2 leaves the
heads out; the layout follows the released code): for dense tasks every branch is resized to
the stride-4 map and concatenated, one searching block maps the ``Σ C_b`` channels to
``last_channel`` (90; 180 for ADE20K) and a 1×1 convolution gives the class scores or
heatmaps; for classification every branch is widened by a searching block, the branches are
merged high to low resolution by stride-2 searching blocks, and a 1×1 convolution lifts the
result to 1600 channels before global pooling.

Each head keeps stock OpenMMLab behaviour (losses, decoding, metrics) and adds the searched
protocol of :class:`~mmnas.hrnas.ProgressiveShrinkHook`: ``searching_blocks()``,
``kernel_sizes`` and ``export_config()`` (the config that rebuilds the cut head, with its
widths as ``arch``).
"""
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmpose.models.heads import HeatmapHead
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import Tensor, nn

from mmnas.registry import MODELS
from mmnas.structures import jsonable_config
from mmnas.utils.config_check import ConfigError
from .fused_block import FusedSearchingBlock
from .searching_block import SearchingBlock
from .supernet import check_arch_widths

_KAIMING = dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='relu')


class SearchedHeadMixin:
    """Searching blocks inside a head: built at supernet width unless ``arch`` names them,
    listed by :meth:`searching_blocks` and exported by :meth:`export_config`. With ``fused``
    they are built in deploy form (:class:`~mmnas.hrnas.FusedSearchingBlock`), as
    ``mmnas.SearchedHead`` builds them."""

    #: What ``mmnas.SearchedHead`` builds unless its config says otherwise: the deploy form.
    searched_defaults = dict(fused=True)
    #: Read only while the blocks are built, whose widths the FLOPs cache keys (``mmnas.cost``).
    not_structure = ('_arch', )

    def _setup_search(self, config: dict, kernel_sizes: Sequence[int], expand_ratio: float,
                      arch: Optional[Mapping[str, Mapping]], norm_cfg: dict,
                      act_cfg: dict, fused: bool) -> None:
        self._config = config
        self.fused = fused
        self.kernel_sizes = tuple(kernel_sizes)
        self.expand_ratio = expand_ratio
        self._arch: Dict[str, Mapping] = dict(arch or {})
        self._block_norm_cfg = norm_cfg
        self._block_act_cfg = act_cfg

    def _make_block(self, name: str, in_channels: int, out_channels: int,
                    stride: int) -> nn.Module:
        widest = int(round(in_channels * self.expand_ratio))
        hidden = self._arch.get(name, {}).get('hidden_channels',
                                              [widest] * len(self.kernel_sizes))
        check_arch_widths(type(self).__name__, name, hidden, self.kernel_sizes, widest)
        block = FusedSearchingBlock if self.fused else SearchingBlock
        return block(in_channels, out_channels, stride, self.kernel_sizes, hidden, None,
                     self._block_norm_cfg, self._block_act_cfg)

    def _check_arch_names(self) -> None:
        unknown = set(self._arch) - {name for name, _ in self.searching_blocks()}
        if unknown:
            raise ConfigError(f'{type(self).__name__}: arch names blocks that this head does '
                              f'not have: {sorted(unknown)}; expected some of '
                              f'{[name for name, _ in self.searching_blocks()]}')

    def searching_blocks(self):
        """``(name, block)`` for every searching block of the head, in forward order."""
        return ((name, m) for name, m in self.named_modules()
                if isinstance(m, (SearchingBlock, FusedSearchingBlock)))

    def export_config(self) -> dict:
        """The config that builds this head as it is now (its searched widths in ``arch``)."""
        arch = {name: dict(hidden_channels=block.hidden_per_kernel(self.kernel_sizes))
                for name, block in self.searching_blocks()}
        return jsonable_config(dict(type=f'mmnas.{type(self).__name__}', **self._config,
                                    arch=arch))


@MODELS.register_module()
class HRNASSegHead(SearchedHeadMixin, BaseDecodeHead):
    """The HR-NAS segmentation head as an mmseg decode head.

    ``[(N, C_b, H/2^(b+2), W/2^(b+2))] → resize to stride 4, concat (N, Σ C_b, H/4, W/4) →
    searching block (N, channels, H/4, W/4) → dropout, 1×1 conv (N, num_classes, H/4, W/4)``.

    Args:
        in_channels: the branch widths C_b (all of them are concatenated).
        channels: ``last_channel`` of the released code, the searching block's output
            (90 for Cityscapes, 180 for ADE20K).
        kernel_sizes: depthwise kernels of the searching block.
        expand_ratio: its hidden width per kernel in the supernet, × Σ C_b.
        arch: ``{'transform': dict(hidden_channels=[h_k per kernel])}`` of a searched head.
        fused: the searching block in deploy form (:class:`~mmnas.hrnas.FusedSearchingBlock`).
        kwargs: mmseg's ``BaseDecodeHead`` arguments (``num_classes``, ``norm_cfg``,
            ``dropout_ratio``, ``loss_decode``, ``align_corners``, ...).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (18, 36, 72, 144),
                 channels: int = 90,
                 kernel_sizes: Sequence[int] = (3, 5, 7),
                 expand_ratio: float = 4,
                 arch: Optional[Mapping[str, Mapping]] = None,
                 fused: bool = False,
                 **kwargs) -> None:
        kwargs.setdefault('input_transform', 'resize_concat')
        kwargs.setdefault('in_index', list(range(len(in_channels))))
        kwargs.setdefault('init_cfg', [_KAIMING, dict(type='Constant', val=1,
                                                      layer='_BatchNorm')])
        if kwargs['input_transform'] != 'resize_concat':
            raise ConfigError(f"HRNASSegHead: input_transform must be 'resize_concat' (all "
                              f"branches at stride 4), got {kwargs['input_transform']!r}")
        super().__init__(list(in_channels), channels, **kwargs)
        self._setup_search(
            dict(in_channels=list(in_channels), channels=channels, kernel_sizes=kernel_sizes,
                 expand_ratio=expand_ratio, **kwargs),
            kernel_sizes, expand_ratio, arch, self.norm_cfg or dict(type='BN'),
            self.act_cfg or dict(type='ReLU'), fused)
        self.transform = self._make_block('transform', sum(in_channels), channels, 1)
        self._check_arch_names()

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        x = self._transform_inputs(inputs)
        return self.cls_seg(self.transform(x))


@MODELS.register_module()
class HRNASHeatmapHead(SearchedHeadMixin, HeatmapHead):
    """The HR-NAS pose head as an mmpose heatmap head, after mmpose's
    ``FeatureMapProcessor(concat=True)`` (all branches resized to stride 4 and concatenated).

    ``(N, Σ C_b, H/4, W/4) → searching block (N, last_channel, H/4, W/4) → 1×1 conv
    (N, K, H/4, W/4)`` heatmaps of K keypoints.

    Args:
        in_channels: Σ C_b.
        out_channels: K.
        last_channel: output of the searching block (90 in the released code).
        kernel_sizes: depthwise kernels of the searching block.
        expand_ratio: its hidden width per kernel in the supernet, × Σ C_b.
        arch: ``{'conv_layers': dict(hidden_channels=[h_k per kernel])}`` of a searched head.
        norm_cfg: the searching block's norms.
        act_cfg: its activation.
        fused: the searching block in deploy form (:class:`~mmnas.hrnas.FusedSearchingBlock`).
        kwargs: mmpose's ``HeatmapHead`` arguments (``loss``, ``decoder``, ``init_cfg``);
            ``deconv_out_channels`` may only be ``None`` (no deconvolution).
    """

    def __init__(self,
                 in_channels: int = 270,
                 out_channels: int = 17,
                 last_channel: int = 90,
                 kernel_sizes: Sequence[int] = (3, 5, 7),
                 expand_ratio: float = 4,
                 arch: Optional[Mapping[str, Mapping]] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 fused: bool = False,
                 **kwargs) -> None:
        for key in ('deconv_out_channels', 'conv_out_channels'):
            if kwargs.pop(key, None):
                raise ConfigError(f'HRNASHeatmapHead: {key} must be None (the searching block '
                                  'is the only layer before the 1×1 output)')
        kwargs.pop('deconv_kernel_sizes', None)
        kwargs.pop('conv_kernel_sizes', None)
        super().__init__(in_channels, out_channels, deconv_out_channels=None,
                         conv_out_channels=None, final_layer=dict(kernel_size=1), **kwargs)
        self._setup_search(
            dict(in_channels=in_channels, out_channels=out_channels, last_channel=last_channel,
                 kernel_sizes=kernel_sizes, expand_ratio=expand_ratio, norm_cfg=norm_cfg,
                 act_cfg=act_cfg, **kwargs),
            kernel_sizes, expand_ratio, arch, norm_cfg, act_cfg, fused)
        self.conv_layers = self._make_block('conv_layers', in_channels, last_channel, 1)
        self.final_layer = nn.Conv2d(last_channel, out_channels, 1)
        self._check_arch_names()


@MODELS.register_module()
class HRNASClsNeck(SearchedHeadMixin, BaseModule):
    """The HR-NAS classification head (the released ``HeadModule``) as an mmpretrain neck.

    Branch ``b`` is widened by a stride-1 searching block to ``head_channels[b]``; from the
    highest resolution down, ``x ← incre_b(x_b) + down_{b-1}(x)`` with stride-2 searching
    blocks; a 1×1 conv + BN + act to ``last_channel``; global average pooling.

    ``[(N, C_b, H_b, W_b)] → ((N, last_channel), )``.

    Args:
        in_channels: the branch widths C_b.
        head_channels: widths after the widening blocks (released: 36, 72, 144, 320).
        last_channel: width of the pooled feature (released: 1600).
        kernel_sizes: depthwise kernels of the searching blocks.
        expand_ratio: their hidden width per kernel in the supernet, × C_in.
        arch: ``{block name: dict(hidden_channels=[h_k per kernel])}`` of a searched head
            (names ``incre_modules.b``, ``downsamp_modules.b``).
        norm_cfg: norms.
        act_cfg: activation.
        fused: the searching blocks in deploy form (:class:`~mmnas.hrnas.FusedSearchingBlock`).
        init_cfg: mmengine initialisation.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (18, 36, 72, 144),
                 head_channels: Sequence[int] = (36, 72, 144, 320),
                 last_channel: int = 1600,
                 kernel_sizes: Sequence[int] = (3, 5, 7),
                 expand_ratio: float = 4,
                 arch: Optional[Mapping[str, Mapping]] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 fused: bool = False,
                 init_cfg: Optional[List[dict]] = (
                     _KAIMING, dict(type='Constant', val=1, layer='_BatchNorm'))) -> None:
        super().__init__(init_cfg=list(init_cfg) if init_cfg else None)
        if len(in_channels) != len(head_channels):
            raise ConfigError(f'HRNASClsNeck: {len(in_channels)} in_channels but '
                              f'{len(head_channels)} head_channels; expected one per branch')
        self._setup_search(
            dict(in_channels=list(in_channels), head_channels=list(head_channels),
                 last_channel=last_channel, kernel_sizes=kernel_sizes,
                 expand_ratio=expand_ratio, norm_cfg=norm_cfg, act_cfg=act_cfg,
                 init_cfg=list(init_cfg) if init_cfg else None),
            kernel_sizes, expand_ratio, arch, norm_cfg, act_cfg, fused)
        self.incre_modules = nn.ModuleList(
            self._make_block(f'incre_modules.{b}', c, h, 1)
            for b, (c, h) in enumerate(zip(in_channels, head_channels)))
        self.downsamp_modules = nn.ModuleList(
            self._make_block(f'downsamp_modules.{b}', head_channels[b], head_channels[b + 1], 2)
            for b in range(len(head_channels) - 1))
        self.final_layer = ConvModule(head_channels[-1], last_channel, 1, norm_cfg=norm_cfg,
                                      act_cfg=act_cfg)
        self._check_arch_names()

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor]:
        if len(inputs) != len(self.incre_modules):
            raise ConfigError(f'HRNASClsNeck: {len(inputs)} branch maps, expected '
                              f'{len(self.incre_modules)}')
        x = self.incre_modules[0](inputs[0])
        for b, down in enumerate(self.downsamp_modules):
            x = self.incre_modules[b + 1](inputs[b + 1]) + down(x)
        return (self.final_layer(x).mean((2, 3)), )
