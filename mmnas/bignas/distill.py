"""Inplace-distillation losses: a child learns the biggest child's prediction.

Both take the student's task output and the teacher's (already detached) output of the same
kind: logits ``(N, K)`` for classification, per-pixel logits ``(N, K, H, W)`` for
segmentation, heatmaps ``(N, J, H, W)`` for pose. A child at a lower resolution predicts a
smaller map; the teacher's map is resized (bilinear) to the student's.
"""
import torch.nn.functional as F
from torch import Tensor, nn

from mmnas.registry import MODELS


def _match(teacher: Tensor, student: Tensor) -> Tensor:
    if teacher.requires_grad:
        raise ValueError('inplace distillation: the teacher output must be detached')
    if teacher.dim() == 4 and teacher.shape[-2:] != student.shape[-2:]:
        teacher = F.interpolate(teacher, student.shape[-2:], mode='bilinear',
                                align_corners=False)
    return teacher


@MODELS.register_module()
class SoftTargetKLDivLoss(nn.Module):
    """``τ² · KL(softmax(t/τ) ‖ softmax(s/τ))`` over dim 1, averaged over the samples (and
    the pixels of a map). For classification and segmentation logits.

    Args:
        tau: temperature τ (BigNAS / AttentiveNAS: 1).
        loss_weight: weight of the loss.
    """

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.tau = tau
        self.loss_weight = loss_weight

    def forward(self, student: Tensor, teacher: Tensor) -> Tensor:
        teacher = _match(teacher, student)
        log_p_s = F.log_softmax(student / self.tau, dim=1)
        log_p_t = F.log_softmax(teacher / self.tau, dim=1)
        kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(1).mean()
        return self.loss_weight * self.tau**2 * kl


@MODELS.register_module()
class SoftTargetMSELoss(nn.Module):
    """Mean squared error to the teacher's maps, for regression outputs (pose heatmaps)."""

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, student: Tensor, teacher: Tensor) -> Tensor:
        return self.loss_weight * F.mse_loss(student, _match(teacher, student))
