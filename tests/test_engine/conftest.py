"""A one-edge searchable backbone (softmax(α)-mixed conv and pool) in a stock mmpretrain
classifier, on a tiny ImageNet-style set: the smallest model a bilevel search can run on."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmnas.models import DifferentiableBackbone, FeatureInfo
from mmnas.registry import MODELS
from mmnas.structures import ArchSpec


@MODELS.register_module(force=True)
class OneEdgeNet(DifferentiableBackbone):
    """stem (3→8, stride 2) → Σ_o softmax(α)_o · o(x) over {3×3 conv, 3×3 avg pool}."""

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg)
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU())
        self.ops = nn.ModuleList([nn.Conv2d(8, 8, 3, 1, 1), nn.AvgPool2d(3, 1, 1)])
        self.alpha = nn.Parameter(torch.zeros(2))
        self.feature_info = [FeatureInfo(8, 2, 'ops')]
        self.out_indices = (0, )

    def arch_parameters(self):
        return [self.alpha]

    def forward(self, x):
        x = self.stem(x)
        weights = F.softmax(self.alpha, dim=0)
        return (sum(w * op(x) for w, op in zip(weights, self.ops)), )

    def export_arch(self):
        return ArchSpec(method='toy', backbone=dict(type='OneEdgeNet'))


@pytest.fixture(scope='session')
def tiny_imagenet_small(tmp_path_factory) -> str:
    from mmnas.datasets.tiny import make_tiny_imagenet
    root = str(tmp_path_factory.mktemp('data') / 'imagenet')
    make_tiny_imagenet(root, num_classes=4, num_train_per_class=8, num_val_per_class=2,
                       min_size=32, max_size=40)
    return root


@pytest.fixture
def classifier_cfg() -> dict:
    return dict(type='ImageClassifier',
                data_preprocessor=dict(num_classes=4, mean=[127.5] * 3, std=[127.5] * 3,
                                       to_rgb=True),
                backbone=dict(type='mmnas.OneEdgeNet'),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=4, in_channels=8,
                          loss=dict(type='CrossEntropyLoss')))


@pytest.fixture
def split_loader(tiny_imagenet_small):
    """``make(part)``: a loader config over one half of the tiny set."""

    def make(part: str, batch_size: int = 4) -> dict:
        return _split_loader(tiny_imagenet_small, part, batch_size)

    return make


def _split_loader(root: str, part: str, batch_size: int) -> dict:
    pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(32, 32)),
                dict(type='PackInputs')]
    dataset = dict(type='ImageNet', data_root=root, split='train',
                   classes=f'{root}/meta/classes.txt', pipeline=pipeline)
    return dict(batch_size=batch_size, num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=True),
                dataset=dict(type='mmnas.SplitDataset', dataset=dataset, ratio=0.5, part=part))


@pytest.fixture
def bilevel_optim_wrapper() -> dict:
    return dict(constructor='mmnas.ArchWeightOptimWrapperConstructor',
                weights=dict(type='OptimWrapper',
                             optimizer=dict(type='SGD', lr=0.05, momentum=0.9,
                                            weight_decay=3e-4)),
                architecture=dict(type='OptimWrapper',
                                  optimizer=dict(type='Adam', lr=0.05, betas=(0.5, 0.999),
                                                 weight_decay=1e-3)))
