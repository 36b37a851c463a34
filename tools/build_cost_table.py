"""Build the cost lookup table of a config's search space on this device.

    python tools/build_cost_table.py CONFIG [--out FILE] [--metric latency|flops]
                                     [--batch-size B] [--input-shape C H W]
                                     [--warmup N] [--repeats N] [--device DEV]
                                     [--cfg-options k=v ...]

Every (operation, input shape) of the supernet ``cfg.model.backbone`` is measured once, and
the linear classifier over ``cfg.model.head.num_classes`` classes unless
``cost_cfg.classifier=False``:
latency as the median of ``--repeats`` timed runs after ``--warmup`` untimed ones on a random
batch (DenseNAS supp. §A.1: batch 32 of 3×224×224 on the GPU it targets), or FLOPs by
mmengine's count.
Defaults come from the config's ``cost_cfg`` (``input_shape``, ``batch_size``, ``metric``,
``table`` = the output file); the search reads the table from ``cost_cfg.table``.
"""
import argparse
import os
import time

import torch
from mmengine.config import DictAction
from mmengine.registry import DefaultScope

from mmnas.cost import build_cost_table
from mmnas.registry import MODELS
from mmnas.utils import register_all_modules
from mmnas.utils.cli import load_config, run_tool
from mmnas.utils.config_check import ConfigError


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('config', help='config whose model.backbone is a supernet')
    parser.add_argument('--out', help='table file (default: cost_cfg.table)')
    parser.add_argument('--metric', choices=['latency', 'flops'],
                        help='default: cost_cfg.metric')
    parser.add_argument('--batch-size', type=int, help='default: cost_cfg.batch_size')
    parser.add_argument('--input-shape', type=int, nargs=3, metavar=('C', 'H', 'W'),
                        help='default: cost_cfg.input_shape')
    parser.add_argument('--warmup', type=int, default=10, help='untimed runs per operation')
    parser.add_argument('--repeats', type=int, default=30, help='timed runs per operation')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, "key=value" pairs')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope_=False)
    cfg = load_config(args.config, args.cfg_options, 'none', None)
    cost_cfg = dict(cfg.get('cost_cfg') or {})
    out = args.out or cost_cfg.get('table')
    metric = args.metric or cost_cfg.get('metric', 'latency')
    batch_size = args.batch_size or cost_cfg.get('batch_size', 32)
    input_shape = tuple(args.input_shape or cost_cfg.get('input_shape', (3, 224, 224)))
    if not out:
        raise ConfigError(f'{args.config}: no output file; pass --out or set cost_cfg.table')
    if min(args.warmup, args.repeats - 1, batch_size - 1) < 0:
        raise ConfigError('--warmup must be >= 0, --repeats and --batch-size >= 1')

    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        backbone = MODELS.build(cfg.model.backbone)
    if not hasattr(backbone, 'cost_graph'):
        raise ConfigError(f'model.backbone is a {type(backbone).__name__}, which lists no '
                          'operations to measure (cost_graph)')
    backbone.to(args.device)
    num_classes = None
    if cost_cfg.get('classifier', True):
        num_classes = (cfg.model.get('head') or {}).get('num_classes')
        if num_classes is None:
            raise ConfigError(f'{args.config}: cost_cfg.classifier counts the classifier over '
                              'model.head.num_classes, which is not set; set it or '
                              'cost_cfg.classifier=False')
    _, entries = backbone.cost_graph(input_shape, num_classes)
    start = time.perf_counter()
    table = build_cost_table(
        entries, metric=metric, batch_size=batch_size, warmup=args.warmup,
        repeats=args.repeats,
        meta=dict(config=args.config, device=str(args.device),
                  device_name=(torch.cuda.get_device_name(args.device)
                               if str(args.device).startswith('cuda') else 'cpu'),
                  input_shape=list(input_shape), torch=torch.__version__,
                  threads=torch.get_num_threads(), time=time.strftime('%Y-%m-%d %H:%M:%S')))
    table.dump(out)
    print(f'{len(table)} {metric} entries ({table.unit}) measured in '
          f'{time.perf_counter() - start:.1f} s on {args.device}; written to '
          f'{os.path.abspath(out)}')


if __name__ == '__main__':
    run_tool(main)
