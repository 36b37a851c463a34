"""Rank correlation between pretext-task and supervised accuracy of sampled architectures
(UnNAS's sample-based experiments, supp. §A).

    python tools/rank_correlation.py [--pretext rotation|colorization|jigsaw]
        [--pretext-config CFG] [--supervised-config CFG] [--num-archs N] [--seed S]
        [--flops-range LOW HIGH] [--reference resnet56|NAME|arch.json] [--cost-size C CELLS]
        [--input-shape C H W] [--accuracy-table FILE] [--bootstrap N]
        [--work-dir DIR] [--cfg-options k=v ...]

DARTS part (default): draws ``--num-archs`` (released: 500) genotypes from the DARTS space as
the released samples are drawn (``none`` and repeated inputs allowed); with ``--flops-range``
(released: 0.8 1.2) only those whose parameters and FLOPs both lie within that fraction of
the ``--reference``'s are kept: ResNet-56 for CIFAR (He et al., 2016, §4.2: 3 × 9 basic
blocks of 16/32/64 channels) by default, or a zoo genotype / arch.json. Both are counted as
backbones (no classifier) on ``--input-shape``, the DARTS cells as the released sample
networks (``--cost-size``: 16 channels, 20 cells, CIFAR stem). Each genotype is written as an
``arch.json`` and trained twice by mmengine's Runner: with the pretext config and with the
supervised config, both evaluation configs whose backbone is
``mmnas.SearchedBackbone(arch_spec=...)``.

Table part (``--accuracy-table``, the NAS-Bench-101 part): a JSON list of
``{"arch_spec": path, "accuracy": released accuracy}``; ``--num-archs`` entries are drawn
stratified by percentile (the same number from each 10th percentile of accuracy), only the
pretext is trained and the table's accuracy is the supervised one.

Spearman's ρ with a percentile bootstrap interval (``--bootstrap`` resamples, 95%) and
Kendall's τ are printed; ``rank_correlation.json`` (every sample: genotype or spec, params,
FLOPs, both accuracies) and ``rank_correlation.png`` (scatter plot) go to the work dir. The
default configs are the tiny ImageNet-style ones; configs pointing at real data scale the
same experiment up.
"""
import argparse
import json
import math
import os.path as osp
import random

from mmengine.config import DictAction
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmnas.cost import count_complexity
from mmnas.evaluation import (rank_correlation, resnet_cifar, spearman_bootstrap_ci,
                              stratified_by_percentile)
from mmnas.structures import ArchSpec
from mmnas.unnas import DARTSNet, check_genotype, sample_genotype
from mmnas.utils import register_all_modules
from mmnas.utils.atomic import atomic_path, atomic_write_text
from mmnas.utils.cli import check_config, clean_work_dir_on_failure, load_config, run_tool
from mmnas.utils.config_check import ConfigError

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PRETEXTS = ('rotation', 'colorization', 'jigsaw')
#: The validation metric read from each pretext's evaluation (colorization is per-pixel:
#: mmseg's overall pixel accuracy).
PRETEXT_METRICS = dict(rotation='accuracy/top1', colorization='aAcc', jigsaw='accuracy/top1')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--pretext', choices=PRETEXTS, default='rotation',
                        help='pretext task (default: rotation)')
    parser.add_argument('--pretext-config',
                        help='evaluation config of the pretext task (default: '
                        'configs/unnas/darts-eval-<pretext>_tiny-imagenet.py)')
    parser.add_argument('--supervised-config',
                        default=osp.join(REPO, 'configs/unnas/darts-eval_tiny-imagenet.py'),
                        help='evaluation config with labels')
    parser.add_argument('--num-archs', type=int, default=500,
                        help='architectures to sample (released: 500)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the sampling and of every training run')
    parser.add_argument('--flops-range', type=float, nargs=2, metavar=('LOW', 'HIGH'),
                        help='keep only genotypes whose params and FLOPs are both within '
                        '[LOW, HIGH] times the reference\'s (the paper: 0.8 1.2)')
    parser.add_argument('--reference', default='resnet56',
                        help='reference of --flops-range: resnet56 (CIFAR ResNet-56, the '
                        'paper\'s), a zoo genotype name or an arch.json of a DARTSNet')
    parser.add_argument('--cost-size', type=int, nargs=2, default=[16, 20],
                        metavar=('CHANNELS', 'CELLS'),
                        help='DARTS network the costs are counted on (CIFAR stem; released '
                        'sample networks: 16 channels, 20 cells)')
    parser.add_argument('--input-shape', type=int, nargs=3, default=[3, 32, 32],
                        metavar=('C', 'H', 'W'), help='input shape the FLOPs are counted at')
    parser.add_argument('--accuracy-table',
                        help='JSON list of {"arch_spec", "accuracy"}: draw --num-archs entries '
                        'stratified by accuracy percentile and use the accuracy as the '
                        'supervised one (the NAS-Bench-101 part)')
    parser.add_argument('--strata', type=int, default=10,
                        help='percentile strata of --accuracy-table (paper: 10)')
    parser.add_argument('--bootstrap', type=int, default=1000,
                        help='bootstrap resamples of the interval of Spearman\'s rho')
    parser.add_argument('--max-draws', type=int, default=100,
                        help='give up after this many draws per kept architecture')
    parser.add_argument('--pretext-metric', help='metric key of the pretext validation '
                        '(default: accuracy/top1, aAcc for colorization)')
    parser.add_argument('--supervised-metric', default='accuracy/top1',
                        help='metric key of the supervised validation')
    parser.add_argument('--work-dir', default='work_dirs/rank_correlation',
                        help='where the runs, the JSON and the plot go')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of both configs, "key=value" pairs (e.g. '
        'train_cfg.max_epochs=1)')
    args = parser.parse_args()
    if args.num_archs < 2:
        parser.error(f'--num-archs {args.num_archs}: a rank correlation needs at least 2')
    if args.accuracy_table and args.num_archs % args.strata:
        parser.error(f'--num-archs {args.num_archs}: expected a multiple of --strata '
                     f'{args.strata} for --accuracy-table')
    if args.flops_range and not 0 < args.flops_range[0] <= args.flops_range[1]:
        parser.error(f'--flops-range {args.flops_range}: expected 0 < LOW <= HIGH')
    args.pretext_config = args.pretext_config or osp.join(
        REPO, f'configs/unnas/darts-eval-{args.pretext}_tiny-imagenet.py')
    args.pretext_metric = args.pretext_metric or PRETEXT_METRICS[args.pretext]
    return args


