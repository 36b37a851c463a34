"""A tiny image-classification dataset in the ImageNet folder layout.

Layout (what ``mmpretrain.datasets.ImageNet`` reads with ``split='train'`` / ``'val'``, and
what ``mmpretrain.datasets.CustomDataset`` reads from the class folders alone)::

    <root>/train/<wnid>/<wnid>_<n>.JPEG
    <root>/val/<wnid>/ILSVRC2012_val_<8 digits>.JPEG
    <root>/meta/train.txt        "<wnid>/<wnid>_<n>.JPEG <label>" per line
    <root>/meta/val.txt          "<wnid>/ILSVRC2012_val_<8 digits>.JPEG <label>" per line
    <root>/meta/classes.txt      one class name per line, in label order

The classes are the first ``num_classes`` ImageNet-1k synsets in wnid order, so the labels
equal the sorted order of the folders (what ``CustomDataset`` derives) and the names are the
ImageNet names. The names are nominal: each class is drawn as its own combination of a shape
and a colour (a red circle, a green triangle, ...) at a random position, size and rotation
on a noisy background. Shapes and colours are each shared by several classes, so neither
alone identifies the class.

The stock ``ImageNet`` class defaults to the 1000 ImageNet names; pass the subset with
``classes='<root>/meta/classes.txt'`` (or ``metainfo=dict(classes=CLASS_NAMES[:k])``) and set
the head's ``num_classes`` to the subset size.
"""
import os.path as osp
from typing import Dict, List, Tuple

import cv2
import numpy as np

from mmnas.utils.atomic import atomic_write_text

from .drawing import add_noise, jitter_color, regular_polygon, sample_rng, write_jpeg

#: The first 20 ImageNet-1k synsets (wnid order) and their short names.
SYNSETS = (('n01440764', 'tench'), ('n01443537', 'goldfish'), ('n01484850', 'great white shark'),
           ('n01491361', 'tiger shark'), ('n01494475', 'hammerhead'),
           ('n01496331', 'electric ray'), ('n01498041', 'stingray'), ('n01514668', 'cock'),
           ('n01514859', 'hen'), ('n01518878', 'ostrich'), ('n01530575', 'brambling'),
           ('n01531178', 'goldfinch'), ('n01532829', 'house finch'), ('n01534433', 'junco'),
           ('n01537544', 'indigo bunting'), ('n01558993', 'robin'), ('n01560419', 'bulbul'),
           ('n01580077', 'jay'), ('n01582220', 'magpie'), ('n01592084', 'chickadee'))
CLASS_NAMES = tuple(name for _, name in SYNSETS)

# Saturated BGR colours; a class's colour is jittered per image.
_PALETTE = dict(red=(40, 40, 220),
                green=(50, 190, 50),
                blue=(210, 90, 30),
                yellow=(30, 210, 230),
                magenta=(200, 50, 200),
                cyan=(210, 200, 40))

#: The (shape, colour) that draws each class, in label order.
CLASS_APPEARANCE = (
    ('circle', 'red'), ('triangle', 'green'), ('square', 'blue'), ('star', 'yellow'),
    ('cross', 'magenta'), ('ring', 'cyan'), ('circle', 'blue'), ('triangle', 'yellow'),
    ('square', 'red'), ('star', 'green'), ('cross', 'cyan'), ('ring', 'magenta'),
    ('hexagon', 'red'), ('hexagon', 'green'), ('bar', 'blue'), ('bar', 'yellow'),
    ('rhombus', 'magenta'), ('rhombus', 'cyan'), ('circle', 'green'), ('triangle', 'red'),
)


def _unit_polygons(shape: str) -> List[np.ndarray]:
    """The polygons ``(K, 2)`` that make up ``shape`` at unit radius, centred on 0."""
    if shape in ('cross', 'bar'):
        arm = np.array([(-1.0, -0.3), (1.0, -0.3), (1.0, 0.3), (-1.0, 0.3)])
        return [arm, arm[:, ::-1]] if shape == 'cross' else [arm]
    if shape == 'rhombus':
        # Squashed sideways, so that no rotation turns it into the square.
        return [regular_polygon((0.0, 0.0), 1.0, 4) * [0.55, 1.0]]
    if shape == 'star':
        return [regular_polygon((0.0, 0.0), 1.0, 5, inner_ratio=0.45)]
    return [regular_polygon((0.0, 0.0), 1.0, dict(triangle=3, square=4, hexagon=6)[shape])]


