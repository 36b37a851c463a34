"""AttentiveNAS (Wang et al., CVPR 2021) in :class:`~mmnas.bignas.BigNASSuperNet`: its
published children A0-A6 and the conversion of its released checkpoints.

AttentiveNAS trains BigNAS's single-stage model on the space of
:data:`~mmnas.bignas.space.DEFAULT_SEARCH_SPACE` (with its resolutions
:data:`~mmnas.bignas.space.ATTENTIVENAS_RESOLUTIONS`). A child in its released format::

    dict(resolution=224, width=[c_stem, c_1, ..., c_7, c_last], depth=[d_1, ..., d_7],
         kernel_size=[k_1, ..., k_7], expand_ratio=[t_1, ..., t_7])

Released state dicts (``checkpoint['state_dict']``, keys optionally prefixed ``module.``):

- supernet: ``first_conv.conv.conv.weight``, ``first_conv.bn.bn.*``,
  ``blocks.<b>.mobile_inverted_conv.{inverted_bottleneck,depth_conv,point_linear}.conv.conv
  .weight`` and ``.bn.bn.*``, ``...depth_conv.se.fc.{reduce,expand}.*``,
  ``blocks.<b>.shortcut.conv.conv.weight``, ``last_conv.final_expand_layer.{conv.conv,bn.bn}.*``,
  ``last_conv.feature_mix_layer.conv.conv.weight``, ``classifier.linear.linear.*``, and the
  ``bn_tracking`` buffers; ``<b>`` counts blocks over the largest depths.
- child: the same without the doubled ``conv.conv`` / ``bn.bn`` / ``linear.linear``,
  ``last_conv.0`` / ``last_conv.2`` for the head, ``<b>`` counting the child's blocks.
"""
import re
from typing import Dict, List, Mapping, Optional

import torch.nn.functional as F
from torch import Tensor

from mmnas.utils.config_check import ConfigError
from .space import ATTENTIVENAS_RESOLUTIONS, DEFAULT_SEARCH_SPACE

#: AttentiveNAS's search space exactly: :data:`DEFAULT_SEARCH_SPACE` with its resolutions.
ATTENTIVENAS_SPACE = dict(DEFAULT_SEARCH_SPACE, resolution=ATTENTIVENAS_RESOLUTIONS)

#: The published children (AttentiveNAS Table 2; the released ``eval_attentive_nas_models``)
#: in the released format, and their published MFLOPs (multiply-adds).
ATTENTIVENAS_CHILDREN = dict(
    a0=dict(resolution=192, width=[16, 16, 24, 32, 64, 112, 192, 216, 1792],
            kernel_size=[3, 3, 3, 3, 3, 3, 3], expand_ratio=[1, 4, 4, 4, 4, 6, 6],
            depth=[1, 3, 3, 3, 3, 3, 1], mflops=203),
    a1=dict(resolution=224, width=[16, 16, 24, 32, 64, 112, 192, 216, 1984],
            kernel_size=[3, 3, 3, 5, 3, 5, 3], expand_ratio=[1, 4, 4, 4, 4, 6, 6],
            depth=[1, 3, 3, 3, 3, 3, 1], mflops=279),
    a2=dict(resolution=224, width=[16, 16, 24, 32, 64, 112, 200, 224, 1984],
            kernel_size=[3, 3, 3, 3, 3, 5, 3], expand_ratio=[1, 4, 5, 4, 4, 6, 6],
            depth=[1, 3, 3, 3, 3, 4, 1], mflops=317),
    a3=dict(resolution=224, width=[16, 16, 24, 32, 64, 112, 208, 224, 1984],
            kernel_size=[3, 3, 3, 5, 3, 3, 3], expand_ratio=[1, 4, 4, 4, 4, 6, 6],
            depth=[2, 3, 3, 4, 3, 5, 1], mflops=357),
    a4=dict(resolution=256, width=[16, 16, 24, 32, 64, 112, 192, 216, 1984],
            kernel_size=[3, 3, 3, 5, 3, 5, 3], expand_ratio=[1, 4, 4, 5, 4, 6, 6],
            depth=[1, 3, 3, 4, 3, 5, 1], mflops=444),
    a5=dict(resolution=256, width=[16, 16, 24, 32, 72, 112, 192, 216, 1792],
            kernel_size=[3, 3, 3, 5, 3, 3, 3], expand_ratio=[1, 4, 5, 4, 4, 6, 6],
            depth=[1, 3, 3, 3, 4, 6, 1], mflops=491),
    a6=dict(resolution=288, width=[16, 16, 24, 32, 64, 112, 216, 224, 1984],
            kernel_size=[3, 3, 3, 3, 3, 5, 3], expand_ratio=[1, 4, 6, 5, 4, 6, 6],
            depth=[1, 3, 3, 4, 4, 6, 1], mflops=709),
)


def arch_from_attentivenas(cfg: Mapping) -> dict:
    """A child in AttentiveNAS's released format as a :class:`BigNASSuperNet` arch."""
    try:
        width, depth = list(cfg['width']), list(cfg['depth'])
        kernel, expand = list(cfg['kernel_size']), list(cfg['expand_ratio'])
        resolution = cfg['resolution']
    except (KeyError, TypeError):
        raise ConfigError('AttentiveNAS child: expected dict(resolution, width, depth, '
                          f'kernel_size, expand_ratio), got {cfg!r}') from None
    n = len(depth)
    if not (len(kernel) == len(expand) == n and len(width) == n + 2):
        raise ConfigError(f'AttentiveNAS child: {n} depths need {n} kernel sizes, {n} expand '
                          f'ratios and {n + 2} widths, got {len(kernel)}, {len(expand)}, '
                          f'{len(width)}')
    return dict(resolution=resolution, first_conv=dict(width=width[0]),
                stages=[dict(width=w, depth=d, kernel=k, expand=t)
                        for w, d, k, t in zip(width[1:-1], depth, kernel, expand)],
                last_conv=dict(width=width[-1]))


