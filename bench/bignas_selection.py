"""BigNAS selection throughput: seconds per candidate child before and after issue 15.

One candidate costs a BN re-calibration (``--bn-batches`` training batches) and a scoring pass.
Two settings on the same trained-from-scratch tiny supernet and the same children:

- before: calibration through a single-process loader (``num_workers=0``), scoring on the
  whole validation set;
- after: calibration through a loader of ``--workers`` workers, scoring on a held-out
  ``--split`` of the training set (``mmnas.SplitDataset``), as bignas-search_in1k.py does.

Prints the median seconds per candidate of each and their ratio. The data are the tiny
ImageNet-style set (``--per-class`` images per class, written to a temporary folder).

    python bench/bignas_selection.py [--children 6] [--workers 2] [--per-class 60]
"""
import argparse
import os.path as osp
import random
import statistics
import tempfile
import time

from mmengine.config import Config
from mmengine.runner import Runner

from mmnas.datasets.tiny import make_tiny_imagenet
from mmnas.engine import evaluate_child, get_elastic_backbone
from mmnas.utils import register_all_modules

REPO = osp.join(osp.dirname(__file__), '..')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--children', type=int, default=6)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--per-class', type=int, default=60)
    parser.add_argument('--split', type=float, default=0.1)
    parser.add_argument('--bn-batches', type=int, default=4)
    args = parser.parse_args()
    register_all_modules(init_default_scope_=False)
    with tempfile.TemporaryDirectory() as tmp:
        root = osp.join(tmp, 'imagenet')
        make_tiny_imagenet(root, num_train_per_class=args.per_class,
                           num_val_per_class=args.per_class)
        cfg = Config.fromfile(osp.join(REPO, 'configs', 'bignas',
                                       'bignas-supernet_tiny-imagenet.py'))
        classes = root + '/meta/classes.txt'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            cfg[loader].dataset.update(data_root=root, classes=classes)
            cfg[loader].num_workers = args.workers
        cfg.work_dir = osp.join(tmp, 'work')
        runner = Runner.from_cfg(cfg)
        held_out = Runner.build_dataloader(dict(
            batch_size=cfg.val_dataloader.batch_size, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(type='mmnas.SplitDataset', ratio=args.split, part='first',
                         dataset=dict(type='ImageNet', data_root=root, split='train',
                                      classes=classes,
                                      pipeline=cfg.test_pipeline))))
        backbone = get_elastic_backbone(runner.model)
        rng = random.Random(0)
        children = [backbone.sample_arch(rng) for _ in range(args.children)]
        times = dict(before=[], after=[])
        # Interleaved, so that load from other processes hits both alike.
        for arch in children:
            for name in ('before', 'after'):
                start = time.perf_counter()
                if name == 'before':
                    evaluate_child(runner, arch, args.bn_batches, num_workers=0)
                else:
                    evaluate_child(runner, arch, args.bn_batches, dataloader=held_out,
                                   num_workers=args.workers)
                times[name].append(time.perf_counter() - start)
        before, after = (statistics.median(times[k]) for k in ('before', 'after'))
        print(f'scoring images: before {len(runner.val_dataloader.dataset)}, after '
              f'{len(held_out.dataset)}; calibration workers: before 0, after {args.workers}')
        print(f'seconds per candidate: before {before:.2f}, after {after:.2f}, '
              f'speed-up {before / after:.2f}x')


if __name__ == '__main__':
    main()
