"""ProgressiveShrinkHook in a stock mmseg training run: it shrinks, checkpoints carry the cut
architecture (resume continues exactly, test and search rebuild it), and λ controls size."""
import torch

from mmnas.cost.complexity import _flop_analyzer
from mmnas.structures import ArchSpec


def shrink_config(tmp_path, small_config, name, penalty, threshold, optimizer):
    """The small config with a given penalty, cut threshold and optimizer; 4 iterations with
    a cut every 2."""
    path = tmp_path / f'{name}.py'
    path.write_text(f'''
_base_ = [{small_config!r}]
optim_wrapper = dict(_delete_=True, type='OptimWrapper', optimizer={optimizer!r})
train_cfg = dict(max_iters=4, val_interval=4)
default_hooks = dict(checkpoint=dict(max_keep_ckpts=-1))
custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty={penalty}, by_epoch=False, interval=2,
         threshold={threshold}, min_flops_saving=0, input_shape=(3, 64, 128), calib_batches=2)
]
''')
    return str(path)


# Plain SGD makes the decline of γ proportional to λ·p_c; momentum gives the optimizer a
# state that the cut and the resume have to carry.
SGD = dict(type='SGD', lr=0.1)
MOMENTUM = dict(type='SGD', lr=0.1, momentum=0.9)


def test_shrink_then_test_and_search(tmp_path, small_config, run_tool, capsys):
    config = shrink_config(tmp_path, small_config, 'shrink', 0.05, 0.99, MOMENTUM)
    straight = tmp_path / 'straight'
    assert run_tool('train', config, '--work-dir', straight) == 0
    log = capsys.readouterr().out
    assert 'HR-NAS shrinking at iter 2' in log and 'loss_scale_l1' in log
    first = torch.load(straight / 'iter_2.pth', weights_only=True)
    last = torch.load(straight / 'iter_4.pth', weights_only=True)
    supernet = ArchSpec.load(str(straight / 'arch.json')).meta['supernet_cost']
    arch2, arch4 = (c['meta']['arch_spec']['backbone']['arch'] for c in (first, last))
    assert arch2 != arch4  # it went on shrinking after the first cut
    widths = [sum(v['hidden_channels']) for v in arch4.values()]
    assert sum(widths) < sum(first['state_dict'][k].numel() for k in first['state_dict']
                             if k.endswith('dw_norm.weight'))
    assert (straight / 'arch.png').stat().st_size > 10_000

    # The architecture spec written at the end counts what the training log counted.
    spec = ArchSpec.load(str(straight / 'arch.json'))
    assert spec.backbone['arch'] == arch4
    assert spec.cost == last['message_hub']['runtime_info']['hrnas_cost']
    assert spec.cost['flops'] < supernet['flops']

    # test.py and search.py rebuild the cut network from the checkpoint.
    capsys.readouterr()
    assert run_tool('test', config, straight / 'iter_4.pth', '--work-dir', tmp_path / 't') == 0
    assert 'mIoU' in capsys.readouterr().out
    assert run_tool('search', config, straight / 'iter_4.pth', '--work-dir',
                    tmp_path / 's') == 0
    searched = ArchSpec.load(str(tmp_path / 's' / 'arch.json'))
    assert searched.backbone['arch'] == arch4 and searched.cost['flops'] == spec.cost['flops']


def test_larger_penalty_gives_a_smaller_network(tmp_path, small_config, run_tool):
    flops = {}
    for penalty in (0.002, 0.05):
        config = shrink_config(tmp_path, small_config, f'p{penalty}', penalty, 0.99, SGD)
        work_dir = tmp_path / f'p{penalty}'
        assert run_tool('train', config, '--work-dir', work_dir) == 0
        flops[penalty] = ArchSpec.load(str(work_dir / 'arch.json')).cost['flops']
    supernet = ArchSpec.load(str(work_dir / 'arch.json')).meta['supernet_cost']['flops']
    assert flops[0.05] < flops[0.002] <= supernet


def test_ema_is_validated_and_saved_with_its_own_bn_statistics(tmp_path, small_config):
    """As the released code: before validation (and saving) the EMA model's BN statistics are
    re-estimated; the saved weights are the EMA weights with these statistics, not the live
    model's."""
    import copy

    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmnas.engine.utils import recalibrate_bn
    cfg = Config.fromfile(shrink_config(tmp_path, small_config, 'ema', 0.05, 0.99, MOMENTUM))
    cfg.custom_hooks.append(dict(type='EMAHook', momentum=0.5))
    cfg.work_dir = str(tmp_path / 'ema')
    runner = Runner.from_cfg(cfg)
    runner.train()
    ema = next(h for h in runner.hooks if type(h).__name__ == 'EMAHook').ema_model
    shrink = next(h for h in runner.hooks if type(h).__name__ == 'ProgressiveShrinkHook')
    assert (shrink.ema_bn, shrink.final_mask) == ('calibrate', 'ema')
    saved = torch.load(tmp_path / 'ema' / 'iter_4.pth', weights_only=False)
    key = 'backbone.stem.0.bn.running_mean'
    live = runner.model.state_dict()[key]
    # The EMA model's own statistics: a fresh estimate with its weights gives them again.
    again = copy.deepcopy(ema.module)
    recalibrate_bn(again, runner.train_dataloader, shrink.calib_batches)
    torch.testing.assert_close(saved['state_dict'][key], again.state_dict()[key])
    assert not torch.allclose(saved['state_dict'][key], live)


def test_a_run_traces_its_network_twice_for_its_flops(tmp_path, small_config, run_tool,
                                                      flop_traces):
    """Channel prices at 224×224 and the searched network (backbone + head) at its input:
    the logged backbone cost, the supernet's and the exported network's come from the second
    trace, and count what a trace of each counts."""
    assert run_tool('train', small_config, '--work-dir', tmp_path) == 0
    assert flop_traces == [('SearchScope', (3, 224, 224)), ('SearchScope', (3, 64, 128))]
    spec = ArchSpec.load(str(tmp_path / 'arch.json'))
    checkpoint = torch.load(tmp_path / 'iter_2.pth', weights_only=True)
    assert spec.cost == checkpoint['message_hub']['runtime_info']['hrnas_cost']
    searched = spec.build()
    supernet = searched.build_supernet()
    for cost, network in ((spec.cost, searched), (spec.meta['supernet_cost'], supernet)):
        with _flop_analyzer(network, (3, 64, 128)) as analyzer:
            assert cost['flops'] == analyzer.total()
