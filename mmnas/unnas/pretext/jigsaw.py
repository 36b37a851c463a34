"""Jigsaw pretext (Noroozi & Favaro, "Unsupervised Learning of Visual Representations by
Solving Jigsaw Puzzles", ECCV 2016, §3): cut an image into a grid of tiles, shuffle them by one
of a fixed set of permutations and classify which; every tile goes through the same network
and the tiles' pooled features are concatenated for the classifier. The released UnNAS task:
a 255 crop, 3×3 cells of 85 pixels, a random 64-pixel tile in each, every tile standardised on
its own, and Noroozi & Favaro's set of 1000 maximal-Hamming permutations (all 24 for 2×2)."""
import itertools
import json
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.models.utils.data_preprocessor import ClsDataPreprocessor
from torch import Tensor, nn

from mmnas.registry import MODELS, TRANSFORMS
from mmnas.utils.config_check import ConfigError


#: The released permutation sets by number of tiles: 1000 of 9 tiles (Noroozi & Favaro's
#: maximal-Hamming set) and all 24 of 4 tiles.
PERMUTATIONS_FILE = Path(__file__).parents[1] / 'tables' / 'jigsaw_permutations.json'


@lru_cache(maxsize=None)
def released_permutations() -> dict:
    """``{num_tiles: (count, num_tiles) int64}`` of :data:`PERMUTATIONS_FILE`."""
    with open(PERMUTATIONS_FILE) as f:
        return {int(k): np.asarray(v, dtype=np.int64) for k, v in json.load(f).items()}


def permutation_set(num_tiles: int, count: int, seed: int = 0) -> np.ndarray:
    """The released set where one has ``count`` permutations of ``num_tiles`` tiles, else
    :func:`max_hamming_permutations`; ``(count, num_tiles)``."""
    released = released_permutations().get(num_tiles)
    if released is not None and len(released) == count:
        return released
    return max_hamming_permutations(num_tiles, count, seed)


@lru_cache(maxsize=None)
def max_hamming_permutations(num_tiles: int, count: int, seed: int = 0) -> np.ndarray:
    """``count`` permutations of ``num_tiles`` tiles, ``(count, num_tiles)``, chosen greedily
    for maximal Hamming distance (Noroozi & Favaro): start from a random one, then add the
    permutation whose smallest distance to those chosen is largest (the first on ties)."""
    total = int(np.prod(np.arange(1, num_tiles + 1)))
    if not 1 <= count <= total:
        raise ConfigError(f'jigsaw num_permutations={count}: expected 1..{total} for '
                          f'{num_tiles} tiles')
    candidates = np.array(list(itertools.permutations(range(num_tiles))), dtype=np.int8)
    rng = np.random.RandomState(seed)
    chosen = [rng.randint(total)]
    nearest = (candidates != candidates[chosen[0]]).sum(1)
    for _ in range(count - 1):
        best = int(nearest.argmax())
        chosen.append(best)
        nearest = np.minimum(nearest, (candidates != candidates[best]).sum(1))
    return candidates[chosen].astype(np.int64)


