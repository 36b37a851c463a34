"""Test (evaluate) a checkpoint with the config's test dataloader and metrics.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.pkl]
                         [--show-dir DIR] [--cfg-options k=v ...] [--launcher ...]
"""
import argparse
import os
from typing import Optional, Sequence

from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmnas.engine import ensure_arch_spec_hook
from mmnas.utils import register_all_modules
from mmnas.utils.cli import (add_common_args, check_config, clean_work_dir_on_failure,
                             load_config, prepare_distributed, run_tool)
from mmnas.utils.config_check import ConfigError


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump the predictions to this pickle file')
    parser.add_argument('--show-dir', help='save drawn predictions in this directory')
    add_common_args(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def enable_visualization(cfg, show_dir: str) -> None:
    """Switch on the config's visualization hook and save its drawings in ``show_dir``, the way
    each host's own ``tools/test.py --show-dir`` does: mmpose's ``PoseVisualizationHook`` and
    mmpretrain's ``VisualizationHook`` get ``enable`` and ``out_dir``, mmseg's
    ``SegVisualizationHook`` gets ``draw`` and the visualizer's ``save_dir``, mmdet3d's hooks
    (``mmnas.BEVVisualizationHook`` included) get ``draw`` and ``test_out_dir``. Every test
    sample is drawn (the hosts' ``--interval`` default), and ``show_dir`` is made absolute
    because the pose and 3D hooks otherwise put it under ``work_dir/<timestamp>``."""
    hook = cfg.get('default_hooks', {}).get('visualization')
    if hook is None:
        raise ConfigError('--show-dir: the config has no default_hooks.visualization hook')
    show_dir = os.path.abspath(show_dir)
    kind = hook['type'].split('.')[-1] if isinstance(hook['type'], str) else \
        hook['type'].__name__
    if kind in ('PoseVisualizationHook', 'VisualizationHook'):
        hook.update(enable=True, out_dir=show_dir)
    elif kind == 'SegVisualizationHook':
        hook['draw'] = True
        cfg.visualizer['save_dir'] = show_dir
    elif kind in ('Det3DVisualizationHook', 'BEVVisualizationHook'):
        hook.update(draw=True, test_out_dir=show_dir)
    else:
        raise ConfigError(f'--show-dir: default_hooks.visualization is {hook["type"]!r}; '
                          'expected one of PoseVisualizationHook, VisualizationHook, '
                          'SegVisualizationHook, Det3DVisualizationHook, '
                          'mmnas.BEVVisualizationHook')
    hook['interval'] = 1


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run the tool on ``argv`` (default: the command line)."""
    args = parse_args(argv)
    register_all_modules(init_default_scope_=False)
    cfg = load_config(args.config, args.cfg_options, args.launcher, args.work_dir)
    if not os.path.isfile(args.checkpoint):
        raise ConfigError(f'checkpoint {args.checkpoint!r} does not exist')
    cfg.load_from = args.checkpoint
    if args.show_dir:
        enable_visualization(cfg, args.show_dir)
    if args.out:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ConfigError(f'--out {args.out!r}: expected a .pkl or .pickle file')
        evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else \
            [cfg.test_evaluator]
        cfg.test_evaluator = evaluators + [dict(type='DumpResults', out_file_path=args.out)]

    check_config(cfg, ['test'])
    prepare_distributed(cfg)
    with clean_work_dir_on_failure(cfg.work_dir):
        runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
        # Checkpoints say which architecture their weights belong to (meta['arch_spec']).
        ensure_arch_spec_hook(runner)
        runner.test()


if __name__ == '__main__':
    run_tool(main)
