"""Convert between the authors' released HR-NAS architecture file and an mmnas ArchSpec.

The released code writes a searched network as a JSON list, one row per searching block
(``checkpoint.json``: ``[out_channels, 1, stride, kernels, hidden_channels, expand]``; see
``mmnas.hrnas.released``). ``import`` turns such a file into ``arch.json`` for the supernet
and searched head of an mmnas config; ``export`` turns an ``arch.json`` back into rows.

    python tools/model_converters/hrnas_released_arch.py import checkpoint.json \\
        configs/hrnas/hrnas-a_imagenet.py --out work_dirs/released/arch.json
    python tools/model_converters/hrnas_released_arch.py export work_dirs/released/arch.json \\
        --out checkpoint.json

The released rows carry no transformer widths; ``import`` drops the config's transformers
unless ``--keep-context`` (the released classification config searches and retrains without
them).
"""
import argparse
import json
import os.path as osp

from mmengine.config import Config

from mmnas.engine.runner.export import finalize_spec
from mmnas.hrnas import HRNASSuperNet
from mmnas.hrnas.released import arch_from_released, released_from_network
from mmnas.models import HEAD_KEYS
from mmnas.registry import MODELS
from mmnas.structures import ArchSpec
from mmnas.utils import register_all_modules
from mmnas.utils.config_check import ConfigError


def searched_head_configs(model_cfg: dict) -> dict:
    """``{attribute: config}`` of the config's heads built of searching blocks."""
    return {key: dict(model_cfg[key]) for key in HEAD_KEYS
            if isinstance(model_cfg.get(key), dict)
            and str(model_cfg[key].get('type', '')).startswith('mmnas.HRNAS')}


def import_released(rows_file: str, config: str, keep_context: bool = False,
                    input_shape=(3, 224, 224)) -> ArchSpec:
    """The ArchSpec of the released ``rows_file`` for the supernet and heads of ``config``."""
    with open(rows_file) as f:
        try:
            rows = json.load(f)
        except json.JSONDecodeError as e:
            raise ConfigError(f'{rows_file}: not JSON ({e}); expected the released list of '
                              'per-block rows') from None
    if not isinstance(rows, list):
        raise ConfigError(f'{rows_file}: expected a JSON list of per-block rows')
    model_cfg = Config.fromfile(config).model.to_dict()
    backbone_cfg = {k: v for k, v in model_cfg['backbone'].items() if k != 'type'}
    if not model_cfg['backbone'].get('type', '').endswith('HRNASSuperNet'):
        raise ConfigError(f'{config}: model.backbone is {model_cfg["backbone"].get("type")!r}; '
                          'expected mmnas.HRNASSuperNet')
    if not keep_context:
        backbone_cfg['context'] = None
    heads_cfg = searched_head_configs(model_cfg)
    heads = {key: MODELS.build(cfg) for key, cfg in heads_cfg.items()}
    arch, head_arch = arch_from_released(rows, HRNASSuperNet(**backbone_cfg), heads)
    spec = HRNASSuperNet(**backbone_cfg, arch=arch).export_arch()
    spec.heads = {key: MODELS.build(dict(cfg, arch=head_arch[key])).export_config()
                  for key, cfg in heads_cfg.items()}
    return finalize_spec(spec, input_shape, config=config, released_file=rows_file)


def export_released(spec: ArchSpec) -> list:
    """The released rows of the network (backbone and searched heads) ``spec`` describes."""
    heads = {key: spec.build_head(key) for key in spec.heads}
    return released_from_network(spec.build(), heads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    imp = sub.add_parser('import', help='released rows -> arch.json')
    imp.add_argument('rows', help='the released per-block JSON (checkpoint.json)')
    imp.add_argument('config', help='mmnas HR-NAS config whose supernet and head it fits')
    imp.add_argument('--out', required=True, help='arch.json to write')
    imp.add_argument('--keep-context', action='store_true',
                     help="keep the config's transformers (full width)")
    imp.add_argument('--input-shape', type=int, nargs=3, default=(3, 224, 224),
                     help='C H W at which the spec cost is counted')
    exp = sub.add_parser('export', help='arch.json -> released rows')
    exp.add_argument('spec', help='arch.json')
    exp.add_argument('--out', required=True, help='released JSON to write')
    args = parser.parse_args()
    register_all_modules(init_default_scope_=False)
    if args.command == 'import':
        spec = import_released(args.rows, args.config, args.keep_context, args.input_shape)
        spec.dump(args.out)
        print(f'{args.out}: backbone {spec.cost["flops"] / 1e6:.1f} MFLOPs '
              f'{spec.cost["params"] / 1e6:.3f} M params at {spec.cost["input_shape"]}, '
              f'searched heads {sorted(spec.heads)}')
    else:
        rows = export_released(ArchSpec.load(args.spec))
        with open(args.out, 'w') as f:
            json.dump(rows, f)
        print(f'{osp.abspath(args.out)}: {len(rows)} blocks')


if __name__ == '__main__':
    main()
