"""The context paths of HR-NAS supp. Tables 1–2 against references written with torch
functions only: the lightweight transformer for each projection size s, encoder only or
encoder + decoder, channel or spatial tokens; the non-local block of the Table 2 config."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmnas.hrnas import LightweightTransformer
from mmnas.registry import MODELS


def _bn(x, bn):
    shape = (1, -1, 1, 1)
    return ((x - bn.running_mean.view(shape)) / (bn.running_var.view(shape) + bn.eps).sqrt()
            * bn.weight.view(shape) + bn.bias.view(shape))


def _ln(x, ln):
    return F.layer_norm(x, x.shape[-1:], ln.weight, ln.bias, ln.eps)


def _attention(q, kv, mha):
    """Multi-head attention without biases: ``(N, L, d), (N, S, d) → (N, L, d)``."""
    w_q, w_k, w_v = mha.in_proj_weight.chunk(3)
    heads = mha.num_heads

    def split(t):
        return t.unflatten(-1, (heads, -1)).transpose(1, 2)

    q, k, v = split(q @ w_q.T), split(kv @ w_k.T), split(kv @ w_v.T)
    weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1)
    return (weights @ v).transpose(1, 2).flatten(2) @ mha.out_proj.weight.T


def _feed_forward(x, first, second):
    return torch.relu(x @ first.weight.T) @ second.weight.T


def reference_transformer(t: LightweightTransformer, x):
    n, c, h, w = x.shape
    s = t.proj_size
    coords = torch.linspace(0, 1, s)
    coords = (coords - coords.mean()) / coords.std(unbiased=False)
    pos = torch.stack([coords.expand(s, s), coords[:, None].expand(s, s)])  # x, then y
    feat = F.interpolate(x, (s, s), mode='bilinear', align_corners=False)
    feat = torch.cat([feat, pos.expand(n, 2, s, s)], dim=1)
    feat = _bn(torch.einsum('oc,nchw->nohw', t.input_proj.weight[:, :, 0, 0], feat),
               t.token_norm)
    seq = feat.flatten(2)
    if t.tokens == 'spatial':
        seq = seq.transpose(1, 2)
    enc = t.encoder
    seq = _ln(seq + _attention(seq, seq, enc.self_attn), enc.norm1)
    seq = _ln(seq + _feed_forward(seq, enc.linear1, enc.linear2), enc.norm2)
    if t.decoder is not None:
        dec = t.decoder
        queries = t.queries.expand(n, -1, -1)
        seq = _ln(seq + _attention(queries, seq, dec.cross_attn), dec.norm1)
        seq = _ln(seq + _feed_forward(seq, dec.ffn[0], dec.ffn[3]), dec.norm2)
    if t.tokens == 'spatial':
        seq = seq.transpose(1, 2)
    out = torch.einsum('oc,nchw->nohw', t.output_proj.weight[:, :, 0, 0],
                       seq.reshape(n, t.num_tokens, s, s))
    out = _bn(out, t.output_norm)
    return x + F.interpolate(out, (h, w), mode='bilinear', align_corners=False)


def _randomise_norms(module):
    for m in module.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)


@pytest.mark.parametrize('fold_eval', [False, True])
@pytest.mark.parametrize('proj_size, tokens, use_decoder, num_heads', [
    (2, 'channel', True, 1), (4, 'channel', True, 1), (8, 'channel', True, 1),
    (16, 'channel', True, 1), (8, 'channel', False, 1), (8, 'spatial', False, 1),
    (8, 'spatial', True, 1), (8, 'channel', True, 2),
])
def test_transformer_matches_reference(proj_size, tokens, use_decoder, num_heads, fold_eval):
    torch.manual_seed(0)
    t = LightweightTransformer(12, num_tokens=8, proj_size=proj_size, tokens=tokens,
                               use_decoder=use_decoder, num_heads=num_heads,
                               fold_eval=fold_eval)
    _randomise_norms(t)
    t.eval()
    x = torch.randn(2, 12, 13, 11)
    with torch.no_grad():
        out = t(x)
        torch.testing.assert_close(out, reference_transformer(t, x), rtol=1e-4, atol=1e-4)
    assert (t._folded.kept is not None) == fold_eval
    dim, length = (proj_size**2, 8) if tokens == 'channel' else (8, proj_size**2)
    assert t.encoder.self_attn.embed_dim == dim
    assert (t.queries is None) == (not use_decoder)
    if use_decoder:
        assert t.queries.shape == (length, dim)
    assert out.shape == x.shape and not torch.allclose(out, x)


@pytest.mark.parametrize('fold_eval', [False, True])
def test_transformer_keeps_the_memory_format(fold_eval):
    """A channels-last map comes out channels-last (an addition of two layouts is slow)."""
    t = LightweightTransformer(12, num_tokens=4, proj_size=4, fold_eval=fold_eval).eval()
    x = torch.randn(2, 12, 9, 7)
    with torch.no_grad():
        for fmt in (torch.channels_last, torch.contiguous_format):
            out = t(x.contiguous(memory_format=fmt))
            assert out.is_contiguous(memory_format=fmt)
            torch.testing.assert_close(out, reference_transformer(t, x), rtol=1e-4, atol=1e-4)


def test_folded_transformer_trains_and_refolds():
    """The folded form has the plain form's gradients in eval mode, folds again after an
    optimizer step or a loaded checkpoint, and keeps its folded tensors otherwise."""
    torch.manual_seed(0)
    plain = LightweightTransformer(12, num_tokens=4, proj_size=4, dropout=0.0)
    folded = LightweightTransformer(12, num_tokens=4, proj_size=4, dropout=0.0, fold_eval=True)
    _randomise_norms(plain)
    folded.load_state_dict(plain.state_dict())
    plain.eval()
    folded.eval()
    x = torch.randn(2, 12, 9, 7)
    for net in (plain, folded):
        net(x).square().mean().backward()
    for (name, p), q in zip(plain.named_parameters(), folded.parameters()):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-4, atol=1e-6, msg=name)
    assert folded._folded.kept is None  # with gradients nothing is kept
    with torch.no_grad():
        folded(x)
        kept = folded._folded.kept
        folded(x)
        assert folded._folded.kept is kept
    torch.optim.SGD(folded.parameters(), lr=0.5).step()
    with torch.no_grad():
        torch.testing.assert_close(folded(x), reference_transformer(folded, x), rtol=1e-4,
                                   atol=1e-4)
        assert folded._folded.kept is not kept
        folded.load_state_dict(plain.state_dict())
        torch.testing.assert_close(folded(x), plain(x), rtol=1e-4, atol=1e-4)
    folded.train()
    assert folded._folded.kept is None


def reference_non_local(block, x):
    """Embedded Gaussian non-local (Non-local Neural Networks, Eq. 3 with 1/√d scaling), keys
    and values 2×2 max-pooled: ``(N, C, H, W) → (N, C, H, W)``."""
    def conv(t, module):
        return F.conv2d(t, module.conv.weight, module.conv.bias)

    n, _, h, w = x.shape
    theta = conv(x, block.theta).flatten(2).transpose(1, 2)  # (N, HW, C/2)
    phi = F.max_pool2d(conv(x, block.phi[0]), 2).flatten(2)  # (N, C/2, HW/4)
    g = F.max_pool2d(conv(x, block.g[0]), 2).flatten(2).transpose(1, 2)
    attn = torch.softmax(theta @ phi / math.sqrt(theta.shape[-1]), dim=-1)
    y = (attn @ g).transpose(1, 2).reshape(n, -1, h, w)
    return x + conv(y, block.conv_out)


def test_non_local_context_matches_reference():
    torch.manual_seed(0)
    block = MODELS.build(dict(type='NonLocal2d', in_channels=8, reduction=2, use_scale=True,
                              mode='embedded_gaussian', sub_sample=True))
    # mmcv starts the output projection at zero (the block is an identity); move it.
    torch.nn.init.normal_(block.conv_out.conv.weight, std=0.5)
    block.eval()
    x = torch.randn(2, 8, 6, 10)
    with torch.no_grad():
        out = block(x)
        torch.testing.assert_close(out, reference_non_local(block, x), rtol=1e-4, atol=1e-5)
    assert not torch.allclose(out, x)
