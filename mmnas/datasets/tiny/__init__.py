"""Tiny, learnable datasets in the exact on-disk formats of the stock OpenMMLab datasets.

No public dataset can be downloaded where mmnas is tested, so these generators draw small
synthetic datasets that the stock dataset classes and pipelines read unchanged:

- ``cityscapes`` in ``<out_dir>/cityscapes``: ``mmseg.datasets.CityscapesDataset``
- ``ade20k`` in ``<out_dir>/ade/ADEChallengeData2016``: ``mmseg.datasets.ADE20KDataset``
- ``coco`` in ``<out_dir>/coco``: ``mmpose.datasets.CocoDataset`` (top-down)
- ``kitti`` in ``<out_dir>/kitti``: ``mmdet3d.datasets.KittiDataset``
- ``imagenet`` in ``<out_dir>/imagenet``: ``mmpretrain.datasets.ImageNet`` and
  ``CustomDataset``

The folders are the stock configs' ``data_root`` values relative to ``data/``, so
``make_tiny_datasets('data')`` puts every dataset where the stock configs look for it from a
repository root (for ImageNet, also pass the class subset: see :mod:`.imagenet`).

The content is tied to the labels (classes have their own shapes and colours, keypoints are
the joints of drawn figures, 3D boxes enclose their simulated lidar points), so a few hundred
training iterations learn well above chance. Every file depends only on the seed.
Write into empty folders: files already there are overwritten where names clash, and others
are left in place (and would be read as part of the dataset).
"""
import os.path as osp
from typing import Dict, Sequence

from .ade20k import make_tiny_ade20k
from .cityscapes import make_tiny_cityscapes
from .coco import make_tiny_coco
from .imagenet import make_tiny_imagenet
from .kitti import make_tiny_kitti

#: Each dataset's folder under ``out_dir`` (the stock ``data_root`` without ``data/``).
DATASET_FOLDERS = dict(cityscapes='cityscapes',
                       ade20k=osp.join('ade', 'ADEChallengeData2016'),
                       coco='coco',
                       kitti='kitti',
                       imagenet='imagenet')
_MAKERS = dict(cityscapes=make_tiny_cityscapes,
               ade20k=make_tiny_ade20k,
               coco=make_tiny_coco,
               kitti=make_tiny_kitti,
               imagenet=make_tiny_imagenet)


def make_tiny_datasets(out_dir: str,
                       datasets: Sequence[str] = ('cityscapes', 'ade20k', 'coco', 'kitti',
                                                  'imagenet'),
                       seed: int = 0) -> Dict[str, str]:
    """Write the requested tiny datasets, each with its generator's default sizes.

    Args:
        out_dir (str): Folder that receives one sub-folder per dataset (see
            :data:`DATASET_FOLDERS`).
        datasets (Sequence[str]): Names among ``cityscapes``, ``ade20k``, ``coco``, ``kitti``
            and ``imagenet``.
        seed (int): Seed; the same seed gives byte-identical files.

    Returns:
        dict[str, str]: For each dataset, its root folder (the ``data_root`` to configure).
    """
    unknown = sorted(set(datasets) - set(_MAKERS))
    if unknown:
        raise ValueError(f'unknown datasets {unknown}; choose from {sorted(_MAKERS)}')
    roots = {}
    for name in datasets:
        roots[name] = osp.join(out_dir, DATASET_FOLDERS[name])
        _MAKERS[name](roots[name], seed=seed)
    return roots


__all__ = [
    'DATASET_FOLDERS', 'make_tiny_datasets', 'make_tiny_cityscapes', 'make_tiny_ade20k',
    'make_tiny_coco', 'make_tiny_kitti', 'make_tiny_imagenet'
]
