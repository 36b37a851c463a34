"""The cost model shared by every method: FLOPs and parameters (mmengine's count)."""
from .complexity import count_complexity, count_multiply_adds, module_flops, sdpa_flop_jit
from .lookup_table import METRIC_UNITS, CostTable, build_cost_table, measure_latency

__all__ = [
    'count_complexity', 'count_multiply_adds', 'module_flops', 'sdpa_flop_jit', 'CostTable', 'METRIC_UNITS',
    'build_cost_table', 'measure_latency'
]
