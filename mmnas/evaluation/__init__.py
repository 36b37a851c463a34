from .metrics import *  # noqa: F401,F403
from .rank_correlation import (rank_correlation, spearman_bootstrap_ci,  # noqa: F401
                               stratified_by_percentile)
