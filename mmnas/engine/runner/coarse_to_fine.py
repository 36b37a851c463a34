"""Coarse-to-fine selection of a child of an elastic supernet under a FLOPs budget (BigNAS §3.3).

Run by ``tools/search.py`` on a trained supernet (``search_cfg=dict(type=
'mmnas.CoarseToFineSearchLoop', ...)``):

1. coarse: the grid of children whose every dimension of ``coarse_dims`` (resolution, width,
   depth, kernel, expand) sits at one of ``coarse_levels`` in all stages; those within
   ``[min_flops, max_flops]`` are evaluated;
2. fine: around the ``top_k`` best so far, every child one step away in one dimension of one
   stage (``fine_dims``) and within the budget is evaluated; repeated ``fine_rounds`` times or
   until no round improves on the best.

Every evaluation re-calibrates the child's BN statistics on training batches first
(:func:`evaluate_child`, through a loader of ``calibration_workers`` workers) and scores it on
the validation loader of the search config, which BigNAS's search configs make a held-out
part of the training set (``mmnas.SplitDataset``), not the validation set the child is
reported on. FLOPs and params are mmengine's count of the child's static backbone
at its input resolution (the backbone alone, as :class:`DeriveArchLoop` counts).

Written into the work dir (main process only):

- ``arch.json``: the :class:`ArchSpec` of the best child, with its cost and metrics;
- ``searched.pth``: the stock model's state dict with the backbone cut to that child (BN
  re-calibrated), loadable by a config whose backbone is ``mmnas.SearchedBackbone``;
- ``candidates.json``: every evaluated child (phase, arch, FLOPs, params, metrics, seconds of
  its calibration and evaluation), the selected one marked ``selected: true``;
- ``pareto.png``: metric against FLOPs of every candidate, the Pareto front and the choice.
"""
import json
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.dist import is_main_process
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmnas.cost import count_complexity
from mmnas.models import ElasticBackbone
from mmnas.registry import LOOPS
from mmnas.structures import ArchSpec
from mmnas.utils.atomic import atomic_path, atomic_write_text
from mmnas.utils.config_check import ConfigError
from .child_eval import calibrate_child, evaluate_child, get_elastic_backbone, training_batches
from .export import ARCH_FILE, WEIGHTS_FILE, finalize_spec, save_searched


def input_shape_at(input_shape: Sequence[int], resolution: Optional[int]) -> Tuple[int, ...]:
    """``(C, H, W)`` after the backbone resizes the short side to ``resolution`` (as
    :func:`~mmnas.models.resize_short_side` does)."""
    c, h, w = input_shape
    if resolution is None or min(h, w) == resolution:
        return (c, h, w)
    scale = resolution / min(h, w)
    if h <= w:
        return (c, resolution, int(round(w * scale)))
    return (c, int(round(h * scale)), resolution)


