from .metrics import *  # noqa: F401,F403
from .rank_correlation import rank_correlation  # noqa: F401
