"""Cost lookup tables: tools/build_cost_table.py measures every (operation, input shape) of a
config's supernet, and the DenseNAS cost model reads the file."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from torch import nn

from mmnas.cost import CostTable, build_cost_table, measure_latency
from mmnas.densenas import DenseNASCostModel, DenseNASRouted
from mmnas.utils.config_check import ConfigError


def tiny_search_config(repo_root):
    return osp.join(repo_root, 'configs', 'densenas', 'densenas-mbv2-search_tiny-imagenet.py')


def test_tool_writes_a_latency_table_the_cost_model_reads(tmp_path, repo_root, run_tool):
    out = tmp_path / 'latency.json'
    assert run_tool('build_cost_table', tiny_search_config(repo_root), '--out', out,
                    '--metric', 'latency', '--batch-size', 2, '--warmup', 1, '--repeats', 2,
                    '--device', 'cpu') == 0
    table = CostTable.load(str(out))
    assert table.metric == 'latency' and table.unit == 'ms'
    assert table.meta['batch_size'] == 2 and table.meta['input_shape'] == [3, 32, 32]
    cfg = Config.fromfile(tiny_search_config(repo_root))
    backbone = DenseNASRouted(cfg.model.backbone.search_space)
    # Every operation and the classifier over the config's classes.
    _, entries = backbone.cost_graph((3, 32, 32), cfg.model.head.num_classes)
    assert set(table.entries) == set(entries)
    assert any(k.startswith('classifier|') for k in table.entries)
    assert all(v > 0 for k, v in table.entries.items() if not k.startswith('skip|'))
    cost = DenseNASCostModel(backbone, (3, 32, 32), str(out),
                             num_classes=cfg.model.head.num_classes)(backbone)
    assert torch.isfinite(cost) and cost > 0


def test_a_flops_table_is_the_count_of_each_module(tmp_path):
    conv = nn.Conv2d(4, 8, 3, padding=1, bias=False)
    table = build_cost_table({'conv': (conv, (4, 16, 16)), 'id': (nn.Identity(), (4, 16, 16))},
                             metric='flops')
    assert table.entries == {'conv': 4 * 8 * 9 * 16 * 16 / 1e6, 'id': 0.0}
    table.dump(str(tmp_path / 't.json'))
    assert CostTable.load(str(tmp_path / 't.json')).entries == table.entries


def test_latency_is_the_median_of_the_timed_runs():
    calls = []

    class Counted(nn.Module):
        def forward(self, x):
            calls.append(x.shape)
            return x

    ms = measure_latency(Counted(), (3, 8, 8), batch_size=5, warmup=2, repeats=3)
    assert ms >= 0 and len(calls) == 5 and calls[0] == (5, 3, 8, 8)


def test_bad_tables_are_named(tmp_path):
    with pytest.raises(ConfigError, match="metric 'energy'"):
        CostTable('energy')
    bad = tmp_path / 'bad.json'
    bad.write_text('{"entries": {}}')
    with pytest.raises(ConfigError, match='expected a JSON object with "metric"'):
        CostTable.load(str(bad))
    with pytest.raises(ConfigError, match="has no entry 'x'"):
        CostTable('flops')['x']