def _draw_shape(image: np.ndarray, shape: str, center: Tuple[float, float], radius: float,
                angle: float, color: Tuple[int, int, int]) -> None:
    """Draw one filled shape (a ring: an outline) onto ``image``, in place."""
    if shape in ('circle', 'ring'):
        center_px = (int(round(center[0])), int(round(center[1])))
        thickness = -1 if shape == 'circle' else max(2, int(radius * 0.35))
        cv2.circle(image, center_px, int(round(radius)), color, thickness)
        return
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    for polygon in _unit_polygons(shape):
        points = radius * polygon @ rotation.T + np.asarray(center)
        cv2.fillPoly(image, [np.round(points).astype(np.int32)], color)


def render_shape_image(rng: np.random.Generator, label: int,
                       image_size: Tuple[int, int]) -> np.ndarray:
    """Paint one image of class ``label``.

    Args:
        rng (numpy.random.Generator): The sample's generator.
        label (int): Class index into :data:`CLASS_APPEARANCE`.
        image_size (tuple[int, int]): ``(height, width)`` in pixels.

    Returns:
        numpy.ndarray: BGR uint8 image.
    """
    height, width = image_size
    # Background: a dull random colour with a few grey streaks as distractors.
    base = rng.integers(60, 190, size=3)
    image = np.empty((height, width, 3), np.uint8)
    image[:] = np.clip(base + rng.integers(-25, 26, size=3), 0, 255).astype(np.uint8)
    for _ in range(rng.integers(1, 4)):
        start = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        end = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        grey = int(rng.integers(40, 220))
        cv2.line(image, start, end, (grey, grey, grey), int(rng.integers(1, 4)))
    shape, color_name = CLASS_APPEARANCE[label]
    radius = rng.uniform(0.18, 0.35) * min(height, width)
    center = (rng.uniform(radius, width - radius), rng.uniform(radius, height - radius))
    _draw_shape(image, shape, center, radius, rng.uniform(0, 2 * np.pi),
                jitter_color(_PALETTE[color_name], rng, 30))
    return add_noise(image, rng, sigma=8.0)


def make_tiny_imagenet(root: str,
                       seed: int = 0,
                       num_classes: int = 10,
                       num_train_per_class: int = 20,
                       num_val_per_class: int = 5,
                       min_size: int = 64,
                       max_size: int = 112) -> Dict[str, List[str]]:
    """Write a tiny ImageNet-format dataset under ``root``.

    Args:
        root (str): Dataset root, the ``data_root`` of the mmpretrain config.
        seed (int): Seed; the same seed gives byte-identical files.
        num_classes (int): Number of classes, at most ``len(SYNSETS)`` (20).
        num_train_per_class (int): Training images per class.
        num_val_per_class (int): Validation images per class.
        min_size (int): Smallest image side in pixels.
        max_size (int): Largest image side in pixels.

    Returns:
        dict[str, list[str]]: Per split, the image paths written, relative to the split
        folder (as listed in ``meta/<split>.txt``).
    """
    if not 1 <= num_classes <= len(SYNSETS):
        raise ValueError(f'num_classes must be in [1, {len(SYNSETS)}], got {num_classes}')
    written: Dict[str, List[str]] = {}
    val_counter = 0
    for split, per_class in (('train', num_train_per_class), ('val', num_val_per_class)):
        lines, written[split] = [], []
        for label in range(num_classes):
            wnid = SYNSETS[label][0]
            for index in range(per_class):
                if split == 'train':
                    file_name = f'{wnid}_{index + 1}.JPEG'
                else:
                    val_counter += 1
                    file_name = f'ILSVRC2012_val_{val_counter:08d}.JPEG'
                rng = sample_rng(seed, 'imagenet', split, label, index)
                size = tuple(int(s) for s in rng.integers(min_size, max_size + 1, size=2))
                relative = f'{wnid}/{file_name}'
                write_jpeg(osp.join(root, split, relative), render_shape_image(rng, label, size))
                lines.append(f'{relative} {label}\n')
                written[split].append(relative)
        atomic_write_text(osp.join(root, 'meta', f'{split}.txt'), ''.join(lines))
    atomic_write_text(osp.join(root, 'meta', 'classes.txt'),
                      ''.join(f'{name}\n' for name in CLASS_NAMES[:num_classes]))
    return written
