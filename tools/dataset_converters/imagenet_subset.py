"""Write the annotation lists of a random class subset of ImageNet (DenseNAS searches on 100
classes, DenseNAS supp. §A.1).

    python tools/dataset_converters/imagenet_subset.py data/imagenet [--num-classes 100]
                                                       [--seed 0] [--suffix 100cls]

Reads mmpretrain's ``meta/train.txt`` (and ``meta/val.txt`` where present: ``<path> <label>``
per line, labels 0..999 in synset order), draws ``--num-classes`` labels with ``--seed``, and
writes next to them ``meta/classes_<suffix>.txt`` (the chosen synsets, in label order) and
``meta/train_<suffix>.txt`` / ``meta/val_<suffix>.txt`` (their images, relabelled 0..K-1).
An ``mmpretrain.ImageNet`` with ``ann_file='meta/train_<suffix>.txt'`` and
``classes='<root>/meta/classes_<suffix>.txt'`` then reads the subset.
"""
import argparse
import os.path as osp
from typing import Dict, List

import numpy as np

from mmnas.utils.atomic import atomic_write_text
from mmnas.utils.cli import run_tool
from mmnas.utils.config_check import ConfigError


def read_list(path: str) -> List[List[str]]:
    with open(path) as f:
        rows = [line.split() for line in f if line.strip()]
    if any(len(r) != 2 or not r[1].isdigit() for r in rows):
        raise ConfigError(f'{path}: expected "<image path> <label>" on every line')
    return rows


def synset_of(path: str) -> str:
    """``n01440764/n01440764_10026.JPEG`` → ``n01440764`` (train lists name the class folder;
    val lists do not, so their synsets come from the train list's labels)."""
    return path.split('/')[0]


def write_subset(root: str, num_classes: int, seed: int = 0, suffix: str = '100cls') -> Dict:
    """Write the subset lists under ``root/meta``; returns ``{split: number of images}``."""
    train = read_list(osp.join(root, 'meta', 'train.txt'))
    labels = sorted({int(label) for _, label in train})
    if not 1 <= num_classes <= len(labels):
        raise ConfigError(f'--num-classes {num_classes}: expected 1..{len(labels)} (the '
                          'classes of meta/train.txt)')
    chosen = sorted(np.random.RandomState(seed).choice(labels, num_classes, replace=False))
    new_label = {int(old): new for new, old in enumerate(chosen)}
    synsets = {int(label): synset_of(path) for path, label in train}
    atomic_write_text(osp.join(root, 'meta', f'classes_{suffix}.txt'),
                      ''.join(f'{synsets[old]}\n' for old in new_label))
    counts = {}
    for split in ('train', 'val'):
        source = osp.join(root, 'meta', f'{split}.txt')
        if not osp.isfile(source):
            continue
        rows = [(path, new_label[int(label)]) for path, label in read_list(source)
                if int(label) in new_label]
        atomic_write_text(osp.join(root, 'meta', f'{split}_{suffix}.txt'),
                          ''.join(f'{path} {label}\n' for path, label in rows))
        counts[split] = len(rows)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('root', help='ImageNet root with meta/train.txt')
    parser.add_argument('--num-classes', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--suffix', default='100cls', help='names the written lists')
    args = parser.parse_args()
    counts = write_subset(args.root, args.num_classes, args.seed, args.suffix)
    print(f'{args.num_classes} classes: ' + ', '.join(
        f'{n} {split} images' for split, n in counts.items()) + f' listed under '
          f'{osp.join(args.root, "meta")}')


if __name__ == '__main__':
    run_tool(main)
