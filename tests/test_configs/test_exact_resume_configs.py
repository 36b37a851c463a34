"""Every shipped search config resumes exactly: it keeps the random states in its checkpoints
(RNGStateHook), and where it iterates its loaders epoch by epoch (or pass by pass), their
workers restart each time, since persistent ones carry a random state that a resumed run
cannot recreate. The kill-and-resume tests of each method run the tiny variants."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from tests.conftest import REPO

SEARCH_LOOPS = {'mmnas.BilevelTrainLoop', 'mmnas.SandwichTrainLoop',
                'mmnas.SandwichEpochTrainLoop'}


def search_configs():
    for path in sorted(glob.glob(osp.join(REPO, 'configs', '*', '*.py'))):
        cfg = Config.fromfile(path)
        hooks = {h.get('type') for h in cfg.get('custom_hooks') or ()}
        if cfg.train_cfg.get('type') in SEARCH_LOOPS or 'mmnas.ProgressiveShrinkHook' in hooks:
            yield pytest.param(cfg, id=osp.relpath(path, osp.join(REPO, 'configs')))


def epoch_based(train_cfg) -> bool:
    kind = train_cfg.get('type', '')
    return 'Epoch' in kind or 'Bilevel' in kind or (not kind and train_cfg.get('by_epoch'))


@pytest.mark.parametrize('cfg', search_configs())
def test_search_config_resumes_exactly(cfg):
    assert cfg.default_hooks.get('rng_state', {}).get('type') == 'mmnas.RNGStateHook'
    if epoch_based(cfg.train_cfg):
        loaders = [cfg.train_dataloader, cfg.train_cfg.get('arch_dataloader') or {}]
        for loader in loaders:
            assert not (loader.get('persistent_workers') and loader.get('num_workers', 0) > 0)
