"""Checks of a config before anything is built or written.

The stock runner reports a wrong type name, a missing data root or a mistyped option deep
inside a build, after it has created the work directory, with a long traceback. These checks
run first and raise one :class:`ConfigError` that names the config key and what was
expected.
"""
import difflib
import inspect
import os.path as osp
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


def _registries(scope: str) -> List[Registry]:
    """mmengine's root registries plus every registry the scope's package defines (some,
    like mmpose's ``KEYPOINT_CODECS``, hang off no root)."""
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


def _lookup(type_name: str, scope: str, registries: Sequence[Registry]) -> Optional[type]:
    """What ``type_name`` builds under ``scope``, searched as mmengine's build does: in the
    scope's child of each registry (or the registry itself) and up its parents."""
    try:
        import_module(f'{scope}.registry')
    except ImportError:
        pass
    with DefaultScope.overwrite_default_scope(scope):
        for registry in registries:
            child = registry._search_child(scope)  # an empty registry is falsy: no `or`
            found = (registry if child is None else child).get(type_name)
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
    """Every ``type`` in ``cfg`` names a class or function registered in some registry.

    Raises:
        ConfigError: naming the key, the unknown name and the closest registered names.
    """
    scope = cfg.get('default_scope') or 'mmengine'
    registries = _registries(scope)
    for path, node in _walk(cfg.to_dict(), ''):
        if path.split('.')[-1] == 'clip_grad':
            continue  # mmengine's clip_grad type is 'norm' or 'value', no registered name
        for key in _TYPE_KEYS:
            name = node.get(key)
            if not isinstance(name, str) or (key == 'constructor' and 'optim' not in path):
                continue
            if _lookup(name, node.get('_scope_', scope), registries) is None:
                close = difflib.get_close_matches(name, _known_names(registries), n=3)
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
    target = _lookup(type_name, parent.get('_scope_', scope), _registries(scope))
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
