"""DenseNASTopKHook's bookkeeping: which validations it takes over, the ranking of the kept
specs, the files and the checkpoint round trip (the tiny search runs it end to end:
test_search.py)."""
import pytest
import torch
from mmengine.runner import Runner
from torch.utils.data import DataLoader, TensorDataset

from mmnas.densenas import DenseNASRouted, DenseNASTopKHook
from mmnas.structures import ArchSpec
from mmnas.utils.config_check import ConfigError


def search_runner(net, work_dir) -> Runner:
    """A runner with an epoch-based training loop around ``net``, as the search has; the
    tests move its epoch instead of training."""
    runner = Runner(model=net, work_dir=str(work_dir),
                    train_dataloader=DataLoader(TensorDataset(torch.zeros(2, 3, 32, 32))),
                    train_cfg=dict(by_epoch=True, max_epochs=8),
                    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
                    default_hooks=dict(logger=None, checkpoint=None))
    runner.train_loop  # builds the loop, which the hook takes as a sign of a training run
    return runner


def validate(hook, runner, epoch, accuracy, net):
    """One validation after the (0-based) epoch ``epoch``."""
    runner.train_loop._epoch = epoch + 1
    hook.before_val_epoch(runner)
    active = net.validate_derived
    hook.after_val_epoch(runner, {'accuracy/top1': accuracy})
    assert not net.validate_derived
    return active


def test_hook_keeps_the_best_two_from_its_epoch_on(tiny_space, tmp_path):
    net = DenseNASRouted(tiny_space)
    runner = search_runner(net, tmp_path)
    hook = DenseNASTopKHook(start_epoch=2, k=2, input_shape=(3, 32, 32))
    assert not validate(hook, runner, 1, 99.0, net)  # before the start epoch: untouched
    assert hook.kept == []
    g = torch.Generator().manual_seed(0)
    for epoch, accuracy in [(2, 50.0), (3, 70.0), (4, 60.0), (5, 40.0)]:
        with torch.no_grad():
            for p in net.arch_parameters():
                p.copy_(torch.randn(p.shape, generator=g))
        assert validate(hook, runner, epoch, accuracy, net)
        if epoch == 3:
            best = net.export_arch().backbone
    assert [(s.meta['epoch'], s.metrics['accuracy/top1']) for s in hook.kept] == [(3, 70.0),
                                                                                 (4, 60.0)]
    top1 = ArchSpec.load(str(tmp_path / 'arch_top1.json'))
    assert top1.backbone == best and top1.cost['flops'] > 0
    assert ArchSpec.load(str(tmp_path / 'arch_top2.json')).metrics['accuracy/top1'] == 60.0
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    resumed = DenseNASTopKHook(start_epoch=2)
    resumed.after_load_checkpoint(runner, checkpoint)
    assert [s.to_dict() for s in resumed.kept] == [s.to_dict() for s in hook.kept]


def test_derived_validation_uses_the_derived_network_with_batch_statistics(tiny_space):
    net = DenseNASRouted(tiny_space, norm_cfg=dict(type='BN'))
    net.eval()
    x = torch.randn(4, 3, 32, 32)
    buffers = {k: v.clone() for k, v in net.state_dict().items()}
    net.validate_derived = True
    with torch.no_grad():
        out, = net(x)
    assert not any(m.training for m in net.modules())
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in buffers.items())
    net.train()
    with torch.no_grad():
        expected, = net._forward_path(x, keep_ending=True)
    torch.testing.assert_close(out, expected)


def test_bad_hook_settings_are_named():
    with pytest.raises(ConfigError, match='k=0'):
        DenseNASTopKHook(start_epoch=1, k=0)
