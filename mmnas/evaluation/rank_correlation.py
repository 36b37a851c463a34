"""How well one accuracy ranks architectures like another (UnNAS's sample-based experiments:
pretext-task accuracy against supervised accuracy of the same sampled architectures)."""
import warnings
from typing import Dict, Sequence

from scipy import stats

from mmnas.utils.config_check import ConfigError


def rank_correlation(x: Sequence[float], y: Sequence[float]) -> Dict[str, float]:
    """Spearman's ρ and Kendall's τ (τ-b, which handles ties) between paired values.

    Args:
        x: one value per architecture (e.g. pretext-task accuracy).
        y: the paired values (e.g. supervised accuracy), same length.

    Returns:
        ``dict(spearman_rho=ρ, kendall_tau=τ, num=len(x))``; ρ and τ are in [-1, 1], or NaN
        when either list is constant (no ranking to compare).
    """
    if len(x) != len(y):
        raise ConfigError(f'rank_correlation: {len(x)} values against {len(y)}; expected '
                          'one pair per architecture')
    if len(x) < 2:
        raise ConfigError(f'rank_correlation: {len(x)} pair(s); expected at least 2')
    with warnings.catch_warnings():
        # A constant list is reported as NaN, as documented, not warned about.
        warnings.simplefilter('ignore', stats.ConstantInputWarning)
        rho = stats.spearmanr(x, y).statistic
        tau = stats.kendalltau(x, y).statistic
    return dict(spearman_rho=float(rho), kendall_tau=float(tau), num=len(x))
