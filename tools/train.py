"""Train a model (a supernet search, or a searched network) from a config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
                          [--cfg-options k=v ...] [--launcher none|pytorch|slurm]
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
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume', nargs='?', const='auto', default=None, metavar='CKPT',
        help='resume from CKPT, or from the latest checkpoint in the work dir if no CKPT')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    add_common_args(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run the tool on ``argv`` (default: the command line)."""
    args = parse_args(argv)
    register_all_modules(init_default_scope_=False)
    cfg = load_config(args.config, args.cfg_options, args.launcher, args.work_dir)

    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise ConfigError(f'--amp: the config uses optim_wrapper type {wrapper!r}; AMP '
                              'works with OptimWrapper')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    phases = ['train'] + (['val'] if cfg.get('val_cfg') and cfg.get('val_dataloader') else [])
    check_config(cfg, phases)
    prepare_distributed(cfg)
    with clean_work_dir_on_failure(cfg.work_dir):
        runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
        # Checkpoints say which architecture their weights belong to (meta['arch_spec']).
        ensure_arch_spec_hook(runner)
        runner.train()


if __name__ == '__main__':
    run_tool(main)
