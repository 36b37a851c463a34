"""A deterministic, disjoint split of a dataset: the held-out architecture split of a bilevel
search (DARTS: halves of the training set; DenseNAS: 20% of each class)."""
import copy
from typing import List, Optional, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmnas.registry import DATASETS
from mmnas.utils.config_check import ConfigError

PARTS = ('first', 'second')


@DATASETS.register_module()
class SplitDataset:
    """One of two disjoint parts of ``dataset``.

    Indices are shuffled with ``seed`` and cut at ``ratio``: ``part='first'`` is the first
    ``round(ratio · n)`` of them, ``part='second'`` the rest, so the two parts built with the
    same arguments are disjoint and together give the whole dataset, on every process and
    every run. With ``per_class=True`` and a dataset that gives one label per sample
    (``get_cat_ids``, as mmpretrain's datasets), the cut is made within each class, so both
    parts keep the class balance; without labels (segmentation) the cut is over all samples.

    Args:
        dataset: the dataset or its config.
        ratio: fraction of each class (or of all samples) in the ``first`` part, in (0, 1).
        part: ``'first'`` or ``'second'``.
        per_class: cut within each class where labels are available.
        seed: seed of the shuffle.
    """

    def __init__(self,
                 dataset: Union[BaseDataset, dict],
                 ratio: float,
                 part: str = 'first',
                 per_class: bool = True,
                 seed: int = 0) -> None:
        if not 0 < ratio < 1:
            raise ConfigError(f'SplitDataset.ratio={ratio!r}: expected a fraction in (0, 1)')
        if part not in PARTS:
            raise ConfigError(f'SplitDataset.part={part!r}: expected one of {list(PARTS)}')
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.ratio = ratio
        self.part = part
        self.seed = seed
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        labels = self._labels() if per_class else None
        self.per_class = labels is not None
        if per_class and labels is None:
            print_log(f'SplitDataset: {type(self.dataset).__name__} has no single label per '
                      'sample; splitting over all samples', logger='current')
        self.indices = split_indices(len(self.dataset), ratio, part, labels, seed)
        if not self.indices:
            raise ConfigError(f'SplitDataset: part {part!r} of {len(self.dataset)} samples at '
                              f'ratio {ratio} is empty')

    def _labels(self) -> Optional[np.ndarray]:
        # mmpretrain's CustomDataset over a folder of unlabelled images (a pretext task's
        # data) has get_cat_ids but no label to give.
        if not hasattr(self.dataset, 'get_cat_ids') or \
                getattr(self.dataset, 'with_label', True) is False:
            return None
        try:
            cats = [self.dataset.get_cat_ids(i) for i in range(len(self.dataset))]
        except NotImplementedError:
            # mmengine's BaseDataset declares it for every dataset; segmentation sets
            # (mmseg's CityscapesDataset) leave it unimplemented.
            return None
        if any(len(c) != 1 for c in cats):
            return None
        return np.array([int(c[0]) for c in cats])

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self.dataset.metainfo)

    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(self.indices[idx])

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, idx: int) -> dict:
        return self.dataset[self.indices[idx]]


def split_indices(num: int, ratio: float, part: str, labels: Optional[np.ndarray],
                  seed: int) -> List[int]:
    """Sorted indices of ``part`` of a split of ``range(num)`` (see :class:`SplitDataset`)."""
    rng = np.random.RandomState(seed)
    groups = ([np.arange(num)] if labels is None else
              [np.flatnonzero(labels == c) for c in np.unique(labels)])
    chosen = []
    for group in groups:
        order = group[rng.permutation(len(group))]
        cut = int(round(ratio * len(group)))
        chosen.extend(order[:cut] if part == 'first' else order[cut:])
    return sorted(int(i) for i in chosen)
