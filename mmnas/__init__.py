from .utils.checkpoint import install_checkpoint_loader
from .version import __version__

# Every mmnas user gets safe (weights_only) checkpoint loading with clear errors.
install_checkpoint_loader()

__all__ = ['__version__']
