"""Context paths of the HR-NAS searching block (HR-NAS supp. §3 and Tables 1–2).

Each maps a feature map to a refined one of the same shape, ``(N, C, H, W) → (N, C, H, W)``,
and sits on the identity path of a searching block. The lightweight transformer is the
paper's choice; squeeze-and-excitation (the shared
:class:`~mmnas.models.layers.SqueezeExcitation`: ReLU, sigmoid gate, a quarter of C) and mmcv's
``NonLocal2d`` are its baselines in HR-NAS supp. Table 2.
"""
from typing import Iterator, List, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import Tensor, nn

from mmnas.models.ops import (FoldedWeights, ParamSlice, fold_batchnorm, folds_batchnorm,
                              select_batchnorm, select_conv2d)
from mmnas.registry import MODELS
from mmnas.utils.config_check import ConfigError


def _standardised_grid(size: int) -> Tensor:
    """Two positional channels, the x and y coordinate of each cell standardised to zero
    mean and unit variance: ``(1, 2, size, size)``."""
    coords = torch.arange(size, dtype=torch.float32)
    coords = (coords - coords.mean()) / coords.std(unbiased=False).clamp_min(1e-6)
    y, x = torch.meshgrid(coords, coords, indexing='ij')
    return torch.stack([x, y]).unsqueeze(0)


def _memory_format(x: Tensor) -> torch.memory_format:
    """The layout of a 4-d map: a small map made to match it before it is resized and added
    (an addition of two layouts runs about ten times slower than of one)."""
    if x.is_contiguous() or not x.is_contiguous(memory_format=torch.channels_last):
        return torch.contiguous_format
    return torch.channels_last


def _layer_norm(x: Tensor, norm: nn.LayerNorm) -> Tensor:
    return F.layer_norm(x, norm.normalized_shape, norm.weight, norm.bias, norm.eps)


def _feed_forward(x: Tensor, first: nn.Linear, second: nn.Linear) -> Tensor:
    """``W_2 relu(W_1 x)`` (eval, no dropout; built without biases):
    ``(N, L, d) → (N, L, d)``."""
    return F.linear(F.relu_(F.linear(x, first.weight)), second.weight)


def _attend(queries: Tensor, keys: Tensor, values: Tensor,
            attn: nn.MultiheadAttention) -> Tensor:
    """The rest of ``attn`` (eval, no dropout; built without biases) from its projected
    queries ``(N, L, d)``, keys and values ``(N, S, d)``: scaled dot-product attention per
    head, then the output projection. ``→ (N, L, d)``."""
    def heads(t: Tensor) -> Tensor:
        return t.unflatten(-1, (attn.num_heads, -1)).transpose(1, 2)

    out = F.scaled_dot_product_attention(heads(queries), heads(keys), heads(values))
    return F.linear(out.transpose(1, 2).flatten(2), attn.out_proj.weight)


class TokenDecoderLayer(nn.Module):
    """Decoder layer of the lightweight transformer: learned queries attend to the encoded
    tokens, residual on the tokens, then a feed-forward layer (post-norm).

    Args:
        dim: token dimension d.
        num_heads: attention heads.
        dropout: dropout on attention and feed-forward outputs.

    Shapes: ``queries (N, L, d), memory (N, L, d) → (N, L, d)``; the query count equals the
    token count L, so that query i refines token i and both are pruned together.
    """

    def __init__(self, dim: int, num_heads: int = 1, dropout: float = 0.1) -> None:
        super().__init__()
        self.cross_attn = nn.MultiheadAttention(dim, num_heads, dropout=dropout, bias=False,
                                                batch_first=True)
        self.norm1 = nn.LayerNorm(dim)
        self.ffn = nn.Sequential(
            nn.Linear(dim, dim, bias=False), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(dim, dim, bias=False))
        self.norm2 = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries: Tensor, memory: Tensor) -> Tensor:
        attended = self.cross_attn(queries, memory, memory, need_weights=False)[0]
        x = self.norm1(memory + self.dropout(attended))
        return self.norm2(x + self.dropout(self.ffn(x)))


