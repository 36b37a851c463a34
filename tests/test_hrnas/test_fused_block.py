"""The deploy form of searched HR-NAS networks computes the plain network with its weights."""
import pytest
import torch
from torch import nn

from mmnas.cost import count_complexity, count_multiply_adds, module_flops
from mmnas.hrnas import FusedSearchingBlock, HRNASSuperNet, SearchingBlock, SearchScope
from mmnas.hrnas.heads import HRNASSegHead
from mmnas.structures import ArchSpec
from mmnas.structures.arch_spec import build_searched_backbone, build_searched_head
from mmnas.utils.config_check import ConfigError

SMALL = [dict(blocks=(1, ), channels=(8, )), dict(blocks=(1, 1), channels=(8, 16))]
# No dropout, so that train mode is deterministic.
CONTEXT = dict(type='mmnas.LightweightTransformer', num_tokens=4, proj_size=4, dropout=0.0)


def randomise_norms(net: nn.Module) -> None:
    """BN affine parameters and statistics away from their initial values, so that folding
    and concatenating them is tested on real numbers."""
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)


def same_state(a: dict, b: dict) -> bool:
    return list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize('args', [
    (8, 8, 1, (3, 5, 7), (4, 0, 6)),
    (8, 12, 2, (3, 5, 7), (3, 5, 2)),
    (8, 8, 1, (3, 5, 7), (0, 5, 0)),
    (8, 8, 1, (3, 5, 7), (0, 0, 0)),
])
def test_fused_block_equals_the_plain_block_in_train_and_eval(args):
    torch.manual_seed(0)
    plain = SearchingBlock(*args)
    randomise_norms(plain)
    fused = FusedSearchingBlock(*args)
    fused.load_state_dict(plain.state_dict(), strict=True)
    assert fused.hidden_channels == plain.hidden_channels
    assert fused.hidden_per_kernel((3, 5, 7)) == list(args[4])
    # Exact converter both ways: the plain state dict comes back bit for bit.
    back = SearchingBlock(*args)
    back.load_state_dict(fused.state_dict(), strict=True)
    assert same_state(back.state_dict(), plain.state_dict())
    x = torch.randn(2, 8, 9, 10).contiguous(memory_format=torch.channels_last)
    for training in (False, True, False):  # eval after a training step: the new statistics
        plain.train(training)
        fused.train(training)
        torch.testing.assert_close(fused(x), plain(x), rtol=0, atol=1e-5)
    back.load_state_dict(fused.state_dict(), strict=True)
    for key, value in plain.state_dict().items():
        torch.testing.assert_close(back.state_dict()[key], value, rtol=0, atol=1e-6)
    if sum(args[4]):
        assert fused.training is False and fused._folds()
    else:
        assert not list(fused.parameters())


def test_fused_block_gradients_equal_the_plain_ones():
    torch.manual_seed(0)
    plain = SearchingBlock(6, 6, 1, (3, 5), (4, 3))
    fused = FusedSearchingBlock(6, 6, 1, (3, 5), (4, 3))
    fused.load_state_dict(plain.state_dict(), strict=True)
    x = torch.randn(2, 6, 7, 7)
    target = torch.randn(2, 6, 7, 7)
    for net in (plain, fused):
        ((net(x) - target)**2).mean().backward()
    grads = SearchingBlock(6, 6, 1, (3, 5), (4, 3))
    grads.load_state_dict({k: p.grad for k, p in fused.named_parameters()}, strict=False)
    for name, param in plain.named_parameters():
        torch.testing.assert_close(grads.get_parameter(name), param.grad, rtol=0, atol=1e-5)


def test_folded_weights_are_kept_until_the_weights_change():
    """Eval without gradients reuses the BN-folded convolutions; an optimizer step, a loaded
    checkpoint or a training pass (new statistics) makes it fold the new weights."""
    torch.manual_seed(0)
    args = (8, 8, 1, (3, 5, 7), (4, 0, 6))
    plain, fused = SearchingBlock(*args), FusedSearchingBlock(*args)
    randomise_norms(plain)
    fused.load_state_dict(plain.state_dict(), strict=True)
    x = torch.randn(2, 8, 9, 10).contiguous(memory_format=torch.channels_last)

    def check_equal():
        plain.eval()
        fused.eval()
        with torch.no_grad():
            torch.testing.assert_close(fused(x), plain(x), rtol=0, atol=1e-5)

    check_equal()
    folded = fused._folded.kept
    check_equal()
    assert fused._folded.kept is folded
    # Eval mode with gradients folds on the fly: the block's own weights get the gradients.
    optimizer = torch.optim.SGD(fused.parameters(), lr=0.1)
    fused(x).square().mean().backward()
    assert fused.dw_convs[1].weight.grad.abs().sum() > 0
    assert fused.dw_norm.weight.grad.abs().sum() > 0
    optimizer.step()
    plain.load_state_dict(fused.state_dict(), strict=True)
    check_equal()
    randomise_norms(plain)
    fused.load_state_dict(plain.state_dict(), strict=True)
    check_equal()
    fused.train()
    plain.train()
    torch.testing.assert_close(fused(x), plain(x), rtol=0, atol=1e-5)
    check_equal()


