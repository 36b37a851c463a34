"""Test (evaluate) a checkpoint with the config's test dataloader and metrics.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.pkl]
                         [--show-dir DIR] [--cfg-options k=v ...] [--launcher ...]
"""
import argparse
import os

from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmnas.engine import ensure_arch_spec_hook
from mmnas.utils import register_all_modules
from mmnas.utils.cli import (add_common_args, check_config, clean_work_dir_on_failure,
                             load_config, prepare_distributed, run_tool)
from mmnas.utils.config_check import ConfigError


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump the predictions to this pickle file')
    parser.add_argument('--show-dir', help='save drawn predictions in this directory')
    add_common_args(parser)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def enable_visualization(cfg, show_dir: str) -> None:
    """Switch on the host's visualization hook (mmseg, mmpose, mmdet3d, mmpretrain all
    configure one under ``default_hooks.visualization``) and save its drawings."""
    hook = cfg.get('default_hooks', {}).get('visualization')
    if hook is None:
        raise ConfigError('--show-dir: the config has no default_hooks.visualization hook')
    if 'enable' in hook:  # mmpretrain's VisualizationHook
        hook['enable'] = True
    else:
        hook['draw'] = True
    hook['interval'] = 1
    cfg.visualizer['save_dir'] = show_dir


def main() -> None:
    args = parse_args()
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
