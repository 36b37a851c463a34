"""Pretext transforms: their labels are right (undoing what the label says gives back the
image)."""
import cv2
import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from mmnas.unnas import (ColorizationPretext, JigsawPretext, RotationDataPreprocessor,
                         RotationPretext, TileConcatNeck, TileDataPreprocessor)
from mmnas.unnas.pretext import ab_bins, lab_to_linear_rgb, max_hamming_permutations
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


def test_rotation_preprocessor_batches_every_quarter_turn_of_every_image():
    images = [image(seed=s) for s in range(2)]
    preprocessor = RotationDataPreprocessor(mean=[0, 0, 0], std=[1, 1, 1])
    data = dict(inputs=[torch.from_numpy(i).permute(2, 0, 1) for i in images],
                data_samples=[DataSample(metainfo=dict(sample_idx=s)).set_gt_label(7)
                              for s in range(2)])
    out = preprocessor(data, training=True)
    assert out['inputs'].shape == (8, 3, 12, 12)
    for row, sample in enumerate(out['data_samples']):
        n, k = divmod(row, 4)
        assert int(sample.gt_label) == k and sample.sample_idx == n
        # The same turn as RotationPretext's np.rot90 on (H, W, C).
        expected = np.rot90(images[n], k).transpose(2, 0, 1).astype(np.float32)
        np.testing.assert_array_equal(out['inputs'][row].numpy(), expected)
    with pytest.raises(ValueError, match='not square'):
        preprocessor(dict(inputs=[torch.zeros(3, 12, 10, dtype=torch.uint8)]), training=True)
    with pytest.raises(ConfigError, match='rotations'):
        RotationDataPreprocessor(rotations=())


def test_colorization_label_is_the_pixel_colour():
    rng = np.random.RandomState(0)
    img = rng.randint(0, 256, (8, 10, 3)).astype(np.uint8)
    out = ColorizationPretext()(dict(img=img.copy()))
    centres, _ = ab_bins(10)
    assert len(centres) == 262 and out['img'].shape == (8, 10, 1)
    assert out['gt_seg_map'].shape == (8, 10) and 'gt_seg_map' in out['seg_fields']
    lab = cv2.cvtColor(img.astype(np.float32) / 255, cv2.COLOR_BGR2LAB)
    np.testing.assert_allclose(out['img'][..., 0], lab[..., 0])
    # The label's bin centre is the pixel's (a, b) to within half a bin per axis ...
    ab = centres[out['gt_seg_map']]
    assert np.abs(ab - lab[..., 1:]).max() <= 5 + 1e-4
    # ... so L with the bins' colours gives back the image up to the quantisation.
    back = cv2.cvtColor(np.concatenate([lab[..., :1], ab.astype(np.float32)], -1),
                        cv2.COLOR_LAB2BGR)
    assert np.abs(back * 255 - img).mean() < 12
    # Linear sRGB of a Lab colour as cv2 computes it.
    rgb = lab_to_linear_rgb(lab[..., 0], lab[..., 1], lab[..., 2])
    srgb = img[..., ::-1] / 255
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055)**2.4)
    np.testing.assert_allclose(rgb, linear, atol=1e-2)


@pytest.mark.parametrize('grid, count', [(2, 24), (3, 30)])
def test_jigsaw_label_is_the_permutation(grid, count):
    np.random.seed(0)
    size = 6 * grid
    img = image(size, size)
    t = JigsawPretext(grid=grid, num_permutations=count, tile_ratio=1.0, normalize_tiles=False)
    perms = t.permutations
    assert perms.shape == (count, grid * grid) and len({tuple(p) for p in perms}) == count
    labels = set()
    for _ in range(10):
        out = t(dict(img=img.copy()))
        perm = perms[out['gt_label']]
        labels.add(out['gt_label'])
        tiles = out['img'].reshape(grid * grid, 6, 6, 3)
        restored = np.empty_like(tiles)
        restored[perm] = tiles  # output tile k is input tile perm[k]
        grid_img = restored.reshape(grid, grid, 6, 6, 3).transpose(0, 2, 1, 3, 4)
        np.testing.assert_array_equal(grid_img.reshape(size, size, 3), img)
    assert len(labels) > 1


def test_jigsaw_permutations_are_far_apart_and_tiles_normalised():
    perms = max_hamming_permutations(9, 30)
    dist = (perms[:, None] != perms[None]).sum(-1)
    np.fill_diagonal(dist, 9)
    # Greedy max-min: far above the ~2 of nearest random picks among 9! permutations.
    assert dist.min() >= 6
    np.random.seed(1)
    out = JigsawPretext(num_permutations=30)(dict(img=image(30, 30)))
    tiles = out['img'].reshape(9, -1, out['img'].shape[1], 3)
    assert tiles.shape[1:3] == (8, 8)  # round(0.76 · 10)
    np.testing.assert_allclose(tiles.mean(axis=(1, 2)), 0, atol=1e-4)
    with pytest.raises(ConfigError, match='num_permutations'):
        JigsawPretext(grid=2, num_permutations=25)


def test_tiles_through_the_stock_classifier_pieces():
    import torch
    from mmpretrain.structures import DataSample
    pre = TileDataPreprocessor(num_tiles=4, num_classes=24)
    inputs = torch.arange(2 * 3 * 8 * 2, dtype=torch.float32).view(2, 3, 8, 2)
    samples = [DataSample().set_gt_label(1), DataSample().set_gt_label(5)]
    data = pre(dict(inputs=inputs, data_samples=samples), True)
    assert data['inputs'].shape == (8, 3, 2, 2)
    torch.testing.assert_close(data['inputs'][5], inputs[1, :, 2:4])
    feats = TileConcatNeck(num_tiles=4)((torch.randn(8, 5), ))
    assert feats[0].shape == (2, 20)
