"""Colorization pretext (Zhang et al., 2016): from the lightness L of an image, classify each
pixel's colour (a, b) into a quantised bin of the ab plane."""
from functools import lru_cache
from typing import Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmnas.registry import TRANSFORMS
from mmnas.utils.config_check import ConfigError

#: The ab plane considered, [-AB_RANGE, AB_RANGE]² (sRGB colours lie within ±110).
AB_RANGE = 110

# sRGB (D65) → CIE XYZ inverse, rows R, G, B.
_XYZ_TO_RGB = np.array([[3.240479, -1.537150, -0.498535],
                        [-0.969256, 1.875992, 0.041556],
                        [0.055648, -0.204043, 1.057311]])
_WHITE = (0.950456, 1.0, 1.088754)


def lab_to_linear_rgb(lightness, a, b) -> np.ndarray:
    """CIE Lab (D65) → linear sRGB, broadcasting; ``(..., 3)``."""
    lightness, a, b = np.broadcast_arrays(lightness, a, b)
    fy = (lightness + 16) / 116
    f = np.stack([fy + a / 500, fy, fy - b / 200])
    xyz = np.where(f**3 > 0.008856, f**3, (f - 16 / 116) / 7.787)
    xyz = xyz * np.asarray(_WHITE).reshape(3, *([1] * (xyz.ndim - 1)))
    return np.einsum('ij,j...->...i', _XYZ_TO_RGB, xyz)


@lru_cache(maxsize=None)
def ab_bins(grid: int = 10) -> Tuple[np.ndarray, np.ndarray]:
    """The colour classes: ``(centres (K, 2), lookup)``.

    The ab plane is cut into ``grid``-wide cells; a cell is a class when it holds an sRGB
    colour at some lightness (262 cells for grid 10; Zhang et al.'s 313 came from their own
    gamut estimate). ``lookup[i, j]`` is the class of grid cell (i, j), the nearest in-gamut
    cell for those outside the gamut.
    """
    if grid <= 0 or (2 * AB_RANGE) % grid:
        raise ConfigError(f'colorization grid={grid}: expected a divisor of {2 * AB_RANGE}')
    centres = np.arange(-AB_RANGE, AB_RANGE + 1, grid, dtype=np.float64)
    n = len(centres)
    # Corners and centre of every cell, at 101 lightness levels.
    offsets = np.array([-grid / 2, 0.0, grid / 2])
    samples = (centres[:, None] + offsets[None]).reshape(-1)
    a, b = np.meshgrid(samples, samples, indexing='ij')
    rgb = lab_to_linear_rgb(np.linspace(0, 100, 101)[:, None, None], a[None], b[None])
    inside = ((rgb >= 0) & (rgb <= 1)).all(-1).any(0).reshape(n, 3, n, 3).any(axis=(1, 3))
    cells = np.argwhere(inside)
    all_cells = np.stack(np.meshgrid(np.arange(n), np.arange(n), indexing='ij'), -1)
    distance = ((all_cells[:, :, None, :] - cells[None, None]) ** 2).sum(-1)
    return centres[cells], distance.argmin(-1)


def quantize_ab(ab: np.ndarray, grid: int = 10) -> np.ndarray:
    """Class index ``(H, W)`` of each pixel's ``ab`` ``(H, W, 2)``."""
    _, lookup = ab_bins(grid)
    idx = np.clip(np.rint((ab + AB_RANGE) / grid), 0, lookup.shape[0] - 1).astype(np.int64)
    return lookup[idx[..., 0], idx[..., 1]]


@TRANSFORMS.register_module()
class ColorizationPretext(BaseTransform):
    """Turn a BGR image into its lightness (the input) and per-pixel colour classes (the
    segmentation target of a stock decode head).

    The image is converted to CIE Lab; ``img`` becomes L ``(H, W, 1)`` float32 in [0, 100]
    and ``gt_seg_map`` the class of each pixel's (a, b) among :func:`ab_bins` (``K`` classes:
    the decode head's ``num_classes``; give it an ``ignore_index`` of K or more, since class
    255 exists). Use it after the geometric transforms, before ``PackSegInputs``.

    Required keys: ``img`` (BGR uint8). Modified keys: ``img``, ``ori_shape``. Added keys:
    ``gt_seg_map``, ``seg_fields``.

    Args:
        grid: width of a colour bin in the ab plane (Zhang et al.: 10).
    """

    def __init__(self, grid: int = 10) -> None:
        self.grid = grid
        self.num_classes = len(ab_bins(grid)[0])

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'ColorizationPretext: expected a BGR image (H, W, 3), got shape '
                             f'{img.shape}')
        lab = cv2.cvtColor(img.astype(np.float32) / 255.0, cv2.COLOR_BGR2LAB)
        results['img'] = np.ascontiguousarray(lab[..., :1])
        results['gt_seg_map'] = quantize_ab(lab[..., 1:], self.grid)
        results.setdefault('seg_fields', []).append('gt_seg_map')
        # The target exists only at this (cropped) size: a segmentor resizes its prediction
        # to ori_shape, which must be the target's for the pixel accuracy of a validation.
        results['ori_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(grid={self.grid}, num_classes={self.num_classes})'
