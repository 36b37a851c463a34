"""The two search spaces against the values of the authors' released search configurations
(imagenet_search_cfg_mbv2.yaml / imagenet_search_cfg_resnet.yaml): widths, feature-map sizes,
stages, layers per block, connection counts, head and layer candidates, stem and tail, and
the activations of the search spaces (search_space_mbv2.py / search_space_res.py /
search_space_base.py) and of the derived networks (model_derived.py)."""
import os.path as osp

import pytest
import torch
from mmcv.cnn import ConvModule
from torch import nn

from mmnas.densenas import DenseNASCostModel, DenseNASRouted

#: Per space: block widths (B_0 first, the ending block last), feature-map side at 224,
#: stage, layers per block, connections per stage, softmax temperature, head candidates,
#: layer candidates, stem (width, op after the 3×3 convolution), activation after the
#: supernet's stem convolution, after its ending 1×1 convolution and after the derived
#: network's stem convolution.
RELEASED = {
    'mbv2': dict(
        chs=[16, 24, 32, 40, 48, 56, 64, 72, 96, 112, 128, 160, 176, 192, 320, 352, 384, 1984],
        fm=[112, 56, 28, 28, 28, 14, 14, 14, 14, 14, 14, 7, 7, 7, 7, 7, 7, 7],
        stage=[0, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7],
        layers=[0] + [3] * 13 + [0, 0, 0] + [0],
        adjoin=[4] * 7, temp=1.0,
        head=['mbconv_k3_t3', 'mbconv_k3_t6', 'mbconv_k5_t3', 'mbconv_k5_t6', 'mbconv_k7_t3',
              'mbconv_k7_t6'],
        stack=['mbconv_k3_t3', 'mbconv_k3_t6', 'mbconv_k5_t3', 'mbconv_k5_t6', 'mbconv_k7_t3',
               'mbconv_k7_t6', 'skip_connect'],
        stem=(16, 'mbconv_k3_t1'), derive_ending=True,
        acts=dict(search_stem=nn.ReLU6, ending=nn.ReLU6, derived_stem=nn.ReLU6)),
    'resnet': dict(
        chs=[32, 48, 56, 64, 72, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 272, 288,
             480, 496, 512, 512],
        fm=[112, 56, 56, 56, 28, 28, 28] + [14] * 7 + [7] * 8,
        stage=[0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 7],
        layers=[0, 0, 0, 0, 5, 5, 5, 15, 15, 15, 15, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 0],
        adjoin=[10] * 7, temp=0.9, head=['basic_block'], stack=['basic_block', 'skip_connect'],
        stem=(32, None), derive_ending=False,
        acts=dict(search_stem=nn.ReLU, ending=nn.ReLU6, derived_stem=nn.ReLU6)),
}

#: The released operation names in ours.
NAMES = {'basic_block': 'basic', 'skip_connect': 'skip', 'mbconv_k3_t1': 'ir_k3_e1'}


def ours(name):
    if name in NAMES:
        return NAMES[name]
    kernel, expansion = name[len('mbconv_k'):].split('_t')
    return f'ir_k{kernel}_e{expansion}'


def released_connections(table):
    """The released connection rule: block i reaches the next ``adjoin[stage_i]`` blocks, up
    to the first one more than a stage later or not at the same or half the resolution."""
    out = []
    for i in range(len(table['chs']) - 1):
        outs = []
        for k in range(table['adjoin'][table['stage'][i]]):
            j = i + k + 1
            if j >= len(table['chs']) or table['stage'][j] - table['stage'][i] > 1:
                break
            if table['fm'][i] / table['fm'][j] not in (1, 2):
                break
            outs.append(j)
        out.append(outs)
    return out + [[]]


