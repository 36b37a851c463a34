"""DenseNAS (Fang et al., CVPR 2020): a densely connected supernet of routing blocks searched
with dropping-path and a chained, latency-aware cost, derived by Viterbi over the blocks."""
from .arch_updater import DenseNASArchUpdater
from .cost_model import DenseNASCostModel
from .net import DenseNASNet
from .net_config import net_config_to_spec, spec_to_net_config
from .ops import build_op
from .routing import chained_cost, local_cost, rebalance_alpha, viterbi
from .search_space import MBV2_SPACE, RESNET_SPACE
from .supernet import DenseNASRouted, MixedLayer, count_paths
from .topk_hook import DenseNASTopKHook

__all__ = [
    'DenseNASRouted', 'DenseNASNet', 'DenseNASArchUpdater', 'DenseNASCostModel', 'MixedLayer',
    'build_op', 'viterbi', 'chained_cost', 'local_cost', 'rebalance_alpha', 'count_paths',
    'MBV2_SPACE', 'RESNET_SPACE', 'net_config_to_spec', 'spec_to_net_config',
    'DenseNASTopKHook'
]
