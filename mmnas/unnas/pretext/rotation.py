"""Rotation pretext (Gidaris et al., 2018): predict by how many quarter turns an image was
rotated."""
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from mmnas.registry import TRANSFORMS
from mmnas.utils.config_check import ConfigError


@TRANSFORMS.register_module()
class RotationPretext(BaseTransform):
    """Rotate ``img`` by k · 90° counter-clockwise and set ``gt_label = k``.

    k is drawn uniformly from ``rotations`` (default all four, a 4-way classification for a
    stock ``LinearClsHead`` with ``num_classes=4``); ``np.rot90(img, -k)`` gives the input
    back. Put it after the crop: the image must be square so that every rotation of a batch
    has one shape. Any class label of the dataset is replaced: the task needs no labels.

    Required keys: ``img`` ``(H, H, C)``. Modified keys: ``img``, ``gt_label``,
    ``img_shape``.

    Args:
        rotations: the quarter-turn counts k to draw from (a subset of 0..3).
    """

    def __init__(self, rotations: Sequence[int] = (0, 1, 2, 3)) -> None:
        rotations = tuple(rotations)
        if not rotations or any(k not in (0, 1, 2, 3) for k in rotations):
            raise ConfigError(f'RotationPretext.rotations={rotations}: expected a non-empty '
                              'subset of (0, 1, 2, 3)')
        self.rotations = rotations

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.shape[0] != img.shape[1]:
            raise ValueError(f'RotationPretext: image of shape {img.shape[:2]} is not square; '
                             'crop it first (e.g. RandomResizedCrop / CenterCrop)')
        k = self.rotations[np.random.randint(len(self.rotations))]
        results['img'] = np.ascontiguousarray(np.rot90(img, k))
        results['gt_label'] = k
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(rotations={self.rotations})'
