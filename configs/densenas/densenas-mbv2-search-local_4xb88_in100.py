# The MobileNetV2-space search with local instead of chained cost estimation: every block
# counts as present, its heads weighted by their own path probability only (the baseline of
# DenseNAS supp. Table 2 / A.5: local 396M FLOPs, 27.5 ms, 74.8% against chained 361M,
# 17.9 ms, 75.3%).
_base_ = ['./densenas-mbv2-search_4xb88_in100.py']

cost_cfg = dict(estimation='local')
train_cfg = dict(arch_updater=dict(cost_cfg=cost_cfg))
