"""A tiny person-keypoint dataset in the COCO layout.

Layout (what ``mmpose.datasets.CocoDataset`` reads in top-down mode through xtcocotools,
with the stock ``data_root``/``ann_file``/``data_prefix`` of the COCO top-down configs)::

    <root>/annotations/person_keypoints_train2017.json
    <root>/annotations/person_keypoints_val2017.json
    <root>/train2017/<12-digit image id>.jpg
    <root>/val2017/<12-digit image id>.jpg
    <root>/person_detection_results/COCO_val2017_detections_AP_H_56_person.json

The last file stands in for the person detector's boxes that the stock validation dataloader
reads (``bbox_file``): the ground-truth boxes, slightly perturbed, with high scores.

Every image shows one to three front-facing stick figures at different scales and poses. The
17 COCO keypoints are the joints of the figure; limbs are thick segments whose colour says
which segment they are (upper arm, forearm, thigh, shin), the same on both sides, so a
horizontal flip (which swaps the left/right labels) stays consistent. The person's left side
is on the image's right, as for a person facing the camera. Keypoints hidden by a later
figure or by a box-shaped occluder are labelled ``v=1``, those outside the image are
``0, 0, 0``, the rest ``v=2``. ``bbox`` is the tight box of the whole drawn figure and
``area`` the number of its pixels that stay visible.
"""
import json
import os.path as osp
from typing import Dict, List, Tuple

import cv2
import numpy as np

from mmnas.utils.atomic import atomic_write_text

from .drawing import add_noise, jitter_color, sample_rng, vertical_gradient, write_jpeg

#: The COCO keypoint names, in annotation order.
KEYPOINT_NAMES = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder',
                  'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
                  'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle')
#: The COCO person skeleton, 1-based keypoint indices as in the annotation files.
SKELETON = ((16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7), (6, 8),
            (7, 9), (8, 10), (9, 11), (2, 3), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7))
PERSON_CATEGORY = dict(supercategory='person',
                       id=1,
                       name='person',
                       keypoints=list(KEYPOINT_NAMES),
                       skeleton=[list(p) for p in SKELETON])
#: The detector boxes that the stock top-down validation dataloader reads (``bbox_file``).
DETECTION_FILE = 'person_detection_results/COCO_val2017_detections_AP_H_56_person.json'
#: Image ids of the validation split start here, so ids are unique across splits as in COCO.
VAL_ID_OFFSET = 500000

# Part colours (BGR): one per limb segment kind, shared by the left and the right side.
_PART_COLORS = dict(shirt=(128, 128, 128),
                    skin=(130, 170, 220),
                    ear=(100, 140, 190),
                    upper_arm=(40, 200, 240),
                    forearm=(40, 120, 250),
                    thigh=(220, 120, 40),
                    shin=(240, 60, 150))
# The limb segments as (keypoint pair, part name), legs first so that arms cross over them.
_SEGMENTS = (
    ((11, 13), 'thigh'), ((13, 15), 'shin'), ((12, 14), 'thigh'), ((14, 16), 'shin'),
    ((5, 7), 'upper_arm'), ((7, 9), 'forearm'), ((6, 8), 'upper_arm'), ((8, 10), 'forearm'),
)
_EYE, _NOSE, _JOINT = (20, 20, 20), (60, 60, 200), (30, 30, 30)
# Per limb: its (root, middle, end) keypoints, the two segment lengths (shares of the
# person's height), and the ranges of the root angle and of the bend at the middle joint
# (radians; arms can rise above the head, knees bend less).
_LIMBS = (
    ((5, 7, 9), 0.17, 0.15, (-0.3, 2.6), (-0.3, 1.8)),
    ((6, 8, 10), 0.17, 0.15, (-0.3, 2.6), (-0.3, 1.8)),
    ((11, 13, 15), 0.24, 0.24, (-0.2, 0.6), (-0.5, 0.2)),
    ((12, 14, 16), 0.24, 0.24, (-0.2, 0.6), (-0.5, 0.2)),
)