class LastMetricsHook(Hook):
    """Keeps the metrics of the runner's latest validation."""

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self.metrics = None

    def after_val_epoch(self, runner, metrics=None) -> None:
        self.metrics = dict(metrics or {})


def reference_cost(reference: str, args) -> dict:
    """Params and FLOPs of the ``--reference`` backbone on ``--input-shape``."""
    if reference == 'resnet56':
        return count_complexity(resnet_cifar(56), args.input_shape)
    if osp.isfile(reference):
        genotype = ArchSpec.load(reference).backbone.get('genotype')
        if genotype is None:
            raise ConfigError(f'--reference {reference!r}: the spec\'s backbone has no '
                              'genotype (expected a DARTSNet arch.json)')
    else:
        genotype = reference
    return count_complexity(cost_network(check_genotype(genotype), args), args.input_shape)


def cost_network(genotype: dict, args) -> DARTSNet:
    """The DARTS network the costs are counted on (``--cost-size``, CIFAR stem)."""
    channels, num_cells = args.cost_size
    return DARTSNet(genotype, channels=channels, num_cells=num_cells, stem='cifar')


def write_spec(genotype: dict, path: str) -> str:
    ArchSpec(method='unnas', backbone=dict(type='mmnas.DARTSNet', genotype=genotype),
             meta=dict(source='tools/rank_correlation.py')).dump(path)
    return path


def sample(args) -> list:
    """``num_archs`` genotypes with their arch.json, params and FLOPs."""
    rng = random.Random(args.seed)
    bounds = None
    if args.flops_range:
        ref = reference_cost(args.reference, args)
        bounds = {k: (args.flops_range[0] * ref[k], args.flops_range[1] * ref[k])
                  for k in ('params', 'flops')}

    def within(key: str, value: int) -> bool:
        return bounds is None or bounds[key][0] <= value <= bounds[key][1]

    samples = []
    for draw in range(args.max_draws * args.num_archs):
        if len(samples) == args.num_archs:
            break
        genotype = sample_genotype(rng)
        network = cost_network(genotype, args)
        # Parameters first: counting them needs no trace.
        if not within('params', sum(p.numel() for p in network.parameters())):
            continue
        cost = count_complexity(network, args.input_shape)
        if not within('flops', cost['flops']):
            continue
        path = write_spec(genotype, osp.join(args.work_dir, f'arch_{len(samples)}', 'arch.json'))
        samples.append(dict(index=len(samples), genotype=genotype, arch_spec=path,
                            params=cost['params'], flops=cost['flops']))
    if len(samples) < args.num_archs:
        raise ConfigError(f'--flops-range {args.flops_range}: only {len(samples)} of '
                          f'{args.num_archs} genotypes within the range of {args.reference!r} '
                          f'after {draw + 1} draws')
    return samples


