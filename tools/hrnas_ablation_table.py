"""Params and FLOPs of the transformer ablations of HR-NAS supp. Tables 1–2, next to the paper's.

    python tools/hrnas_ablation_table.py [--table 1 2] [--rows LABEL ...]
                                         [--input-shape C H W] [--cfg-options k=v ...]

Each row's config (``configs/hrnas/ablations/``) is built as it trains (mmseg's
EncoderDecoder around the HR-NAS supernet with that row's context path) and counted by
:func:`mmnas.cost.count_complexity` on one ``C×H×W`` input, by default the 512×1024 crop of
HR-NAS supp. §1. Printed per table: the row, our params and FLOPs and their increase over the
baseline row, then the published params, FLOPs, their increase and the published mIoU / mAcc /
aAcc. The paper counts a searched network that it does not give, and ours is the unshrunk
supernet, so the absolute numbers differ; the increases compare the context paths.
"""
import argparse
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import DictAction
from mmengine.registry import DefaultScope

from mmnas.cost import count_complexity
from mmnas.registry import MODELS
from mmnas.utils import register_all_modules
from mmnas.utils.cli import load_config, run_tool
from mmnas.utils.config_check import ConfigError

ABLATIONS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', 'hrnas',
                     'ablations')

#: Row label, config in ``configs/hrnas/ablations/``, and the published params (M), FLOPs (G),
#: mIoU, mAcc and aAcc (%) of HR-NAS supp. Table 1 (projection size s, n = 8) and Table 2
#: (attention structure and tokens, n = 8, s = 8), Cityscapes val.
TABLES: Dict[int, List[Tuple[str, str, Tuple[float, float, float, float, float]]]] = {
    1: [
        ('Baseline', 'hrnas-a_cityscapes_no-context.py', (1.120, 1.863, 71.99, 80.33, 95.40)),
        ('2x2', 'hrnas-a_cityscapes_tf-s2.py', (1.180, 1.863, 72.27, 80.74, 95.40)),
        ('4x4', 'hrnas-a_cityscapes_tf-s4.py', (1.246, 1.864, 73.32, 81.76, 95.45)),
        ('8x8', 'hrnas-a_cityscapes_tf-s8.py', (2.273, 1.872, 74.22, 82.36, 95.52)),
        ('16x16', 'hrnas-a_cityscapes_tf-s16.py', (18.543, 1.969, 74.18, 82.07, 95.50)),
    ],
    2: [
        ('Baseline', 'hrnas-a_cityscapes_no-context.py', (1.120, 1.863, 71.99, 80.33, 95.40)),
        ('SE', 'hrnas-a_cityscapes_se.py', (2.101, 1.864, 72.81, 81.33, 95.35)),
        ('Non-local', 'hrnas-a_cityscapes_non-local.py', (1.317, 2.951, 72.50, 81.32, 95.34)),
        ('Enc (spatial)', 'hrnas-a_cityscapes_tf-enc-spatial.py',
         (1.184, 1.866, 72.61, 80.97, 95.26)),
        ('Enc (channel)', 'hrnas-a_cityscapes_tf-enc-channel.py',
         (1.723, 1.869, 73.66, 82.10, 95.50)),
        ('Enc + Dec (spatial)', 'hrnas-a_cityscapes_tf-encdec-spatial.py',
         (1.204, 1.867, 73.54, 81.87, 95.44)),
        ('Enc + Dec (channel)', 'hrnas-a_cityscapes_tf-s8.py',
         (2.273, 1.872, 74.22, 82.36, 95.52)),
    ],
}
HEADER = ('Row', 'Params', 'FLOPs', 'dParams', 'dFLOPs', '|', 'paper Params', 'FLOPs', 'dParams',
          'dFLOPs', 'mIoU', 'mAcc', 'aAcc')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--table', type=int, nargs='+', choices=sorted(TABLES),
                        default=sorted(TABLES), help='which tables of HR-NAS supp.')
    parser.add_argument('--rows', nargs='+', metavar='LABEL',
                        help='only these rows (labels as printed; the baseline row is always '
                        'counted, for the increases)')
    parser.add_argument('--input-shape', type=int, nargs=3, metavar=('C', 'H', 'W'),
                        default=(3, 512, 1024), help='input of the count (default 3 512 1024)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of every row config, "key=value" pairs')
    return parser.parse_args(argv)


def count_config(name: str, input_shape: Sequence[int], cfg_options: Optional[dict]) -> dict:
    """``dict(params=M, flops=G)`` of the model of ``configs/hrnas/ablations/<name>``."""
    cfg = load_config(osp.join(ABLATIONS, name), cfg_options, 'none', None)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        model = MODELS.build(cfg.model)
    cost = count_complexity(model, input_shape)
    return dict(params=cost['params'] / 1e6, flops=cost['flops'] / 1e9)


def format_table(table: int, counted: Dict[str, dict], rows: Optional[Sequence[str]],
                 input_shape: Sequence[int]) -> str:
    """One table of HR-NAS supp. as text: ours next to the published numbers."""
    lines = [f'HR-NAS supp. Table {table} (ours counted on {"x".join(map(str, input_shape))}; '
             'params in M, FLOPs in G; d = increase over Baseline)']
    widths = (20, 8, 8, 8, 8, 1, 12, 7, 8, 7, 6, 6, 6)
    lines.append(' '.join(h.rjust(w) if i else h.ljust(w)
                          for i, (h, w) in enumerate(zip(HEADER, widths))))
    base_label, base_cfg, base_paper = TABLES[table][0]
    base = counted[base_cfg]
    for label, name, paper in TABLES[table]:
        if rows and label not in rows and label != base_label:
            continue
        ours = counted[name]
        cells = [label, f'{ours["params"]:.3f}', f'{ours["flops"]:.3f}',
                 f'{ours["params"] - base["params"]:+.3f}', f'{ours["flops"] - base["flops"]:+.3f}',
                 '|', f'{paper[0]:.3f}', f'{paper[1]:.3f}', f'{paper[0] - base_paper[0]:+.3f}',
                 f'{paper[1] - base_paper[1]:+.3f}', *(f'{v:.2f}' for v in paper[2:])]
        lines.append(' '.join(c.rjust(w) if i else c.ljust(w)
                              for i, (c, w) in enumerate(zip(cells, widths))))
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    known = {label for t in args.table for label, _, _ in TABLES[t]}
    unknown = sorted(set(args.rows or ()) - known)
    if unknown:
        raise ConfigError(f'--rows: unknown rows {unknown}; expected labels of tables '
                          f'{args.table}: {sorted(known)}')
    register_all_modules(init_default_scope_=False)
    counted: Dict[str, dict] = {}
    for table in args.table:
        for i, (label, name, _) in enumerate(TABLES[table]):
            wanted = i == 0 or not args.rows or label in args.rows
            if wanted and name not in counted:
                counted[name] = count_config(name, args.input_shape, args.cfg_options)
        print(format_table(table, counted, args.rows, args.input_shape))
        print()


if __name__ == '__main__':
    run_tool(main)
