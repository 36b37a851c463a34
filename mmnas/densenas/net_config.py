"""The authors' released ``net_config`` strings and :class:`ArchSpec`, both ways.

A released network is written as ``|``-separated entries, each a Python literal:

- ``[[C_in, C_out], head, [layer, ...], num_layers, stride]``: a block whose first operation
  (``head``) maps ``C_in`` to ``C_out`` at ``stride``, followed by its layers;
- ``[[C_in, C_out], 'conv1_1']``: the 1×1 convolution that ends a MobileNetV2-space network.

The stem is a 3×3 stride-2 convolution to the first entry's ``C_in``. In the MobileNetV2 space
the first entry is the stem's fixed ``mbconv_k3_t1`` (stride 1, no layers): it becomes the
stem's ``op`` here, as :meth:`DenseNASRouted.export_arch` writes it. In the ResNet space a
``bottle_neck`` entry's widths are its inner widths (the block outputs 4× as many channels).

The spec builds a :class:`DenseNASNet` computing the same network as the released
definition (same layers and shapes); the string round-trips exactly.
"""
import ast
import re
from typing import List, Optional

from mmnas.structures import ArchSpec
from mmnas.utils.config_check import ConfigError

NET_TYPES = ('mbv2', 'res')
_MBCONV = re.compile(r'mbconv_k(\d+)_t(\d+)$')
_IR = re.compile(r'ir_k(\d+)_e(\d+)$')
_NAMES = {'basic_block': 'basic', 'bottle_neck': 'bottleneck', 'skip_connect': 'skip',
          'conv1_1': 'conv_k1'}
#: Normalisation and activation of the released derived networks (MobileNetV2 space: BN eps
#: 1e-3 and ReLU6; ResNet space: stock BN, ReLU6 after the stem, ReLU in the blocks).
_STYLE = dict(mbv2=(dict(type='BN', eps=1e-3), dict(type='ReLU6')),
              res=(dict(type='BN'), dict(type='ReLU6')))


def released_to_op(name: str) -> str:
    """A released operation name as ours (``mbconv_k5_t6`` → ``ir_k5_e6``)."""
    match = _MBCONV.match(str(name))
    if match:
        return f'ir_k{match.group(1)}_e{match.group(2)}'
    if name not in _NAMES:
        raise ConfigError(f'net_config: unknown operation {name!r}; expected mbconv_k<k>_t<t>, '
                          f'{", ".join(_NAMES)}')
    return _NAMES[name]


def op_to_released(name: str) -> str:
    """One of our operation names as the released code writes it."""
    match = _IR.match(name)
    if match:
        return f'mbconv_k{match.group(1)}_t{match.group(2)}'
    inverse = {v: k for k, v in _NAMES.items()}
    if name not in inverse:
        raise ConfigError(f'net_config: operation {name!r} has no released name')
    return inverse[name]


def parse_net_config(text: str) -> List[list]:
    """The entries of a released ``net_config`` string."""
    entries = []
    for k, part in enumerate(str(text).split('|')):
        try:
            entry = ast.literal_eval(part.strip())
        except (ValueError, SyntaxError):
            raise ConfigError(f'net_config entry {k} {part.strip()!r} is not a Python '
                              'literal') from None
        if not (isinstance(entry, list) and len(entry) in (2, 5) and isinstance(entry[0], list)
                and len(entry[0]) == 2):
            raise ConfigError(f'net_config entry {k} {entry!r}: expected [[C_in, C_out], head, '
                              '[layers], num_layers, stride] or [[C_in, C_out], \'conv1_1\']')
        if len(entry) == 5 and (len(entry[2]) != entry[3] or entry[4] not in (1, 2)):
            raise ConfigError(f'net_config entry {k} {entry!r}: num_layers must count the '
                              'layers and stride be 1 or 2')
        entries.append(entry)
    if not entries:
        raise ConfigError('net_config is empty')
    return entries


