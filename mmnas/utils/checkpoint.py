"""Checkpoint loading under torch's ``weights_only`` unpickler, with clear errors.

torch >= 2.6 loads with ``weights_only=True``: only tensors, containers and allow-listed
classes are unpickled, so a checkpoint cannot run code. mmengine 0.10.7 checkpoints also hold
its ``HistoryBuffer`` (logged scalars), numpy arrays and scalars inside it, and the buffer's
statistics methods, pickled as ``getattr(HistoryBuffer, 'mean')``; a one-cycle scheduler's
state holds its annealing function, a static method pickled as
``getattr(OneCycleParamScheduler, '_annealing_cos')``; they are then refused. Rather than
switching the safety off, :func:`allow_mmengine_checkpoint_globals` allow-lists exactly those
classes, and stands in for ``getattr`` with a function that only returns those methods. :func:`load_local_checkpoint` (installed as mmengine's loader for local
paths) turns a corrupt or truncated file into one clear :class:`CheckpointError`.
"""
import os.path as osp
import pickle
import re
import zipfile

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.optim.scheduler.param_scheduler import OneCycleParamScheduler
from mmengine.runner.checkpoint import CheckpointLoader


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be loaded (missing, corrupt, truncated, or unsafe)."""


def _numpy_globals() -> list:
    """The numpy reconstructors and dtypes that pickled arrays and scalars refer to."""
    multiarray = np.core.multiarray
    dtypes = [type(np.dtype(t)) for t in (np.float64, np.float32, np.float16, np.int64,
                                           np.int32, np.int16, np.int8, np.uint8, np.bool_)]
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype] + dtypes


_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')

#: The attributes a checkpoint may fetch with ``getattr``, per owner class.
_ALLOWED_ATTRIBUTES = {
    HistoryBuffer: lambda name: (name in _HISTORY_BUFFER_STATISTICS
                                 or name in HistoryBuffer._statistics_methods),
    OneCycleParamScheduler: lambda name: name in ('_annealing_cos', '_annealing_linear'),
}


def allowed_getattr(owner: type, name: str):
    """``getattr`` as the checkpoint unpickler sees it: only a ``HistoryBuffer`` statistics
    method (built-in or registered with ``HistoryBuffer.register_statistics``) or a one-cycle
    scheduler's annealing function."""
    allowed = _ALLOWED_ATTRIBUTES.get(owner)
    if allowed is not None and allowed(name):
        return getattr(owner, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({owner!r}, {name!r}); only HistoryBuffer statistics '
        'methods and one-cycle annealing functions are allowed')


def allow_mmengine_checkpoint_globals() -> None:
    """Allow-list the non-tensor objects that mmengine stores in a checkpoint."""
    torch.serialization.add_safe_globals(
        list(_ALLOWED_ATTRIBUTES) + [(allowed_getattr, 'builtins.getattr')] + _numpy_globals())


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
        unsafe = re.search(r'Unsupported global: GLOBAL (\S+)', str(e))
        if unsafe:
            raise CheckpointError(
                f'checkpoint {filename!r} holds {unsafe.group(1)}, which is not allow-listed '
                'for safe loading; load it only if you trust it, after allow-listing it with '
                'torch.serialization.add_safe_globals') from None
        raise CheckpointError(f'checkpoint {filename!r} is corrupt: {_first_line(e)}') from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError) as e:
        raise CheckpointError(f'checkpoint {filename!r} is corrupt or truncated '
                              f'({_first_line(e)}); expected a file written by torch.save') from None


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def install_checkpoint_loader() -> None:
    """Make mmengine load every local checkpoint through :func:`load_local_checkpoint`."""
    allow_mmengine_checkpoint_globals()
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
