"""Write tiny synthetic datasets in the on-disk formats of the stock OpenMMLab datasets.

    python tools/dataset_converters/make_tiny_datasets.py --out data
    python tools/dataset_converters/make_tiny_datasets.py --out data --datasets kitti --seed 1

Each dataset lands where the stock configs look for it under ``--out`` (``data/cityscapes``,
``data/ade/ADEChallengeData2016``, ``data/coco``, ``data/kitti``, ``data/imagenet``); see
:mod:`mmnas.datasets.tiny` for the formats.
"""
import argparse
import os
import time

from mmnas.datasets.tiny import DATASET_FOLDERS, make_tiny_datasets


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', required=True, help='folder that receives the datasets')
    parser.add_argument('--datasets',
                        nargs='+',
                        choices=list(DATASET_FOLDERS),
                        default=list(DATASET_FOLDERS),
                        help='which datasets to write')
    parser.add_argument('--seed',
                        type=int,
                        default=0,
                        help='seed; the same seed gives byte-identical files')
    return parser.parse_args()


def summarize(root: str) -> str:
    """Describe what lies under ``root``: file count and size per top-level entry."""
    parts = []
    for entry in sorted(os.listdir(root)):
        path = os.path.join(root, entry)
        if os.path.isfile(path):
            files, size = 1, os.path.getsize(path)
        else:
            sizes = [
                os.path.getsize(os.path.join(folder, name)) for folder, _, names in os.walk(path)
                for name in names
            ]
            files, size = len(sizes), sum(sizes)
        parts.append(f'    {entry}: {files} file{"s" if files != 1 else ""}, '
                     f'{size / 2**20:.2f} MiB')
    return '\n'.join(parts)


def main() -> None:
    """Write the requested datasets and print what was written where."""
    args = parse_args()
    for name in args.datasets:
        start = time.perf_counter()
        root = make_tiny_datasets(args.out, datasets=(name, ), seed=args.seed)[name]
        print(f'{name}: wrote {root} in {time.perf_counter() - start:.1f} s')
        print(summarize(root), flush=True)


if __name__ == '__main__':
    main()
