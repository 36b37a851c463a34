"""The DenseNAS recipe end to end through the tools on the tiny ImageNet-style set: the search
(tools/train.py: BilevelTrainLoop alternating dropping-path weight epochs with architecture
epochs under the chained FLOPs cost), the Viterbi derivation (tools/search.py writes an
ArchSpec) and the retraining of the derived network from that spec alone."""
import glob
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmnas.densenas import DenseNASRouted, viterbi
from mmnas.structures import ArchSpec

SEARCH = 'densenas-mbv2-search_tiny-imagenet.py'
RETRAIN = 'densenas-retrain_tiny-imagenet.py'


def tiny_config(repo_root, name, data_root, out_path, **changes) -> str:
    """The repo's config ``name`` on the tiny set at ``data_root``, with ``changes``
    (dotted keys), written to ``out_path``."""
    cfg = Config.fromfile(osp.join(repo_root, 'configs', 'densenas', name))
    text = json.dumps(cfg.to_dict()).replace(json.dumps(cfg.data_root)[1:-1],
                                             json.dumps(data_root)[1:-1])
    cfg = Config(json.loads(text))
    cfg.merge_from_dict(dict(changes, randomness=dict(seed=0)))
    cfg.dump(str(out_path))
    return str(out_path)


def scalars(work_dir) -> list:
    [path] = glob.glob(osp.join(str(work_dir), '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope='module')
def tiny_imagenet(tmp_path_factory) -> str:
    """The tiny ImageNet-style set at its default size (10 classes, 20 + 5 images each)."""
    from mmnas.datasets.tiny import make_tiny_imagenet
    root = str(tmp_path_factory.mktemp('data') / 'imagenet')
    make_tiny_imagenet(root)
    return root


def test_search_derive_and_retrain(tiny_imagenet, tmp_path, repo_root, run_tool):
    root = tiny_imagenet
    # Search: 3 epochs, the first trains the weights alone (the warm-up phase of DenseNAS
    # supp. §A.1).
    search_dir = tmp_path / 'search'
    config = tiny_config(repo_root, SEARCH, root, tmp_path / 'search.py',
                         **{'train_cfg.max_epochs': 3, 'train_cfg.arch_start': 1,
                            'train_cfg.val_begin': 2, 'train_cfg.val_interval': 1,
                            'custom_hooks.0.start_epoch': 1,
                            'param_scheduler.weights.0.T_max': 3,
                            'param_scheduler.weights.0.end': 3,
                            'default_hooks.checkpoint.interval': 3})
    assert run_tool('train', config, '--work-dir', search_dir) == 0
    ckpt = search_dir / 'epoch_3.pth'
    state = torch.load(ckpt, weights_only=False)['state_dict']
    alphas = [v for k, v in state.items() if k.startswith('backbone.alphas.')]
    betas = [v for k, v in state.items() if k.startswith('backbone.betas.')]
    # Two architecture epochs moved every β with a choice and α of every layer from uniform
    # (a layer whose drawn pairs never moved keeps zeros: at most a few).
    assert all(b.abs().max() > 1e-3 for b in betas if b.numel() > 1)
    assert sum(a.abs().max() > 1e-3 for a in alphas) >= len(alphas) - 2
    logged = scalars(search_dir)
    costs = [r['arch_cost'] for r in logged if 'arch_cost' in r]
    assert costs and all(c > 0 for c in costs)
    assert not any('arch_cost' in r for r in logged if r.get('epoch') == 1)
    assert 'accuracy/top1' in logged[-1]

    # Top-2 keeping: the derived networks of epochs 1 and 2 were validated (the released
    # search from epoch 120 on) and both kept, best first, with their accuracy and cost.
    accuracies = {r['step']: r['accuracy/top1'] for r in logged if 'accuracy/top1' in r}
    assert sorted(accuracies) == [2, 3]
    kept = [ArchSpec.load(str(search_dir / f'arch_top{k}.json')) for k in (1, 2)]
    assert not (search_dir / 'arch_top3.json').exists()
    assert sorted(s.meta['epoch'] for s in kept) == [1, 2]
    assert [s.metrics['accuracy/top1'] for s in kept] == sorted(accuracies.values(),
                                                                 reverse=True)
    for s in kept:
        assert s.metrics['accuracy/top1'] == pytest.approx(accuracies[s.meta['epoch'] + 1])
        assert s.cost['flops'] > 0 and s.cost['input_shape'] == [3, 32, 32]
        assert s.build() is not None
    # The last epoch's kept spec is the architecture the checkpoint derives.
    last = next(s for s in kept if s.meta['epoch'] == 2)

    # Derivation: the Viterbi path of the checkpoint's β and argmax α, as an ArchSpec.
    assert run_tool('search', config, ckpt, '--work-dir', search_dir) == 0
    spec = ArchSpec.load(str(search_dir / 'arch.json'))
    cfg = Config.fromfile(config)
    supernet = DenseNASRouted(cfg.model.backbone.search_space)
    supernet.load_state_dict({k[len('backbone.'):]: v for k, v in state.items()
                              if k.startswith('backbone.')})
    probs = {e: float(p.detach()) for e, p in supernet.transition_probs().items()}
    assert spec.meta['derived']['path'] == viterbi(len(supernet.nodes), probs)
    assert last.backbone == spec.backbone
    assert spec.method == 'densenas' and spec.backbone['type'] == 'mmnas.DenseNASNet'
    assert 0 < spec.cost['flops'] < spec.meta['supernet_cost']['flops']

    # Retrain the derived network from the spec alone: above chance (10 classes) on val.
    retrain_dir = tmp_path / 'retrain'
    config = tiny_config(repo_root, RETRAIN, root, tmp_path / 'retrain.py',
                         **{'model.backbone.arch_spec': str(search_dir / 'arch.json'),
                            'max_epochs': 12, 'train_cfg.max_epochs': 12,
                            'train_cfg.val_interval': 12, 'param_scheduler.T_max': 12,
                            'param_scheduler.end': 12, 'default_hooks.checkpoint.interval': 12})
    assert run_tool('train', config, '--work-dir', retrain_dir) == 0
    final = scalars(retrain_dir)[-1]
    assert final['accuracy/top1'] > 25, final
    retrained = torch.load(retrain_dir / 'epoch_12.pth', weights_only=False)['state_dict']
    assert {k[len('backbone.'):] for k in retrained if k.startswith('backbone.')} == set(
        spec.build().state_dict())
