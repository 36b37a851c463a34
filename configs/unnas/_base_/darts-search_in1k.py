# The DARTS search of NAS-DARTS / UnNAS-DARTS on ImageNet-1K (UnNAS supp. §B.1), with labels (NAS):
# the 8-cell, 16-channel search network after DARTS's stride-8 ImageNet stem, in mmpretrain's
# ImageClassifier. Half of each class trains the weights, the other half the architecture α
# (alternating one step each); α updates are postponed for the first half of the 2 epochs. Weights:
# SGD momentum 0.9, lr 0.1 cosine, weight decay 3e-5, gradient clipping 5 (DARTS); α: Adam lr 3e-4,
# betas (0.5, 0.999), weight decay 1e-3. Batch 64. Where a batch of 64 does not fit in memory,
# UnNAS supp. §B.1 halves the batch and both learning rates (see the pretext configs).
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs64.py',
    'mmpretrain::_base_/default_runtime.py'
]

data_root = 'data/imagenet'
num_classes = 1000
model = dict(
    type='ImageClassifier',
    backbone=dict(type='mmnas.DARTSCellNet', channels=16, num_cells=8, stem='imagenet'),
    neck=dict(type='GlobalAveragePooling'),
    # 4 nodes × 4C after two reductions: 4 × 64 channels.
    head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=256,
              loss=dict(type='CrossEntropyLoss'), topk=(1, )))
data_preprocessor = dict(num_classes=num_classes)

imagenet = dict(type='ImageNet', data_root=data_root, split='train',
                pipeline={{_base_.train_pipeline}})
# Workers restart every pass (persistent ones would carry their random state from one pass to
# the next, which a resumed run cannot recreate) and the random states travel with each
# checkpoint (RNGStateHook): --resume continues bit-identically.
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=False,
    dataset=dict(_delete_=True, type='mmnas.SplitDataset', dataset=imagenet, ratio=0.5,
                 part='first'))
arch_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='mmnas.SplitDataset', dataset=imagenet, ratio=0.5, part='second'))
# The search is judged by the network derived from it, not by a validation pass.
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_evaluator = None

max_epochs = 2
train_cfg = dict(
    type='mmnas.BilevelTrainLoop',
    max_epochs=max_epochs,
    arch_start=0.5,
    alternate='iter',
    arch_dataloader=arch_dataloader,
    arch_updater=dict(type='mmnas.BaseArchUpdater'))
optim_wrapper = dict(
    constructor='mmnas.ArchWeightOptimWrapperConstructor',
    weights=dict(type='OptimWrapper',
                 optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=3e-5),
                 clip_grad=dict(max_norm=5.0)),
    architecture=dict(type='OptimWrapper',
                      optimizer=dict(type='Adam', lr=3e-4, betas=(0.5, 0.999),
                                     weight_decay=1e-3)))
param_scheduler = dict(
    weights=[dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0.0, by_epoch=True,
                  begin=0, end=max_epochs, convert_to_iter_based=True)],
    architecture=[])
# α take no part in the weight step.
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
auto_scale_lr = dict(base_batch_size=64)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
                     rng_state=dict(type='mmnas.RNGStateHook'))

search_cfg = dict(type='mmnas.DeriveArchLoop', input_shape=(3, 224, 224))
