from .metrics import *  # noqa: F401,F403
from .rank_correlation import (rank_correlation, resnet_cifar,  # noqa: F401
                               spearman_bootstrap_ci, stratified_by_percentile)
