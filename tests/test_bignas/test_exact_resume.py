"""A BigNAS sandwich search killed with SIGKILL and resumed ends bit-identical to the run left
alone: children are drawn from the step, dropout / drop-path / augmentation from the random
states the checkpoint carries."""
import pytest

from tests.test_engine.exact_resume import check_exact_resume


@pytest.mark.parametrize('loop', ['iter', 'epoch'])
def test_killed_search_resumes_exactly(tiny_cls_config, tmp_path, loop):
    # The tiny config has dropout and drop-path on, random crops and flips in the main
    # process, and validates (with BN re-calibration on training batches) after a checkpoint.
    config = tiny_cls_config
    if loop == 'iter':
        options = ['train_cfg.max_iters=6', 'train_cfg.val_interval=2',
                   'default_hooks.checkpoint.by_epoch=False',
                   'default_hooks.checkpoint.interval=2']
    else:
        # The shipped ImageNet config's epoch loop and per-epoch checkpoints; the 240-image
        # set in batches of 80 gives 3 iterations per epoch.
        config = str(tmp_path / 'epoch.py')
        with open(config, 'w') as f:
            f.write(f'''
_base_ = [{tiny_cls_config!r}]
train_cfg = dict(_delete_=True, type='mmnas.SandwichEpochTrainLoop', max_epochs=3,
                 val_interval=1, num_random=2, weight_decay=1e-5)
train_dataloader = dict(batch_size=80, sampler=dict(type='DefaultSampler', shuffle=True))
log_processor = dict(by_epoch=True)
''')
        options = ['default_hooks.checkpoint.by_epoch=True', 'default_hooks.checkpoint.interval=1']
    check_exact_resume(config, tmp_path, [
        *options, 'default_hooks.checkpoint.max_keep_ckpts=-1', 'default_hooks.logger.interval=1'])