def searched_pair():
    """A searched network (kernels removed, odd widths, a transformer removed) in plain and
    fused form with the same weights."""
    arch = {
        'fusions.0.paths.0.0': dict(hidden_channels=[5, 0, 3]),
        'stages.0.branches.0.0': dict(hidden_channels=[0, 0, 0], num_tokens=0),
        'fusions.1.paths.0.0': dict(hidden_channels=[0, 7, 0], num_tokens=2),
        'fusions.1.new_branches.0': dict(hidden_channels=[2, 0, 0]),
        'stages.1.branches.1.0': dict(hidden_channels=[9, 1, 4]),
    }
    torch.manual_seed(0)
    plain = HRNASSuperNet(stages=SMALL, expand_ratio=2, context=CONTEXT, arch=arch,
                          out_indices=(0, 1))
    randomise_norms(plain)
    fused = HRNASSuperNet(stages=SMALL, expand_ratio=2, context=CONTEXT, arch=arch,
                          out_indices=(0, 1), fused=True)
    fused.load_state_dict(plain.state_dict(), strict=True)
    return plain, fused


def test_fused_network_equals_the_plain_one_and_costs_its_flops():
    plain, fused = searched_pair()
    assert all(isinstance(b, FusedSearchingBlock) for _, b in fused.searching_blocks())
    assert fused.export_arch().backbone['arch'] == plain.export_arch().backbone['arch']
    x = torch.randn(2, 3, 32, 32)
    for training in (True, False):
        plain.train(training)
        fused.train(training)
        for a, b in zip(plain(x), fused(x)):
            torch.testing.assert_close(b, a, rtol=0, atol=1e-5)
    # No FLOPs added: the same multiply-adds; the whole count is the plain one's less
    # exactly the BNs that eval mode folds into the convolutions: the blocks' and their
    # transformers'.
    shape = (3, 32, 32)
    assert count_multiply_adds(fused, shape) == count_multiply_adds(plain, shape)
    per_module = module_flops(plain, shape)
    folded = sum(per_module[f'{name}.branches.{i}.{norm}']
                 for name, block in plain.searching_blocks()
                 for i in range(len(block.branches)) for norm in ('expand_norm', 'dw_norm'))
    folded += sum(per_module[f'{name}.out_norm'] for name, block in plain.searching_blocks()
                  if block.branches)
    folded += sum(per_module[f'{name}.context.{norm}'] for name, block in plain.searching_blocks()
                  if block.context is not None for norm in ('token_norm', 'output_norm'))
    assert folded > 0
    assert count_complexity(fused, shape)['flops'] == \
        count_complexity(plain, shape)['flops'] - folded
    assert count_complexity(fused, shape)['params'] == count_complexity(plain, shape)['params']


def test_searched_backbone_and_head_are_fused_and_load_searched_pth(tmp_path):
    plain, _ = searched_pair()
    spec, state = plain.export()
    head = HRNASSegHead(in_channels=[8, 16], channels=8, expand_ratio=1, num_classes=3,
                        arch=dict(transform=dict(hidden_channels=[3, 0, 5])))
    spec.heads['decode_head'] = head.export_config()
    spec.dump(str(tmp_path / 'arch.json'))
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in state.items()},
                    meta=dict(arch_spec=spec.to_dict())), tmp_path / 'searched.pth')
    net = build_searched_backbone(checkpoint=str(tmp_path / 'searched.pth'))
    assert net.fused and all(isinstance(b, FusedSearchingBlock)
                             for _, b in net.searching_blocks())
    assert not build_searched_backbone(arch_spec=str(tmp_path / 'arch.json'), fused=False).fused
    plain.eval()
    net.eval()
    x = torch.randn(1, 3, 32, 32)
    for a, b in zip(plain(x), net(x)):
        torch.testing.assert_close(b, a, rtol=0, atol=1e-5)
    searched_head = build_searched_head('decode_head', str(tmp_path / 'arch.json'))
    assert isinstance(searched_head.transform, FusedSearchingBlock)
    searched_head.load_state_dict(head.state_dict(), strict=True)
    assert ArchSpec.load(str(tmp_path / 'arch.json')).heads['decode_head'] == \
        searched_head.export_config()


def test_fused_networks_cannot_be_shrunk():
    _, fused = searched_pair()
    with pytest.raises(ConfigError, match='FusedSearchingBlock'):
        SearchScope(nn.ModuleDict(dict(backbone=fused)))
