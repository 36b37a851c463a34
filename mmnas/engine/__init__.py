"""Training and search machinery shared by the methods: loops, hooks, optimizer wrappers."""
from .optimizers import ArchWeightOptimWrapperConstructor
from .runner import BaseArchUpdater, BilevelTrainLoop, DeriveArchLoop, get_searchable_backbone
from .utils import recalibrate_bn

__all__ = [
    'DeriveArchLoop', 'get_searchable_backbone', 'recalibrate_bn',
    'ArchWeightOptimWrapperConstructor', 'BilevelTrainLoop', 'BaseArchUpdater'
]
