"""Pretext transforms: their labels are right (undoing what the label says gives back the
image)."""
import numpy as np
import pytest

from mmnas.unnas import RotationPretext
from mmnas.utils.config_check import ConfigError


def image(h=12, w=12, seed=0):
    return np.random.RandomState(seed).randint(0, 256, (h, w, 3)).astype(np.uint8)


def test_rotation_label_undoes_the_rotation():
    np.random.seed(0)
    img = image()
    seen = set()
    for _ in range(40):
        out = RotationPretext()(dict(img=img.copy(), gt_label=7))
        k = out['gt_label']
        seen.add(k)
        np.testing.assert_array_equal(np.rot90(out['img'], -k), img)
        assert out['img'].flags['C_CONTIGUOUS'] and out['img_shape'] == (12, 12)
    assert seen == {0, 1, 2, 3}
    out = RotationPretext(rotations=(1, ))(dict(img=img.copy()))
    # A quarter turn counter-clockwise: the first row becomes the first column, bottom up.
    np.testing.assert_array_equal(out['img'][::-1, 0], img[0])


def test_rotation_bad_input():
    with pytest.raises(ConfigError, match='rotations'):
        RotationPretext(rotations=(4, ))
    with pytest.raises(ValueError, match='not square'):
        RotationPretext()(dict(img=image(12, 10)))
