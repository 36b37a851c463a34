"""tools/hrnas_ablation_table.py on one row of HR-NAS supp. Table 2, on a reduced supernet."""
import importlib.util
import os.path as osp

import pytest

from mmnas.hrnas import LightweightTransformer

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: One searching block per branch, kernel 3 only, no expansion: the count takes seconds.
SMALL = {
    'model.backbone.stages': [
        dict(blocks=(1, ), channels=(24, )),
        dict(blocks=(1, 1), channels=(18, 36)),
        dict(blocks=(1, 1, 1), channels=(18, 36, 72)),
        dict(blocks=(1, 1, 1, 1), channels=(18, 36, 72, 144)),
    ],
    'model.backbone.kernel_sizes': [3],
    'model.backbone.expand_ratio': 1,
}


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location(
        'hrnas_ablation_table', osp.join(REPO, 'tools', 'hrnas_ablation_table.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_enc_spatial_row_adds_exactly_its_transformers(tool):
    shape = (3, 32, 64)
    base = tool.count_config('hrnas-a_cityscapes_no-context.py', shape, SMALL)
    row = tool.count_config('hrnas-a_cityscapes_tf-enc-spatial.py', shape, SMALL)
    # Identity-residual blocks of the reduced supernet: one per branch of each parallel module
    # and the same-resolution paths of the fusions after the stem and after modules 2 and 3.
    widths = [24, 18, 36, 18, 36, 72, 18, 36, 72, 144] + [24, 18, 36, 18, 36, 72]
    added = sum(
        sum(p.numel() for p in LightweightTransformer(c, tokens='spatial',
                                                      use_decoder=False).parameters())
        for c in widths)
    assert round((row['params'] - base['params']) * 1e6) == added
    assert row['flops'] > base['flops']

    text = tool.format_table(2, {'hrnas-a_cityscapes_no-context.py': base,
                                 'hrnas-a_cityscapes_tf-enc-spatial.py': row},
                             ['Enc (spatial)'], shape)
    lines = text.splitlines()
    assert lines[0].startswith('HR-NAS supp. Table 2 (ours counted on 3x32x64')
    assert [line.split()[0] for line in lines[2:]] == ['Baseline', 'Enc']
    cells = lines[3].split()
    assert cells[2:4] == [f'{row["params"]:.3f}', f'{row["flops"]:.3f}']
    # The published row: 1.184M params, 1.866G FLOPs, +0.064M over the 1.120M baseline.
    assert cells[7:10] == ['1.184', '1.866', '+0.064']


def test_unknown_row_is_named(tool):
    with pytest.raises(ValueError, match="unknown rows \\['Enc'\\]"):
        tool.main(['--table', '2', '--rows', 'Enc'])
