"""Drawing and file helpers shared by the tiny dataset generators.

Every generator paints an image and, where the format has one, a label map in the same call,
so that the pixels of a class and its label can never disagree. Colours are BGR because the
images are written with OpenCV.
"""
import zlib
from typing import Sequence, Tuple

import cv2
import numpy as np

from mmnas.utils.atomic import atomic_path

Color = Tuple[int, int, int]


def sample_rng(seed: int, *keys) -> np.random.Generator:
    """Return a random generator that depends only on ``seed`` and ``keys``.

    Each sample draws from its own generator (keyed by dataset, split and index), so changing
    the number of training samples leaves the validation samples byte-identical.

    Args:
        seed (int): The user's seed.
        *keys: Strings or integers naming the sample, e.g. ``('coco', 'val', 3)``.

    Returns:
        numpy.random.Generator: A generator seeded from ``seed`` and ``keys``.
    """
    # Python's hash() of a str is salted per process, so strings are keyed by their CRC-32.
    entropy = [seed] + [zlib.crc32(k.encode()) if isinstance(k, str) else int(k) for k in keys]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def jitter_color(base: Color, rng: np.random.Generator, amount: int = 20) -> Color:
    """Shift each channel of ``base`` by a uniform offset in ``[-amount, amount]``.

    Args:
        base (tuple[int, int, int]): The class colour (BGR).
        rng (numpy.random.Generator): The sample's generator.
        amount (int): Largest shift per channel.

    Returns:
        tuple[int, int, int]: The shifted colour, clipped to ``[0, 255]``.
    """
    shifted = np.clip(np.asarray(base) + rng.integers(-amount, amount + 1, size=3), 0, 255)
    return tuple(int(c) for c in shifted)


def vertical_gradient(height: int, width: int, top: Color, bottom: Color) -> np.ndarray:
    """Return an ``(height, width, 3)`` uint8 image that fades from ``top`` to ``bottom``."""
    weights = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    column = (1 - weights) * np.asarray(top, np.float32) + weights * np.asarray(bottom, np.float32)
    return np.repeat(column, width, axis=1).round().astype(np.uint8)


