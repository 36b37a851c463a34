# DenseNAS search in the ResNet-based space (DenseNAS supp. A.4): basic block or skip in every basic
# layer, batch 512 on 4 GPUs, 70 epochs with architecture updates from epoch 10, every other
# setting as in the MobileNetV2 search. Cost: FLOPs (in M), λ = 0.2, τ = 1700 (DenseNAS-R1;
# 3500 for R2). Without a table file the FLOPs of every operation are counted at the start.
_base_ = ['./densenas-mbv2-search_4xb88_in100.py']

cost_cfg = dict(table=None, metric='flops', input_shape=(3, 224, 224), estimation='chained')

model = dict(backbone=dict(search_space='resnet'), head=dict(in_channels=512))
train_dataloader = dict(batch_size=128)
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader
train_cfg = dict(
    max_epochs=70,
    arch_start=10,
    arch_dataloader=dict(batch_size=128),
    arch_updater=dict(loss_weight=0.2, tau=1700.0, cost_cfg=cost_cfg))
param_scheduler = dict(
    weights=[dict(type='CosineAnnealingLR', T_max=70, eta_min=1e-4, by_epoch=True, begin=0,
                  end=70)])
auto_scale_lr = dict(base_batch_size=512)
