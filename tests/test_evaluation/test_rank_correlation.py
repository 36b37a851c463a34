"""rank_correlation: Spearman's ρ and Kendall's τ against values worked out by hand; the
bootstrap interval of ρ and percentile-stratified sampling."""
import math

import numpy as np
import pytest

from mmnas.evaluation import rank_correlation, spearman_bootstrap_ci, stratified_by_percentile
from mmnas.utils.config_check import ConfigError


def test_identical_and_reversed_rankings():
    assert rank_correlation([0.1, 0.5, 0.3], [10, 50, 30]) == dict(
        spearman_rho=pytest.approx(1.0), kendall_tau=pytest.approx(1.0), num=3)
    assert rank_correlation([1, 2, 3, 4], [4, 3, 2, 1]) == dict(
        spearman_rho=pytest.approx(-1.0), kendall_tau=pytest.approx(-1.0), num=4)


def test_two_swapped_pairs():
    # Rank differences d = (1, 1, 1, 1, 0): ρ = 1 - 6 Σd² / (n (n² - 1)) = 1 - 24 / 120;
    # 2 of the 10 pairs are discordant: τ = (8 - 2) / 10.
    stats = rank_correlation([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])
    assert stats['spearman_rho'] == pytest.approx(0.8)
    assert stats['kendall_tau'] == pytest.approx(0.6)


def test_constant_list_has_no_ranking():
    stats = rank_correlation([25.0, 25.0, 25.0], [10.0, 30.0, 20.0])
    assert math.isnan(stats['spearman_rho']) and math.isnan(stats['kendall_tau'])


@pytest.mark.parametrize('x, y, message', [
    ([1, 2, 3], [1, 2], '3 values against 2'),
    ([1], [1], 'at least 2'),
])
def test_bad_input_is_named(x, y, message):
    with pytest.raises(ConfigError, match=message):
        rank_correlation(x, y)


def test_bootstrap_interval_contains_rho_and_narrows_with_more_pairs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = x + rng.normal(scale=0.5, size=200)
    rho = rank_correlation(x, y)['spearman_rho']
    low, high = spearman_bootstrap_ci(x, y, num_resamples=300, seed=1)
    assert low < rho < high and high - low < 0.15
    low_few, high_few = spearman_bootstrap_ci(x[:20], y[:20], num_resamples=300, seed=1)
    assert high_few - low_few > high - low
    # Same seed, same interval; a perfect ranking has no spread.
    assert spearman_bootstrap_ci(x, y, num_resamples=300, seed=1) == (low, high)
    assert spearman_bootstrap_ci([1, 2, 3, 4], [2, 4, 6, 8], num_resamples=50) == \
        pytest.approx((1.0, 1.0))
    with pytest.raises(ConfigError, match='confidence'):
        spearman_bootstrap_ci(x, y, confidence=1.5)


def test_stratified_sampling_takes_the_same_count_from_every_percentile():
    values = np.random.default_rng(2).permutation(100).astype(float)  # ranks 0..99
    picked = stratified_by_percentile(values, per_stratum=3, num_strata=10, seed=0)
    assert len(picked) == 30 and len(set(picked)) == 30
    deciles = sorted(int(values[i]) // 10 for i in picked)
    assert deciles == [d for d in range(10) for _ in range(3)]
    with pytest.raises(ConfigError, match='at least 11 per stratum'):
        stratified_by_percentile(values, per_stratum=11)
