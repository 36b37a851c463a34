"""mmnas registries: children of mmengine's root registries, scope ``mmnas``.

Every registry names the module that fills it (``locations``), so building a type by name
imports that module first. That is what makes ``type='mmnas.HRNASSuperNet'`` work inside a
stock mmseg, mmpose, mmdet3d or mmpretrain config without any explicit import: the lookup
goes from the host's registry to the root, finds the ``mmnas`` child and lets it import
``mmnas.models``.
"""
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
_ENGINE = ['mmnas.engine'] + METHOD_PACKAGES
_MODELS = ['mmnas.models', 'mmnas.structures'] + METHOD_PACKAGES
_DATA = ['mmnas.datasets'] + METHOD_PACKAGES

RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, scope='mmnas', locations=_ENGINE)
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=MMENGINE_RUNNER_CONSTRUCTORS, scope='mmnas', locations=_ENGINE)
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, scope='mmnas', locations=_ENGINE)
# mmnas.engine.bev_visualization imports mmdet3d, so only a hook lookup pays for it.
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope='mmnas',
                 locations=_ENGINE + ['mmnas.engine.bev_visualization'])
STRATEGIES = Registry('strategy', parent=MMENGINE_STRATEGIES, scope='mmnas', locations=_ENGINE)

DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, scope='mmnas', locations=_DATA)
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS, scope='mmnas', locations=_DATA)
# mmnas.datasets.transforms_3d imports mmdet3d, so only a transform lookup pays for it.
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS, scope='mmnas',
    locations=_DATA + ['mmnas.datasets.transforms_3d'])

MODELS = Registry('model', parent=MMENGINE_MODELS, scope='mmnas', locations=_MODELS)
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMENGINE_MODEL_WRAPPERS, scope='mmnas', locations=_MODELS)
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS, scope='mmnas',
    locations=_MODELS)
TASK_UTILS = Registry(
    'task util', parent=MMENGINE_TASK_UTILS, scope='mmnas', locations=_MODELS)

OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, scope='mmnas', locations=_ENGINE)
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, scope='mmnas', locations=_ENGINE)
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, scope='mmnas',
    locations=_ENGINE)
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS, scope='mmnas', locations=_ENGINE)

METRICS = Registry(
    'metric', parent=MMENGINE_METRICS, scope='mmnas', locations=['mmnas.evaluation'])
EVALUATOR = Registry(
    'evaluator', parent=MMENGINE_EVALUATOR, scope='mmnas', locations=['mmnas.evaluation'])

VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS, scope='mmnas')
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS, scope='mmnas')
LOG_PROCESSORS = Registry(
    'log_processor', parent=MMENGINE_LOG_PROCESSORS, scope='mmnas', locations=_ENGINE)
INFERENCERS = Registry('inferencer', parent=MMENGINE_INFERENCERS, scope='mmnas')

#: mmeval metric classes (mmeval has no registry of its own): all of mmeval's and mmnas's
#: mmeval-style metrics, built inside ``MMEvalMetric`` by name.
MMEVAL_METRICS = Registry('mmeval metric', scope='mmnas', locations=['mmnas.evaluation'])
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, scope='mmnas')

#: Architecture-step rules of bilevel searches (``BilevelTrainLoop``'s ``arch_updater``):
#: DARTS's first/second-order α step, DenseNAS's path-probability step. mmengine has no root
#: registry of this kind, so it stands alone; loops build from it with ``get``.
ARCH_UPDATERS = Registry('arch updater', scope='mmnas', locations=_ENGINE)
