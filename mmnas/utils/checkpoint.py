"""Checkpoint loading under torch's ``weights_only`` unpickler, with clear errors.

torch >= 2.6 loads with ``weights_only=True``: only tensors, containers and allow-listed
classes are unpickled, so a checkpoint cannot run code. mmengine 0.10.7 checkpoints also hold
its ``HistoryBuffer`` (logged scalars) and numpy arrays and scalars inside it, and are then
refused. Rather than switching the safety off, :func:`allow_mmengine_checkpoint_globals`
allow-lists exactly those classes, and :func:`load_local_checkpoint` (installed as mmengine's
loader for local paths) turns a corrupt or truncated file into one clear
:class:`CheckpointError`.
"""
import os.path as osp
import pickle
import zipfile

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be loaded (missing, corrupt, truncated, or unsafe)."""


def _numpy_globals() -> list:
    """The numpy reconstructors and dtypes that pickled arrays and scalars refer to."""
    multiarray = np.core.multiarray
    dtypes = [type(np.dtype(t)) for t in (np.float64, np.float32, np.float16, np.int64,
                                           np.int32, np.int16, np.int8, np.uint8, np.bool_)]
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype] + dtypes


def allow_mmengine_checkpoint_globals() -> None:
    """Allow-list the non-tensor classes that mmengine stores in a checkpoint."""
    torch.serialization.add_safe_globals([HistoryBuffer] + _numpy_globals())


def load_local_checkpoint(filename: str, map_location=None) -> dict:
    """Load a local checkpoint with ``weights_only=True``.

    Raises:
        CheckpointError: the file is missing, is not a PyTorch checkpoint, is cut short, or
            holds objects outside the allow-list.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise CheckpointError(f'checkpoint {filename!r} does not exist')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if 'Unsupported global' in str(e) or 'weights_only' in str(e):
            raise CheckpointError(
                f'checkpoint {filename!r} holds objects that are not allow-listed for safe '
                f'loading ({first}); load it only if you trust it, after allow-listing the '
                f'class with torch.serialization.add_safe_globals') from None
        raise CheckpointError(f'checkpoint {filename!r} is corrupt: {first}') from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f'checkpoint {filename!r} is corrupt or truncated ({first}); '
                              f'expected a file written by torch.save') from None


def install_checkpoint_loader() -> None:
    """Make mmengine load every local checkpoint through :func:`load_local_checkpoint`."""
    allow_mmengine_checkpoint_globals()
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
