"""The BigNAS search space: a config, checked once, that lists every choice of every stage.

A space (``search_space`` argument of :class:`~mmnas.bignas.BigNASSuperNet`)::

    dict(resolution=(192, 224, 288, 320),          # input short side
         first_conv=dict(width=(16, 24)),          # 3×3 stride-2 stem
         stages=[dict(width=(16, 24), depth=(1, 2), kernel=(3, 5), expand=(1, ),
                      stride=1, se=False), ...],   # MBConv stages
         last_conv=dict(width=(1792, 1984)))       # 1×1 feature mixing

A child (an ``arch``) picks one value of each list::

    dict(resolution=224, first_conv=dict(width=16),
         stages=[dict(width=16, depth=1, kernel=3, expand=1), ...],
         last_conv=dict(width=1792))

``resolution`` may be ``()`` for a task whose input size is fixed by its pipeline.
"""
import copy
import itertools
import random
from typing import Dict, List, Mapping, Sequence

from mmnas.utils.config_check import ConfigError

#: AttentiveNAS's input resolutions (its released ``supernet_config``), the option to
#: :data:`DEFAULT_SEARCH_SPACE`'s BigNAS ones; its children A0-A6 use 192-288.
ATTENTIVENAS_RESOLUTIONS = (192, 224, 256, 288)

#: AttentiveNAS's released BigNAS-style space (Wang et al. CVPR 2021, ``supernet_config``:
#: widths, depths, kernels, expansions, strides, SE per stage) with the resolutions of BigNAS
#: supp. §C; ``dict(DEFAULT_SEARCH_SPACE, resolution=ATTENTIVENAS_RESOLUTIONS)`` is
#: AttentiveNAS's own.
DEFAULT_SEARCH_SPACE = dict(
    resolution=(192, 224, 288, 320),
    first_conv=dict(width=(16, 24)),
    stages=(
        dict(width=(16, 24), depth=(1, 2), kernel=(3, 5), expand=(1, ), stride=1, se=False),
        dict(width=(24, 32), depth=(3, 4, 5), kernel=(3, 5), expand=(4, 5, 6), stride=2,
             se=False),
        dict(width=(32, 40), depth=(3, 4, 5, 6), kernel=(3, 5), expand=(4, 5, 6), stride=2,
             se=True),
        dict(width=(64, 72), depth=(3, 4, 5, 6), kernel=(3, 5), expand=(4, 5, 6), stride=2,
             se=False),
        dict(width=(112, 120, 128), depth=(3, 4, 5, 6, 7, 8), kernel=(3, 5),
             expand=(4, 5, 6), stride=1, se=True),
        dict(width=(192, 200, 208, 216), depth=(3, 4, 5, 6, 7, 8), kernel=(3, 5), expand=(6, ),
             stride=2, se=True),
        dict(width=(216, 224), depth=(1, 2), kernel=(3, 5), expand=(6, ), stride=1, se=True),
    ),
    last_conv=dict(width=(1792, 1984)),
)

STAGE_DIMS = ('width', 'depth', 'kernel', 'expand')


def _choices(value, where: str, positive: bool = True) -> tuple:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = (value, )
    if not isinstance(value, (list, tuple)) or not value:
        raise ConfigError(f'search_space.{where}: expected a non-empty list of choices, got '
                          f'{value!r}')
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (positive and v <= 0):
            raise ConfigError(f'search_space.{where}: choices must be positive numbers, got '
                              f'{v!r}')
    return tuple(sorted(set(value)))


