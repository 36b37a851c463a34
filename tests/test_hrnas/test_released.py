"""The authors' released architecture file (``checkpoint.json``, their searched ImageNet
network) converts to an ArchSpec and back unchanged, and the network it builds has the
counts the released code gives for it."""
import json
import os.path as osp

import pytest
import torch
from mmengine.analysis import FlopAnalyzer
from torch import nn

from mmnas.hrnas import HRNASSuperNet
from mmnas.hrnas.heads import HRNASClsNeck
from mmnas.hrnas.released import arch_from_released, released_from_network
from mmnas.structures import ArchSpec
from mmnas.utils.config_check import ConfigError

ROWS = osp.join(osp.dirname(__file__), '..', 'data', 'hrnas', 'released_imagenet_checkpoint.json')

#: What the released code gives for this file (its ``HighResolutionNet`` with the
#: ``cls_retrain.yml`` settings): all parameters, and its profiler's multiply-adds and
#: parameters of convolutions and linear layers at 224×224.
RELEASED_PARAMS = 3_907_476
RELEASED_PROFILED = dict(flops=259_232_935, params=3_854_804)


def released_rows():
    with open(ROWS) as f:
        return json.load(f)


class Classifier(nn.Module):
    """Backbone, searched neck and the 1000-way linear classifier of the released model."""

    def __init__(self, backbone_arch=None, neck_arch=None) -> None:
        super().__init__()
        self.backbone = HRNASSuperNet(context=None, arch=backbone_arch, channels_last=False)
        self.neck = HRNASClsNeck(arch=neck_arch)
        self.fc = nn.Linear(1600, 1000)

    def forward(self, x):
        return self.fc(self.neck(self.backbone(x))[0])


def test_released_file_round_trips_and_builds_the_released_counts():
    rows = released_rows()
    supernet = Classifier()
    arch, heads = arch_from_released(rows, supernet.backbone, {'neck': supernet.neck})
    assert len(arch) + len(heads['neck']) == len(rows) == 67
    assert heads['neck']['downsamp_modules.2'] == {'hidden_channels': [29, 22, 108]}
    net = Classifier(arch, heads['neck']).eval()
    assert released_from_network(net.backbone, {'neck': net.neck}) == rows

    # Convolutions and linear layers: exactly the released profiler's counts.
    analyzer = FlopAnalyzer(net, (torch.randn(1, 3, 224, 224), ))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    ops = analyzer.by_operator()
    assert ops['conv'] + ops['linear'] == RELEASED_PROFILED['flops']
    weights = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert sum(p.numel() for m in weights for p in m.parameters()) == RELEASED_PROFILED['params']
    # All parameters: the released network also holds BNs its forward never uses, one per
    # kernel branch (kept for distillation) and the output BN of kernel-less blocks.
    unused = sum(2 * sum(r[4]) + (0 if r[4] else 2 * r[0]) for r in rows)
    assert sum(p.numel() for p in net.parameters()) == RELEASED_PARAMS - unused == 3_893_684


def test_tool_imports_into_a_spec_and_exports_the_same_rows(repo_root, run_tool, tmp_path):
    spec_file, rows_file = tmp_path / 'arch.json', tmp_path / 'rows.json'
    assert run_tool('model_converters/hrnas_released_arch', 'import', ROWS,
                    osp.join(repo_root, 'configs/hrnas/hrnas-a_imagenet.py'), '--out',
                    spec_file, '--input-shape', 3, 32, 32) == 0
    spec = ArchSpec.load(str(spec_file))
    assert spec.backbone['context'] is None and sorted(spec.heads) == ['neck']
    assert run_tool('model_converters/hrnas_released_arch', 'export', spec_file, '--out',
                    rows_file) == 0
    with open(rows_file) as f:
        assert json.load(f) == released_rows()


def test_rows_that_do_not_fit_the_supernet_are_refused():
    rows = released_rows()
    supernet = Classifier()
    with pytest.raises(ConfigError, match='67 rows, but the supernet has 60'):
        arch_from_released(rows, supernet.backbone)
    rows[3][2] = 1
    with pytest.raises(ConfigError, match='row 3: 36 channels at stride 1'):
        arch_from_released(rows, supernet.backbone, {'neck': supernet.neck})
