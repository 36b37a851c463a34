# DenseNAS search in the MobileNetV2-based space (DenseNAS supp. A.1) as the authors' released
# configuration sets it: the released space ('mbv2': widths, layers, 4 connections per block,
# searched heads), 100 ImageNet classes, 20% of each class held out for the architecture step,
# 150 epochs of which the first 50 train the weights only, then architecture (α, β) and weight
# epochs alternate; from epoch 120 on the derived network is validated every epoch and the
# best two are kept (the paper is silent on when; the released search starts at 120).
# Batch 352 on 4 GPUs; BN without affine parameters, eps 1e-3 (released).
# Before the search, measure the latency table on the target GPU:
#   python tools/build_cost_table.py configs/densenas/densenas-mbv2-search_4xb88_in100.py
# The 100-class subset: tools/dataset_converters/imagenet_subset.py writes its lists.
_base_ = [
    'mmpretrain::_base_/models/mobilenet_v2_1x.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/default_runtime.py'
]

data_root = 'data/imagenet'
num_classes = 100
# Latency in ms of every (operation, input shape) at batch 32 × 3×224×224 (DenseNAS supp. A.1); the
# loss is task + λ·log(latency)/log(τ) with λ = 0.15, τ = 15 ms. A layer's and a head's cost is
# the expectation over the operations the step samples, as released (expectation='all': over
# every candidate). The cost includes the classifier's (a linear layer over the 100 classes),
# as the released search counts it (the paper is silent; classifier=False leaves it out).
cost_cfg = dict(
    table='work_dirs/densenas-mbv2-search_4xb88_in100/latency.json',
    metric='latency',
    batch_size=32,
    input_shape=(3, 224, 224),
    estimation='chained',
    expectation='sampled')

model = dict(
    backbone=dict(_delete_=True, type='mmnas.DenseNASRouted', search_space='mbv2',
                  norm_cfg=dict(type='BN', affine=False, eps=1e-3),
                  derived_norm_cfg=dict(type='BN', eps=1e-3)),
    head=dict(in_channels=1984, num_classes=num_classes))
data_preprocessor = dict(num_classes=num_classes)

# ImageNet-100: the class list and train list of the subset (see the header).
imagenet100 = dict(
    type='mmpretrain.ImageNet',
    data_root=data_root,
    split='train',
    ann_file='meta/train_100cls.txt',
    classes=data_root + '/meta/classes_100cls.txt',
    pipeline={{_base_.train_pipeline}})
# Workers restart every epoch (persistent ones would carry their random state from one epoch
# to the next, which a resumed run cannot recreate) and the random states travel with each
# checkpoint (RNGStateHook): --resume continues bit-identically.
train_dataloader = dict(
    batch_size=88,
    num_workers=8,
    persistent_workers=False,
    dataset=dict(_delete_=True, type='mmnas.SplitDataset', dataset=imagenet100, ratio=0.2,
                 part='second'))
arch_dataloader = dict(
    batch_size=88,
    num_workers=8,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='mmnas.SplitDataset', dataset=imagenet100, ratio=0.2, part='first'))
# Validation on the held-out split: DenseNAS supp. keeps ImageNet's val set for the final network.
val_dataloader = dict(
    batch_size=88,
    num_workers=8,
    dataset=dict(
        _delete_=True, type='mmnas.SplitDataset', ratio=0.2, part='first',
        dataset=dict(imagenet100, pipeline={{_base_.test_pipeline}})))
test_dataloader = val_dataloader

train_cfg = dict(
    type='mmnas.BilevelTrainLoop',
    max_epochs=150,
    arch_start=50,
    alternate='epoch',
    arch_dataloader=arch_dataloader,
    arch_updater=dict(type='mmnas.DenseNASArchUpdater', loss_weight=0.15, tau=15.0,
                      cost_cfg=cost_cfg),
    val_begin=121,
    val_interval=1)
val_cfg = dict()
test_cfg = dict()

# Weights: SGD 0.9, weight decay 4e-5, cosine 0.2 → 1e-4; α, β: Adam 3e-4, (0.5, 0.999),
# weight decay 1e-3, fixed (DenseNAS supp. A.1).
optim_wrapper = dict(
    constructor='mmnas.ArchWeightOptimWrapperConstructor',
    weights=dict(type='OptimWrapper',
                 optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=4e-5)),
    architecture=dict(type='OptimWrapper',
                      optimizer=dict(type='Adam', lr=3e-4, betas=(0.5, 0.999),
                                     weight_decay=1e-3)))
param_scheduler = dict(
    weights=[dict(type='CosineAnnealingLR', T_max=150, eta_min=1e-4, by_epoch=True, begin=0,
                  end=150)],
    architecture=[])
# Dropping-path runs one candidate per layer: the others take no part in a weight step.
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
auto_scale_lr = dict(base_batch_size=352)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
                     rng_state=dict(type='mmnas.RNGStateHook'))

# From (0-based) epoch 120 on, every epoch validates the derived network and the best two are
# kept as arch_top1.json / arch_top2.json (with accuracy and cost) in the work dir.
custom_hooks = [dict(type='mmnas.DenseNASTopKHook', start_epoch=120, k=2,
                     input_shape=(3, 224, 224))]

search_cfg = dict(type='mmnas.DeriveArchLoop', input_shape=(3, 224, 224))
