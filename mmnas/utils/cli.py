"""What ``tools/train.py``, ``tools/test.py`` and ``tools/search.py`` share.

The tools stay thin argparse layers over mmengine's ``Runner`` (as mmseg's are); this module
adds what a stock tool lacks: a config checked before anything is written, CPU multi-process
runs, and bad input reported as one line with a non-zero exit and a clean work directory.
"""
import argparse
import os
import os.path as osp
import shutil
import sys
from contextlib import contextmanager
from typing import Callable, Iterator, Optional, Sequence

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log

from .checkpoint import CheckpointError
from .config_check import ConfigError, check_cfg_options, check_data, check_types

#: Exceptions that mean bad input, reported in one line rather than a traceback.
BAD_INPUT = (ConfigError, CheckpointError)


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--work-dir', help='the directory to save logs, checkpoints and '
                        'results (default: ./work_dirs/<config name>)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, "key=value" pairs (e.g. train_cfg.max_iters=100); '
        'lists as key="[a,b]" or key=a,b; no spaces inside a value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK instead.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(path: str, cfg_options: Optional[dict], launcher: str,
                work_dir: Optional[str]) -> Config:
    """Read a config, apply ``--cfg-options`` after checking them, set launcher and work dir.

    Work dir priority: command line, then the config's ``work_dir``, then
    ``./work_dirs/<config name>``.
    """
    if not osp.isfile(path):
        raise ConfigError(f'config file {path!r} does not exist')
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as e:
        raise ConfigError(f'config {path!r}: invalid Python at line {e.lineno}: {e.msg}') from e
    check_cfg_options(cfg, cfg_options)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    elastic_sync_bn(cfg)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])
    return cfg


#: Backbones whose BN layers are elastic and synchronize themselves (``sync_bn=True``).
ELASTIC_BN_BACKBONES = ('mmnas.BigNASSuperNet', 'BigNASSuperNet')


def elastic_sync_bn(cfg: Config) -> None:
    """mmengine's ``sync_bn`` on a model whose backbone has elastic BN becomes the
    backbone's own ``sync_bn=True``: mmengine would swap every BN, elastic ones included, for a
    fixed-width ``SyncBatchNorm`` that no narrower child fits. BN layers outside the backbone
    then stay per-process."""
    backbone = (cfg.get('model') or {}).get('backbone') or {}
    if cfg.get('sync_bn') and backbone.get('type') in ELASTIC_BN_BACKBONES:
        backbone['sync_bn'] = True
        cfg.sync_bn = None
        print_log(f'sync_bn: {backbone["type"]} synchronizes its elastic BN itself '
                  '(model.backbone.sync_bn=True); mmengine\'s conversion is off',
                  logger='current')


def check_config(cfg: Config, phases: Sequence[str]) -> None:
    """Every type name resolves and the data of the given phases exists."""
    check_types(cfg)
    check_data(cfg, phases)


def prepare_distributed(cfg: Config) -> None:
    """Make ``--launcher pytorch`` work on a machine without a GPU, and keep it as is with one.

    mmengine's launcher pins each process to a CUDA device and wraps the model in DDP with
    ``device_ids=[LOCAL_RANK]``. Without CUDA: join the process group over gloo ourselves,
    build DDP without device ids, and use per-process BN in place of SyncBN (which has no CPU
    implementation). The gradients are still averaged over all processes.
    """
    if cfg.launcher == 'none' or torch.cuda.is_available():
        return
    if cfg.launcher != 'pytorch':
        raise ConfigError(f'--launcher {cfg.launcher}: without a GPU only "pytorch" '
                          '(torchrun) is supported')
    cfg.env_cfg = dict(cfg.get('env_cfg') or {})
    cfg.env_cfg['dist_cfg'] = dict(cfg.env_cfg.get('dist_cfg') or {}, backend='gloo')
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel'))
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters', cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    _replace_sync_bn(cfg.model)
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend='gloo')


def _replace_sync_bn(node) -> None:
    if isinstance(node, dict):
        if node.get('type') in ('SyncBN', 'MMSyncBN'):
            node['type'] = 'BN'
        for value in node.values():
            _replace_sync_bn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _replace_sync_bn(value)


@contextmanager
def clean_work_dir_on_failure(work_dir: str) -> Iterator[None]:
    """On an exception, remove what this run created in ``work_dir`` unless it already saved
    a checkpoint (a crash after hours of training keeps its checkpoints and logs)."""
    work_dir = osp.abspath(work_dir)
    existed = osp.isdir(work_dir)
    before = set(os.listdir(work_dir)) if existed else set()
    try:
        yield
    except BaseException:
        created = set(os.listdir(work_dir)) - before if osp.isdir(work_dir) else set()
        if any(name.endswith('.pth') for name in created):
            raise
        if not existed:
            shutil.rmtree(work_dir, ignore_errors=True)
        for name in created if existed else ():
            path = osp.join(work_dir, name)
            if osp.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.remove(path)
        raise


def run_tool(main: Callable[[], None]) -> None:
    """Run a tool's ``main``; bad input ends it with one line on stderr and exit code 2."""
    prog = osp.basename(sys.argv[0])
    try:
        main()
    except BAD_INPUT as e:
        message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f'{prog}: error: {message}', file=sys.stderr)
        sys.exit(2)
    except KeyError as e:
        # mmengine reports an unknown registry name as a KeyError raised during the build.
        if 'registry' not in str(e):
            raise
        print(f'{prog}: error: {str(e).strip(chr(34) + chr(39))}', file=sys.stderr)
        sys.exit(2)
