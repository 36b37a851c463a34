"""Colorization pretext (Zhang et al., "Colorful Image Colorization", ECCV 2016, §2.1): from the
lightness L of an image, classify each pixel's colour (a, b) into one of the 313 in-gamut bins
of a 10-wide grid of the ab plane (their bin table, as the released UnNAS colorization uses)."""
import json
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmnas.registry import TRANSFORMS

#: Zhang et al.'s bin centres, ``(313, 2)`` (a, b) on a 10-wide grid.
AB_BINS_FILE = Path(__file__).parents[1] / 'tables' / 'ab_bins_313.json'
#: Width of a bin.
AB_GRID = 10

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
def ab_bins() -> np.ndarray:
    """The 313 colour classes' (a, b) centres, ``(313, 2)`` float64, in table order (class k
    is row k)."""
    with open(AB_BINS_FILE) as f:
        return np.asarray(json.load(f), dtype=np.float64)


@lru_cache(maxsize=None)
def _grid_lookup():
    """``(offset, lookup)``: ``lookup[i, j]`` is the class whose centre is grid point
    ``(i, j) · AB_GRID − offset``, or −1 where no class is."""
    centres = ab_bins()
    offset = -centres.min()
    idx = np.rint((centres + offset) / AB_GRID).astype(np.int64)
    lookup = -np.ones(idx.max(0) + 1, dtype=np.int64)
    lookup[idx[:, 0], idx[:, 1]] = np.arange(len(centres))
    return offset, lookup


def quantize_ab(ab: np.ndarray) -> np.ndarray:
    """Class index ``(H, W)`` of each pixel's ``ab`` ``(H, W, 2)``: the nearest bin centre.

    The centres lie on a grid, so a pixel whose nearest grid point is a centre has that
    class; the others (at the rim of the gamut) are compared with every centre.
    """
    centres = ab_bins()
    offset, lookup = _grid_lookup()
    idx = np.rint((ab + offset) / AB_GRID).astype(np.int64)
    inside = ((idx >= 0) & (idx < lookup.shape)).all(-1)
    label = np.full(ab.shape[:-1], -1, dtype=np.int64)
    label[inside] = lookup[idx[inside][:, 0], idx[inside][:, 1]]
    rim = label < 0
    if rim.any():
        distance = ((ab[rim][:, None, :] - centres[None]) ** 2).sum(-1)
        label[rim] = distance.argmin(-1)
    return label


@TRANSFORMS.register_module()
class ColorizationPretext(BaseTransform):
    """Turn a BGR image into its lightness (the input) and per-pixel colour classes (the
    segmentation target of a stock decode head).

    The image is converted to CIE Lab; ``img`` becomes L ``(H, W, 1)`` float32 in [0, 100]
    and ``gt_seg_map`` the class of each pixel's (a, b) among the 313 :func:`ab_bins` (the
    decode head's ``num_classes``; give it an ``ignore_index`` of 313 or more, since class
    255 exists). The released code normalises L as ``(L / 100 − 0.449) / 0.226``: a data
    preprocessor with mean 44.9, std 22.6. Use it after the geometric transforms, before
    ``PackSegInputs``.

    Required keys: ``img`` (BGR uint8). Modified keys: ``img``, ``ori_shape``. Added keys:
    ``gt_seg_map``, ``seg_fields``.
    """

    def __init__(self) -> None:
        self.num_classes = len(ab_bins())

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'ColorizationPretext: expected a BGR image (H, W, 3), got shape '
                             f'{img.shape}')
        lab = cv2.cvtColor(img.astype(np.float32) / 255.0, cv2.COLOR_BGR2LAB)
        results['img'] = np.ascontiguousarray(lab[..., :1])
        results['gt_seg_map'] = quantize_ab(lab[..., 1:].astype(np.float64))
        results.setdefault('seg_fields', []).append('gt_seg_map')
        # The target exists only at this (cropped) size: a segmentor resizes its prediction
        # to ori_shape, which must be the target's for the pixel accuracy of a validation.
        results['ori_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_classes={self.num_classes})'
