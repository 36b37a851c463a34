"""Run on every rank of a torchrun by ``test_distributed.py``, or alone as the single-process
reference: synchronized elastic BN and one sandwich step on a global batch of 8 images, each
of 2 ranks taking its half. Writes ``OUT/<rank0|rank1|single>.pth``: the BN statistics after
a forward of the smallest child, and every parameter and buffer after the sandwich step.

    python -m torch.distributed.run --nproc_per_node 2 dist_sync_bn.py OUT
    python dist_sync_bn.py OUT
"""
import os
import sys

import torch
import torch.distributed as dist
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope

from mmnas.bignas import SandwichRule

SPACE = dict(
    resolution=(32, 40),
    first_conv=dict(width=(8, 16)),
    stages=[
        dict(width=(8, 16), depth=(1, 2), kernel=(3, 5), expand=(1, ), stride=1, se=False),
        dict(width=(16, 24), depth=(1, 2), kernel=(3, 5), expand=(3, 4), stride=2, se=True),
    ],
    last_conv=dict(width=(32, 48)))


def build():
    from mmpretrain.registry import MODELS as PRETRAIN
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return PRETRAIN.build(dict(
            type='ImageClassifier',
            data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=5,
                                   mean=[127.5] * 3, std=[64.0] * 3),
            backbone=dict(type='mmnas.BigNASSuperNet', search_space=SPACE, sync_bn=True),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=5, in_channels=48)))


def global_batch():
    g = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (8, 3, 40, 40), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, 5, (8, ), generator=g)
    return images, labels


def main() -> None:
    from mmpretrain.structures import DataSample
    out = sys.argv[1]
    distributed = 'RANK' in os.environ
    if distributed:
        dist.init_process_group('gloo')
    rank = dist.get_rank() if distributed else 0
    images, labels = global_batch()
    if distributed:
        images, labels = images[4 * rank:4 * rank + 4], labels[4 * rank:4 * rank + 4]
    model = build().train()
    backbone = model.backbone
    # 1. BN statistics of the smallest child on the (global) batch.
    backbone.set_arch(backbone.min_arch())
    with torch.no_grad():
        backbone(model.data_preprocessor(dict(inputs=list(images)), True)['inputs'])
    stats = {k: v.clone() for k, v in backbone.state_dict().items() if 'running' in k}
    # 2. One sandwich step (biggest, smallest, one random child), from fresh weights.
    model = build().train()
    batch = dict(inputs=list(images),
                 data_samples=[DataSample().set_gt_label(int(y)) for y in labels])
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.5))
    SandwichRule(num_random=1, weight_decay=1e-4).train_step(model, batch, optim, step=0)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    name = f'rank{rank}' if distributed else 'single'
    torch.save(dict(stats=stats, state=state), os.path.join(out, f'{name}.pth'))
    if distributed:
        dist.destroy_process_group()


if __name__ == '__main__':
    main()
