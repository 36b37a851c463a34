"""BigNAS speed and memory on the default search space, batch 8, stock ImageClassifier + SGD.

The issue's measurement runs the biggest child at 288: the supernet takes the default space's
kernel, width, depth and expansion choices with AttentiveNAS's resolutions {192, 224, 256,
288} (the default's {192, 224, 288, 320} would pair the biggest child with 320).

Prints, each ratio taken in this one run:

- sliced / static: one training step of the biggest child at 288×288 sliced from the
  supernet, against the same step of its static export (target ≤ 1.05; a reference
  implementation of this space measures 1.10 on a 2-core CPU);
- sandwich / biggest: one sandwich step (biggest at 288, smallest at 192, two random children,
  inplace distillation, one optimizer step) against the biggest child's own step
  (target ≤ 1.9; reference 2.06);
- peak memory of the sandwich step against the biggest child's step alone (target ≤ 1.15):
  each measured in a fresh process as the peak resident memory of its first step above the
  level after the model is built.

Timings are medians over ``--rounds`` steps, the three kinds interleaved so that load from
other processes hits them alike.

    python bench/bignas_sandwich.py [--rounds 3] [--batch 8] [--threads 2]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope

from mmnas.bignas import DEFAULT_SEARCH_SPACE, SandwichRule
from mmnas.models import slice_state_dict
from mmnas.registry import MODELS

RESOLUTION = 288  # the biggest child's resolution, also the prefetched crop here
SPACE = dict(DEFAULT_SEARCH_SPACE, resolution=(192, 224, 256, RESOLUTION))


def classifier(backbone: dict):
    cfg = dict(
        type='ImageClassifier',
        backbone=backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=1984,
                  loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
        data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=1000))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
    model.init_weights()
    return model.train()


def build(kind: str, batch: int):
    """The model, its optimizer wrapper and a function doing one training step."""
    supernet = classifier(dict(type='mmnas.BigNASSuperNet', search_space=SPACE,
                               drop_path_rate=0.2, dropout_rate=0.2))
    from mmpretrain.structures import DataSample
    data = dict(inputs=[torch.randint(0, 256, (3, RESOLUTION, RESOLUTION), dtype=torch.uint8)
                        for _ in range(batch)],
                data_samples=[DataSample().set_gt_label(i % 1000) for i in range(batch)])
    if kind == 'static':
        spec = supernet.backbone.export_arch()
        model = classifier(spec.backbone)
        model.load_state_dict(
            slice_state_dict(supernet.state_dict(), model.state_dict()), strict=True)
    else:
        model = supernet
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    if kind == 'sandwich':
        rule = SandwichRule(num_random=2)
        counter = iter(range(10**9))
        return lambda: rule.train_step(model, data, wrapper, next(counter))
    # The biggest child alone (sliced or static): the stock mmengine train step.
    return lambda: model.train_step(data, wrapper)


def rss_bytes() -> int:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def worker(kind: str, batch: int) -> None:
    """One fresh process: peak resident memory of one step (activations, gradients,
    optimizer state) above the level after the model is built."""
    step = build(kind, batch)
    base = rss_bytes()
    step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(dict(kind=kind, peak_above_base=max(peak - base, 0))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--worker', help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.worker:
        worker(args.worker, args.batch)
        return

    steps = {kind: build(kind, args.batch) for kind in ('static', 'sliced', 'sandwich')}
    for step in steps.values():
        step()  # warm-up
    times = {kind: [] for kind in steps}
    for _ in range(args.rounds):
        for kind, step in steps.items():
            start = time.perf_counter()
            step()
            times[kind].append(time.perf_counter() - start)
    med = {k: statistics.median(v) for k, v in times.items()}
    del steps

    memory = {}
    for kind in ('sliced', 'sandwich'):
        out = subprocess.run([sys.executable, __file__, '--worker', kind, '--batch',
                              str(args.batch), '--threads', str(args.threads)],
                             check=True, capture_output=True, text=True).stdout
        memory[kind] = json.loads(out.strip().splitlines()[-1])['peak_above_base']

    print(f'BigNAS default space, batch {args.batch}, {args.threads} threads, '
          f'{args.rounds} rounds (median step, s):')
    print(f'  static biggest child @288   {med["static"]:.3f}')
    print(f'  sliced biggest child @288   {med["sliced"]:.3f}')
    print(f'  sandwich (288/192/2 random) {med["sandwich"]:.3f}')
    print(f'sliced / static     = {med["sliced"] / med["static"]:.3f}  (target <= 1.05, '
          'reference 1.10)')
    print(f'sandwich / biggest  = {med["sandwich"] / med["sliced"]:.3f}  (target <= 1.9, '
          'reference 2.06)')
    print(f'peak memory above base: biggest {memory["sliced"] / 2**20:.0f} MiB, sandwich '
          f'{memory["sandwich"] / 2**20:.0f} MiB, ratio '
          f'{memory["sandwich"] / max(memory["sliced"], 1):.3f}  (target <= 1.15)')


if __name__ == '__main__':
    main()