def _pose_keypoints(rng: np.random.Generator, foot_center: Tuple[float, float],
                    person_h: float) -> Tuple[np.ndarray, np.ndarray]:
    """Joint positions of one random front-facing pose.

    Args:
        rng (numpy.random.Generator): The sample's generator.
        foot_center (tuple[float, float]): Point between the feet of a straight stance.
        person_h (float): Height of the figure in pixels (feet to the top of the head).

    Returns:
        tuple[numpy.ndarray, numpy.ndarray]: ``(17, 2)`` float joint positions in COCO
        keypoint order, and the ``(2,)`` centre of the head.
    """
    keypoints = np.zeros((17, 2))
    lean = rng.normal(0.0, 0.12)
    up = np.array([np.sin(lean), -np.cos(lean)])
    image_right = np.array([-up[1], up[0]])
    pelvis = np.asarray(foot_center, float) - 0.48 * person_h * np.array([0.0, 1.0])
    neck = pelvis + 0.3 * person_h * up
    head = neck + 0.11 * person_h * up
    # A slight turn of the head moves the face off the head's centre.
    turn = rng.uniform(-0.3, 0.3)
    keypoints[0] = head + person_h * (0.012 * turn * image_right - 0.005 * up)
    for side, eye, ear, shoulder, hip in ((1, 1, 3, 5, 11), (-1, 2, 4, 6, 12)):
        # ``side`` is +1 for the person's left, which faces the image's right.
        keypoints[eye] = head + person_h * (
            (0.022 * side + 0.01 * turn) * image_right + 0.015 * up)
        keypoints[ear] = head + person_h * (0.058 * side * image_right + 0.005 * up)
        keypoints[shoulder] = neck + 0.11 * person_h * side * image_right
        keypoints[hip] = pelvis + 0.07 * person_h * side * image_right
    for (root, middle, end), upper_len, lower_len, upper_range, bend_range in _LIMBS:
        side = 1 if root in (5, 11) else -1
        # Angles are measured from "hanging straight down", positive away from the body.
        upper = rng.uniform(*upper_range)
        lower = upper + rng.uniform(*bend_range)
        keypoints[middle] = keypoints[root] + upper_len * person_h * (
            np.sin(upper) * side * image_right - np.cos(upper) * up)
        keypoints[end] = keypoints[middle] + lower_len * person_h * (
            np.sin(lower) * side * image_right - np.cos(lower) * up)
    return keypoints, head


