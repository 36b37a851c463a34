"""One export service for every method: a searched supernet's ``export()`` written as
``arch.json`` + ``searched.pth`` rebuilds, through ``SearchedBackbone`` and those files alone,
a network that computes what the supernet's searched child computes."""
import json
import os
import os.path as osp
import random
import subprocess
import sys

import pytest
import torch
from mmpretrain.models import ImageClassifier
from torch import nn

from mmnas.engine import finalize_spec, save_searched
from mmnas.hrnas import apply_plan
from mmnas.models import SearchableBackbone
from mmnas.registry import MODELS
from mmnas.structures import ArchSpec
from mmnas.utils import register_all_modules
from mmnas.utils.config_check import ConfigError

register_all_modules(init_default_scope_=False)

HRNAS = dict(type='mmnas.HRNASSuperNet', stem_channels=8, expand_ratio=2,
             stages=[dict(blocks=(1, ), channels=(8, )), dict(blocks=(1, 1), channels=(8, 16)),
                     dict(blocks=(1, 1, 1), channels=(8, 16, 24))],
             out_indices=(0, 1, 2),
             context=dict(type='LightweightTransformer', num_tokens=4, proj_size=4))
BIGNAS = dict(type='mmnas.BigNASSuperNet', search_space=dict(
    resolution=(32, 48), first_conv=dict(width=(8, 16)),
    stages=[dict(width=(8, 16), depth=(1, 2), kernel=(3, 5), expand=(1, ), stride=1),
            dict(width=(16, 24), depth=(1, 2), kernel=(3, 5), expand=(3, 4), stride=2,
                 se=True)],
    last_conv=dict(width=(32, 48))), out_indices=(1, 2))
DARTS = dict(type='mmnas.DARTSCellNet', channels=8, num_cells=4, out_indices=(1, 3))
# DenseNAS searches with BN without affine parameters; the derived network's are affine.
DENSENAS = dict(type='mmnas.DenseNASRouted', search_space=dict(
    stem=dict(channels=8, stride=2, op='ir_k3_e1', op_channels=8),
    blocks=[dict(channels=8, stride=4, stage=1, num_layers=1),
            dict(channels=12, stride=4, stage=1, num_layers=2),
            dict(channels=16, stride=8, stage=2, num_layers=2),
            dict(channels=24, stride=8, stage=3, num_layers=0, head_op='conv_k1')],
    head_op='ir_k3_e3', candidate_ops=('ir_k3_e3', 'ir_k5_e6', 'skip'), max_connections=3))


def randomise(net: nn.Module, gen: torch.Generator) -> None:
    """Every float tensor of the state (weights, BN statistics, α, β) at a random value, so
    that a weight taken from the wrong place changes the outputs. Non-persistent buffers
    (fixed position encodings) are functions of the shapes and stay as built."""
    with torch.no_grad():
        for name, t in net.state_dict(keep_vars=True).items():
            if not t.is_floating_point():
                continue
            if name.endswith('running_var'):
                t.copy_(0.5 + torch.rand(t.shape, generator=gen))
            else:
                t.copy_(0.5 * torch.randn(t.shape, generator=gen))


def search_hrnas(net, gen):
    """A shrink: every searching block keeps a random subset of each kernel's channels
    (possibly none) and of its tokens."""
    plan = {}
    for name, block in net.searching_blocks():
        kernels = [torch.randperm(h, generator=gen)[:int(torch.randint(0, h + 1, (1, ),
                                                                       generator=gen))].sort()[0]
                   for h in block.hidden_channels]
        entry = dict(kernels=kernels)
        if block.context is not None:
            entry['tokens'] = torch.tensor([0, 2])
        plan[name] = entry
    apply_plan(net, plan)
    return 48


def search_bignas(net, gen):
    """A random child (coarse-to-fine picks one the same way: ``set_arch``)."""
    arch = net.sample_arch(random.Random(int(torch.randint(0, 1000, (1, ), generator=gen))))
    net.set_arch(arch)
    return arch['resolution']


def search_darts(net, gen):
    return 32


def search_densenas(net, gen):
    return 32


METHODS = {'hrnas': (HRNAS, search_hrnas), 'bignas': (BIGNAS, search_bignas),
           'unnas': (DARTS, search_darts), 'densenas': (DENSENAS, search_densenas)}


@pytest.mark.parametrize('method', sorted(METHODS))
def test_written_files_rebuild_the_searched_child(method, tmp_path):
    cfg, search = METHODS[method]
    gen = torch.Generator().manual_seed(0)
    backbone = MODELS.build(cfg)
    randomise(backbone, gen)
    size = search(backbone, gen)
    backbone.eval()
    model = ImageClassifier(backbone=backbone, neck=dict(type='GlobalAveragePooling'),
                            head=dict(type='LinearClsHead', num_classes=3,
                                      in_channels=backbone.out_channels[-1]))

    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    spec, weights = backbone.export()
    assert {k: v for k, v in backbone.state_dict().items()}.keys() == before.keys()
    for key, value in backbone.state_dict().items():  # export() changes nothing
        assert torch.equal(value, before[key]), key
    finalize_spec(spec, (3, size, size), config='search.py', checkpoint='supernet.pth')
    assert spec.method == method
    save_searched(str(tmp_path), model, spec, weights)

    # A retrain / test config's backbone, from the two files alone.
    searched = MODELS.build(dict(type='mmnas.SearchedBackbone',
                                 arch_spec=str(tmp_path / 'arch.json'),
                                 checkpoint=str(tmp_path / 'searched.pth')))
    assert searched.is_init  # the runner's init_weights keeps the loaded weights
    assert spec.cost['params'] == sum(p.numel() for p in searched.parameters())
    searched.eval()
    x = torch.randn(2, 3, size, size, generator=gen)
    with torch.no_grad():
        expected = backbone.forward_derived(x)
        outs = searched(x)
    assert len(outs) == len(expected) == len(backbone.out_indices)
    # HR-NAS's searched network folds BN into its convolutions in eval mode: equal up to
    # float rounding, relative to the activations' size.
    for out, ref in zip(outs, expected):
        torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)

    # searched.pth is the whole stock model: the head comes along, the spec in its meta.
    ckpt = torch.load(tmp_path / 'searched.pth', weights_only=True)
    assert ArchSpec.from_dict(ckpt['meta']['arch_spec']).backbone == spec.backbone
    assert torch.equal(ckpt['state_dict']['head.fc.weight'], model.head.fc.weight)
    from_meta = MODELS.build(dict(type='mmnas.SearchedBackbone',
                                  checkpoint=str(tmp_path / 'searched.pth')))
    assert from_meta.state_dict().keys() == searched.state_dict().keys()


