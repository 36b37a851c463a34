"""Run on every rank of a torchrun by ``test_distributed.py``: two sandwich iterations; each
rank writes the children it trained and its parameters to ``OUT/rank<r>.pth``.

    python -m torch.distributed.run --nproc_per_node 2 dist_sandwich.py CONFIG OUT
"""
import sys

import torch
from mmengine.config import Config
from mmengine.dist import get_rank
from mmengine.runner import Runner

from mmnas.utils.cli import prepare_distributed


def main() -> None:
    config, out = sys.argv[1:3]
    cfg = Config.fromfile(config)
    cfg.work_dir = out
    cfg.launcher = 'pytorch'
    prepare_distributed(cfg)  # gloo and DDP without device ids when there is no GPU
    cfg.train_cfg.update(max_iters=2, val_interval=1000)
    runner = Runner.from_cfg(cfg)
    rule = runner.train_loop.rule
    trained, children = [], rule.children

    def record(backbone, step):
        trained.append((step, children(backbone, step)))
        return trained[-1][1]

    rule.children = record
    runner.train()
    model = runner.model.module
    params = {k: v.detach().clone() for k, v in model.named_parameters()}
    torch.save(dict(children=trained, params=params), f'{out}/rank{get_rank()}.pth')


if __name__ == '__main__':
    main()
