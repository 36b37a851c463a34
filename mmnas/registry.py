"""mmnas registries: children of mmengine's root registries, scope ``mmnas``.

Every registry names the modules that fill it (``locations``), so building a type by name
imports what registers it first. That is what makes ``type='mmnas.HRNASSuperNet'`` work inside
a stock mmseg, mmpose, mmdet3d or mmpretrain config without any explicit import: the lookup
goes from the host's registry to the root, finds the ``mmnas`` child and lets it import the
module. A registry lists only the packages that register into it, and a type of one method
(:data:`METHOD_TYPES`) imports that method alone: building a DARTS network does not import
HR-NAS, BigNAS and DenseNAS.
"""
from importlib import import_module
from typing import Dict, Optional, Sequence

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

#: Method packages: importing one registers its backbone, hooks, loops and transforms.
METHOD_PACKAGES = ['mmnas.hrnas', 'mmnas.bignas', 'mmnas.densenas', 'mmnas.unnas']

#: The registered types of each method package, by registry name: a lookup of one of them
#: imports its package only. A type missing here is still found (every location of its
#: registry is imported then), only not lazily; tests/test_registry.py keeps the table whole.
METHOD_TYPES: Dict[str, Dict[str, str]] = {
    'model': {
        **dict.fromkeys(('HRNASSuperNet', 'LightweightTransformer'), 'mmnas.hrnas'),
        # The searched heads import mmseg and mmpose: only a head lookup pays for them.
        **dict.fromkeys(('HRNASSegHead', 'HRNASHeatmapHead', 'HRNASClsNeck'),
                        'mmnas.hrnas.heads'),
        **dict.fromkeys(('BigNASSuperNet', 'SoftTargetKLDivLoss', 'SoftTargetMSELoss'),
                        'mmnas.bignas'),
        **dict.fromkeys(('DenseNASRouted', 'DenseNASNet'), 'mmnas.densenas'),
        **dict.fromkeys(('DARTSCellNet', 'DARTSNet', 'DARTSAuxClsHead',
                         'RotationDataPreprocessor', 'TileDataPreprocessor', 'TileConcatNeck'),
                        'mmnas.unnas'),
    },
    'transform': dict.fromkeys(('RotationPretext', 'JigsawPretext', 'ColorizationPretext'),
                               'mmnas.unnas'),
    'loop': dict.fromkeys(('SandwichTrainLoop', 'SandwichEpochTrainLoop'), 'mmnas.bignas'),
    'hook': dict(ProgressiveShrinkHook='mmnas.hrnas', DropPathScheduleHook='mmnas.unnas',
                 DenseNASTopKHook='mmnas.densenas'),
    'arch updater': dict(DenseNASArchUpdater='mmnas.densenas'),
}


class MMNASRegistry(Registry):
    """A registry that imports the one method package a type of :data:`METHOD_TYPES` comes
    from, before falling back to all of its ``locations``."""

    def get(self, key: str):
        scope, real_key = self.split_scope_key(key)
        package = METHOD_TYPES.get(self.name, {}).get(real_key)
        if package is not None and scope in (None, self.scope):
            if real_key not in self._module_dict:
                import_module(package)
            if real_key in self._module_dict:
                return self._module_dict[real_key]
        return super().get(key)


def _registry(name: str, parent: Optional[Registry], locations: Sequence[str]) -> Registry:
    return MMNASRegistry(name, parent=parent, scope='mmnas', locations=list(locations))


_CORE_ENGINE = ['mmnas.engine']
_MODELS = ['mmnas.models', 'mmnas.structures'] + METHOD_PACKAGES + ['mmnas.hrnas.heads']

RUNNERS = _registry('runner', MMENGINE_RUNNERS, [])
RUNNER_CONSTRUCTORS = _registry('runner constructor', MMENGINE_RUNNER_CONSTRUCTORS, [])
LOOPS = _registry('loop', MMENGINE_LOOPS, _CORE_ENGINE + ['mmnas.bignas'])
# mmnas.engine.bev_visualization imports mmdet3d, so only a hook lookup pays for it.
HOOKS = _registry('hook', MMENGINE_HOOKS, _CORE_ENGINE + [
    'mmnas.hrnas', 'mmnas.unnas', 'mmnas.engine.bev_visualization'])
STRATEGIES = _registry('strategy', MMENGINE_STRATEGIES, [])

DATASETS = _registry('dataset', MMENGINE_DATASETS, ['mmnas.datasets'])
DATA_SAMPLERS = _registry('data sampler', MMENGINE_DATA_SAMPLERS, [])
# mmnas.datasets.transforms_3d imports mmdet3d, so only a transform lookup pays for it.
TRANSFORMS = _registry('transform', MMENGINE_TRANSFORMS,
                       ['mmnas.unnas', 'mmnas.datasets.transforms_3d'])

MODELS = _registry('model', MMENGINE_MODELS, _MODELS)
MODEL_WRAPPERS = _registry('model_wrapper', MMENGINE_MODEL_WRAPPERS, [])
WEIGHT_INITIALIZERS = _registry('weight initializer', MMENGINE_WEIGHT_INITIALIZERS, [])
TASK_UTILS = _registry('task util', MMENGINE_TASK_UTILS, [])

OPTIMIZERS = _registry('optimizer', MMENGINE_OPTIMIZERS, [])
OPTIM_WRAPPERS = _registry('optim_wrapper', MMENGINE_OPTIM_WRAPPERS, [])
OPTIM_WRAPPER_CONSTRUCTORS = _registry('optimizer wrapper constructor',
                                       MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, _CORE_ENGINE)
PARAM_SCHEDULERS = _registry('parameter scheduler', MMENGINE_PARAM_SCHEDULERS, _CORE_ENGINE)

METRICS = _registry('metric', MMENGINE_METRICS, ['mmnas.evaluation'])
EVALUATOR = _registry('evaluator', MMENGINE_EVALUATOR, ['mmnas.evaluation'])

VISUALIZERS = _registry('visualizer', MMENGINE_VISUALIZERS, [])
VISBACKENDS = _registry('vis_backend', MMENGINE_VISBACKENDS, [])
LOG_PROCESSORS = _registry('log_processor', MMENGINE_LOG_PROCESSORS, [])
INFERENCERS = _registry('inferencer', MMENGINE_INFERENCERS, [])

#: mmeval metric classes (mmeval has no registry of its own): all of mmeval's and mmnas's
#: mmeval-style metrics, built inside ``MMEvalMetric`` by name.
MMEVAL_METRICS = _registry('mmeval metric', None, ['mmnas.evaluation'])
FUNCTIONS = _registry('function', MMENGINE_FUNCTIONS, [])

#: Architecture-step rules of bilevel searches (``BilevelTrainLoop``'s ``arch_updater``):
#: DARTS's first/second-order α step, DenseNAS's path-probability step. mmengine has no root
#: registry of this kind, so it stands alone; loops build from it with ``get``.
ARCH_UPDATERS = _registry('arch updater', None, _CORE_ENGINE + ['mmnas.densenas'])
