"""Pretext transforms: their labels are right (undoing what the label says gives back the
image)."""
import itertools

import cv2
import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from mmnas.unnas import (ColorizationPretext, JigsawPretext, RotationDataPreprocessor,
                         RotationPretext, TileConcatNeck, TileDataPreprocessor)
from mmnas.unnas.pretext import (ab_bins, lab_to_linear_rgb, max_hamming_permutations,
                                 permutation_set, quantize_ab, released_permutations)
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


def test_colorization_label_is_the_nearest_of_the_313_bins():
    rng = np.random.RandomState(0)
    img = rng.randint(0, 256, (8, 10, 3)).astype(np.uint8)
    out = ColorizationPretext()(dict(img=img.copy()))
    centres = ab_bins()
    assert out['img'].shape == (8, 10, 1)
    assert out['gt_seg_map'].shape == (8, 10) and 'gt_seg_map' in out['seg_fields']
    lab = cv2.cvtColor(img.astype(np.float32) / 255, cv2.COLOR_BGR2LAB)
    np.testing.assert_allclose(out['img'][..., 0], lab[..., 0])
    # The label is the nearest centre (brute force over all 313) ...
    distance = ((lab[..., None, 1:] - centres) ** 2).sum(-1)
    label = out['gt_seg_map']
    np.testing.assert_allclose(np.take_along_axis(distance, label[..., None], -1)[..., 0],
                               distance.min(-1), rtol=1e-5)
    # ... so L with the bins' colours gives back the image up to the quantisation.
    ab = centres[label]
    back = cv2.cvtColor(np.concatenate([lab[..., :1], ab.astype(np.float32)], -1),
                        cv2.COLOR_LAB2BGR)
    assert np.abs(back * 255 - img).mean() < 12
    # Colours beyond the table's rim go to the nearest rim bin.
    rim = np.array([[[-200.0, 0.0], [0.0, 300.0], [-95.0, -104.0]]])
    nearest = ((rim[..., None, :] - centres) ** 2).sum(-1).argmin(-1)
    np.testing.assert_array_equal(quantize_ab(rim), nearest)


def test_colorization_bins_are_zhang_et_al_313_in_gamut_bins():
    centres = ab_bins()
    assert centres.shape == (313, 2) and len({tuple(c) for c in centres}) == 313
    assert not (centres % 10).any()  # a 10-wide grid
    # Every 10-wide ab cell that holds an sRGB colour at some lightness is a bin (262 such
    # cells); Zhang et al.'s gamut estimate, from ImageNet's colours, adds 51 at the rim.
    off = np.linspace(-5, 5, 11)
    grid = np.arange(-110, 111, 10)
    holds = []
    for a in grid:
        for b in grid:
            aa, bb = np.meshgrid(a + off, b + off, indexing='ij')
            rgb = lab_to_linear_rgb(np.linspace(0, 100, 101)[:, None, None], aa[None], bb[None])
            if ((rgb >= 0) & (rgb <= 1)).all(-1).any():
                holds.append((float(a), float(b)))
    assert len(holds) == 262 and set(holds) <= {tuple(c) for c in centres}
    # Linear sRGB of a Lab colour as cv2 computes it.
    rng = np.random.RandomState(1)
    img = rng.randint(0, 256, (4, 4, 3)).astype(np.uint8)
    lab = cv2.cvtColor(img.astype(np.float32) / 255, cv2.COLOR_BGR2LAB)
    rgb = lab_to_linear_rgb(lab[..., 0], lab[..., 1], lab[..., 2])
    srgb = img[..., ::-1] / 255
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055)**2.4)
    np.testing.assert_allclose(rgb, linear, atol=1e-2)


@pytest.mark.parametrize('grid, count', [(2, 24), (3, 1000), (3, 30)])
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
        restored = tiles[perm]  # the tile of cell k sits in slot perm[k]
        grid_img = restored.reshape(grid, grid, 6, 6, 3).transpose(0, 2, 1, 3, 4)
        np.testing.assert_array_equal(grid_img.reshape(size, size, 3), img)
    assert len(labels) > 1


def test_released_permutation_sets():
    sets = released_permutations()
    nine, four = sets[9], sets[4]
    assert nine.shape == (1000, 9) and len({tuple(p) for p in nine}) == 1000
    assert (np.sort(nine, axis=1) == np.arange(9)).all()
    dist = (nine[:, None] != nine[None]).sum(-1)
    off_diagonal = dist[~np.eye(1000, dtype=bool)]
    # Noroozi & Favaro's maximal set: mean Hamming distance 8.00, minimum 2.
    assert off_diagonal.min() == 2 and off_diagonal.mean() == pytest.approx(8.0, abs=0.01)
    assert sorted(map(tuple, four)) == sorted(itertools.permutations(range(4)))
    assert permutation_set(9, 1000) is nine and permutation_set(9, 30).shape == (30, 9)


def test_jigsaw_released_sizes_and_tile_normalisation():
    greedy = max_hamming_permutations(9, 30)
    dist = (greedy[:, None] != greedy[None]).sum(-1)
    np.fill_diagonal(dist, 9)
    # Greedy max-min: far above the ~2 of nearest random picks among 9! permutations.
    assert dist.min() >= 6
    np.random.seed(1)
    mean, std = [103.5, 116.3, 123.7], [57.4, 57.1, 58.4]
    img = np.random.randint(0, 256, (255, 255, 3)).astype(np.uint8)
    out = JigsawPretext(mean=mean, std=std)(dict(img=img))
    tiles = out['img'].reshape(9, 64, 64, 3)  # 85-pixel cells, int(0.76 · 85) = 64
    # Each tile standardised over all its pixels and channels.
    np.testing.assert_allclose(tiles.mean(axis=(1, 2, 3)), 0, atol=1e-4)
    np.testing.assert_allclose(tiles.std(axis=(1, 2, 3)), 1, atol=1e-3)
    with pytest.raises(ConfigError, match='num_permutations'):
        JigsawPretext(grid=2, num_permutations=25)
    with pytest.raises(ConfigError, match='mean and std'):
        JigsawPretext(mean=mean)


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
