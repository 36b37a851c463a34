"""UnNAS / DARTS bilevel step cost on the DARTS search network (8 cells, 16 channels, ImageNet
stem) in a stock ImageClassifier at 64×64, batch 16, rotation-pretext labels.

Prints, each ratio taken in this one run against one plain training step of the same
supernet (forward, backward, SGD step on the weights with α frozen):

- first order / plain: one architecture step (∇_α L_val at the current weights, Adam on α)
  plus the weight step, as ``BilevelTrainLoop`` runs them (DARTS's figure: about 2×);
- second order / plain: the same with ``UnrolledArchUpdater`` (virtual step, validation
  gradient at w', two Hessian-vector passes: about 5 forward/backward passes in all).

Timings are medians over ``--rounds`` steps, the three kinds interleaved so that load from
other processes hits them alike.

    python bench/unnas_bilevel_step.py [--rounds 5] [--batch 16] [--size 64] [--threads 2]
"""
import argparse
import statistics
import time

import torch
from mmengine.optim import OptimWrapperDict
from mmengine.registry import DefaultScope

from mmnas.engine import ArchWeightOptimWrapperConstructor, BaseArchUpdater
from mmnas.engine.runner.bilevel_loop import frozen
from mmnas.engine.runner.unrolled_arch_updater import UnrolledArchUpdater
from mmnas.registry import MODELS
from mmnas.utils import register_all_modules


def build_model():
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='mmnas.DARTSCellNet', channels=16, num_cells=8, stem='imagenet'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=256,
                  loss=dict(type='CrossEntropyLoss')),
        data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=4))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg)
    model.init_weights()
    return model.train()


def batch(n: int, size: int, seed: int) -> dict:
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(seed)
    return dict(inputs=[torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=g)
                        for _ in range(n)],
                data_samples=[DataSample().set_gt_label(int(k))
                              for k in torch.randint(0, 4, (n, ), generator=g)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--size', type=int, default=64)
    parser.add_argument('--threads', type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    register_all_modules(init_default_scope_=False)
    model = build_model()
    optim: OptimWrapperDict = ArchWeightOptimWrapperConstructor(dict(
        weights=dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=3e-5)),
        architecture=dict(type='OptimWrapper',
                          optimizer=dict(type='Adam', lr=3e-4, betas=(0.5, 0.999),
                                         weight_decay=1e-3))))(model)
    alphas = model.backbone.arch_parameters()
    train, val = batch(args.batch, args.size, 0), batch(args.batch, args.size, 1)

    def weight_step():
        with frozen(alphas):
            model.train_step(train, optim_wrapper=optim['weights'])

    def bilevel(updater):
        def step():
            updater.step(model, val, train, optim)
            weight_step()
        return step

    kinds = dict(plain=weight_step, first_order=bilevel(BaseArchUpdater()),
                 second_order=bilevel(UnrolledArchUpdater()))
    for fn in kinds.values():  # warm-up
        fn()
    times = {k: [] for k in kinds}
    for _ in range(args.rounds):
        for name, fn in kinds.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    median = {k: statistics.median(v) for k, v in times.items()}
    print(f'DARTS search network, batch {args.batch} at {args.size}x{args.size}, '
          f'{args.threads} threads, median of {args.rounds}:')
    for name, t in median.items():
        print(f'  {name:13s} {t * 1e3:8.1f} ms   x{t / median["plain"]:.2f} of plain')


if __name__ == '__main__':
    main()