@TRANSFORMS.register_module()
class JigsawPretext(BaseTransform):
    """Cut a square image into ``grid × grid`` tiles, shuffle them by permutation p of the
    fixed set and set ``gt_label = p``.

    The image of side S has cells of ``c = S // grid`` pixels (the released 255 crop: 85);
    in each a random ``int(tile_ratio · c)`` square is the tile (64; the gaps and jitter keep
    the network from matching edges). The tile of cell k = (row, column) in raster order
    goes to output slot ``perm[k]``, as the released task places them. The tiles are stacked
    along the height into one ``(T · t, t, C)`` image (T = grid², t the tile side), which stock
    ``PackInputs`` and :class:`TileDataPreprocessor` turn into ``T`` images per sample.
    With ``mean``/``std`` the image is first normalised per channel; with ``normalize_tiles``
    each tile is then standardised on its own over all its pixels and channels (float32; give
    the data preprocessor no mean/std).

    Required keys: ``img`` ``(S, S, C)``. Modified keys: ``img``, ``img_shape``. Added keys:
    ``gt_label``, ``jigsaw_perm``.

    Args:
        grid: tiles per side (3 in the paper; 2 on CIFAR-size images).
        num_permutations: size of the permutation set (released: 1000 for 3×3, 24 for 2×2;
            other sizes are chosen greedily by :func:`max_hamming_permutations`).
        tile_ratio: tile side over cell side (released: 0.76).
        normalize_tiles: standardise each tile on its own.
        mean, std: per-channel normalisation before tiling, in the image's channel order and
            0–255 scale (released: ImageNet's, on BGR images).
        seed: seed of a greedily chosen permutation set (every process must use the same).
    """

    def __init__(self, grid: int = 3, num_permutations: int = 1000, tile_ratio: float = 0.76,
                 normalize_tiles: bool = True, mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None, seed: int = 0) -> None:
        if grid < 2:
            raise ConfigError(f'JigsawPretext.grid={grid}: expected at least 2')
        if not 0 < tile_ratio <= 1:
            raise ConfigError(f'JigsawPretext.tile_ratio={tile_ratio}: expected (0, 1]')
        if (mean is None) != (std is None):
            raise ConfigError('JigsawPretext: expected both mean and std, or neither')
        self.grid = grid
        self.tile_ratio = tile_ratio
        self.normalize_tiles = normalize_tiles
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float32)
        self.std = None if std is None else np.asarray(std, dtype=np.float32)
        self.permutations = permutation_set(grid * grid, num_permutations, seed)

    def transform(self, results: dict) -> dict:
        img = results['img']
        size = img.shape[0]
        if img.shape[1] != size:
            raise ValueError(f'JigsawPretext: image of shape {img.shape[:2]} is not square; '
                             'crop it first (e.g. RandomCrop / CenterCrop)')
        if self.mean is not None:
            img = (img.astype(np.float32) - self.mean) / self.std
        cell = size // self.grid
        tile = max(1, int(self.tile_ratio * cell))
        label = np.random.randint(len(self.permutations))
        perm = self.permutations[label]
        tiles = [None] * (self.grid * self.grid)
        for k in range(self.grid * self.grid):
            y, x = divmod(k, self.grid)
            dy, dx = np.random.randint(cell - tile + 1, size=2)
            t = img[y * cell + dy:y * cell + dy + tile, x * cell + dx:x * cell + dx + tile]
            if self.normalize_tiles:
                t = t.astype(np.float32)
                t = (t - t.mean()) / max(float(t.std()), 1e-3)
            tiles[perm[k]] = t
        out = np.concatenate(tiles, axis=0)
        results['img'] = np.ascontiguousarray(out)
        results['img_shape'] = out.shape[:2]
        results['gt_label'] = int(label)
        results['jigsaw_perm'] = perm
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(grid={self.grid}, num_permutations='
                f'{len(self.permutations)}, tile_ratio={self.tile_ratio})')


@MODELS.register_module()
class TileDataPreprocessor(ClsDataPreprocessor):
    """mmpretrain's ``ClsDataPreprocessor``, then each sample's ``num_tiles`` tiles (stacked
    along the height by :class:`JigsawPretext`) become samples of their own:
    ``(N, C, T · t, t) → (N · T, C, t, t)``, sample n's tiles at rows n·T … n·T + T − 1."""

    def __init__(self, num_tiles: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_tiles = num_tiles

    def forward(self, data: dict, training: bool = False) -> dict:
        data = super().forward(data, training)
        inputs = data['inputs']
        n, c, height, width = inputs.shape
        if height != self.num_tiles * width:
            raise ValueError(f'TileDataPreprocessor: inputs {tuple(inputs.shape)} are not '
                             f'{self.num_tiles} square tiles stacked along the height')
        tiles = inputs.view(n, c, self.num_tiles, width, width).transpose(1, 2)
        data['inputs'] = tiles.reshape(n * self.num_tiles, c, width, width)
        return data


@MODELS.register_module()
class TileConcatNeck(nn.Module):
    """The tiles' pooled features of a sample side by side: ``(N · T, C) → (N, T · C)``
    (after mmpretrain's ``GlobalAveragePooling``)."""

    def __init__(self, num_tiles: int) -> None:
        super().__init__()
        self.num_tiles = num_tiles

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        return tuple(x.reshape(x.shape[0] // self.num_tiles, -1) for x in inputs)
