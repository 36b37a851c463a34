# DenseNAS search in the ResNet-based space (DenseNAS supp. A.4) as the authors' released
# configuration sets it: the released space ('resnet': basic block or skip in every layer,
# 10 connections per block, T = 0.9), batch 512 on 4 GPUs, 70 epochs with architecture updates
# from epoch 10 and the top-2 kept from epoch 50, every other setting as in the MobileNetV2
# search. Cost: FLOPs (in M), λ = 0.2, τ = 3500 (released), skip costing a tenth of the basic
# block it replaces (the released skip regularisation). Without a table file the FLOPs of every
# operation are counted at the start. The derived network ends at its last routing block
# (480, 496 or 512 wide): set the retraining head's in_channels to arch.json's last width.
# The derived path is the Viterbi path over softmax(β), without T, as the released derivation
# computes it (the paper is silent); backbone derive_with_temperature=True uses softmax(β / T).
_base_ = ['./densenas-mbv2-search_4xb88_in100.py']

cost_cfg = dict(table=None, metric='flops', input_shape=(3, 224, 224), estimation='chained',
                expectation='sampled', skip_cost=0.1)

model = dict(backbone=dict(search_space='resnet'), head=dict(in_channels=512))
train_dataloader = dict(batch_size=128)
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader
train_cfg = dict(
    max_epochs=70,
    arch_start=10,
    val_begin=51,
    arch_dataloader=dict(batch_size=128),
    arch_updater=dict(loss_weight=0.2, tau=3500.0, cost_cfg=cost_cfg))
param_scheduler = dict(
    weights=[dict(type='CosineAnnealingLR', T_max=70, eta_min=1e-4, by_epoch=True, begin=0,
                  end=70)])
auto_scale_lr = dict(base_batch_size=512)
custom_hooks = [dict(type='mmnas.DenseNASTopKHook', start_epoch=50, k=2,
                     input_shape=(3, 224, 224))]
