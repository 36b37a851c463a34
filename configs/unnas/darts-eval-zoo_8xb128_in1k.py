# darts-eval_8xb128_in1k.py for a cell of the genotype zoo (mmnas.unnas.GENOTYPES) instead of
# a search's arch.json, at the width the released evaluation gives that cell so that the
# FLOPs match (DARTS_V2: 48; the UnNAS cells: 42–54, listed with their params and FLOPs by
# `python -m mmnas.unnas.table`). Another cell, e.g. UNNAS_IMAGENET_ROT at 42 channels
# (the head reads 16 × 42 channels on both branches):
#   bash tools/dist_train.sh configs/unnas/darts-eval-zoo_8xb128_in1k.py 8 --cfg-options \
#       model.backbone.genotype=UNNAS_IMAGENET_ROT model.backbone.channels=42 \
#       model.head.in_channels=672 model.head.aux_in_channels=672
_base_ = ['./darts-eval_8xb128_in1k.py']

genotype = 'DARTS_V2'
channels = 48
num_cells = 14
model = dict(
    backbone=dict(_delete_=True, type='mmnas.DARTSNet', genotype=genotype, channels=channels,
                  num_cells=num_cells, stem='imagenet', drop_path_rate=0.0,
                  norm_cfg=dict(type='SyncBN'), affine=True,
                  out_indices=[2 * num_cells // 3, -1]),
    head=dict(in_channels=16 * channels, aux_in_channels=16 * channels))
