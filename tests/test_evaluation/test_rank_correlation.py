"""rank_correlation: Spearman's ρ and Kendall's τ against values worked out by hand."""
import math

import pytest

from mmnas.evaluation import rank_correlation
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
