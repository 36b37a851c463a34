"""The export service every search loop hands its result to.

Whatever the method, a search ends the same way: the backbone's :meth:`export` gives the
searched network's spec and weights, :func:`finalize_spec` fills in its cost (the core cost
model, on the network the spec builds), provenance and metrics, and :func:`save_searched`
writes ``arch.json`` and ``searched.pth`` into the work dir. A config then builds the
network with ``backbone=dict(type='mmnas.SearchedBackbone', arch_spec=..., checkpoint=...)``.
"""
import os.path as osp
import time
from typing import Dict, Mapping, Optional, Sequence

import torch
from mmengine.dist import is_main_process
from torch import Tensor

from mmnas.cost import count_complexity
from mmnas.models import unwrap_model
from mmnas.structures import ArchSpec
from mmnas.utils.atomic import atomic_path
from mmnas.version import __version__

#: The files a search writes into the work dir.
ARCH_FILE = 'arch.json'
WEIGHTS_FILE = 'searched.pth'


def finalize_spec(spec: ArchSpec,
                  input_shape: Sequence[int],
                  config: Optional[str] = None,
                  checkpoint: Optional[str] = None,
                  metrics: Optional[Mapping[str, float]] = None,
                  **meta) -> ArchSpec:
    """Fill in what every searched spec carries, in place, and return it.

    Args:
        spec: an exported spec (:meth:`SearchableBackbone.export`).
        input_shape: ``(C, H, W)`` at which ``spec.cost`` is counted, on the network
            ``spec.build()`` gives, so that the file's cost is that of the network it builds.
        config: the config file the search ran (provenance).
        checkpoint: the supernet checkpoint it started from (provenance).
        metrics: evaluation results of the searched network, if any.
        meta: further provenance of the loop (its budget, the supernet's cost, ...).
    """
    spec.cost = count_complexity(spec.build(), input_shape)
    spec.metrics.update({k: float(v) for k, v in (metrics or {}).items()})
    spec.meta.update(mmnas_version=__version__, config=config, checkpoint=checkpoint,
                     time=time.strftime('%Y-%m-%d %H:%M:%S'), **meta)
    return spec


def searched_state_dict(model: torch.nn.Module,
                        backbone_state: Mapping[str, Tensor]) -> Dict[str, Tensor]:
    """The stock model's state dict with its ``backbone.*`` tensors replaced by
    ``backbone_state`` (the searched network's): the neck and head come along, so a child
    that needs no retraining (BigNAS) tests as it is. Copies, not views."""
    net = unwrap_model(model)
    prefix = 'backbone.' if hasattr(net, 'backbone') else ''
    out = {k: v.detach().clone() for k, v in net.state_dict().items()
           if not k.startswith(prefix)} if prefix else {}
    out.update({prefix + k: v for k, v in backbone_state.items()})
    return out


def save_searched(work_dir: str, model: torch.nn.Module, spec: ArchSpec,
                  backbone_state: Mapping[str, Tensor], arch_file: str = ARCH_FILE,
                  weights_file: Optional[str] = WEIGHTS_FILE) -> Optional[str]:
    """Write ``spec`` to ``work_dir/arch_file`` and, unless ``weights_file`` is ``None``, the
    stock ``model`` with the searched backbone's weights to ``work_dir/weights_file`` (with
    the spec in ``meta['arch_spec']``); main process only. Returns the weights' path."""
    spec.meta['weights'] = None if weights_file is None else osp.join(work_dir, weights_file)
    state = None if weights_file is None else searched_state_dict(model, backbone_state)
    if is_main_process():
        spec.dump(osp.join(work_dir, arch_file))
        if state is not None:
            with atomic_path(spec.meta['weights']) as tmp:
                torch.save(dict(state_dict=state, meta=dict(arch_spec=spec.to_dict())), tmp)
    return spec.meta['weights']
