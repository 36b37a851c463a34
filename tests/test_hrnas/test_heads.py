"""The searched heads of HR-NAS: each equals an independently written torch computation of
the released layout, and progressive shrinking cuts their channels with the backbone's."""
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from mmnas.hrnas import SearchScope, apply_plan, plan_for_arch, plan_shrink, scale_groups
from mmnas.hrnas import scope_arch
from mmnas.hrnas.heads import HRNASClsNeck, HRNASHeatmapHead, HRNASSegHead
from mmnas.models import export_heads
from mmnas.structures import ArchSpec
from .test_shrinking import randomise_norms, tiny_supernet


def bn(x, state, prefix):
    return F.batch_norm(x, state[prefix + '.running_mean'], state[prefix + '.running_var'],
                        state[prefix + '.weight'], state[prefix + '.bias'], False, 0.0, 1e-5)


def reference_block(x, state, prefix, kernels, stride, groups):
    """``BN(Σ_k proj_k(relu(BN(dw_k(relu(BN(expand_k(x))))))) + grouped 1×1 residual(x)``
    from the weights alone."""
    y = 0
    for i, k in enumerate(kernels):
        p = f'{prefix}.branches.{i}'
        h = F.relu(bn(F.conv2d(x, state[p + '.expand_conv.weight']), state, p + '.expand_norm'))
        w = state[p + '.dw_conv.weight']
        h = F.relu(bn(F.conv2d(h, w, None, stride, k // 2, groups=w.shape[0]), state,
                      p + '.dw_norm'))
        y = y + F.conv2d(h, state[p + '.project_conv.weight'])
    residual = F.conv2d(x, state[prefix + '.residual.weight'], None, stride, groups=groups)
    return bn(y, state, prefix + '.out_norm') + residual


def test_seg_head_equals_the_released_layout_by_hand():
    torch.manual_seed(0)
    head = HRNASSegHead(in_channels=[4, 8], channels=6, num_classes=3, expand_ratio=2,
                        kernel_sizes=(3, 5), dropout_ratio=0.0)
    randomise_norms(head)
    head.eval()
    xs = [torch.randn(2, 4, 16, 12), torch.randn(2, 8, 8, 6)]
    state = head.state_dict()
    cat = torch.cat([xs[0], F.interpolate(xs[1], (16, 12), mode='bilinear',
                                          align_corners=False)], 1)  # (2, 12, 16, 12)
    y = reference_block(cat, state, 'transform', (3, 5), 1, 6)  # gcd(12, 6)
    expected = F.conv2d(y, state['conv_seg.weight'], state['conv_seg.bias'])
    assert head.transform.hidden_channels == [24, 24]
    with torch.no_grad():
        torch.testing.assert_close(head(xs), expected, atol=1e-5, rtol=1e-5)


def test_heatmap_head_equals_the_released_layout_by_hand():
    torch.manual_seed(0)
    head = HRNASHeatmapHead(in_channels=12, out_channels=5, last_channel=6, expand_ratio=1,
                            kernel_sizes=(3, 7), deconv_out_channels=None)
    randomise_norms(head)
    head.eval()
    x = torch.randn(2, 12, 16, 12)
    state = head.state_dict()
    y = reference_block(x, state, 'conv_layers', (3, 7), 1, 6)
    expected = F.conv2d(y, state['final_layer.weight'], state['final_layer.bias'])
    with torch.no_grad():
        torch.testing.assert_close(head((x, )), expected, atol=1e-5, rtol=1e-5)


def test_cls_neck_equals_the_released_layout_by_hand():
    torch.manual_seed(0)
    neck = HRNASClsNeck(in_channels=[4, 8, 16], head_channels=[6, 12, 20], last_channel=10,
                        expand_ratio=1, kernel_sizes=(3, ))
    randomise_norms(neck)
    neck.eval()
    xs = [torch.randn(2, 4, 16, 16), torch.randn(2, 8, 8, 8), torch.randn(2, 16, 4, 4)]
    state = neck.state_dict()
    x = reference_block(xs[0], state, 'incre_modules.0', (3, ), 1, 2)
    for b, (c_in, c_out) in enumerate([(6, 12), (12, 20)]):
        down = reference_block(x, state, f'downsamp_modules.{b}', (3, ), 2, 6 if b == 0 else 4)
        x = reference_block(xs[b + 1], state, f'incre_modules.{b + 1}', (3, ), 1,
                            [4, 4][b]) + down
    x = F.relu(bn(F.conv2d(x, state['final_layer.conv.weight']), state, 'final_layer.bn'))
    with torch.no_grad():
        out = neck(xs)
    assert len(out) == 1 and out[0].shape == (2, 10)
    torch.testing.assert_close(out[0], x.mean((2, 3)), atol=1e-5, rtol=1e-5)


class SegModel(BaseModel):
    """A stock-shaped model: ``backbone`` then a searched ``decode_head``."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = tiny_supernet()
        self.decode_head = HRNASSegHead(in_channels=[8, 16, 24], channels=6, num_classes=3,
                                        expand_ratio=1)

    def forward(self, x, data_samples=None, mode='tensor'):
        return self.decode_head(self.backbone(x))


def test_shrink_prices_and_cuts_head_channels_and_the_spec_rebuilds_them():
    torch.manual_seed(0)
    model = SegModel()
    randomise_norms(model)
    scope = SearchScope(model)
    groups = scale_groups(scope, (3, 64, 48))
    head_groups = [g for g in groups if g.block == 'decode_head.transform']
    assert [g.size for g in head_groups] == [48, 48, 48]  # 48 = Σ C_b, expansion 1
    assert all(g.cost > 0 for g in head_groups)
    norm = model.decode_head.transform.branches
    norm[0].dw_norm.weight.data[:40] = 0
    norm[1].dw_norm.weight.data[:] = 0
    model.eval()
    x = torch.randn(1, 3, 64, 48)
    with torch.no_grad():
        before = model(x)

    plan, saved = plan_shrink(groups, [scope], 1e-3)
    assert saved > 0 and 'decode_head.transform' in plan
    apply_plan(scope, plan)

    assert model.decode_head.transform.kernel_sizes == [3, 7]
    assert model.decode_head.transform.hidden_channels == [8, 48]
    with torch.no_grad():
        torch.testing.assert_close(model(x), before, atol=1e-4, rtol=1e-4)
    # The spec's heads rebuild the cut head; a fresh model is cut to it before loading.
    spec = ArchSpec(method='hrnas', backbone=model.backbone.export_arch().backbone,
                    heads=export_heads(model))
    spec = ArchSpec.from_dict(spec.to_dict())
    assert spec.heads['decode_head']['arch'] == {'transform': {'hidden_channels': [8, 0, 48]}}
    rebuilt = spec.build_head('decode_head')
    assert [p.shape for p in rebuilt.parameters()] == \
        [p.shape for p in model.decode_head.parameters()]
    fresh = SegModel()
    apply_plan(SearchScope(fresh), plan_for_arch(SearchScope(fresh), scope_arch(spec)))
    fresh.load_state_dict(model.state_dict())
    assert isinstance(fresh.decode_head.transform.branches, nn.ModuleList)
