"""Time of a DenseNAS dropping-path weight step against a step of the derived static network.

The supernet is DenseNAS's MobileNetV2-based space (17 routing blocks, up to 4 forward
connections each, 7 candidates per basic layer) in a classifier (global pooling + linear,
100 classes as in the search). α and β are set to a random, nearly decided architecture, so
that the supernet's expected cost (the chained estimate) is the size of the network that
Viterbi derives from it. Two steps are then timed in the same run, forward + cross-entropy +
backward + SGD on one batch:

- ``dropping-path``: the search's weight step (:class:`DenseNASArchUpdater`): one candidate
  per basic layer drawn from softmax(α) (re-drawn every step), every routing block and every
  shape-alignment head running, weighted by β (α/β frozen);
- ``derived``: the static :class:`DenseNASNet` from ``export_arch()`` (Viterbi path, argmax
  α), rebuilt from its ArchSpec.

The ratio says what the dense search space costs per weight step over training one
architecture of the same expected size: the blocks off the derived path and the heads of
every connection run too.

    python bench/densenas_weight_step.py [--steps 5] [--batch B] [--size S] [--seed 0]
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from mmnas.cost import count_complexity
from mmnas.densenas import DenseNASArchUpdater, DenseNASCostModel, DenseNASRouted

NUM_CLASSES = 100


class Classifier(nn.Module):
    """backbone → global average pooling → linear (the stock ImageClassifier's layout)."""

    def __init__(self, backbone: nn.Module, channels: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.fc = nn.Linear(channels, NUM_CLASSES)

    def forward(self, x):
        return self.fc(self.backbone(x)[-1].mean((2, 3)))


def time_steps(net, x, target, steps, warmup, before_step=None):
    params = [p for p in net.parameters() if p.requires_grad]
    optim = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=4e-5)
    net.train()
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        if before_step is not None:
            before_step()
        loss = F.cross_entropy(net(x), target)
        optim.zero_grad(set_to_none=True)
        loss.backward()
        optim.step()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--batch', type=int,
                        help='default: 32 on a GPU (DenseNAS supp. §A.1), 4 on CPU')
    parser.add_argument('--size', type=int,
                        help='default: 224 on a GPU (DenseNAS supp. §A.1), 128 on CPU')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    batch = args.batch or (32 if device == 'cuda' else 4)
    size = args.size or (224 if device == 'cuda' else 128)
    shape = (3, size, size)

    supernet = DenseNASRouted('mbv2', norm_cfg=dict(type='BN'))
    with torch.no_grad():
        for p in supernet.arch_parameters():
            p.copy_(torch.randn(p.shape) * 20)  # nearly one-hot: a decided architecture
    expected = float(DenseNASCostModel(supernet, shape)(supernet).detach())
    spec = supernet.export_arch()
    derived = spec.build()
    derived_flops = count_complexity(derived, shape)['flops'] / 1e6
    supernet.sample_ops(1)
    step_flops = count_complexity(supernet, shape)['flops'] / 1e6
    supernet.reset_ops()
    for p in supernet.arch_parameters():
        p.requires_grad_(False)  # as BilevelTrainLoop freezes them in a weight step

    channels = supernet.nodes[-1]['channels']
    search = Classifier(supernet, channels).to(device)
    static = Classifier(derived, channels).to(device)
    x = torch.randn(batch, *shape, device=device)
    target = torch.randint(0, NUM_CLASSES, (batch, ), device=device)
    updater = DenseNASArchUpdater()
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)

    def sample():
        updater.after_weight_step(search)
        updater.before_weight_step(search)

    results = {}
    for name, net, hook in (('dropping-path', search, sample), ('derived', static, None)):
        sync()
        times = time_steps(net, x, target, args.steps, args.warmup, hook)
        sync()
        results[name] = statistics.median(times)
    path = spec.meta['derived']['path']
    print(f'device {device} ({torch.get_num_threads()} threads), batch {batch} × '
          f'{list(shape)}, {args.steps} timed steps after {args.warmup} warm-up, median')
    print(f'supernet: {len(supernet.nodes) - 2} routing blocks, {len(supernet.edges)} '
          f'connections; derived path {path} ({len(path) - 2} blocks)')
    print(f'expected cost (chained) {expected:.1f} MFLOPs, derived network '
          f'{derived_flops:.1f} MFLOPs; one dropping-path step runs {step_flops:.1f} MFLOPs')
    for name, seconds in results.items():
        print(f'{name:>14}: {seconds * 1e3:8.1f} ms per step')
    ratio = results['dropping-path'] / results['derived']
    print(f'ratio dropping-path / derived: time {ratio:.2f}x, FLOPs '
          f'{step_flops / derived_flops:.2f}x')


if __name__ == '__main__':
    main()
