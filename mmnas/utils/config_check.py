"""Checks of a config before anything is built or written.

The stock runner reports a wrong type name, a missing data root or a mistyped option deep
inside a build, after it has created the work directory, with a long traceback. These checks
run first and raise one :class:`ConfigError` that names the config key and what was
expected.
"""
import difflib
import inspect
import os.path as osp
import re
from importlib import import_module
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.registry import DefaultScope, Registry
from mmengine.registry import root as root_registries


class ConfigError(ValueError):
    """Bad user input in a config or on the command line."""


_DATALOADERS = {
    'train': ['train_dataloader'],
    'val': ['val_dataloader'],
    'test': ['test_dataloader'],
}

# Keys whose string value names a registered class although the key is not ``type``.
_TYPE_KEYS = ('type', 'constructor')

# The root registry each top-level config section is built from (as mmengine's Runner builds
# it); a section not listed here is searched in every registry.
_SECTION_REGISTRIES = {
    'model': 'MODELS',
    'model_wrapper_cfg': 'MODEL_WRAPPERS',
    'optim_wrapper': 'OPTIM_WRAPPERS',
    'param_scheduler': 'PARAM_SCHEDULERS',
    'train_dataloader': 'DATASETS',
    'val_dataloader': 'DATASETS',
    'test_dataloader': 'DATASETS',
    'val_evaluator': 'METRICS',
    'test_evaluator': 'METRICS',
    'default_hooks': 'HOOKS',
    'custom_hooks': 'HOOKS',
    'visualizer': 'VISUALIZERS',
    'log_processor': 'LOG_PROCESSORS',
    'train_cfg': 'LOOPS',
    'val_cfg': 'LOOPS',
    'test_cfg': 'LOOPS',
    'search_cfg': 'LOOPS',
}

# Keys inside a section that are built from another registry than the section's.
_KEY_REGISTRIES = {
    'optimizer': 'OPTIMIZERS',
    'constructor': 'OPTIM_WRAPPER_CONSTRUCTORS',
    'pipeline': 'TRANSFORMS',
    'transforms': 'TRANSFORMS',
    'sampler': 'DATA_SAMPLERS',
    'batch_sampler': 'DATA_SAMPLERS',
    'collate_fn': 'FUNCTIONS',
    'vis_backends': 'VISBACKENDS',
    'init_cfg': 'WEIGHT_INITIALIZERS',
    'assigner': 'TASK_UTILS',
    'bbox_coder': 'TASK_UTILS',
    'anchor_generator': 'TASK_UTILS',
    'prior_generator': 'TASK_UTILS',
    'iou_calculator': 'TASK_UTILS',
}

# Registries that hang off no root registry: the scope package's registry module names them.
_STANDALONE_REGISTRIES = {
    'codec': 'KEYPOINT_CODECS',
    'encoder': 'KEYPOINT_CODECS',
    'decoder': 'KEYPOINT_CODECS',
    'batch_augments': 'BATCH_AUGMENTS',
    'augments': 'BATCH_AUGMENTS',
}


def _scope_registry(scope: str, name: str) -> Optional[Registry]:
    """The scope's own registry called ``name`` (mmseg's ``MODELS``, mmpose's
    ``KEYPOINT_CODECS``), or mmengine's root one."""
    try:
        module = import_module(f'{scope}.registry')
    except ImportError:
        module = None
    registry = getattr(module, name, None) or getattr(root_registries, name, None)
    return registry if isinstance(registry, Registry) else None


def _registry_for(path: str, scope: str) -> Optional[Registry]:
    """The registry mmengine builds the dict at dotted ``path`` from: the innermost key with a
    known kind decides, else the top-level section; ``None`` when neither is known."""
    keys = [re.sub(r'\[\d+\]$', '', key) for key in path.split('.')]
    for key in reversed(keys[1:]):
        if key in _STANDALONE_REGISTRIES:
            return _scope_registry(scope, _STANDALONE_REGISTRIES[key])
        if key in _KEY_REGISTRIES:
            return _scope_registry(scope, _KEY_REGISTRIES[key])
    if keys[0] in _SECTION_REGISTRIES:
        return _scope_registry(scope, _SECTION_REGISTRIES[keys[0]])
    return None