class SearchSpace:
    """A checked BigNAS search space (see the module docstring for the format).

    Raises:
        ConfigError: naming the key of any missing, empty or invalid choice list.
    """

    def __init__(self, cfg: Mapping) -> None:
        if not isinstance(cfg, Mapping):
            raise ConfigError(f'search_space: expected a dict, got {type(cfg).__name__}')
        unknown = set(cfg) - {'resolution', 'first_conv', 'stages', 'last_conv'}
        if unknown:
            raise ConfigError(f'search_space: unknown keys {sorted(unknown)} (expected '
                              'resolution, first_conv, stages, last_conv)')
        res = cfg.get('resolution', ())
        self.resolution = _choices(res, 'resolution') if res else ()
        self.first_conv = dict(width=_choices(cfg.get('first_conv', {}).get('width'),
                                              'first_conv.width'))
        self.last_conv = dict(width=_choices(cfg.get('last_conv', {}).get('width'),
                                             'last_conv.width'))
        stages = cfg.get('stages')
        if not isinstance(stages, (list, tuple)) or not stages:
            raise ConfigError('search_space.stages: expected a non-empty list of stage dicts')
        self.stages: List[Dict] = []
        for i, stage in enumerate(stages):
            if not isinstance(stage, Mapping):
                raise ConfigError(f'search_space.stages[{i}]: expected a dict')
            unknown = set(stage) - set(STAGE_DIMS) - {'stride', 'se'}
            if unknown:
                raise ConfigError(f'search_space.stages[{i}]: unknown keys {sorted(unknown)}')
            s = {d: _choices(stage.get(d), f'stages[{i}].{d}') for d in STAGE_DIMS}
            for d in ('width', 'depth', 'kernel'):
                if any(int(v) != v for v in s[d]):
                    raise ConfigError(f'search_space.stages[{i}].{d}: choices must be '
                                      f'integers, got {s[d]}')
            if any(k % 2 == 0 for k in s['kernel']):
                raise ConfigError(f'search_space.stages[{i}].kernel: kernel sizes must be odd, '
                                  f'got {s["kernel"]}')
            if 1 in s['expand'] and len(s['expand']) > 1:
                raise ConfigError(f'search_space.stages[{i}].expand: either (1, ) (no expansion '
                                  f'layer) or ratios without 1, got {s["expand"]}')
            s['stride'] = stage.get('stride', 1)
            if s['stride'] not in (1, 2):
                raise ConfigError(f'search_space.stages[{i}].stride: expected 1 or 2, got '
                                  f'{s["stride"]!r}')
            s['se'] = bool(stage.get('se', False))
            self.stages.append(s)

    def to_config(self) -> dict:
        """The space as a JSON-able config (lists)."""
        return dict(resolution=list(self.resolution), first_conv=dict(width=list(
            self.first_conv['width'])), stages=[
                dict({d: list(s[d]) for d in STAGE_DIMS}, stride=s['stride'], se=s['se'])
                for s in self.stages
            ], last_conv=dict(width=list(self.last_conv['width'])))

    # --- children ---------------------------------------------------------------------------
    def _pick(self, pick) -> dict:
        """A child whose every choice list ``c`` gives ``pick(c, key)``."""
        return dict(
            resolution=pick(self.resolution, ('resolution', )) if self.resolution else None,
            first_conv=dict(width=pick(self.first_conv['width'], ('first_conv', 'width'))),
            stages=[{d: pick(s[d], ('stages', i, d)) for d in STAGE_DIMS}
                    for i, s in enumerate(self.stages)],
            last_conv=dict(width=pick(self.last_conv['width'], ('last_conv', 'width'))))

    def max_arch(self) -> dict:
        return self._pick(lambda c, key: c[-1])

    def min_arch(self) -> dict:
        return self._pick(lambda c, key: c[0])

    def sample(self, rng: random.Random) -> dict:
        return self._pick(lambda c, key: rng.choice(c))

    def at_level(self, level: float, dims: Sequence[str]) -> dict:
        """Every dimension in ``dims`` (``'resolution'``, ``'width'``, ``'depth'``,
        ``'kernel'``, ``'expand'``) at relative position ``level`` of its choices; the others
        at their largest."""

        def pick(c, key):
            dim = key[-1]
            if dim not in dims:
                return c[-1]
            return c[int(round(level * (len(c) - 1)))]

        return self._pick(pick)

    def coarse(self, levels: Sequence[float], dims: Sequence[str]) -> List[dict]:
        """The grid of children with each dimension in ``dims`` at one of ``levels``
        (independently per dimension, the same in every stage), others at their largest."""
        archs, seen = [], set()
        for combo in itertools.product(levels, repeat=len(dims)):
            arch = self.max_arch()
            for dim, level in zip(dims, combo):
                part = self.at_level(level, [dim])
                if dim == 'resolution':
                    arch['resolution'] = part['resolution']
                elif dim == 'width':
                    arch['first_conv'], arch['last_conv'] = part['first_conv'], part['last_conv']
                    for s, p in zip(arch['stages'], part['stages']):
                        s['width'] = p['width']
                else:
                    for s, p in zip(arch['stages'], part['stages']):
                        s[dim] = p[dim]
            key = repr(arch)
            if key not in seen:
                seen.add(key)
                archs.append(arch)
        return archs

    def neighbours(self, arch: Mapping,
                   dims: Sequence[str] = ('resolution', ) + STAGE_DIMS) -> List[dict]:
        """Children one step away from ``arch`` in one choice list of a dimension in ``dims``
        (``'width'`` covers first_conv and last_conv too)."""
        self.check(arch)
        unknown = set(dims) - {'resolution', *STAGE_DIMS}
        if unknown:
            raise ConfigError(f'search space dims: unknown {sorted(unknown)}, expected among '
                              f"{['resolution', *STAGE_DIMS]}")
        out = []

        def step(choices, value, set_value, dim):
            if dim not in dims:
                return
            i = choices.index(value)
            for j in (i - 1, i + 1):
                if 0 <= j < len(choices):
                    child = copy.deepcopy(dict(arch))
                    set_value(child, choices[j])
                    out.append(child)

        if self.resolution:
            step(self.resolution, arch['resolution'],
                 lambda a, v: a.__setitem__('resolution', v), 'resolution')
        step(self.first_conv['width'], arch['first_conv']['width'],
             lambda a, v: a['first_conv'].__setitem__('width', v), 'width')
        for i, s in enumerate(self.stages):
            for d in STAGE_DIMS:
                step(s[d], arch['stages'][i][d],
                     lambda a, v, i=i, d=d: a['stages'][i].__setitem__(d, v), d)
        step(self.last_conv['width'], arch['last_conv']['width'],
             lambda a, v: a['last_conv'].__setitem__('width', v), 'width')
        return out

    def check(self, arch: Mapping) -> None:
        """Raise :class:`ConfigError` unless ``arch`` is a child of this space."""

        def need(value, choices, where):
            if value not in choices:
                raise ConfigError(f'arch.{where}: {value!r} is not a choice of the search '
                                  f'space {list(choices)}')

        if not isinstance(arch, Mapping):
            raise ConfigError(f'arch: expected a dict, got {type(arch).__name__}')
        missing = {'first_conv', 'stages', 'last_conv'} - set(arch)
        if missing:
            raise ConfigError(f'arch: missing {sorted(missing)}')
        if self.resolution:
            need(arch.get('resolution'), self.resolution, 'resolution')
        need(arch['first_conv'].get('width'), self.first_conv['width'], 'first_conv.width')
        need(arch['last_conv'].get('width'), self.last_conv['width'], 'last_conv.width')
        if len(arch['stages']) != len(self.stages):
            raise ConfigError(f'arch.stages: {len(arch["stages"])} stages, the search space '
                              f'has {len(self.stages)}')
        for i, (a, s) in enumerate(zip(arch['stages'], self.stages)):
            for d in STAGE_DIMS:
                need(a.get(d), s[d], f'stages[{i}].{d}')
