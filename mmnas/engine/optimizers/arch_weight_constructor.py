"""Two optimizers for a bilevel search: one for the network weights w, one for the
architecture parameters α (DARTS, DenseNAS)."""
import inspect
from typing import Dict, List, Optional, Set

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmengine.registry import OPTIM_WRAPPERS, OPTIMIZERS
from torch import nn

from mmnas.models import DifferentiableBackbone, get_searchable_backbone, unwrap_model
from mmnas.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmnas.utils.config_check import ConfigError

PARTS = ('weights', 'architecture')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ArchWeightOptimWrapperConstructor:
    """Build ``OptimWrapperDict(weights=..., architecture=...)`` from a model whose searchable
    backbone has continuous architecture parameters.

    The split is by the backbone's ``arch_parameters()``: those go to ``architecture``, every
    other parameter of the model (backbone, neck, heads) to ``weights``. Each part is an
    ordinary mmengine optimizer-wrapper config and may carry its own ``paramwise_cfg``
    (e.g. no weight decay on norms for the weights). Param schedulers are then given per
    part, as mmengine does for an ``OptimWrapperDict``::

        optim_wrapper = dict(
            constructor='mmnas.ArchWeightOptimWrapperConstructor',
            weights=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, ...)),
            architecture=dict(type='OptimWrapper', optimizer=dict(
                type='Adam', lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)))
        param_scheduler = dict(weights=[dict(type='CosineAnnealingLR', ...)], architecture=[])

    Args:
        optim_wrapper_cfg: the ``optim_wrapper`` config without ``constructor``: exactly
            the keys ``weights`` and ``architecture``.
        paramwise_cfg: must be None here; put it inside a part instead.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        if paramwise_cfg:
            raise ConfigError('optim_wrapper.paramwise_cfg: ArchWeightOptimWrapperConstructor '
                              'takes it inside optim_wrapper.weights / .architecture')
        keys = set(optim_wrapper_cfg)
        if keys != set(PARTS):
            raise ConfigError(f'optim_wrapper for ArchWeightOptimWrapperConstructor: expected '
                              f'exactly the keys {list(PARTS)}, got {sorted(keys)}')
        self.constructors: Dict[str, DefaultOptimWrapperConstructor] = {}
        for part in PARTS:
            cfg = dict(optim_wrapper_cfg[part])
            if 'optimizer' not in cfg:
                raise ConfigError(f'optim_wrapper.{part}: expected an "optimizer" config')
            part_paramwise = cfg.pop('paramwise_cfg', None)
            self.constructors[part] = DefaultOptimWrapperConstructor(cfg, part_paramwise)

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        module = unwrap_model(model)
        backbone = get_searchable_backbone(module)
        if not isinstance(backbone, DifferentiableBackbone):
            raise ConfigError(f'{type(backbone).__name__} is not a DifferentiableBackbone: '
                              'ArchWeightOptimWrapperConstructor needs a backbone with '
                              'continuous architecture parameters (arch_parameters())')
        arch_ids = {id(p) for p in backbone.arch_parameters()}
        if not arch_ids:
            raise ConfigError(f'{type(backbone).__name__}.arch_parameters() is empty: '
                              'nothing for the architecture optimizer')
        return OptimWrapperDict(
            weights=self._build(self.constructors['weights'], module, arch_ids, False),
            architecture=self._build(self.constructors['architecture'], module, arch_ids, True))

    @staticmethod
    def _build(constructor: DefaultOptimWrapperConstructor, model: nn.Module, arch_ids: Set[int],
               architecture: bool):
        """What ``DefaultOptimWrapperConstructor.__call__`` does, on one side of the split."""
        def keep(param):
            return (id(param) in arch_ids) == architecture

        if constructor.paramwise_cfg:
            groups: List[dict] = []
            constructor.add_params(groups, model)
            params = [g for g in groups if keep(g['params'][0])]
        else:
            params = [p for p in model.parameters() if keep(p)]
        optimizer_cfg = constructor.optimizer_cfg.copy()
        optimizer_cls = optimizer_cfg['type']
        if isinstance(optimizer_cls, str):
            with OPTIMIZERS.switch_scope_and_registry(None) as registry:
                optimizer_cls = registry.get(optimizer_cls)
        # Some optimizers name their first argument ``model_params``: fill whatever it is.
        first_arg = next(iter(inspect.signature(optimizer_cls).parameters))
        optimizer_cfg[first_arg] = params
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        wrapper_cfg = constructor.optim_wrapper_cfg.copy()
        wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(wrapper_cfg, default_args=dict(optimizer=optimizer))
