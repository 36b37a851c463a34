import math

import pytest
import torch
from torch import nn

from mmnas.hrnas import LightweightTransformer, SearchingBlock
from mmnas.models import SqueezeExcitation


def independent_reference(block: SearchingBlock) -> nn.Module:
    """The released block built independently from plain torch layers: one inverted residual
    per kernel (conv-BN-ReLU, depthwise conv-BN-ReLU, conv), their sum, one BN, plus the
    shortcut; weights copied from ``block``."""

    class Reference(nn.Module):

        def __init__(self):
            super().__init__()
            self.branches = nn.ModuleList()
            for k, h, branch in zip(block.kernel_sizes, block.hidden_channels, block.branches):
                layers = [
                    nn.Conv2d(block.in_channels, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU(),
                    nn.Conv2d(h, h, k, block.stride, k // 2, groups=h, bias=False),
                    nn.BatchNorm2d(h), nn.ReLU(),
                    nn.Conv2d(h, block.out_channels, 1, bias=False)
                ]
                sources = [branch.expand_conv, branch.expand_norm, None, branch.dw_conv,
                           branch.dw_norm, None, branch.project_conv]
                for layer, source in zip(layers, sources):
                    if source is not None:
                        layer.load_state_dict(source.state_dict())
                self.branches.append(nn.Sequential(*layers))
            self.out_norm = nn.BatchNorm2d(block.out_channels)
            self.out_norm.load_state_dict(block.out_norm.state_dict())

        def forward(self, x):
            y = self.out_norm(sum(branch(x) for branch in self.branches))
            shortcut = block.residual(x) if block.residual is not None else x
            return y + shortcut

    return Reference()


@pytest.mark.parametrize('in_c, out_c, stride', [(8, 8, 1), (8, 12, 2), (12, 8, 1)])
def test_block_equals_independently_built_inverted_residuals(in_c, out_c, stride):
    block = SearchingBlock(in_c, out_c, stride, (3, 5, 7), (6, 0, 10)).eval()
    for bn in [m for m in block.modules() if isinstance(m, nn.BatchNorm2d)]:
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 1.5)
    assert block.kernel_sizes == [3, 7] and block.num_hidden == 16
    reference = independent_reference(block).eval()
    x = torch.randn(2, in_c, 10, 12)
    torch.testing.assert_close(block(x), reference(x))
    if block.residual is not None:
        assert block.residual.groups == math.gcd(in_c, out_c)


def test_block_without_branches_is_its_shortcut():
    block = SearchingBlock(8, 8, 1, (3, 5, 7), (0, 0, 0))
    x = torch.randn(1, 8, 6, 6)
    assert torch.equal(block(x), x)
    assert block.hidden_per_kernel((3, 5, 7)) == [0, 0, 0]
    assert not any(True for _ in block.parameters())


def test_context_needs_an_identity_residual():
    with pytest.raises(ValueError, match='identity residual'):
        SearchingBlock(8, 16, 2, (3, ), (8, ), context=dict(type='SqueezeExcitation'))


@pytest.mark.parametrize('context, cls', [
    (dict(type='LightweightTransformer'), LightweightTransformer),
    (dict(type='LightweightTransformer', tokens='spatial', use_decoder=False),
     LightweightTransformer),
    (dict(type='SqueezeExcitation'), SqueezeExcitation),
    (dict(type='NonLocal2d', reduction=2), nn.Module),
])
def test_context_paths_keep_the_shape(context, cls):
    block = SearchingBlock(8, 8, 1, (3, ), (8, ), context=context)
    assert isinstance(block.context, cls)
    x = torch.randn(2, 8, 12, 10)
    assert block(x).shape == x.shape


@pytest.mark.parametrize('proj_size', [2, 4, 8, 16])
def test_transformer_projection_sizes_of_table_1(proj_size):
    t = LightweightTransformer(16, num_tokens=8, proj_size=proj_size)
    assert t.encoder.self_attn.embed_dim == proj_size**2
    assert t.queries.shape == (8, proj_size**2)
    x = torch.randn(2, 16, 20, 24)
    assert t(x).shape == x.shape


def test_transformer_rejects_bad_settings():
    with pytest.raises(ValueError, match='tokens'):
        LightweightTransformer(8, tokens='pixels')
    with pytest.raises(ValueError, match='num_tokens'):
        LightweightTransformer(8, num_tokens=0)


def test_se_context_keeps_its_checkpoint_names():
    """The SE context (now the shared mmnas.models.SqueezeExcitation) keeps the parameter
    names and shapes HR-NAS checkpoints hold: a quarter of C, with biases."""
    block = SearchingBlock(8, 8, 1, (3, ), (8, ), context=dict(type='SqueezeExcitation'))
    shapes = {k: tuple(v.shape) for k, v in block.state_dict().items() if k.startswith('context')}
    assert shapes == {'context.reduce.weight': (2, 8, 1, 1), 'context.reduce.bias': (2, ),
                      'context.expand.weight': (8, 2, 1, 1), 'context.expand.bias': (8, )}
