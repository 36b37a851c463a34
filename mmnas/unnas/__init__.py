"""UnNAS (Liu et al., ECCV 2020) on DARTS (Liu et al., ICLR 2019): the DARTS cell search space,
searched by a bilevel loop with labels (NAS) or with a pretext task instead (UnNAS), derived
to a genotype and evaluated as a fixed network."""
from .genotype import (EVAL_SIZES, GENOTYPES, check_genotype, derive_cell, derive_genotype,
                       eval_size, sample_genotype)
from .evaluation import DARTSAuxClsHead, DropPathScheduleHook
from .network import DARTSCellNet, DARTSNet, MixedOp
from .operations import PRIMITIVES, build_op
from .pretext import (ColorizationPretext, JigsawPretext, RotationDataPreprocessor,
                      RotationPretext, TileConcatNeck, TileDataPreprocessor)

__all__ = [
    'DARTSCellNet', 'DARTSNet', 'MixedOp', 'PRIMITIVES', 'build_op', 'GENOTYPES', 'EVAL_SIZES',
    'eval_size', 'DARTSAuxClsHead', 'DropPathScheduleHook',
    'check_genotype', 'derive_cell', 'derive_genotype', 'sample_genotype', 'RotationPretext',
    'RotationDataPreprocessor', 'ColorizationPretext', 'JigsawPretext', 'TileDataPreprocessor',
    'TileConcatNeck'
]