def add_noise(image: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Add Gaussian pixel noise so that flat colours are not the only cue.

    Args:
        image (numpy.ndarray): uint8 image.
        rng (numpy.random.Generator): The sample's generator.
        sigma (float): Standard deviation of the noise in grey levels.

    Returns:
        numpy.ndarray: A new uint8 image.
    """
    noisy = image.astype(np.float32) + rng.normal(0.0, sigma, size=image.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).round().astype(np.uint8)


def speckle(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator, color: Color,
            density: float) -> None:
    """Sprinkle single pixels of ``color`` over the ``mask`` region, in place.

    A texture that a convolution can pick up (leaves, gravel) without changing the label.

    Args:
        image (numpy.ndarray): uint8 BGR image, modified in place.
        mask (numpy.ndarray): Boolean map of the region to texture.
        rng (numpy.random.Generator): The sample's generator.
        color (tuple[int, int, int]): Colour of the specks.
        density (float): Fraction of the region's pixels that get a speck.
    """
    hits = mask & (rng.random(mask.shape) < density)
    image[hits] = color


def fill_polygon(image: np.ndarray, label: np.ndarray, points: Sequence, color: Color,
                 class_id: int) -> None:
    """Fill a polygon in the image and in the label map, in place.

    Args:
        image (numpy.ndarray): uint8 BGR image.
        label (numpy.ndarray): uint8 label map of the same height and width.
        points (Sequence): ``(N, 2)`` polygon vertices in pixels (x, y).
        color (tuple[int, int, int]): Fill colour.
        class_id (int): Label value written under the polygon.
    """
    polygon = [np.round(np.asarray(points, np.float64)).astype(np.int32)]
    cv2.fillPoly(image, polygon, color)
    cv2.fillPoly(label, polygon, int(class_id))


def fill_rectangle(image: np.ndarray, label: np.ndarray, x0: float, y0: float, x1: float,
                   y1: float, color: Color, class_id: int) -> None:
    """Fill the axis-aligned rectangle ``[x0, x1] x [y0, y1]`` in the image and the label map."""
    fill_polygon(image, label, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)], color, class_id)


def fill_ellipse(image: np.ndarray, label: np.ndarray, center: Tuple[float, float],
                 axes: Tuple[float, float], color: Color, class_id: int) -> None:
    """Fill an upright ellipse (``axes`` are the half-axes in pixels) in the image and the
    label map."""
    center_px = (int(round(center[0])), int(round(center[1])))
    axes_px = (max(1, int(round(axes[0]))), max(1, int(round(axes[1]))))
    cv2.ellipse(image, center_px, axes_px, 0, 0, 360, color, thickness=-1)
    cv2.ellipse(label, center_px, axes_px, 0, 0, 360, int(class_id), thickness=-1)


def stroke_line(image: np.ndarray, label: np.ndarray, start: Tuple[float, float],
                end: Tuple[float, float], color: Color, class_id: int, thickness: float) -> None:
    """Draw a thick line segment in the image and the label map."""
    start_px = (int(round(start[0])), int(round(start[1])))
    end_px = (int(round(end[0])), int(round(end[1])))
    thickness = max(1, int(round(thickness)))
    cv2.line(image, start_px, end_px, color, thickness)
    cv2.line(label, start_px, end_px, int(class_id), thickness)


def stroke_circle(image: np.ndarray, label: np.ndarray, center: Tuple[float, float],
                  radius: float, color: Color, class_id: int, thickness: float) -> None:
    """Draw a circle outline (a ring) in the image and the label map."""
    center_px = (int(round(center[0])), int(round(center[1])))
    radius_px = max(1, int(round(radius)))
    thickness = max(1, int(round(thickness)))
    cv2.circle(image, center_px, radius_px, color, thickness)
    cv2.circle(label, center_px, radius_px, int(class_id), thickness)


def regular_polygon(center: Tuple[float, float],
                    radius: float,
                    sides: int,
                    angle: float = 0.0,
                    inner_ratio: float = 1.0) -> np.ndarray:
    """Vertices of a regular polygon, or of a star when ``inner_ratio < 1``.

    Args:
        center (tuple[float, float]): Centre (x, y) in pixels.
        radius (float): Distance from the centre to the outer vertices.
        sides (int): Number of outer vertices.
        angle (float): Rotation in radians.
        inner_ratio (float): For a star, the radius of the inner vertices relative to
            ``radius``; 1 gives a plain polygon.

    Returns:
        numpy.ndarray: ``(sides, 2)`` or, for a star, ``(2 * sides, 2)`` vertices.
    """
    if inner_ratio >= 1.0:
        angles = angle + 2 * np.pi * np.arange(sides) / sides
        radii = np.full(sides, radius)
    else:
        angles = angle + np.pi * np.arange(2 * sides) / sides
        radii = np.where(np.arange(2 * sides) % 2 == 0, radius, radius * inner_ratio)
    return np.stack([center[0] + radii * np.sin(angles), center[1] - radii * np.cos(angles)], 1)


def write_png(path: str, image: np.ndarray) -> None:
    """Write ``image`` (BGR or single-channel uint8) as PNG, creating the folder first; the
    file appears complete or not at all."""
    with atomic_path(path) as tmp:
        if not cv2.imwrite(tmp, image):
            raise OSError(f'could not write {path}')


def write_jpeg(path: str, image: np.ndarray, quality: int = 92) -> None:
    """Write a BGR uint8 ``image`` as baseline JPEG, creating the folder first; the file
    appears complete or not at all."""
    with atomic_path(path) as tmp:
        if not cv2.imwrite(tmp, image, [cv2.IMWRITE_JPEG_QUALITY, quality]):
            raise OSError(f'could not write {path}')
