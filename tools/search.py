"""Run a config's search / derivation loop and write the searched architecture.

    python tools/search.py CONFIG [CHECKPOINT] [--work-dir DIR] [--cfg-options k=v ...]
                           [--launcher ...]

The config's ``search_cfg`` names the loop, e.g. ``dict(type='mmnas.DeriveArchLoop',
input_shape=(3, 512, 1024))``. Whatever the method, it writes ``arch.json`` (an ``ArchSpec``)
and ``searched.pth`` (the stock model with the searched backbone's weights) into the work dir;
``backbone=dict(type='mmnas.SearchedBackbone', arch_spec='arch.json',
checkpoint='searched.pth')`` builds the searched network from them.
"""
import argparse
import os
from typing import Optional, Sequence

from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmnas.registry import LOOPS
from mmnas.engine import ensure_arch_spec_hook
from mmnas.utils import register_all_modules
from mmnas.utils.cli import (add_common_args, check_config, clean_work_dir_on_failure,
                             load_config, prepare_distributed, run_tool)
from mmnas.utils.config_check import ConfigError


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('config', help='config file with a search_cfg')
    parser.add_argument('checkpoint', nargs='?', help='trained supernet checkpoint')
    add_common_args(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run the tool on ``argv`` (default: the command line)."""
    args = parse_args(argv)
    register_all_modules(init_default_scope_=False)
    cfg = load_config(args.config, args.cfg_options, args.launcher, args.work_dir)
    search_cfg = cfg.get('search_cfg')
    if not search_cfg:
        raise ConfigError(f'{args.config} has no search_cfg (the search or derivation loop, '
                          "e.g. search_cfg=dict(type='mmnas.DeriveArchLoop', "
                          'input_shape=(3, 512, 1024)))')
    if args.checkpoint is not None and not os.path.isfile(args.checkpoint):
        raise ConfigError(f'checkpoint {args.checkpoint!r} does not exist')
    check_config(cfg, [])
    prepare_distributed(cfg)
    with clean_work_dir_on_failure(cfg.work_dir):
        runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
        # Checkpoints say which architecture their weights belong to (meta['arch_spec']).
        ensure_arch_spec_hook(runner)
        # As Runner.test does: hooks set up (e.g. EMAHook's copy) before weights are loaded.
        runner.call_hook('before_run')
        if args.checkpoint is not None:
            runner.load_checkpoint(args.checkpoint)
        loop = LOOPS.build(search_cfg, default_args=dict(runner=runner))
        loop.run(checkpoint=args.checkpoint)
        runner.call_hook('after_run')


if __name__ == '__main__':
    run_tool(main)