def _all_registries(scope: str) -> List[Registry]:
    """mmengine's root registries plus the parentless ones of the scope and of mmnas."""
    registries = [v for v in vars(root_registries).values() if isinstance(v, Registry)]
    for package in {scope, 'mmnas'}:
        try:
            module = import_module(f'{package}.registry')
        except ImportError:
            continue
        registries += [v for v in vars(module).values()
                       if isinstance(v, Registry) and v.parent is None]
    return registries


def _walk(node: Any, path: str) -> Iterator[Tuple[str, dict]]:
    """Every dict in a config, with its dotted path."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f'{path}.{key}' if path else str(key))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _walk(value, f'{path}[{i}]')


def _get_in_scope(registry: Registry, type_name: str, scope: str) -> Optional[type]:
    """``registry.get(type_name)`` as mmengine's build calls it under ``scope``: from the
    scope's child of the registry (or the registry itself) and up its parents."""
    with DefaultScope.overwrite_default_scope(scope):
        child = registry._search_child(scope)  # an empty registry is falsy: no `or`
        return (registry if child is None else child).get(type_name)


def _lookup(type_name: str, scope: str, registry: Optional[Registry]) -> Optional[type]:
    """What ``type_name`` builds under ``scope``: first from the registry of the key's kind,
    as the build will; then from any registry, because a host may build a key from another
    registry than its usual kind. A registry whose module locations cannot be imported (a
    broken entry in a host package) is skipped: it cannot be the one a valid config uses."""
    registries = ([registry] if registry is not None else []) + _all_registries(scope)
    for candidate in registries:
        try:
            found = _get_in_scope(candidate, type_name, scope)
        except ImportError:
            continue
        if found is not None:
            return found
    return None


def _known_names(registries: Sequence[Registry]) -> List[str]:
    names = set()
    for registry in registries:
        stack = [registry]
        while stack:
            reg = stack.pop()
            prefix = '' if reg.scope in ('mmengine', ) else f'{reg.scope}.'
            names.update(prefix + name for name in reg.module_dict)
            stack.extend(reg.children.values())
    return sorted(names)


def check_types(cfg: Config) -> None:
    """Every ``type`` in ``cfg`` names a class or function that mmengine's build can find.

    Raises:
        ConfigError: naming the key, the unknown name and the closest registered names.
    """
    scope = cfg.get('default_scope') or 'mmengine'
    for path, node in _walk(cfg.to_dict(), ''):
        if path.split('.')[-1] == 'clip_grad':
            continue  # mmengine's clip_grad type is 'norm' or 'value', no registered name
        for key in _TYPE_KEYS:
            name = node.get(key)
            if not isinstance(name, str) or (key == 'constructor' and 'optim' not in path):
                continue
            node_path = f'{path}.constructor' if key == 'constructor' else path
            node_scope = node.get('_scope_', scope)
            if _lookup(name, node_scope, _registry_for(node_path, node_scope)) is None:
                close = difflib.get_close_matches(
                    name, _known_names(_all_registries(scope)), n=3)
                hint = f'; did you mean {" or ".join(map(repr, close))}?' if close else ''
                raise ConfigError(f'{path}.{key}: unknown type {name!r} (not registered in any '
                                  f'registry reachable from scope {scope!r}){hint}')


def _datasets(node: Any, path: str) -> Iterator[Tuple[str, dict]]:
    """The dataset dicts of a dataloader, looking through wrappers (Repeat, Concat, ...)."""
    if not isinstance(node, dict):
        return
    if 'dataset' in node:
        yield from _datasets(node['dataset'], f'{path}.dataset')
    if 'datasets' in node:
        for i, d in enumerate(node['datasets']):
            yield from _datasets(d, f'{path}.datasets[{i}]')
    if 'data_root' in node or 'ann_file' in node or 'data_prefix' in node:
        yield path, node