@pytest.mark.parametrize('space', sorted(RELEASED))
def test_space_is_the_released_one(space):
    table = RELEASED[space]
    net = DenseNASRouted(space, init_cfg=None)
    assert [n['channels'] for n in net.nodes] == table['chs']
    assert [224 // n['stride'] for n in net.nodes] == table['fm']
    assert [n['stage'] for n in net.nodes] == table['stage']
    assert [n['num_layers'] for n in net.nodes] == table['layers']
    assert net.out_edges == released_connections(table)
    assert net.temperature == table['temp']
    assert list(net.candidate_ops) == [ours(o) for o in table['stack']]
    # Every connection but those into the ending block (a 1×1 convolution) has the released
    # head candidates; a searched head (more than one) has its own α.
    ending = len(net.nodes) - 1
    for i, j in net.edges:
        expected = ['conv_k1'] if j == ending else [ours(o) for o in table['head']]
        assert list(net._head_ops(j)) == expected
    searched = [e for e in net.edges if e[1] != ending] if len(table['head']) > 1 else []
    assert net.head_edges == searched
    assert [a.numel() for a in net.head_alphas] == [len(table['head'])] * len(searched)
    assert len(net.alphas) == sum(table['layers'])
    # Stem: 3×3/2 convolution to the first width, then (MobileNetV2) the k3 e1 residual.
    width, op = table['stem']
    conv = net.stem[0]
    assert isinstance(conv, ConvModule) and conv.conv.out_channels == width
    assert conv.conv.stride == (2, 2) and conv.conv.kernel_size == (3, 3)
    assert len(net.stem) == (2 if op else 1)
    assert net.space['stem'].get('op') == (ours(op) if op else None)
    # BN without affine parameters during the search.
    norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert norms and not any(m.affine for m in norms)
    assert net.derive_ending == table['derive_ending']


@pytest.mark.parametrize('space', sorted(RELEASED))
def test_activations_are_the_released_ones(space):
    """ReLU6 or ReLU (exactly: ReLU6 is not a subclass of ReLU) after the supernet's stem
    convolution, after every branch of its ending 1×1 convolution and after the derived
    network's stem convolution."""
    acts = RELEASED[space]['acts']
    net = DenseNASRouted(space, init_cfg=None)
    assert type(net.stem[0].activate) is acts['search_stem']
    ending = net.blocks[-1].heads
    assert len(ending) > 1 and all(
        type(head.activate) is acts['ending'] for head in ending.values())
    derived = net.export_arch().build()
    assert type(derived.stem[0].activate) is acts['derived_stem']


def test_resnet_derivation_drops_the_ending_convolution():
    net = DenseNASRouted('resnet', init_cfg=None)
    spec = net.export_arch()
    path = spec.meta['derived']['path']
    blocks = spec.backbone['blocks']
    assert len(blocks) == len(path) - 2
    assert blocks[-1]['channels'] == net.nodes[path[-2]]['channels']
    assert all(b['ops'][0] == 'basic' for b in blocks)


def test_mbv2_supernet_runs_and_derives_searched_heads():
    torch.manual_seed(0)
    net = DenseNASRouted('mbv2', init_cfg=None)
    with torch.no_grad():
        for a in net.head_alphas:
            a.normal_()
    arch = net.derive()
    for i, j in zip(arch['path'][1:-1], arch['path'][2:-1]):
        assert arch['heads'][j] == net._head_ops(j)[int(
            net.head_alphas[net.head_edges.index((i, j))].argmax())]
    net.sample_ops(1)
    out, = net(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 1984, 1, 1)


def test_shipped_cpu_latency_table_covers_the_mbv2_space(repo_root):
    """The latency table shipped with the configs has every (operation, shape) of the
    released MobileNetV2 space at 3×224×224 and its classifier over 100 classes, measured at
    the released batch 32."""
    path = osp.join(repo_root, 'configs', 'densenas', 'cost_tables',
                    'densenas-mbv2_latency_cpu-bs32.json')
    net = DenseNASRouted('mbv2', init_cfg=None)
    model = DenseNASCostModel(net, (3, 224, 224), path, num_classes=100)
    assert model.table.metric == 'latency' and model.table.meta['batch_size'] == 32
    assert model.table.meta['input_shape'] == [3, 224, 224]
    _, entries = net.cost_graph((3, 224, 224), 100)
    assert set(entries) <= set(model.table.entries)
    assert float(model(net)) > model.classifier > 0