def net_config_to_spec(text: str, net_type: str = 'mbv2') -> ArchSpec:
    """The :class:`ArchSpec` of a released ``net_config`` (``net_type`` ``'mbv2'`` or
    ``'res'``, the released ``net_type``)."""
    if net_type not in NET_TYPES:
        raise ConfigError(f'net_config net_type {net_type!r}: expected one of {NET_TYPES}')
    entries = parse_net_config(text)
    stem = dict(channels=entries[0][0][0], stride=2)
    first = entries[0]
    if net_type == 'mbv2' and len(first) == 5 and first[4] == 1 and not first[2]:
        stem.update(op=released_to_op(first[1]), op_channels=first[0][1])
        entries = entries[1:]
    width = stem.get('op_channels', stem['channels'])
    blocks = []
    for k, entry in enumerate(entries):
        (c_in, c_out) = entry[0]
        scale = 4 if net_type == 'res' and entry[1] == 'bottle_neck' else 1
        if k and c_in * scale != width:
            raise ConfigError(f'net_config entry {entry!r} takes {c_in} channels, the '
                              f'previous block gives {width // scale}')
        if len(entry) == 2:
            if entry[1] != 'conv1_1' or k != len(entries) - 1:
                raise ConfigError(f'net_config entry {entry!r}: only the last entry may be '
                                  "[[C_in, C_out], 'conv1_1']")
            blocks.append(dict(channels=c_out, stride=1, ops=['conv_k1']))
        else:
            blocks.append(dict(channels=c_out * scale, stride=entry[4],
                               ops=[released_to_op(o) for o in [entry[1]] + list(entry[2])]))
        width = blocks[-1]['channels']
    norm_cfg, act_cfg = _STYLE[net_type]
    backbone = dict(type='mmnas.DenseNASNet', in_channels=3, stem=stem, blocks=blocks,
                    out_indices=[len(blocks) - 1], norm_cfg=norm_cfg, act_cfg=act_cfg)
    return ArchSpec(method='densenas', backbone=backbone,
                    meta=dict(net_type=net_type, net_config=str(text)))


def spec_to_net_config(spec: ArchSpec, net_type: Optional[str] = None) -> str:
    """The released ``net_config`` of a :class:`DenseNASNet` spec (``net_type``: ``'res'``
    if its blocks are basic blocks or bottlenecks, else ``'mbv2'``, unless given)."""
    backbone = spec.backbone
    if backbone.get('type') not in ('mmnas.DenseNASNet', 'DenseNASNet'):
        raise ConfigError(f'net_config: the spec builds a {backbone.get("type")}, expected '
                          'mmnas.DenseNASNet')
    blocks = backbone['blocks']
    if net_type is None:
        net_type = 'res' if blocks[0]['ops'][0] in ('basic', 'bottleneck') else 'mbv2'
    if net_type not in NET_TYPES:
        raise ConfigError(f'net_config net_type {net_type!r}: expected one of {NET_TYPES}')
    stem = backbone.get('stem', dict(channels=32, stride=2))
    if stem.get('stride', 2) != 2:
        raise ConfigError(f'net_config: the released stem has stride 2, the spec {stem}')
    entries = []
    width = stem['channels']
    if stem.get('op'):
        entries.append([[width, stem['op_channels']], op_to_released(stem['op']), [], 0, 1])
        width = stem['op_channels']
    for k, block in enumerate(blocks):
        ops = list(block['ops'])
        if ops == ['conv_k1'] and k == len(blocks) - 1 and net_type == 'mbv2':
            entries.append([[width, block['channels']], 'conv1_1'])
        else:
            scale = 4 if ops[0] == 'bottleneck' else 1
            c_in = width if not entries and scale == 4 else width // scale
            entries.append([[c_in, block['channels'] // scale], op_to_released(ops[0]),
                            [op_to_released(o) for o in ops[1:]], len(ops) - 1,
                            block['stride']])
        width = block['channels']
    return '|\n'.join(str(e) for e in entries)
