"""How well one accuracy ranks architectures like another (UnNAS's sample-based experiments:
pretext-task accuracy against supervised accuracy of the same sampled architectures)."""
import warnings
from typing import Dict, List, Sequence, Tuple

import numpy as np
from scipy import stats
from torch import nn

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


def spearman_bootstrap_ci(x: Sequence[float], y: Sequence[float], num_resamples: int = 1000,
                          confidence: float = 0.95, seed: int = 0) -> Tuple[float, float]:
    """Percentile bootstrap confidence interval of Spearman's ρ: the pairs are resampled with
    replacement ``num_resamples`` times and ρ of each resample taken (resamples whose values
    are all tied, so that ρ is undefined, are left out).

    Returns:
        ``(low, high)``, the ``(1 − confidence) / 2`` and ``(1 + confidence) / 2`` quantiles,
        or ``(nan, nan)`` when no resample has a defined ρ.
    """
    if len(x) != len(y) or len(x) < 2:
        raise ConfigError(f'spearman_bootstrap_ci: {len(x)} values against {len(y)}; expected '
                          'at least 2 pairs')
    if not 0 < confidence < 1 or num_resamples < 1:
        raise ConfigError(f'spearman_bootstrap_ci: confidence={confidence}, num_resamples='
                          f'{num_resamples}; expected (0, 1) and at least 1')
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    rng = np.random.default_rng(seed)
    rhos = []
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', stats.ConstantInputWarning)
        for _ in range(num_resamples):
            idx = rng.integers(0, len(x), len(x))
            rho = stats.spearmanr(x[idx], y[idx]).statistic
            if not np.isnan(rho):
                rhos.append(rho)
    if not rhos:
        return float('nan'), float('nan')
    tail = (1 - confidence) / 2
    low, high = np.quantile(rhos, [tail, 1 - tail])
    return float(low), float(high)


def stratified_by_percentile(values: Sequence[float], per_stratum: int, num_strata: int = 10,
                             seed: int = 0) -> List[int]:
    """Indices of ``per_stratum`` entries drawn from each of ``num_strata`` equal-count
    percentile ranges of ``values`` (UnNAS supp. §A: rank the NAS-Bench-101 architectures by
    released accuracy, then 50 from each 10th percentile).

    Returns:
        the drawn indices, lowest stratum first, ascending within a stratum.
    """
    if num_strata < 1 or per_stratum < 1:
        raise ConfigError(f'stratified sampling: num_strata={num_strata}, per_stratum='
                          f'{per_stratum}; expected at least 1 each')
    order = np.argsort(np.asarray(values, dtype=np.float64), kind='stable')
    strata = np.array_split(order, num_strata)
    small = min(len(s) for s in strata)
    if small < per_stratum:
        raise ConfigError(f'stratified sampling: {len(values)} entries give strata of '
                          f'{small}; expected at least {per_stratum} per stratum')
    rng = np.random.default_rng(seed)
    return [int(i) for s in strata for i in sorted(rng.choice(s, per_stratum, replace=False))]


def resnet_cifar(depth: int = 56) -> nn.Sequential:
    """The CIFAR ResNet of He et al. (2016, §4.2) as a backbone without the classifier, from
    mmpretrain's stock ``BasicBlock`` layers: a 3×3 stem conv to 16 channels, then three
    stages of ``(depth − 2) / 6`` basic blocks at 16, 32 and 64 channels (strides 1, 2, 2;
    1×1 projection shortcuts where the shape changes). The size reference of UnNAS's DARTS
    samples (supp. §A: ResNet-56). ``(N, 3, 32, 32) → (N, 64, 8, 8)``."""
    from mmpretrain.models.backbones.resnet import BasicBlock, ResLayer
    if depth < 8 or (depth - 2) % 6:
        raise ConfigError(f'resnet_cifar depth={depth}: expected 6n + 2 with n >= 1')
    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True)]
    in_channels = 16
    for width, stride in zip((16, 32, 64), (1, 2, 2)):
        layers.append(ResLayer(BasicBlock, num_blocks=(depth - 2) // 6, in_channels=in_channels,
                               out_channels=width, expansion=1, stride=stride))
        in_channels = width
    return nn.Sequential(*layers)