@MODELS.register_module()
class LightweightTransformer(nn.Module):
    """The HR-NAS lightweight transformer (HR-NAS supp. §3): a few tokens summarise the whole map.

    The map is resized to ``s × s`` and two positional channels are appended; a 1×1
    projection makes ``n`` token maps, normalised by a BN whose scales γ are searched (a
    token whose γ shrinks to zero is pruned, and with no token left the transformer is
    removed). With ``tokens='channel'`` each token map is one token of dimension ``s²``;
    with ``tokens='spatial'`` each of the ``s²`` positions is a token of dimension ``n``
    (the Table 2 ablation). One encoder layer, optionally one decoder layer with learned
    queries, a 1×1 projection back to ``C`` channels + BN, bilinear upsampling, added to the
    input.

    Args:
        in_channels: C, channels of the map.
        num_tokens: n, number of token maps (and of decoder queries). Default 8.
        proj_size: s, side of the projected map. Default 8.
        tokens: ``'channel'`` or ``'spatial'``.
        use_decoder: encoder + decoder (True) or encoder only.
        num_heads: attention heads.
        dropout: dropout inside encoder and decoder.
        norm_cfg: the two BNs.
        fold_eval: in eval mode, run the same function in folded form
            (:meth:`_forward_eval`): both BNs folded into the projections, the positional
            channels into a constant token bias, the decoder's query projection computed
            once; the form of searched networks for deployment. The supernet keeps the plain
            form, whose FLOPs count includes the BNs as the released code counts them.

    Shape: ``(N, C, H, W) → (N, C, H, W)``, in the memory format of the input.
    """

    def __init__(self,
                 in_channels: int,
                 num_tokens: int = 8,
                 proj_size: int = 8,
                 tokens: str = 'channel',
                 use_decoder: bool = True,
                 num_heads: int = 1,
                 dropout: float = 0.1,
                 norm_cfg: dict = dict(type='BN'),
                 fold_eval: bool = False) -> None:
        super().__init__()
        if tokens not in ('channel', 'spatial'):
            raise ConfigError(f"LightweightTransformer: tokens must be 'channel' or 'spatial', "
                              f'got {tokens!r}')
        if num_tokens < 1:
            raise ConfigError(f'LightweightTransformer: num_tokens must be >= 1, got {num_tokens}')
        self.in_channels = in_channels
        self.num_tokens = num_tokens
        self.proj_size = proj_size
        self.tokens = tokens
        dim = proj_size * proj_size if tokens == 'channel' else num_tokens
        seq_len = num_tokens if tokens == 'channel' else proj_size * proj_size

        self.register_buffer('pos', _standardised_grid(proj_size), persistent=False)
        self.input_proj = nn.Conv2d(in_channels + 2, num_tokens, 1, bias=False)
        self.token_norm = build_norm_layer(norm_cfg, num_tokens)[1]
        self.encoder = nn.TransformerEncoderLayer(
            dim, num_heads, dim_feedforward=dim, dropout=dropout, batch_first=True, bias=False)
        if use_decoder:
            self.queries = nn.Parameter(torch.empty(seq_len, dim))
            self.decoder = TokenDecoderLayer(dim, num_heads, dropout)
        else:
            self.queries = None
            self.decoder = None
        self.output_proj = nn.Conv2d(num_tokens, in_channels, 1, bias=False)
        self.output_norm = build_norm_layer(norm_cfg, in_channels)[1]
        self.fold_eval = fold_eval
        self._folded = FoldedWeights()
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    @property
    def prunable_tokens(self) -> bool:
        """Whether single tokens can be removed. Channel tokens are sequence elements (the
        attention weights do not depend on their count); spatial tokens are the model
        dimension, so those transformers are only kept or removed as a whole."""
        return self.tokens == 'channel'

    def prune(self, keep: Tensor) -> List[ParamSlice]:
        """Physically keep the tokens ``keep`` (indices in ``[0, n)``): their input
        projection rows, BN channels, decoder queries and output projection columns."""
        if not self.prunable_tokens:
            raise ConfigError('LightweightTransformer.prune: spatial tokens are the model '
                              'dimension and cannot be pruned one by one')
        if len(keep) == 0:
            raise ConfigError('LightweightTransformer.prune: keep at least one token (remove the '
                              'transformer from its block instead)')
        keep = keep.to(device=self.token_norm.weight.device, dtype=torch.long)
        old_in, old_norm, old_out = self.input_proj, self.token_norm, self.output_proj
        self.input_proj = select_conv2d(old_in, out_idx=keep)
        self.token_norm = select_batchnorm(old_norm, keep)
        self.output_proj = select_conv2d(old_out, in_idx=keep)
        slices = [
            ParamSlice(old_in.weight, self.input_proj.weight, ((0, keep), )),
            ParamSlice(old_norm.weight, self.token_norm.weight, ((0, keep), )),
            ParamSlice(old_norm.bias, self.token_norm.bias, ((0, keep), )),
            ParamSlice(old_out.weight, self.output_proj.weight, ((1, keep), )),
        ]
        if self.queries is not None:
            old_queries = self.queries
            self.queries = nn.Parameter(old_queries.detach()[keep].clone())
            slices.append(ParamSlice(old_queries, self.queries, ((0, keep), )))
        self.num_tokens = len(keep)
        return slices

    def train(self, mode: bool = True) -> 'LightweightTransformer':
        if mode:
            self._folded.clear()
        return super().train(mode)

    def forward(self, x: Tensor) -> Tensor:
        if self.fold_eval and folds_batchnorm(self.token_norm, self.output_norm):
            return self._forward_eval(x)
        n, _, h, w = x.shape
        s = self.proj_size
        feat = F.interpolate(x, (s, s), mode='bilinear', align_corners=False)
        feat = torch.cat([feat, self.pos.expand(n, -1, -1, -1)], dim=1)
        feat = self.token_norm(self.input_proj(feat))  # (N, n, s, s)
        seq = feat.flatten(2)  # (N, n, s²): channel tokens
        if self.tokens == 'spatial':
            seq = seq.transpose(1, 2)  # (N, s², n): position tokens
        seq = self.encoder(seq)
        if self.decoder is not None:
            seq = self.decoder(self.queries.expand(n, -1, -1), seq)
        if self.tokens == 'spatial':
            seq = seq.transpose(1, 2)
        feat = self.output_norm(self.output_proj(seq.reshape(n, self.num_tokens, s, s)))
        return x + self._resize_as(feat, x)

    @staticmethod
    def _resize_as(feat: Tensor, x: Tensor) -> Tensor:
        """``(N, C, s, s)`` bilinearly resized to the size and memory format of ``x``."""
        feat = feat.contiguous(memory_format=_memory_format(x))
        return F.interpolate(feat, x.shape[2:], mode='bilinear', align_corners=False)

    def _fold(self) -> Tuple[Tensor, ...]:
        """``(W_x, B, W_o, b_o[, Q])``: the input projection of the map's C channels
        ``(n, C, 1, 1)`` and the token bias ``(n, s, s)`` it adds (positional channels and
        token BN folded in), the output projection ``(C, n, 1, 1)`` and bias ``(C,)`` with the
        output BN folded in, and with a decoder its projected queries ``(L, d)``."""
        c = self.in_channels
        scale, shift = fold_batchnorm(self.token_norm)
        w_in = self.input_proj.weight[:, :, 0, 0] * scale[:, None]  # (n, C + 2)
        token_bias = torch.einsum('tp,pij->tij', w_in[:, c:], self.pos[0]) + shift[:, None, None]
        scale, shift = fold_batchnorm(self.output_norm)
        folded = [w_in[:, :c, None, None], token_bias,
                  self.output_proj.weight * scale[:, None, None, None], shift]
        if self.decoder is not None:
            attn = self.decoder.cross_attn
            folded.append(F.linear(self.queries, attn.in_proj_weight[:attn.embed_dim]))
        return tuple(folded)

    def _fold_sources(self) -> Iterator[Tensor]:
        """The tensors that :meth:`_fold` reads."""
        yield from (self.input_proj.weight, self.output_proj.weight, self.pos)
        for norm in (self.token_norm, self.output_norm):
            yield from (t for t in (norm.weight, norm.bias, norm.running_mean,
                                    norm.running_var) if t is not None)
        if self.decoder is not None:
            yield from (self.queries, self.decoder.cross_attn.in_proj_weight)

    def _forward_eval(self, x: Tensor) -> Tensor:
        """:meth:`forward` in eval mode with the folded tensors of :meth:`_fold`."""
        n = x.shape[0]
        s = self.proj_size
        w_x, token_bias, w_out, b_out, *queries = self._folded(self._fold, self._fold_sources())
        feat = F.interpolate(x, (s, s), mode='bilinear', align_corners=False)
        seq = (F.conv2d(feat, w_x) + token_bias).flatten(2)  # (N, n, s²)
        if self.tokens == 'spatial':
            seq = seq.transpose(1, 2)
        enc = self.encoder
        q, k, v = F.linear(seq, enc.self_attn.in_proj_weight).chunk(3, dim=-1)
        seq = _layer_norm(seq + _attend(q, k, v, enc.self_attn), enc.norm1)
        seq = _layer_norm(seq + _feed_forward(seq, enc.linear1, enc.linear2), enc.norm2)
        if self.decoder is not None:
            dec = self.decoder
            attn = dec.cross_attn
            k, v = F.linear(seq, attn.in_proj_weight[attn.embed_dim:]).chunk(2, dim=-1)
            seq = _layer_norm(seq + _attend(queries[0].expand(n, -1, -1), k, v, attn), dec.norm1)
            seq = _layer_norm(seq + _feed_forward(seq, dec.ffn[0], dec.ffn[3]), dec.norm2)
        if self.tokens == 'spatial':
            seq = seq.transpose(1, 2)
        feat = F.conv2d(seq.reshape(n, self.num_tokens, s, s), w_out, b_out)
        return x + self._resize_as(feat, x)