_LAYER = {'inverted_bottleneck': 'expand', 'depth_conv': 'depthwise',
          'point_linear': 'project'}


def _released_block_key(rest: str, child: bool) -> Optional[str]:
    """``mobile_inverted_conv.depth_conv.conv.conv.weight`` → ``depthwise.conv.weight``;
    ``None`` for a tensor with no counterpart."""
    dup = '' if child else r'\.(?:conv|bn)'
    m = re.fullmatch(r'mobile_inverted_conv\.(inverted_bottleneck|depth_conv|point_linear)'
                     rf'\.(conv|bn){dup}\.(\w+)', rest)
    if m:
        return f'{_LAYER[m[1]]}.{m[2]}.{m[3]}'
    m = re.fullmatch(r'mobile_inverted_conv\.depth_conv\.se\.fc\.(reduce|expand)\.(\w+)', rest)
    if m:
        return f'se.{m[1]}.{m[2]}'
    m = re.fullmatch(r'shortcut\.conv' + ('' if child else r'\.conv') + r'\.weight', rest)
    if m:
        return 'shortcut.conv.weight'
    return None


def convert_attentivenas(state_dict: Mapping[str, Tensor], target: Mapping[str, Tensor],
                         depths: List[int], child: bool) -> Dict[str, Tensor]:
    """Rename a released AttentiveNAS state dict to an ``ImageClassifier`` with a
    :class:`BigNASSuperNet` backbone and a ``LinearClsHead``.

    Args:
        state_dict: the released ``state_dict`` (supernet or child; ``module.`` prefixes ok).
        target: the state dict of the model it goes into (``backbone.*``, ``head.fc.*``):
            names and shapes to check against.
        depths: blocks per stage as the released ``blocks.<b>`` count them (the largest
            depths for a supernet, the child's depths for a child).
        child: the released tensors are a child's (static layout).

    Returns:
        ``target``'s keys with the released tensors (a child's classifier zero-padded to the
        head's input width). Released tensors the target does not
        use are left out: the BN tracking buffers, and the shortcut projections of blocks
        whose input and output widths are always equal.

    Raises:
        ConfigError: naming a released tensor with no counterpart, a target tensor the
        released state dict lacks, or a shape that differs.
    """
    sd = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state_dict.items()}
    where = []
    for i, d in enumerate(depths):
        where += [(i, j) for j in range(d)]
    dup = '' if child else r'\.(?:conv|bn)'
    expand, mix = ('0', '2') if child else ('final_expand_layer', 'feature_mix_layer')
    out = {}
    for key, value in sd.items():
        if '.bn_tracking.' in key:
            continue
        new = None
        m = re.fullmatch(r'blocks\.(\d+)\.(.+)', key)
        if m:
            b = int(m[1])
            if b >= len(where):
                raise ConfigError(f'AttentiveNAS checkpoint: {key!r} beyond the '
                                  f'{len(where)} blocks of depths {depths}')
            rest = _released_block_key(m[2], child)
            if rest is not None:
                i, j = where[b]
                new = f'backbone.stages.{i}.{j}.{rest}'
        else:
            m = re.fullmatch(rf'last_conv\.({expand}|{mix})\.(conv|bn){dup}\.(\w+)', key)
            if m:
                layer = 'final_expand' if m[1] == expand else 'feature_mix'
                new = f'backbone.last_conv.{layer}.{m[2]}.{m[3]}'
            m = re.fullmatch(rf'first_conv\.(conv|bn){dup}\.(\w+)', key)
            if m:
                new = f'backbone.first_conv.{m[1]}.{m[2]}'
            m = re.fullmatch(r'classifier\.linear' + ('' if child else r'\.linear') +
                             r'\.(weight|bias)', key)
            if m:
                new = f'head.fc.{m[1]}'
        if new is None:
            raise ConfigError(f'AttentiveNAS checkpoint: no counterpart for {key!r}')
        if new not in target:
            if new.endswith('shortcut.conv.weight'):
                continue
            raise ConfigError(f'AttentiveNAS checkpoint: {key!r} maps to {new!r}, which the '
                              'target model lacks')
        want = target[new].shape
        if new == 'head.fc.weight' and value.shape[0] == want[0] and value.shape[1] < want[1]:
            # The backbone zero-pads its output to the widest c_last (a stock head fits every
            # child); the columns of the padded channels never meet a non-zero input.
            value = F.pad(value, (0, want[1] - value.shape[1]))
        if tuple(value.shape) != tuple(want):
            raise ConfigError(f'AttentiveNAS checkpoint: {key!r} has shape '
                              f'{tuple(value.shape)}, {new!r} needs '
                              f'{tuple(target[new].shape)}')
        out[new] = value
    missing = sorted(set(target) - set(out))
    if missing:
        raise ConfigError(f'AttentiveNAS checkpoint: no tensor for {missing[:5]}'
                          f'{" ..." if len(missing) > 5 else ""} ({len(missing)} in all)')
    return out
