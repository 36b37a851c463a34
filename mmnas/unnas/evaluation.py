"""Pieces of the released DARTS/UnNAS evaluation training that stock mmpretrain lacks: the
auxiliary classifier on the second reduction cell (DARTS, Liu et al., ICLR 2019, §A.2; loss
weight 0.4) and the linear drop-path schedule.

The auxiliary head is an mmpretrain ``LinearClsHead`` that reads two backbone outputs: the
second reduction cell's (auxiliary branch, training only) and the last cell's (main branch).
"""
from typing import List, Optional, Tuple

from mmcv.cnn.bricks import DropPath
from mmengine.hooks import Hook
from mmpretrain.models.heads import LinearClsHead
from torch import Tensor, nn

from mmnas.models import unwrap_model
from mmnas.registry import HOOKS, MODELS
from mmnas.utils.config_check import ConfigError

AUX_STEMS = {
    # input size: (pooling stride, norm after the 2×2 conv). The ImageNet head of the
    # released evaluation has no norm there (the DARTS code omitted it and the papers' numbers
    # were trained so).
    'imagenet': (2, False),  # 7×7 (224 input) → 2×2 → 1×1
    'cifar': (3, True),  # 8×8 (32 input) → 2×2 → 1×1
}


class AuxiliaryBranch(nn.Sequential):
    """ReLU → 5×5 average pool → 1×1 conv to 128 → BN → ReLU → 2×2 conv to 768 (→ BN) →
    ReLU → linear. ``(N, C, 7 or 8, 7 or 8) → (N, num_classes)``."""

    def __init__(self, in_channels: int, num_classes: int, stem: str) -> None:
        stride, last_norm = AUX_STEMS[stem]
        layers = [
            nn.ReLU(inplace=True),
            nn.AvgPool2d(5, stride=stride, padding=0, count_include_pad=False),
            nn.Conv2d(in_channels, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False)
        ]
        if last_norm:
            layers.append(nn.BatchNorm2d(768))
        layers += [nn.ReLU(inplace=True), nn.Flatten(1), nn.Linear(768, num_classes)]
        super().__init__(*layers)


@MODELS.register_module()
class DARTSAuxClsHead(LinearClsHead):
    """Global average pooling and a linear classifier on the last feature map, plus DARTS's
    auxiliary classifier on an earlier one during training.

    Args:
        num_classes, in_channels, loss, topk, init_cfg: as ``LinearClsHead`` (``in_channels``
            of the last feature map).
        aux_in_channels: channels of the auxiliary feature map (the second reduction cell's
            output, 16 C for DARTS cells).
        aux_weight: weight of the auxiliary loss (DARTS and the released UnNAS: 0.4).
        aux_stem: ``'imagenet'`` (7×7 auxiliary input) or ``'cifar'`` (8×8).

    Shapes: ``feats`` = ``((N, aux_in_channels, h, w), (N, in_channels, H, W))`` from a
    backbone with two ``out_indices`` (auxiliary first) and no neck; one map (no auxiliary
    branch) is accepted for inference.
    """

    def __init__(self, num_classes: int, in_channels: int, aux_in_channels: int,
                 aux_weight: float = 0.4, aux_stem: str = 'imagenet', **kwargs) -> None:
        super().__init__(num_classes, in_channels, **kwargs)
        if aux_stem not in AUX_STEMS:
            raise ConfigError(f'DARTSAuxClsHead aux_stem={aux_stem!r}: expected one of '
                              f'{sorted(AUX_STEMS)}')
        if aux_weight < 0:
            raise ConfigError(f'DARTSAuxClsHead aux_weight={aux_weight}: expected >= 0')
        self.aux_weight = aux_weight
        self.aux_head = AuxiliaryBranch(aux_in_channels, num_classes, aux_stem)

    def pre_logits(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """The pooled last map, ``(N, in_channels)``."""
        return feats[-1].mean(dim=(2, 3))

    def loss(self, feats: Tuple[Tensor, ...], data_samples: list, **kwargs) -> dict:
        """Main loss plus ``aux_weight`` times the same loss on the auxiliary logits."""
        if len(feats) != 2:
            raise ConfigError(f'DARTSAuxClsHead: expected 2 feature maps in training (set the '
                              f"backbone's out_indices to the auxiliary cell and -1), got "
                              f'{len(feats)}')
        losses = self._get_loss(self(feats), data_samples, **kwargs)
        aux = self._get_loss(self.aux_head(feats[0]), data_samples, **kwargs)
        losses['loss_aux'] = self.aux_weight * aux['loss']
        return losses


@HOOKS.register_module()
class DropPathScheduleHook(Hook):
    """Drop-path probability rising linearly over training, as DARTS and the released UnNAS
    evaluation set it per epoch: ``p_e = p_max · e / max_epochs`` for epoch ``e`` (0-based),
    with ``p_max`` the rate each ``DropPath`` module was built with.

    Args:
        drop_path_rate: ``p_max`` for every ``DropPath`` in the model; ``None`` keeps each
            module's own build rate as its maximum.
    """

    priority = 'NORMAL'

    def __init__(self, drop_path_rate: Optional[float] = None) -> None:
        if drop_path_rate is not None and not 0 <= drop_path_rate < 1:
            raise ConfigError(f'DropPathScheduleHook drop_path_rate={drop_path_rate}: expected '
                              '[0, 1)')
        self.drop_path_rate = drop_path_rate
        self._modules: List[Tuple[DropPath, float]] = []

    def before_train(self, runner) -> None:
        model = unwrap_model(runner.model)
        self._modules = [(m, m.drop_prob if self.drop_path_rate is None else
                          self.drop_path_rate) for m in model.modules()
                         if isinstance(m, DropPath)]
        if not self._modules and self.drop_path_rate:
            raise ConfigError(f'DropPathScheduleHook drop_path_rate={self.drop_path_rate}: the '
                              'model has no DropPath module (build the backbone with a '
                              'drop_path_rate > 0)')

    def before_train_epoch(self, runner) -> None:
        progress = runner.epoch / runner.max_epochs
        for module, rate in self._modules:
            module.drop_prob = rate * progress