def test_searched_backbone_loads_strictly(tmp_path):
    net = MODELS.build(DARTS)
    spec, weights = net.export()
    spec.dump(str(tmp_path / 'arch.json'))
    weights.pop(next(iter(weights)))
    torch.save(dict(state_dict=weights), tmp_path / 'partial.pth')
    with pytest.raises(RuntimeError, match='Missing key'):
        MODELS.build(dict(type='mmnas.SearchedBackbone', arch_spec=str(tmp_path / 'arch.json'),
                          checkpoint=str(tmp_path / 'partial.pth')))
    with pytest.raises(ConfigError, match="no meta\\['arch_spec'\\]"):
        MODELS.build(dict(type='mmnas.SearchedBackbone',
                          checkpoint=str(tmp_path / 'partial.pth')))


def test_every_method_backbone_exports(tmp_path):
    """Each method's supernet has its own export (or is its own searched network)."""
    for cfg, _ in METHODS.values():
        net = MODELS.build(cfg)
        assert isinstance(net, SearchableBackbone)
        spec, weights = net.export()
        spec.build().load_state_dict(weights, strict=True)


def test_search_tool_writes_both_files(tmp_path, repo_root):
    """tools/search.py in its own process on the tiny DenseNAS search config (no data is
    read by the derivation): arch.json and searched.pth, loadable strictly."""
    work_dir = tmp_path / 'search'
    env = dict(os.environ, PYTHONPATH=repo_root + os.pathsep + os.environ.get('PYTHONPATH', ''))
    result = subprocess.run(
        [sys.executable, osp.join(repo_root, 'tools', 'search.py'),
         osp.join(repo_root, 'configs', 'densenas', 'densenas-mbv2-search_tiny-imagenet.py'),
         '--work-dir', str(work_dir)],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    spec = ArchSpec.load(str(work_dir / 'arch.json'))
    assert spec.method == 'densenas' and spec.cost['input_shape'] == [3, 32, 32]
    net = MODELS.build(dict(type='mmnas.SearchedBackbone', arch_spec=str(work_dir / 'arch.json'),
                            checkpoint=str(work_dir / 'searched.pth')))
    assert sum(p.numel() for p in net.parameters()) == spec.cost['params']
    ckpt = torch.load(work_dir / 'searched.pth', weights_only=True)
    assert json.loads(json.dumps(ckpt['meta']['arch_spec']))['backbone'] == spec.backbone
    assert any(k.startswith('head.') for k in ckpt['state_dict'])


def test_checkpoints_carry_the_arch_spec_and_resume_hands_it_back(
        tmp_path, classifier_cfg, split_loader, bilevel_optim_wrapper):
    """A bilevel search's checkpoint stores meta['arch_spec'] (the ArchSpecHook the tools
    register), and loading it gives the spec to the hook's restore before the weights."""
    from mmengine.runner import Runner

    from mmnas.engine import ArchSpecHook, ensure_arch_spec_hook

    restored = []

    class RecordingHook(ArchSpecHook):

        def restore(self, runner, spec):
            restored.append(spec)

    def runner(hooks=()):
        r = Runner(model=dict(classifier_cfg), work_dir=str(tmp_path),
                   train_dataloader=split_loader('first'),
                   train_cfg=dict(type='mmnas.BilevelTrainLoop',
                                  arch_dataloader=split_loader('second'), max_epochs=1),
                   optim_wrapper=dict(bilevel_optim_wrapper),
                   default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
                   custom_hooks=list(hooks), default_scope='mmpretrain', log_level='WARNING')
        ensure_arch_spec_hook(r)
        return r

    first = runner()
    ensure_arch_spec_hook(first)  # a second call adds nothing
    assert sum(isinstance(h, ArchSpecHook) for h in first.hooks) == 1
    first.train()
    ckpt = torch.load(tmp_path / 'epoch_1.pth', weights_only=True)
    spec = ArchSpec.from_dict(ckpt['meta']['arch_spec'])
    assert spec.to_dict() == first.model.backbone.export_arch().to_dict()

    second = runner([RecordingHook()])
    assert sum(isinstance(h, ArchSpecHook) for h in second.hooks) == 1
    second.load_checkpoint(str(tmp_path / 'epoch_1.pth'))
    assert [s.to_dict() for s in restored] == [spec.to_dict()]
