"""BigNAS (Yu et al., ECCV 2020): one single-stage model whose children, sliced from shared
weights, are good without retraining; trained with the sandwich rule and inplace
distillation, searched coarse-to-fine under a FLOPs budget."""
from .distill import SoftTargetKLDivLoss, SoftTargetMSELoss
from .sandwich import SandwichEpochTrainLoop, SandwichRule, SandwichTrainLoop
from .space import ATTENTIVENAS_RESOLUTIONS, DEFAULT_SEARCH_SPACE, SearchSpace
from .supernet import BigNASSuperNet, MBBlock

__all__ = [
    'BigNASSuperNet', 'MBBlock', 'SearchSpace', 'DEFAULT_SEARCH_SPACE',
    'ATTENTIVENAS_RESOLUTIONS', 'SandwichRule',
    'SandwichTrainLoop', 'SandwichEpochTrainLoop', 'SoftTargetKLDivLoss', 'SoftTargetMSELoss'
]