def from_table(args) -> list:
    """``num_archs`` entries of ``--accuracy-table``, the same number per percentile."""
    with open(args.accuracy_table) as f:
        table = json.load(f)
    if not isinstance(table, list) or not all(
            isinstance(e, dict) and {'arch_spec', 'accuracy'} <= set(e) for e in table):
        raise ConfigError(f'--accuracy-table {args.accuracy_table}: expected a JSON list of '
                          '{"arch_spec": path, "accuracy": number}')
    base = osp.dirname(osp.abspath(args.accuracy_table))
    picked = stratified_by_percentile([float(e['accuracy']) for e in table],
                                      args.num_archs // args.strata, args.strata, args.seed)
    samples = []
    for i in picked:
        path = osp.join(base, table[i]['arch_spec'])
        if not osp.isfile(path):
            raise ConfigError(f'--accuracy-table entry {i}: no arch_spec file {path}')
        samples.append(dict(index=len(samples), table_index=i, arch_spec=path,
                            supervised_accuracy=float(table[i]['accuracy'])))
    return samples


def train_and_validate(config: str, args, spec_path: str, work_dir: str, metric: str) -> float:
    """Train ``config`` with the genotype of ``spec_path``; the final validation ``metric``."""
    cfg = load_config(config, args.cfg_options, 'none', work_dir)
    cfg.model.backbone.arch_spec = spec_path
    cfg.randomness = dict(seed=args.seed)
    # Runners in one process share loggers and visualizers by experiment name.
    cfg.experiment_name = f'{osp.basename(osp.dirname(work_dir))}_{osp.basename(work_dir)}'
    check_config(cfg, ['train', 'val'])
    with clean_work_dir_on_failure(cfg.work_dir):
        runner = Runner.from_cfg(cfg)
        hook = LastMetricsHook()
        runner.register_hook(hook)
        runner.train()
        metrics = hook.metrics if hook.metrics is not None else runner.val()
    if metric not in metrics:
        raise ConfigError(f'{config}: validation gave {sorted(metrics)}, no {metric!r} (set '
                          '--pretext-metric / --supervised-metric)')
    return float(metrics[metric])


def plot(samples: list, stats: dict, args, path: str) -> None:
    # Imported where the figure is drawn, not when the tool's module is loaded.
    import matplotlib
    matplotlib.use('Agg')  # files only: no display on training machines
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter([s['pretext_accuracy'] for s in samples],
               [s['supervised_accuracy'] for s in samples], s=18)
    ax.set_xlabel(f'{args.pretext} pretext {args.pretext_metric}')
    ax.set_ylabel(f'supervised {args.supervised_metric}')
    low, high = stats['spearman_rho_ci']
    ax.set_title(f'{len(samples)} architectures: Spearman ρ={stats["spearman_rho"]:.2f} '
                 f'[{low:.2f}, {high:.2f}], Kendall τ={stats["kendall_tau"]:.2f}', fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format='png')
    plt.close(fig)


def finite_or_none(value: float):
    return None if math.isnan(value) else value


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope_=False)
    samples = from_table(args) if args.accuracy_table else sample(args)
    for s in samples:
        run_dir = osp.join(args.work_dir, f'arch_{s["index"]}')
        s['pretext_accuracy'] = train_and_validate(
            args.pretext_config, args, s['arch_spec'], osp.join(run_dir, 'pretext'),
            args.pretext_metric)
        if not args.accuracy_table:
            s['supervised_accuracy'] = train_and_validate(
                args.supervised_config, args, s['arch_spec'], osp.join(run_dir, 'supervised'),
                args.supervised_metric)
    pretext = [s['pretext_accuracy'] for s in samples]
    supervised = [s['supervised_accuracy'] for s in samples]
    stats = rank_correlation(pretext, supervised)
    stats['spearman_rho_ci'] = spearman_bootstrap_ci(pretext, supervised, args.bootstrap,
                                                     seed=args.seed)
    result = dict(pretext=args.pretext, pretext_config=args.pretext_config,
                  supervised_config=args.supervised_config, seed=args.seed,
                  flops_range=args.flops_range, reference=args.reference,
                  cost_size=args.cost_size, input_shape=args.input_shape,
                  accuracy_table=args.accuracy_table, pretext_metric=args.pretext_metric,
                  supervised_metric=args.supervised_metric,
                  spearman_rho=finite_or_none(stats['spearman_rho']),
                  spearman_rho_ci=[finite_or_none(v) for v in stats['spearman_rho_ci']],
                  bootstrap=dict(resamples=args.bootstrap, confidence=0.95),
                  kendall_tau=finite_or_none(stats['kendall_tau']), samples=samples)
    json_path = osp.join(args.work_dir, 'rank_correlation.json')
    atomic_write_text(json_path, json.dumps(result, indent=2))
    png_path = osp.join(args.work_dir, 'rank_correlation.png')
    plot(samples, stats, args, png_path)
    print(f'{"arch":>4} {"params":>9} {"MFLOPs":>9} {args.pretext:>12} {"supervised":>10}')
    for s in samples:
        params = s.get('params', '-')
        flops = f'{s["flops"] / 1e6:.2f}' if 'flops' in s else '-'
        print(f'{s["index"]:>4} {params:>9} {flops:>9} '
              f'{s["pretext_accuracy"]:>12.2f} {s["supervised_accuracy"]:>10.2f}')
    low, high = stats['spearman_rho_ci']
    print(f'{args.pretext} vs supervised over {len(samples)} architectures: '
          f'Spearman rho = {stats["spearman_rho"]:.3f} (95% bootstrap CI [{low:.3f}, '
          f'{high:.3f}]), Kendall tau = {stats["kendall_tau"]:.3f}')
    print(f'wrote {json_path} and {png_path}')


if __name__ == '__main__':
    run_tool(main)
