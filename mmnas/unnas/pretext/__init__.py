"""UnNAS's pretext tasks as stock pipeline pieces: each a registered transform that makes
the input and the label from an unlabelled image, trained by stock heads and losses."""
from .rotation import RotationPretext

__all__ = ['RotationPretext']
