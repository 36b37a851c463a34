"""A hook for the 2-process test: every rank writes its own α and β at the end of training
(checkpoints come from rank 0 alone, so they cannot show a disagreement)."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmnas.engine import get_searchable_backbone
from mmnas.registry import HOOKS


@HOOKS.register_module(force=True)
class SaveArchPerRank(Hook):
    """Writes ``work_dir/arch_rank<r>.pth``: ``{name: tensor}`` of the backbone's α and β."""

    def after_train(self, runner) -> None:
        backbone = get_searchable_backbone(runner.model)
        state = {n: p.detach().cpu() for n, p in backbone.named_arch_parameters()}
        torch.save(state, osp.join(runner.work_dir, f'arch_rank{get_rank()}.pth'))
