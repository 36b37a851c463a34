"""The released net_config <-> ArchSpec converter: exact round trips, the released example
network's mult-adds, the ResNet-space networks, the command-line tool."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from torch import nn

from mmnas.cost import count_complexity
from mmnas.densenas.net_config import net_config_to_spec, spec_to_net_config
from mmnas.structures import ArchSpec
from mmnas.utils import register_all_modules
from mmnas.utils.config_check import ConfigError

#: The example net_config of the released training configuration (configs/
#: imagenet_train_cfg.py), the DenseNAS-C network.
EXAMPLE = """[[16, 16], 'mbconv_k3_t1', [], 0, 1]|
[[16, 24], 'mbconv_k3_t6', [], 0, 2]|
[[24, 48], 'mbconv_k7_t6', ['mbconv_k3_t3'], 1, 2]|
[[48, 72], 'mbconv_k5_t6', ['mbconv_k3_t6', 'mbconv_k3_t3'], 2, 2]|
[[72, 128], 'mbconv_k3_t6', ['mbconv_k3_t3', 'mbconv_k3_t3'], 2, 1]|
[[128, 160], 'mbconv_k3_t6', ['mbconv_k7_t3', 'mbconv_k5_t6', 'mbconv_k7_t3'], 3, 2]|
[[160, 176], 'mbconv_k3_t3', ['mbconv_k3_t6', 'mbconv_k3_t6', 'mbconv_k3_t6'], 3, 1]|
[[176, 384], 'mbconv_k7_t6', [], 0, 1]|
[[384, 1984], 'conv1_1']"""

#: What the released tools/multadds_count.py gives for EXAMPLE at 3×224×224: it counts the
#: multiply-adds of every Conv2d and Linear (the 1984 → 1000 classifier included) in M.
#: Worked out on this build: 358.824256 M in the convolutions + 1.984 M in the classifier
#: (the README's 361M of DenseNAS-C).
RELEASED_MULTADDS = 360.808256


def conv_linear_multadds(model, input_shape, num_classes):
    """The released counting rule on ``model`` plus a ``num_classes`` classifier, in M."""
    total = [0]

    def count(module, _, out):
        k = module.kernel_size[0] * module.kernel_size[1]
        total[0] += (module.in_channels // module.groups) * module.out_channels * k \
            * out.shape[2] * out.shape[3]

    handles = [m.register_forward_hook(count) for m in model.modules()
               if isinstance(m, nn.Conv2d)]
    model.eval()
    with torch.no_grad():
        out, = model(torch.randn(1, *input_shape))
    for h in handles:
        h.remove()
    return (total[0] + out.shape[1] * num_classes) / 1e6


def test_example_net_config_round_trips_and_has_the_released_multadds():
    register_all_modules(init_default_scope_=False)
    spec = net_config_to_spec(EXAMPLE, 'mbv2')
    assert spec_to_net_config(spec) == EXAMPLE
    again = net_config_to_spec(spec_to_net_config(ArchSpec.from_dict(spec.to_dict())))
    assert again.backbone == spec.backbone
    backbone = spec.backbone
    assert backbone['stem'] == dict(channels=16, stride=2, op='ir_k3_e1', op_channels=16)
    assert [b['channels'] for b in backbone['blocks']] == [24, 48, 72, 128, 160, 176, 384, 1984]
    assert backbone['blocks'][4]['ops'] == ['ir_k3_e6', 'ir_k7_e3', 'ir_k5_e6', 'ir_k7_e3']
    net = spec.build()
    assert conv_linear_multadds(net, (3, 224, 224), 1000) == pytest.approx(
        RELEASED_MULTADDS, abs=1e-6)
    # mmengine's count (the one every ArchSpec carries) adds the BN and residual additions.
    flops = count_complexity(net, (3, 224, 224))['flops'] / 1e6
    assert RELEASED_MULTADDS - 1.984 < flops < 1.03 * RELEASED_MULTADDS


@pytest.mark.parametrize('net', ['r1', 'r2', 'r3'])
def test_resnet_space_networks_round_trip(repo_root, net):
    """DenseNAS-R1/R2/R3 (configs; their FLOPs: test_configs.py) written as released
    net_configs and read back: the same network."""
    register_all_modules(init_default_scope_=False)
    cfg = Config.fromfile(osp.join(repo_root, 'configs', 'densenas',
                                   f'densenas-{net}_8xb128_in1k.py'))
    backbone = dict(cfg.model.backbone)
    spec = ArchSpec(method='densenas', backbone=backbone)
    text = spec_to_net_config(spec)
    first = text.split('|')[0]
    assert first.startswith('[[32, ') and ("'bottle_neck'" if net == 'r3' else "'basic_block'") \
        in first
    back = net_config_to_spec(text, 'res')
    assert back.backbone['blocks'] == backbone['blocks']
    assert back.backbone['stem'] == dict(channels=32, stride=2)
    assert spec_to_net_config(back) == text


@pytest.mark.parametrize('text, match', [
    ("[[16, 24], 'mbconv_k4_t9x', [], 0, 2]", "unknown operation 'mbconv_k4_t9x'"),
    ("[[16, 24], 'mbconv_k3_t6', ['mbconv_k3_t3'], 0, 2]", 'num_layers must count'),
    ("[[16, 24], 'mbconv_k3_t6', [], 0, 2]|[[32, 40], 'mbconv_k3_t6', [], 0, 1]",
     'takes 32 channels, the previous block gives 24'),
    ('[[16, 24], mbconv]', 'not a Python literal'),
])
def test_bad_net_configs_are_named(text, match):
    with pytest.raises(ConfigError, match=match):
        net_config_to_spec(text, 'mbv2')


def test_converter_tool_round_trip(tmp_path, run_tool):
    src = tmp_path / 'net_config'
    src.write_text(EXAMPLE + '\nnet_type: mbv2\n')
    assert run_tool('model_converters/densenas_net_config', 'to-spec', src,
                    tmp_path / 'arch.json') == 0
    spec = ArchSpec.load(str(tmp_path / 'arch.json'))
    assert spec.cost['input_shape'] == [3, 224, 224] and spec.cost['flops'] > 0
    assert run_tool('model_converters/densenas_net_config', 'to-net-config',
                    tmp_path / 'arch.json', tmp_path / 'back') == 0
    assert (tmp_path / 'back').read_text().strip() == EXAMPLE