def _paint_body(canvas: np.ndarray, points: List[Tuple[int, int]], head: Tuple[int, int],
                limb_w: int, head_r: int, colors: Dict[str, object]) -> None:
    """Fill the torso, limbs, neck, ears and head of a figure with the given part colours."""
    torso = np.array([points[5], points[6], points[12], points[11]], np.int32)
    cv2.fillPoly(canvas, [torso], colors['shirt'])
    neck = tuple(int(round(0.5 * (points[5][k] + points[6][k]))) for k in range(2))
    cv2.line(canvas, neck, head, colors['skin'], limb_w)
    for (start, end), part in _SEGMENTS:
        cv2.line(canvas, points[start], points[end], colors[part], limb_w)
    for ear in (3, 4):
        cv2.circle(canvas, points[ear], max(1, head_r // 3), colors['ear'], -1)
    cv2.circle(canvas, head, head_r, colors['skin'], -1)


def _draw_figure(image: np.ndarray, mask: np.ndarray, keypoints: np.ndarray, head: np.ndarray,
                 person_h: float, shirt) -> None:
    """Paint a stick figure onto ``image`` and mark its pixels in ``mask``, in place.

    Args:
        image (numpy.ndarray): BGR uint8 image.
        mask (numpy.ndarray): uint8 map, set to 1 where the figure is drawn.
        keypoints (numpy.ndarray): ``(17, 2)`` joints from :func:`_pose_keypoints`.
        head (numpy.ndarray): Centre of the head.
        person_h (float): Height of the figure in pixels; sets the line widths.
        shirt (tuple[int, int, int]): Colour of the torso.
    """
    points = [tuple(int(v) for v in p) for p in np.round(keypoints)]
    head_px = tuple(int(v) for v in np.round(head))
    limb_w = max(2, int(round(0.045 * person_h)))
    head_r = max(3, int(round(0.065 * person_h)))
    _paint_body(image, points, head_px, limb_w, head_r, dict(_PART_COLORS, shirt=shirt))
    _paint_body(mask, points, head_px, limb_w, head_r, {part: 1 for part in _PART_COLORS})
    # Face and joint markers lie inside the figure, so the mask needs no update.
    feature_r = max(1, head_r // 5)
    for eye in (1, 2):
        cv2.circle(image, points[eye], feature_r, _EYE, -1)
    cv2.circle(image, points[0], feature_r, _NOSE, -1)
    for joint in range(5, 17):
        cv2.circle(image, points[joint], max(1, limb_w // 2), _JOINT, -1)


def _draw_background(rng: np.random.Generator, image_size: Tuple[int, int]) -> np.ndarray:
    """A wall-and-floor background with a few dull furniture blocks."""
    height, width = image_size
    image = vertical_gradient(height, width, jitter_color((170, 175, 180), rng, 40),
                              jitter_color((110, 120, 130), rng, 40))
    floor_y = int(height * rng.uniform(0.55, 0.75))
    image[floor_y:] = jitter_color((90, 110, 120), rng, 30)
    for _ in range(rng.integers(1, 4)):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, floor_y))
        x1, y1 = x0 + int(rng.integers(15, width // 3)), int(rng.integers(floor_y, height))
        grey = int(rng.integers(50, 200))
        cv2.rectangle(image, (x0, y0), (x1, y1), jitter_color((grey, grey, grey), rng, 20), -1)
    return image


def _visibility(keypoints: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """COCO visibility flags: 2 visible, 1 hidden by ``covered`` pixels, 0 outside the image."""
    height, width = covered.shape
    cols, rows = np.round(keypoints[:, 0]).astype(int), np.round(keypoints[:, 1]).astype(int)
    inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    flags = np.where(inside, 2, 0)
    hidden = inside.copy()
    hidden[inside] = covered[rows[inside], cols[inside]] > 0
    flags[hidden] = 1
    return flags


def render_people(rng: np.random.Generator,
                  image_size: Tuple[int, int],
                  max_people: int = 3) -> Tuple[np.ndarray, List[dict]]:
    """Paint one image of stick figures and return their COCO annotations.

    Args:
        rng (numpy.random.Generator): The sample's generator.
        image_size (tuple[int, int]): ``(height, width)`` in pixels.
        max_people (int): Most figures per image.

    Returns:
        tuple[numpy.ndarray, list[dict]]: The BGR uint8 image and, per figure, a dict with
        ``keypoints`` (51 ints), ``num_keypoints``, ``bbox``, ``area`` and ``segmentation``
        (without ids).
    """
    height, width = image_size
    image = _draw_background(rng, image_size)
    count = int(rng.integers(1, max_people + 1))
    slots = rng.permutation(count)
    figures = []
    for slot in slots:
        person_h = rng.uniform(0.4, 0.9) * height
        foot_x = (slot + rng.uniform(0.3, 0.7)) / count * width
        foot_y = rng.uniform(min(height, person_h * 1.02), height * 1.05)
        keypoints, head = _pose_keypoints(rng, (foot_x, foot_y), person_h)
        mask = np.zeros(image_size, np.uint8)
        _draw_figure(image, mask, keypoints, head, person_h,
                     tuple(int(c) for c in rng.integers(40, 220, size=3)))
        figures.append((keypoints, mask))
    occluders = np.zeros(image_size, np.uint8)
    if rng.random() < 0.3:
        # A box in front of part of the scene: the joints behind it become "labelled, hidden".
        x0, y0 = int(rng.uniform(0, 0.7) * width), int(rng.uniform(0.3, 0.8) * height)
        x1 = x0 + int(rng.uniform(0.15, 0.3) * width)
        y1 = y0 + int(rng.uniform(0.15, 0.3) * height)
        cv2.rectangle(image, (x0, y0), (x1, y1), jitter_color((60, 90, 120), rng, 30), -1)
        cv2.rectangle(occluders, (x0, y0), (x1, y1), 1, -1)
    annotations = []
    for index, (keypoints, mask) in enumerate(figures):
        covered = occluders.copy()
        for _, later_mask in figures[index + 1:]:
            covered |= later_mask
        flags = _visibility(keypoints, covered)
        if not (flags == 2).any():
            # A figure without a single visible joint is background clutter, not a person
            # anybody could annotate.
            continue
        rows, cols = np.nonzero(mask)
        x0, y0, x1, y1 = cols.min(), rows.min(), cols.max() + 1, rows.max() + 1
        visible = mask & (1 - covered)
        contours, _ = cv2.findContours(visible, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        polygons = [c.reshape(-1).tolist() for c in contours if len(c) >= 3]
        coords = np.where(flags[:, None] > 0, np.round(keypoints), 0).astype(int)
        bbox = [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]
        annotations.append(
            dict(keypoints=np.concatenate([coords, flags[:, None]], 1).reshape(-1).tolist(),
                 num_keypoints=int((flags > 0).sum()),
                 bbox=bbox,
                 area=float(visible.sum()),
                 segmentation=polygons))
    return add_noise(image, rng, sigma=4.0), annotations


def make_tiny_coco(root: str,
                   seed: int = 0,
                   num_train: int = 32,
                   num_val: int = 8,
                   min_size: Tuple[int, int] = (240, 320),
                   max_size: Tuple[int, int] = (320, 427)) -> Dict[str, List[str]]:
    """Write a tiny COCO person-keypoint dataset under ``root``.

    Args:
        root (str): Dataset root, the ``data_root`` of the mmpose config.
        seed (int): Seed; the same seed gives byte-identical files.
        num_train (int): Images in ``train2017``.
        num_val (int): Images in ``val2017``.
        min_size (tuple[int, int]): Smallest ``(height, width)`` of an image.
        max_size (tuple[int, int]): Largest ``(height, width)`` of an image.

    Returns:
        dict[str, list[str]]: Per split (``train2017``, ``val2017``), the image file names.
    """
    written: Dict[str, List[str]] = {}
    detections = []
    splits = (('train2017', num_train, 0), ('val2017', num_val, VAL_ID_OFFSET))
    for split, count, id_offset in splits:
        images, annotations, written[split] = [], [], []
        for index in range(count):
            rng = sample_rng(seed, 'coco', split, index)
            size = (int(rng.integers(min_size[0], max_size[0] + 1)),
                    int(rng.integers(min_size[1], max_size[1] + 1)))
            image, people = render_people(rng, size)
            image_id = id_offset + index + 1
            file_name = f'{image_id:012d}.jpg'
            write_jpeg(osp.join(root, split, file_name), image)
            images.append(dict(id=image_id, file_name=file_name, height=size[0], width=size[1]))
            for person in people:
                annotations.append(
                    dict(id=len(annotations) + 1 + id_offset,
                         image_id=image_id,
                         category_id=1,
                         iscrowd=0,
                         **person))
                if split == 'val2017':
                    detections.append(_detection_from(person['bbox'], image_id, rng))
            written[split].append(file_name)
        coco = dict(info=dict(description='mmnas tiny COCO-format person keypoints',
                              version='1.0',
                              year=2017),
                    licenses=[],
                    images=images,
                    annotations=annotations,
                    categories=[PERSON_CATEGORY])
        _write_json(osp.join(root, 'annotations', f'person_keypoints_{split}.json'), coco)
    _write_json(osp.join(root, DETECTION_FILE), detections)
    return written


def _detection_from(bbox: List[float], image_id: int, rng: np.random.Generator) -> dict:
    """A detector-style result for a ground-truth box: a few pixels off, a high score."""
    w, h = bbox[2:]
    noisy = np.asarray(bbox) + rng.normal(0.0, 0.03, size=4) * np.array([w, h, w, h])
    return dict(image_id=image_id,
                category_id=1,
                bbox=[round(float(v), 2) for v in noisy],
                score=round(float(rng.uniform(0.8, 1.0)), 4))


def _write_json(path: str, content) -> None:
    """Write ``content`` as compact JSON, creating the folder first."""
    atomic_write_text(path, json.dumps(content, separators=(',', ':')))