def check_data(cfg: Config, phases: Sequence[str]) -> None:
    """The data roots, annotation files and data folders the given phases read exist.

    Args:
        cfg: the config.
        phases: any of ``'train'``, ``'val'``, ``'test'``.

    Raises:
        ConfigError: naming the key and the missing path.
    """
    for phase in phases:
        for loader_key in _DATALOADERS[phase]:
            loader = cfg.get(loader_key)
            if not loader:
                continue
            for path, dataset in _datasets(loader.get('dataset'), f'{loader_key}.dataset'):
                _check_dataset_paths(path, dataset)


def _check_dataset_paths(path: str, dataset: dict) -> None:
    what = dataset.get('type', 'the dataset')
    root = dataset.get('data_root') or ''
    if root and not osp.isdir(root):
        raise ConfigError(f'{path}.data_root: {root!r} does not exist (expected the root folder '
                          f'of the {what} data; see the README section "Data")')
    ann_file = dataset.get('ann_file')
    if ann_file:
        full = ann_file if osp.isabs(ann_file) else osp.join(root, ann_file)
        if not osp.isfile(full):
            raise ConfigError(f'{path}.ann_file: {full!r} does not exist (expected the '
                              f'annotation file of {what})')
    prefix = dataset.get('data_prefix')
    prefixes = prefix.items() if isinstance(prefix, dict) else \
        [('', prefix)] if isinstance(prefix, str) else []
    for key, folder in prefixes:
        if not isinstance(folder, str) or not folder:
            continue
        full = folder if osp.isabs(folder) else osp.join(root, folder)
        if not osp.exists(full):
            name = f'{path}.data_prefix' + (f'.{key}' if key else '')
            raise ConfigError(f'{name}: {full!r} does not exist (expected a data folder of '
                              f'{what})')


def _get(cfg: Any, keys: List[str]) -> Any:
    node = cfg
    for key in keys:
        if isinstance(node, (list, tuple)) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            raise KeyError(key)
    return node


def check_cfg_options(cfg: Config, options: Optional[Dict[str, Any]]) -> None:
    """Each ``--cfg-options key=value`` fits the config it overrides.

    A key must lead to an existing dict (a new key in a dict with a ``type`` must be an
    argument of that type), and a value replacing a number or a boolean must be one too.

    Raises:
        ConfigError: naming the option and what was expected.
    """
    if not options:
        return
    scope = cfg.get('default_scope') or 'mmengine'
    plain = cfg.to_dict()
    for option, value in options.items():
        keys = option.split('.')
        try:
            parent = _get(plain, keys[:-1])
        except KeyError as e:
            raise ConfigError(f'--cfg-options {option}: the config has no key {e.args[0]!r} '
                              'on that path') from None
        if not isinstance(parent, (dict, list, tuple)):
            raise ConfigError(f'--cfg-options {option}: {".".join(keys[:-1])} is a '
                              f'{type(parent).__name__}, not a dict')
        try:
            old = _get(parent, keys[-1:])
        except KeyError:
            _check_new_argument(option, parent, keys[-1], scope)
            continue
        if isinstance(old, bool) or isinstance(value, bool):
            ok = isinstance(old, bool) == isinstance(value, bool)
        elif isinstance(old, (int, float)):
            ok = isinstance(value, (int, float))
        else:
            ok = True
        if not ok:
            raise ConfigError(f'--cfg-options {option}={value!r}: expected a '
                              f'{type(old).__name__} like the config value {old!r}')


def _check_new_argument(option: str, parent: Any, key: str, scope: str) -> None:
    type_name = parent.get('type') if isinstance(parent, dict) else None
    if not isinstance(type_name, str):
        return
    target = _lookup(type_name, parent.get('_scope_', scope), None)
    if target is None:
        return
    try:
        params = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return
    if key in params or any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    accepted = ', '.join(name for name in params if name != 'self')
    raise ConfigError(f'--cfg-options {option}: {type_name} has no argument {key!r} '
                      f'(accepted: {accepted})')
