"""SplitDataset: deterministic, disjoint, complete, per class where labels exist."""
import collections

import pytest
from mmengine.registry import DefaultScope

from mmnas.registry import DATASETS
from mmnas.utils.config_check import ConfigError


@pytest.fixture(scope='module')
def imagenet(tmp_path_factory):
    from mmnas.datasets.tiny import make_tiny_imagenet
    root = str(tmp_path_factory.mktemp('data') / 'imagenet')
    make_tiny_imagenet(root, num_classes=4, num_train_per_class=10, num_val_per_class=1,
                       min_size=32, max_size=32)
    return dict(type='ImageNet', data_root=root, split='train',
                classes=f'{root}/meta/classes.txt', pipeline=[])


def _build(**kwargs):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return DATASETS.build(dict(type='mmnas.SplitDataset', **kwargs))


def test_parts_are_disjoint_complete_and_balanced_per_class(imagenet):
    first = _build(dataset=imagenet, ratio=0.2, part='first')
    second = _build(dataset=imagenet, ratio=0.2, part='second')
    assert first.per_class and len(first) == 8 and len(second) == 32
    assert set(first.indices).isdisjoint(second.indices)
    assert sorted(first.indices + second.indices) == list(range(40))
    labels = collections.Counter(first[i]['gt_label'] for i in range(len(first)))
    assert labels == {0: 2, 1: 2, 2: 2, 3: 2}
    assert first.metainfo['classes'] == first.dataset.metainfo['classes']
    again = _build(dataset=imagenet, ratio=0.2, part='first')
    assert again.indices == first.indices
    other_seed = _build(dataset=imagenet, ratio=0.2, part='first', seed=1)
    assert other_seed.indices != first.indices


def test_without_labels_splits_all_samples(imagenet):
    first = _build(dataset=imagenet, ratio=0.5, part='first', per_class=False)
    assert not first.per_class and len(first) == 20


def test_a_dataset_without_implemented_labels_splits_all_samples(tmp_path):
    from mmnas.datasets.tiny import make_tiny_cityscapes
    root = str(tmp_path / 'cityscapes')
    make_tiny_cityscapes(root, num_train=4, num_val=1, image_size=(32, 64))
    with DefaultScope.overwrite_default_scope('mmseg'):
        first = DATASETS.build(dict(type='mmnas.SplitDataset', ratio=0.5, part='first',
                                    dataset=dict(type='CityscapesDataset', data_root=root,
                                                 pipeline=[])))
    assert not first.per_class and len(first) == 2


@pytest.mark.parametrize('kwargs, match', [(dict(ratio=1.0), 'ratio'),
                                           (dict(ratio=0.5, part='third'), 'part'),
                                           (dict(ratio=0.01), 'empty')])
def test_bad_split_is_named(imagenet, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        _build(dataset=imagenet, **kwargs)
