"""AttentiveNAS in BigNASSuperNet: a state dict with the released key layout and shapes
converts into the supernet and computes what the released blocks compute; the published
children A0-A6 count their published MFLOPs within 1%."""
import glob
import os.path as osp
import random

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmnas.bignas import BigNASSuperNet
from mmnas.bignas.attentivenas import (ATTENTIVENAS_CHILDREN, ATTENTIVENAS_SPACE,
                                       arch_from_attentivenas, convert_attentivenas)
from mmnas.bignas.supernet import make_divisible
from mmnas.cost import count_multiply_adds
from mmnas.utils.config_check import ConfigError
from .conftest import TINY_SPACE

REPO = osp.join(osp.dirname(__file__), '..', '..')


def released_supernet_state_dict(space, num_classes, seed=0):
    """Random tensors under the released ``AttentiveNasDynamicModel``'s keys and shapes for
    ``space`` (written from the released layout, no mmnas module involved)."""
    g = torch.Generator().manual_seed(seed)

    def rand(*shape, positive=False):
        t = torch.rand(*shape, generator=g) if positive else torch.randn(*shape, generator=g)
        return t + 0.5 if positive else t * 0.1

    sd = {}

    def conv(key, c_out, c_in, k=1):
        sd[key + '.conv.weight'] = rand(c_out, c_in, k, k)

    def bn(key, c):
        sd.update({key + '.bn.weight': rand(c, positive=True), key + '.bn.bias': rand(c),
                   key + '.bn.running_mean': rand(c), key + '.bn.running_var': rand(
                       c, positive=True), key + '.bn.num_batches_tracked': torch.tensor(1)})
        for t in range(2):
            sd.update({f'{key}.bn_tracking.{t}.running_mean': torch.zeros(c),
                       f'{key}.bn_tracking.{t}.running_var': torch.ones(c),
                       f'{key}.bn_tracking.{t}.num_batches_tracked': torch.tensor(0)})

    c_in = max(space['first_conv']['width'])
    conv('first_conv.conv', c_in, 3, 3)
    bn('first_conv.bn', c_in)
    b = 0
    for s in space['stages']:
        c_out = max(s['width'])
        for _ in range(max(s['depth'])):
            p = f'blocks.{b}.mobile_inverted_conv'
            mid = round(c_in * max(s['expand']))
            if max(s['expand']) != 1:
                conv(p + '.inverted_bottleneck.conv', mid, c_in)
                bn(p + '.inverted_bottleneck.bn', mid)
            conv(p + '.depth_conv.conv', mid, 1, max(s['kernel']))
            bn(p + '.depth_conv.bn', mid)
            if s['se']:
                sq = make_divisible(mid // 4)
                sd.update({p + '.depth_conv.se.fc.reduce.weight': rand(sq, mid, 1, 1),
                           p + '.depth_conv.se.fc.reduce.bias': rand(sq),
                           p + '.depth_conv.se.fc.expand.weight': rand(mid, sq, 1, 1),
                           p + '.depth_conv.se.fc.expand.bias': rand(mid)})
            conv(p + '.point_linear.conv', c_out, mid)
            bn(p + '.point_linear.bn', c_out)
            conv(f'blocks.{b}.shortcut.conv', c_out, c_in)
            c_in = c_out
            b += 1
    c_last = max(space['last_conv']['width'])
    conv('last_conv.final_expand_layer.conv', c_in * 6, c_in)
    bn('last_conv.final_expand_layer.bn', c_in * 6)
    conv('last_conv.feature_mix_layer.conv', c_last, c_in * 6)
    sd['classifier.linear.linear.weight'] = rand(num_classes, c_last)
    sd['classifier.linear.linear.bias'] = rand(num_classes)
    return {'module.' + k: v for k, v in sd.items()}


def released_forward(sd, space, arch, x):
    """The released network's computation for child ``arch`` on the released keys, eval mode:
    sliced weights and BN statistics, a shortcut on every block (average pooling on a stride,
    a 1×1 projection on a width change), hard-sigmoid SE, the pooled 1×1 head without BN."""
    sd = {k[len('module.'):]: v for k, v in sd.items()}

    def conv(x, key, c_out, k=1, stride=1, depthwise=False, bias=None):
        w = sd[key + '.weight']
        s = (w.shape[-1] - k) // 2
        w = w[:x.shape[1], :, s:s + k, s:s + k] if depthwise else w[:c_out, :x.shape[1]]
        return F.conv2d(x, w, bias, stride, k // 2, groups=x.shape[1] if depthwise else 1)

    def bn(x, key):
        c = x.shape[1]
        return F.batch_norm(x, sd[key + '.running_mean'][:c], sd[key + '.running_var'][:c],
                            sd[key + '.weight'][:c], sd[key + '.bias'][:c], False, 0., 1e-5)

    x = F.silu(bn(conv(x, 'first_conv.conv.conv', arch['first_conv']['width'], 3, 2),
                  'first_conv.bn.bn'))
    first = 0
    for s, a in zip(space['stages'], arch['stages']):
        for j in range(a['depth']):
            b = first + j
            p = f'blocks.{b}.mobile_inverted_conv'
            mid = make_divisible(round(x.shape[1] * a['expand']))
            y = x
            if max(s['expand']) != 1:
                y = F.silu(bn(conv(y, p + '.inverted_bottleneck.conv.conv', mid),
                              p + '.inverted_bottleneck.bn.bn'))
            stride = s['stride'] if j == 0 else 1
            y = F.silu(bn(conv(y, p + '.depth_conv.conv.conv', mid, a['kernel'], stride, True),
                          p + '.depth_conv.bn.bn'))
            if s['se']:
                q = p + '.depth_conv.se.fc.'
                sq = make_divisible(y.shape[1] // 4)
                z = torch.relu(conv(y.mean((2, 3), keepdim=True), q + 'reduce', sq,
                                    bias=sd[q + 'reduce.bias'][:sq]))
                y = y * F.relu6(conv(z, q + 'expand', y.shape[1],
                                     bias=sd[q + 'expand.bias'][:y.shape[1]]) + 3) / 6
            y = bn(conv(y, p + '.point_linear.conv.conv', a['width']), p + '.point_linear.bn.bn')
            if stride > 1:
                x = F.avg_pool2d(x, stride, padding=x.shape[-1] % 2)
            if x.shape[1] != a['width']:
                x = conv(x, f'blocks.{b}.shortcut.conv.conv', a['width'])
            x = x + y
        first += max(s['depth'])
    h = x.shape[1] * 6
    x = F.silu(bn(conv(x, 'last_conv.final_expand_layer.conv.conv', h),
                  'last_conv.final_expand_layer.bn.bn'))
    x = F.silu(conv(x.mean((2, 3), keepdim=True), 'last_conv.feature_mix_layer.conv.conv',
                    arch['last_conv']['width']))
    x = x.flatten(1)
    return F.linear(x, sd['classifier.linear.linear.weight'][:, :x.shape[1]],
                    sd['classifier.linear.linear.bias'])


def classifier_target(backbone, num_classes):
    """The names and shapes of an ImageClassifier around ``backbone`` with a LinearClsHead."""
    target = {'backbone.' + k: v for k, v in backbone.state_dict().items()}
    width = backbone.feature_info[-1].num_chs
    target.update({'head.fc.weight': torch.empty(num_classes, width),
                   'head.fc.bias': torch.empty(num_classes)})
    return target


def test_released_supernet_converts_and_computes_the_released_children():
    space = TINY_SPACE
    released = released_supernet_state_dict(space, num_classes=5)
    net = BigNASSuperNet(space).eval()
    depths = [max(s['depth']) for s in space['stages']]
    sd = convert_attentivenas(released, classifier_target(net, 5), depths, child=False)
    net.load_state_dict({k[len('backbone.'):]: v for k, v in sd.items()
                         if k.startswith('backbone.')}, strict=True)
    rng = random.Random(0)
    archs = [net.max_arch(), net.min_arch()] + [net.sample_arch(rng) for _ in range(2)]
    # A child whose first stage changes width (a projection shortcut at stride 1).
    archs.append(dict(net.min_arch(), first_conv=dict(width=16)))
    for arch in archs:
        net.set_arch(arch)
        r = arch['resolution']
        x = torch.randn(2, 3, r, r)
        with torch.no_grad():
            feat = net(x)[0].flatten(1)
            out = F.linear(feat, sd['head.fc.weight'], sd['head.fc.bias'])
            ref = released_forward(released, space, arch, x)
        torch.testing.assert_close(out, ref, rtol=0, atol=1e-4)


def test_released_child_layout_converts_into_the_static_child():
    """A released static child (consecutive block numbers, ``last_conv.0/2``, single
    ``conv``/``bn``) converts into the static child cut from the same supernet."""
    space = TINY_SPACE
    released = released_supernet_state_dict(space, num_classes=5, seed=1)
    net = BigNASSuperNet(space).eval()
    depths = [max(s['depth']) for s in space['stages']]
    sd = convert_attentivenas(released, classifier_target(net, 5), depths, child=False)
    net.load_state_dict({k[9:]: v for k, v in sd.items() if k.startswith('backbone.')})
    arch = net.sample_arch(random.Random(5))
    arch['first_conv']['width'] = 16
    net.set_arch(arch)
    _, child_sd = net.export()
    # The same tensors under the released child's names.
    names = {'first_conv.conv.weight': 'first_conv.conv.weight'}
    renamed = {}
    b = 0
    for i, a in enumerate(arch['stages']):
        for j in range(a['depth']):
            for k, v in child_sd.items():
                pre = f'stages.{i}.{j}.'
                if not k.startswith(pre):
                    continue
                rest = k[len(pre):]
                for ours, theirs in (('expand.', 'inverted_bottleneck.'),
                                     ('depthwise.', 'depth_conv.'), ('project.', 'point_linear.')):
                    if rest.startswith(ours):
                        rest = 'mobile_inverted_conv.' + theirs + rest[len(ours):]
                rest = rest.replace('se.', 'mobile_inverted_conv.depth_conv.se.fc.')
                renamed[f'blocks.{b}.{rest}'] = v
            b += 1
    for k, v in child_sd.items():
        if k.startswith('first_conv.'):
            renamed[names.get(k, k)] = v
        elif k.startswith('last_conv.final_expand.'):
            renamed['last_conv.0.' + k[len('last_conv.final_expand.'):]] = v
        elif k.startswith('last_conv.feature_mix.'):
            renamed['last_conv.2.' + k[len('last_conv.feature_mix.'):]] = v
    c_last = arch['last_conv']['width']
    renamed['classifier.linear.weight'] = sd['head.fc.weight'][:, :c_last]
    renamed['classifier.linear.bias'] = sd['head.fc.bias']
    child = BigNASSuperNet(space, arch=arch).eval()
    out = convert_attentivenas(renamed, classifier_target(child, 5),
                               [a['depth'] for a in arch['stages']], child=True)
    for k, v in child_sd.items():
        torch.testing.assert_close(out['backbone.' + k], v, rtol=0, atol=0)
    # The child's classifier, zero-padded to the head's input width.
    assert out['head.fc.weight'].shape[1] == 64
    assert not out['head.fc.weight'][:, c_last:].any()


def test_full_released_layout_loads_and_bad_keys_are_named():
    released = released_supernet_state_dict(ATTENTIVENAS_SPACE, num_classes=1000)
    net = BigNASSuperNet(ATTENTIVENAS_SPACE)
    depths = [max(s['depth']) for s in ATTENTIVENAS_SPACE['stages']]
    target = classifier_target(net, 1000)
    sd = convert_attentivenas(released, target, depths, child=False)
    assert set(sd) == set(target)
    bad = dict(released, **{'module.blocks.0.mobile_inverted_conv.extra.weight': torch.ones(1)})
    with pytest.raises(ConfigError, match='no counterpart.*extra'):
        convert_attentivenas(bad, target, depths, child=False)
    bad = dict(released)
    bad['module.first_conv.conv.conv.weight'] = torch.ones(8, 3, 3, 3)
    with pytest.raises(ConfigError, match=r'first_conv.conv.conv.weight.*\(8, 3, 3, 3\)'):
        convert_attentivenas(bad, target, depths, child=False)
    del bad['module.first_conv.conv.conv.weight']
    with pytest.raises(ConfigError, match='no tensor for'):
        convert_attentivenas(bad, target, depths, child=False)


CHILD_CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'bignas', 'attentivenas-a*.py')))


@pytest.mark.parametrize('path', CHILD_CONFIGS, ids=osp.basename)
def test_published_children_count_their_published_mflops(path):
    """The FLOPs of AttentiveNAS's Table 2 are multiply-adds of convolutions and the
    classifier at the child's resolution; the count is within 1% of each."""
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(path)
    name = osp.basename(path).split('_')[0].split('-')[1]
    assert arch_from_attentivenas(ATTENTIVENAS_CHILDREN[name]) == cfg.model.backbone.arch
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    r = cfg.model.backbone.arch['resolution']
    mflops = count_multiply_adds(model, (3, r, r)) / 1e6
    print(f'{name}: {mflops:.1f} MFLOPs counted, {cfg.published_mflops} published')
    assert abs(mflops - cfg.published_mflops) <= 0.01 * cfg.published_mflops