def pareto_front(points: Sequence[Tuple[float, float]]) -> List[int]:
    """Indices of the points ``(flops, metric)`` that no other point beats (fewer or equal
    FLOPs and a higher metric, or fewer FLOPs and an equal metric), by increasing FLOPs."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    front, best = [], float('-inf')
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return front


def draw_pareto(candidates: List[dict], best: dict, metric: str, max_flops: float,
                path: str) -> None:
    """Metric against MFLOPs: coarse and fine candidates, the Pareto front, the budget and
    the chosen child, as a PNG."""
    import matplotlib
    matplotlib.use('Agg')  # files only: no display on training machines
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for phase, color in (('coarse', 'tab:blue'), ('fine', 'tab:orange')):
        pts = [(c['flops'] / 1e6, c['metric']) for c in candidates if c['phase'] == phase]
        if pts:
            ax.scatter(*zip(*pts), s=14, color=color, alpha=0.7, label=f'{phase} candidates')
    points = [(c['flops'], c['metric']) for c in candidates]
    front = [points[i] for i in pareto_front(points)]
    ax.plot([f / 1e6 for f, _ in front], [m for _, m in front], '-o', color='black', ms=3,
            lw=1, label='Pareto front')
    ax.axvline(max_flops / 1e6, color='crimson', ls='--', lw=1, label='FLOPs budget')
    ax.scatter([best['flops'] / 1e6], [best['metric']], marker='*', s=150, color='crimson',
               zorder=5, label=f'selected: {best["flops"] / 1e6:.1f} MFLOPs, '
               f'{metric}={best["metric"]:.4f}')
    ax.set_xlabel('MFLOPs (multiply-adds)')
    ax.set_ylabel(metric)
    ax.set_title(f'Coarse-to-fine selection: {len(candidates)} children evaluated', fontsize=9)
    ax.legend(fontsize=7, loc='lower right')
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=150, format='png')
    plt.close(fig)


@LOOPS.register_module()
class CoarseToFineSearchLoop:
    """Select the most accurate child within a FLOPs budget (see the module docstring).

    Args:
        runner: the runner holding the trained supernet (an :class:`ElasticBackbone` inside a
            stock model), its training loader (BN re-calibration) and its validation loader
            and evaluator (the selection split).
        input_shape: ``(C, H, W)`` of a model input before the backbone's resize, e.g.
            ``(3, 224, 224)`` for a 224 crop; FLOPs are counted at each child's resolution.
        max_flops: the budget (multiply-adds, mmengine's convention).
        min_flops: children below it are not considered.
        metric: the key of the evaluator's result to maximise (``accuracy/top1``, ``mIoU``).
        coarse_levels: relative positions (0 = smallest choice, 1 = largest) of the grid.
        coarse_dims: dimensions the coarse grid varies; the others stay at their largest.
        top_k: children around which the fine pass searches.
        fine_rounds: at most this many fine rounds.
        fine_dims: dimensions the fine pass mutates.
        num_bn_batches: training batches of BN re-calibration per child (AttentiveNAS: 64).
        calibration_workers: worker processes of the calibration loader; ``None``: as many
            as the training loader has.
        out_file, weights_file, candidates_file, pareto_file: output names in the work dir.
    """

    def __init__(self,
                 runner: Runner,
                 input_shape: Sequence[int],
                 max_flops: float,
                 min_flops: float = 0,
                 metric: str = 'accuracy/top1',
                 coarse_levels: Sequence[float] = (0.0, 0.5, 1.0),
                 coarse_dims: Sequence[str] = ('resolution', 'width', 'depth', 'kernel',
                                               'expand'),
                 top_k: int = 3,
                 fine_rounds: int = 2,
                 fine_dims: Sequence[str] = ('resolution', 'width', 'depth', 'kernel',
                                             'expand'),
                 num_bn_batches: int = 64,
                 calibration_workers: Optional[int] = None,
                 out_file: str = ARCH_FILE,
                 weights_file: str = WEIGHTS_FILE,
                 candidates_file: str = 'candidates.json',
                 pareto_file: str = 'pareto.png') -> None:
        if len(input_shape) != 3:
            raise ConfigError(f'CoarseToFineSearchLoop.input_shape: expected (C, H, W), got '
                              f'{input_shape!r}')
        if not 0 <= min_flops < max_flops:
            raise ConfigError(f'CoarseToFineSearchLoop: expected 0 <= min_flops < max_flops, '
                              f'got {min_flops} and {max_flops}')
        if not coarse_levels or any(not 0 <= v <= 1 for v in coarse_levels):
            raise ConfigError(f'CoarseToFineSearchLoop.coarse_levels: expected values in '
                              f'[0, 1], got {coarse_levels!r}')
        if top_k < 1 or fine_rounds < 0:
            raise ConfigError(f'CoarseToFineSearchLoop: expected top_k >= 1 and fine_rounds '
                              f'>= 0, got {top_k} and {fine_rounds}')
        self.runner = runner
        self.input_shape = tuple(int(s) for s in input_shape)
        self.max_flops, self.min_flops = float(max_flops), float(min_flops)
        self.metric = metric
        self.coarse_levels, self.coarse_dims = tuple(coarse_levels), tuple(coarse_dims)
        self.top_k, self.fine_rounds, self.fine_dims = top_k, fine_rounds, tuple(fine_dims)
        self.num_bn_batches = num_bn_batches
        if calibration_workers is not None and (not isinstance(calibration_workers, int)
                                                or calibration_workers < 0):
            raise ConfigError('CoarseToFineSearchLoop.calibration_workers: expected an int '
                              f'>= 0 or None, got {calibration_workers!r}')
        self.calibration_workers = calibration_workers
        self.out_file, self.weights_file = out_file, weights_file
        self.candidates_file, self.pareto_file = candidates_file, pareto_file
        self.backbone: ElasticBackbone = get_elastic_backbone(runner.model)
        self._costs: Dict[str, dict] = {}
        #: Every evaluated child, in order: ``dict(phase, arch, flops, params, metric,
        #: metrics)``.
        self.candidates: List[dict] = []

    # --- cost and accuracy of one child --------------------------------------------------------
    @property
    def workers(self) -> int:
        """Workers of the BN calibration loader."""
        if self.calibration_workers is None:
            return getattr(training_batches(self.runner), 'num_workers', 0)
        return self.calibration_workers

    def cost(self, arch: dict) -> dict:
        """mmengine's count of the child's static backbone at its resolution (cached)."""
        key = json.dumps(arch, sort_keys=True)
        if key not in self._costs:
            self.backbone.set_arch(arch)
            child = self.backbone.export_arch().build()
            shape = input_shape_at(self.input_shape, self.backbone.arch_resolution(arch))
            self._costs[key] = count_complexity(child, shape)
        return self._costs[key]

    def in_budget(self, arch: dict) -> bool:
        return self.min_flops <= self.cost(arch)['flops'] <= self.max_flops

    def evaluate(self, arch: dict, phase: str) -> dict:
        start = time.perf_counter()
        metrics = evaluate_child(self.runner, arch, self.num_bn_batches,
                                 num_workers=self.workers)
        seconds = time.perf_counter() - start
        if self.metric not in metrics:
            raise ConfigError(f'CoarseToFineSearchLoop.metric: {self.metric!r} is not a '
                              f'result of the evaluator (got {sorted(metrics)})')
        cost = self.cost(arch)
        record = dict(phase=phase, arch=arch, flops=cost['flops'], params=cost['params'],
                      metric=float(metrics[self.metric]),
                      metrics={k: float(v) for k, v in metrics.items()},
                      seconds=round(seconds, 3))
        self.candidates.append(record)
        print_log(
            f'[{phase} {len(self.candidates)}] {cost["flops"] / 1e6:.1f} MFLOPs '
            f'{cost["params"] / 1e6:.3f} M params {self.metric}={record["metric"]:.4f} '
            f'({seconds:.2f} s)',
            logger='current')
        return record

    def _top(self) -> List[dict]:
        return sorted(self.candidates, key=lambda c: (-c['metric'], c['flops']))[:self.top_k]

    # --- the search ----------------------------------------------------------------------------
    def search(self) -> dict:
        """Coarse pass, then fine rounds; returns the best candidate record."""
        smallest = self.backbone.min_arch()
        if self.cost(smallest)['flops'] > self.max_flops:
            raise ConfigError(f'CoarseToFineSearchLoop.max_flops: {self.max_flops:.4g} is below '
                              f'the smallest child ({self.cost(smallest)["flops"]:.4g} FLOPs)')
        grid = self.backbone.coarse_archs(self.coarse_levels, self.coarse_dims)
        coarse = [a for a in grid if self.in_budget(a)]
        print_log(f'coarse: {len(coarse)} of {len(grid)} grid children within '
                  f'[{self.min_flops / 1e6:.0f}, {self.max_flops / 1e6:.0f}] MFLOPs',
                  logger='current')
        if not coarse:
            # The grid may straddle a narrow budget: the smallest child always fits it.
            coarse = [smallest] if self.in_budget(smallest) else []
        if not coarse:
            raise ConfigError('CoarseToFineSearchLoop: no coarse child within '
                              f'[{self.min_flops:.4g}, {self.max_flops:.4g}] FLOPs; widen the '
                              'budget or add coarse_levels')
        for arch in coarse:
            self.evaluate(arch, 'coarse')
        seen = {json.dumps(c['arch'], sort_keys=True) for c in self.candidates}
        for round_ in range(self.fine_rounds):
            best = self._top()[0]['metric']
            new = []
            for parent in self._top():
                for arch in self.backbone.mutate_arch(parent['arch'], self.fine_dims):
                    key = json.dumps(arch, sort_keys=True)
                    if key in seen or not self.in_budget(arch):
                        continue
                    seen.add(key)
                    new.append(self.evaluate(arch, 'fine'))
            print_log(f'fine round {round_ + 1}: {len(new)} children evaluated, best '
                      f'{self.metric}={self._top()[0]["metric"]:.4f}', logger='current')
            if not new or self._top()[0]['metric'] <= best:
                break
        return self._top()[0]

    def run(self, checkpoint: Optional[str] = None) -> ArchSpec:
        start = time.time()
        best = self.search()
        # The selected child, with its own BN statistics, is what gets exported.
        calibrate_child(self.runner.model, best['arch'], training_batches(self.runner),
                        self.num_bn_batches, self.workers)
        best['selected'] = True
        spec, weights = self.backbone.export()
        work_dir = self.runner.work_dir
        finalize_spec(
            spec, input_shape_at(self.input_shape, self.backbone.arch_resolution(best['arch'])),
            self.runner.cfg.filename, checkpoint, best['metrics'],
            search=dict(max_flops=self.max_flops, min_flops=self.min_flops, metric=self.metric,
                        evaluated=len(self.candidates), seconds=round(time.time() - start, 1)))
        save_searched(work_dir, self.runner.model, spec, weights, self.out_file,
                      self.weights_file)
        if is_main_process():
            atomic_write_text(osp.join(work_dir, self.candidates_file),
                              json.dumps(self.candidates, indent=1))
            draw_pareto(self.candidates, best, self.metric, self.max_flops,
                        osp.join(work_dir, self.pareto_file))
        print_log(
            f'selected {spec.cost["flops"] / 1e6:.1f} MFLOPs {spec.cost["params"] / 1e6:.3f} M '
            f'params {self.metric}={best["metric"]:.4f} out of {len(self.candidates)} '
            f'children; {self.out_file}, {self.weights_file}, {self.candidates_file} and '
            f'{self.pareto_file} in {work_dir}', logger='current')
        return spec
