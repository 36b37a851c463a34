"""Convert a released AttentiveNAS checkpoint (supernet or child) to mmnas.

    python tools/model_converters/attentivenas2mmnas.py SRC DST [--child a0|ARCH.json]
                                                        [--num-classes 1000]

SRC is AttentiveNAS's ``torch.save`` file (its ``state_dict``, keys as the released
``AttentiveNasDynamicModel`` or a static child of it). DST is an mmnas checkpoint of mmpretrain's
``ImageClassifier`` with a ``BigNASSuperNet`` backbone (AttentiveNAS's space) and a
``LinearClsHead``:

- a supernet SRC without ``--child`` gives the supernet (``load_from`` of
  ``bignas-supernet_8xb128_in1k.py`` with ``model.backbone.search_space`` set to AttentiveNAS's,
  or of its search config);
- with ``--child`` (a published child ``a0`` ... ``a6``, or a JSON file with a child in the
  released format ``resolution, width, depth, kernel_size, expand_ratio``) it gives that
  child as a static network, ``meta['arch_spec']`` naming it (``load_from`` of
  ``configs/bignas/attentivenas-a*_in1k.py``); a child SRC needs ``--child``.
"""
import argparse
import json
import os.path as osp
from typing import Optional, Sequence

import torch

from mmnas.bignas.attentivenas import (ATTENTIVENAS_CHILDREN, ATTENTIVENAS_SPACE,
                                       arch_from_attentivenas, convert_attentivenas)
from mmnas.engine.runner.export import finalize_spec, searched_state_dict
from mmnas.utils import register_all_modules
from mmnas.utils.cli import run_tool
from mmnas.utils.config_check import ConfigError


def build_classifier(arch: Optional[dict] = None, num_classes: int = 1000):
    """mmpretrain's ImageClassifier around ``BigNASSuperNet`` on AttentiveNAS's space (the
    supernet, or the static child ``arch``)."""
    from mmpretrain.registry import MODELS
    backbone = dict(type='mmnas.BigNASSuperNet', search_space=ATTENTIVENAS_SPACE)
    if arch is not None:
        backbone['arch'] = arch
    return MODELS.build(dict(
        type='ImageClassifier', backbone=backbone, neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=num_classes,
                  in_channels=max(ATTENTIVENAS_SPACE['last_conv']['width']))))


def read_child(child: str) -> dict:
    """A published child's name or a JSON file in the released format."""
    if child.lower() in ATTENTIVENAS_CHILDREN:
        return dict(ATTENTIVENAS_CHILDREN[child.lower()])
    if not osp.isfile(child):
        raise ConfigError(f'--child: expected one of {sorted(ATTENTIVENAS_CHILDREN)} or a JSON '
                          f'file, got {child!r}')
    with open(child) as f:
        return json.load(f)


def convert(src: str, dst: str, child: Optional[str] = None, num_classes: int = 1000) -> None:
    ckpt = torch.load(src, map_location='cpu', weights_only=False)
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not state:
        raise ConfigError(f'{src}: expected a checkpoint with a state_dict')
    is_child = not any(k.endswith('depth_conv.conv.conv.weight') for k in state)
    released = read_child(child) if child else None
    if is_child and released is None:
        raise ConfigError(f'{src} holds a child network: give its architecture with --child')
    arch = arch_from_attentivenas(released) if released else None
    if is_child:
        model = build_classifier(arch, num_classes)
        model.load_state_dict(convert_attentivenas(
            state, model.state_dict(), list(released['depth']), child=True))
        spec = model.backbone.export_arch()
        backbone_state = model.backbone.state_dict()
    else:
        model = build_classifier(None, num_classes)
        depths = [max(s['depth']) for s in ATTENTIVENAS_SPACE['stages']]
        model.load_state_dict(convert_attentivenas(state, model.state_dict(), depths,
                                                   child=False))
        if arch is None:
            torch.save(dict(state_dict=model.state_dict(), meta=dict(converted_from=src)), dst)
            print(f'{src} (AttentiveNAS supernet) -> {dst}')
            return
        model.backbone.set_arch(arch)
        spec, backbone_state = model.backbone.export()
    r = arch['resolution']
    finalize_spec(spec, (3, r, r), checkpoint=src, converted_from='AttentiveNAS')
    torch.save(dict(state_dict=searched_state_dict(model, backbone_state),
                    meta=dict(arch_spec=spec.to_dict(), converted_from=src)), dst)
    print(f'{src} ({"child" if is_child else "supernet"}) -> {dst}: child at {r}px, '
          f'{spec.cost["flops"] / 1e6:.1f} MFLOPs (mmengine count)')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('src', help='released AttentiveNAS checkpoint')
    parser.add_argument('dst', help='mmnas checkpoint to write')
    parser.add_argument('--child', help='a0 ... a6, or a JSON child in the released format')
    parser.add_argument('--num-classes', type=int, default=1000)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    register_all_modules(init_default_scope_=False)
    convert(args.src, args.dst, args.child, args.num_classes)


if __name__ == '__main__':
    run_tool(main)
