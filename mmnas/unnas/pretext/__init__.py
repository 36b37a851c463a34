"""UnNAS's pretext tasks as stock pipeline pieces: each a registered transform that makes
the input and the label from an unlabelled image, trained by stock heads and losses (the
jigsaw adds the tile reshaping around the shared backbone)."""
from .colorization import ColorizationPretext, ab_bins, lab_to_linear_rgb, quantize_ab
from .jigsaw import (JigsawPretext, TileConcatNeck, TileDataPreprocessor, max_hamming_permutations,
                     permutation_set, released_permutations)
from .rotation import RotationDataPreprocessor, RotationPretext

__all__ = [
    'RotationPretext', 'RotationDataPreprocessor', 'ColorizationPretext', 'ab_bins', 'quantize_ab', 'lab_to_linear_rgb',
    'JigsawPretext', 'TileDataPreprocessor', 'TileConcatNeck', 'max_hamming_permutations',
    'permutation_set', 'released_permutations'
]
