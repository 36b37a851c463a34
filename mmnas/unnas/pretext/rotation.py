"""Rotation pretext (Gidaris et al., 2018): predict by how many quarter turns an image was
rotated."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.structures import DataSample

from mmnas.registry import MODELS, TRANSFORMS
from mmnas.utils.config_check import ConfigError


def _check_rotations(owner: str, rotations: Sequence[int]) -> tuple:
    rotations = tuple(rotations)
    if not rotations or any(k not in (0, 1, 2, 3) for k in rotations):
        raise ConfigError(f'{owner}.rotations={rotations}: expected a non-empty subset of '
                          '(0, 1, 2, 3)')
    return rotations


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
        self.rotations = _check_rotations('RotationPretext', rotations)

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


@MODELS.register_module()
class RotationDataPreprocessor(ClsDataPreprocessor):
    """mmpretrain's ``ClsDataPreprocessor``, then every image in each of its quarter turns,
    as the released UnNAS code batches the rotation pretext (all four rotations of an image
    in one batch, instead of :class:`RotationPretext`'s one random turn).

    ``(N, C, H, H) → (N · R, C, H, H)`` with ``R = len(rotations)``: row ``n · R + i`` is image
    n turned by ``k_i · 90°`` counter-clockwise (as ``np.rot90``), ``gt_label = k_i``; any label
    of the dataset is replaced. The crop must be square.

    Args:
        rotations: the quarter-turn counts k (a subset of 0..3).
        **kwargs: ``ClsDataPreprocessor``'s arguments (mean, std, to_rgb, ...).
    """

    def __init__(self, rotations: Sequence[int] = (0, 1, 2, 3), **kwargs) -> None:
        super().__init__(**kwargs)
        self.rotations = _check_rotations('RotationDataPreprocessor', rotations)

    def forward(self, data: dict, training: bool = False) -> dict:
        data = super().forward(data, training)
        inputs = data['inputs']
        n, _, height, width = inputs.shape
        if height != width:
            raise ValueError(f'RotationDataPreprocessor: inputs {tuple(inputs.shape)} are not '
                             'square; crop them first (e.g. RandomResizedCrop / CenterCrop)')
        turned = [torch.rot90(inputs, k, dims=(2, 3)) for k in self.rotations]
        data['inputs'] = torch.stack(turned, dim=1).flatten(0, 1)
        samples = data.get('data_samples') or [DataSample() for _ in range(n)]
        data['data_samples'] = [
            DataSample(metainfo=sample.metainfo).set_gt_label(k)
            for sample in samples for k in self.rotations
        ]
        return data
