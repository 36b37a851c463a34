"""Context paths of the HR-NAS searching block (HR-NAS supp. §3 and Tables 1–2).

Each maps a feature map to a refined one of the same shape, ``(N, C, H, W) → (N, C, H, W)``,
and sits on the identity path of a searching block. The lightweight transformer is the
paper's choice; squeeze-and-excitation (the shared
:class:`~mmnas.models.layers.SqueezeExcitation`: ReLU, sigmoid gate, a quarter of C) and mmcv's
``NonLocal2d`` are its baselines in HR-NAS supp. Table 2.
"""
from typing import List

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import Tensor, nn

from mmnas.models.ops import ParamSlice, select_batchnorm, select_conv2d
from mmnas.registry import MODELS
from mmnas.utils.config_check import ConfigError


def _standardised_grid(size: int) -> Tensor:
    """Two positional channels, the x and y coordinate of each cell standardised to zero
    mean and unit variance: ``(1, 2, size, size)``."""
    coords = torch.arange(size, dtype=torch.float32)
    coords = (coords - coords.mean()) / coords.std(unbiased=False).clamp_min(1e-6)
    y, x = torch.meshgrid(coords, coords, indexing='ij')
    return torch.stack([x, y]).unsqueeze(0)


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

    Shape: ``(N, C, H, W) → (N, C, H, W)``.
    """

    def __init__(self,
                 in_channels: int,
                 num_tokens: int = 8,
                 proj_size: int = 8,
                 tokens: str = 'channel',
                 use_decoder: bool = True,
                 num_heads: int = 1,
                 dropout: float = 0.1,
                 norm_cfg: dict = dict(type='BN')) -> None:
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

    def forward(self, x: Tensor) -> Tensor:
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
        return x + F.interpolate(feat, (h, w), mode='bilinear', align_corners=False)
