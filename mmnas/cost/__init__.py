"""The cost model shared by every method: FLOPs and parameters (mmengine's count)."""
from .complexity import count_complexity, sdpa_flop_jit

__all__ = ['count_complexity', 'sdpa_flop_jit']
