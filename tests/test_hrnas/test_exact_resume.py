"""HR-NAS shrinking killed with SIGKILL and resumed ends bit-identical to the run left alone,
across cuts: the checkpoint carries the cut architecture, the RNG states and the λ schedule."""
import json

from tests.test_engine.exact_resume import check_exact_resume


def test_killed_search_resumes_exactly(tmp_path, small_config):
    # The small demo config with the shipped config's random augmentation and shuffled
    # infinite sampler, so that the data side of the resume is exercised; cuts every 2
    # iterations (the first checkpoint is after the first cut, later cuts follow the resume);
    # λ warms up over 4 iterations, so the resume lands inside the schedule.
    config = tmp_path / 'config.py'
    config.write_text(f'''
_base_ = [{small_config!r}]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(128, 64), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(64, 128)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(batch_size=2, sampler=dict(type='InfiniteSampler', shuffle=True),
                        dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty=0.05, warmup=4, by_epoch=False,
         interval=2, threshold=0.99, min_flops_saving=0, input_shape=(3, 64, 128),
         calib_batches=2)
]
''')
    check_exact_resume(str(config), tmp_path, [
        'train_cfg.max_iters=8', 'train_cfg.val_interval=4',
        'default_hooks.checkpoint.interval=2', 'default_hooks.checkpoint.max_keep_ckpts=-1'])
    # The searched architecture written at the end: same cuts, same cost.
    alone, resumed = (json.loads((tmp_path / run / 'arch.json').read_text())
                      for run in ('alone', 'killed'))
    for key in ('backbone', 'cost', 'metrics'):
        assert alone[key] == resumed[key], key
    assert alone['cost']['flops'] < alone['meta']['supernet_cost']['flops']
