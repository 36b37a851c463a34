import pytest
import torch

from mmnas.cost import count_complexity
from mmnas.hrnas import HRNASSuperNet, SearchingBlock
from mmnas.utils.config_check import ConfigError

SMALL = [dict(blocks=(1, ), channels=(8, )), dict(blocks=(1, 2), channels=(8, 16))]


def test_cityscapes_supernet_structure():
    net = HRNASSuperNet()
    assert [(i.num_chs, i.reduction) for i in net.feature_info] == \
        [(18, 4), (36, 8), (72, 16), (144, 32)]
    assert len(net.fusions) == len(net.stages) == 5
    assert [len(s.branches) for s in net.stages] == [1, 2, 3, 4, 4]
    assert [[len(b) for b in s.branches] for s in net.stages] == \
        [[1], [2, 2], [2, 2, 3], [2, 2, 3, 4], [2, 2, 3, 4]]
    block = net.stages[3].branches[3][0]
    assert block.kernel_sizes == [3, 5, 7] and block.hidden_channels == [576] * 3
    # Fusion paths only between neighbours; new branches from the previous lowest one.
    assert sorted(net.fusions[4].paths[0].keys()) == ['0', '1']
    assert sorted(net.fusions[4].paths[2].keys()) == ['1', '2', '3']
    assert len(net.fusions[3].new_branches) == 1
    assert net.fusions[3].new_branches[0].stride == 2
    names = [name for name, _ in net.searching_blocks()]
    assert len(names) == len(set(names)) == sum(1 for m in net.modules()
                                                 if isinstance(m, SearchingBlock))
    # The released settings of the paper give about 10.2 M parameters with the segmentation
    # head; the backbone alone is 8.84 M.
    assert 8.8e6 < sum(p.numel() for p in net.parameters()) < 8.9e6


def test_stem_strides_set_the_output_strides():
    net = HRNASSuperNet(in_channels=64, stem_strides=(2, 1), stages=SMALL, out_indices=(0, 1))
    assert net.out_strides == [2, 4]
    outs = net(torch.randn(1, 64, 32, 40))
    assert [o.shape[-2:] for o in outs] == [(16, 20), (8, 10)]


def test_arch_rebuilds_pruned_widths_and_removed_transformers():
    context = dict(type='LightweightTransformer', proj_size=4)
    arch = {
        'stages.1.branches.1.0': dict(hidden_channels=[0, 10, 0], num_tokens=0),
        'stages.1.branches.1.1': dict(hidden_channels=[0, 0, 0], num_tokens=3),
        'fusions.1.new_branches.0': dict(hidden_channels=[4, 4, 0]),
    }
    net = HRNASSuperNet(stem_channels=8, stages=SMALL, context=context, arch=arch,
                        out_indices=(0, 1))
    blocks = dict(net.searching_blocks())
    assert blocks['stages.1.branches.1.0'].kernel_sizes == [5]
    assert blocks['stages.1.branches.1.0'].context is None
    assert blocks['stages.1.branches.1.1'].context.num_tokens == 3
    assert blocks['stages.1.branches.1.1'].num_hidden == 0
    exported = net.export_arch().backbone['arch']
    for name, spec in arch.items():
        assert {k: exported[name][k] for k in spec} == spec
    full = HRNASSuperNet(stem_channels=8, stages=SMALL, context=context, out_indices=(0, 1))
    assert count_complexity(net, (3, 32, 32))['flops'] < \
        count_complexity(full, (3, 32, 32))['flops']


def test_arch_with_unknown_block_names_is_refused():
    with pytest.raises(ConfigError, match='stages.9'):
        HRNASSuperNet(stages=SMALL, arch={'stages.9.branches.0.0': {}}, out_indices=(0, ))


def test_bad_stage_settings_are_refused():
    with pytest.raises(ValueError, match='block counts'):
        HRNASSuperNet(stages=[dict(blocks=(1, 1), channels=(8, ))], out_indices=(0, ))
    with pytest.raises(ValueError, match='out_indices'):
        HRNASSuperNet(stages=SMALL, out_indices=(0, 3))


@pytest.mark.parametrize('tokens', [-1, 99, 2.5, True])
def test_impossible_token_counts_are_refused(tokens):
    context = dict(num_tokens=4)
    net = HRNASSuperNet(stages=SMALL, context=context, out_indices=(0, ))
    block = next(name for name, spec in net.export_arch().backbone['arch'].items()
                 if 'num_tokens' in spec)
    with pytest.raises(ConfigError, match=f'{block}.*num_tokens.*from 0 to'):
        HRNASSuperNet(stages=SMALL, context=context, out_indices=(0, ),
                      arch={block: dict(num_tokens=tokens)})
