"""Safe (``weights_only``) loading of the checkpoints mmengine writes."""
import argparse
import pickle

import pytest
import torch
from mmengine.optim import OneCycleLR

from mmnas.utils.checkpoint import (CheckpointError, allowed_getattr,
                                    install_checkpoint_loader, load_local_checkpoint)


@pytest.mark.parametrize('strategy', ['cos', 'linear'])
def test_one_cycle_scheduler_state_loads_safely(tmp_path, strategy):
    install_checkpoint_loader()
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = OneCycleLR(optimizer, eta_max=0.1, total_steps=10, anneal_strategy=strategy)
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(param_schedulers=[scheduler.state_dict()]), path)
    state = load_local_checkpoint(str(path))['param_schedulers'][0]
    assert state['anneal_func'] is scheduler.anneal_func


def test_other_getattr_is_refused(tmp_path):
    install_checkpoint_loader()
    with pytest.raises(pickle.UnpicklingError, match='only HistoryBuffer'):
        allowed_getattr(OneCycleLR, 'step')


def test_one_cycle_run_tests_and_resumes(tmp_path, small_config, run_tool):
    """tools/test.py and --resume load a one-cycle run's checkpoint with weights_only on."""
    config = tmp_path / 'one_cycle.py'
    config.write_text(f'''_base_ = [{str(small_config)!r}]
param_scheduler = [dict(type='OneCycleLR', eta_max=0.01, total_steps=3, by_epoch=False)]
''')
    work_dir = tmp_path / 'work'
    assert run_tool('train', config, '--work-dir', work_dir) == 0
    assert run_tool('test', config, work_dir / 'iter_2.pth', '--work-dir', work_dir) == 0
    assert run_tool('train', config, '--work-dir', work_dir, '--resume', '--cfg-options',
                    'train_cfg.max_iters=3') == 0


def test_unsafe_global_is_named(tmp_path):
    path = tmp_path / 'unsafe.pth'
    torch.save(dict(obj=argparse.Namespace(a=1)), path)
    with pytest.raises(CheckpointError, match='not allow-listed'):
        load_local_checkpoint(str(path))
