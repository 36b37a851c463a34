"""Training-step time and inference latency of a searched HR-NAS network against its supernet.

The network of the README demo (``configs/hrnas/hrnas-supernet_tiny-cityscapes.py``: four
branches of one block each, expansion 2, lightweight transformers, and the searched
segmentation head, expansion 1, to 90 channels) with plain BN, and a searched network of it
as progressive shrinking leaves one: every kernel of every searching block keeps a random
share of its hidden channels (odd widths included) or is removed, every transformer keeps
some tokens or is removed, at about a quarter of the supernet's FLOPs (``--keep`` sets the
mean share). Timed in the same run, interleaved round by round so that all see the same load
(each network's first step of a round untimed, :func:`timed`):

- ``supernet``: the plain network being searched (:class:`~mmnas.hrnas.SearchingBlock`);
- ``searched plain``: the searched widths in the same plain blocks;
- ``searched``: the searched network as ``mmnas.SearchedBackbone`` builds it, the deploy form
  (:class:`~mmnas.hrnas.FusedSearchingBlock`), loaded from the plain one's state dict.

Train: forward + cross-entropy + backward, batch 4 at 128×256 (the demo's crops). Inference:
eval mode, no gradients, batch 1 at 256×512. Targets: the searched network trains in at most
0.5× and infers in at most 0.4× the supernet's time.

    python bench/hrnas_searched_speed.py [--steps 7] [--profile]
"""
import argparse
import random
import statistics
import time

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmnas.cost import count_complexity
from mmnas.hrnas import HRNASSuperNet
from mmnas.hrnas.heads import HRNASSegHead

NUM_CLASSES = 19
STAGES = (dict(blocks=(1, ), channels=(24, )), dict(blocks=(1, 1), channels=(18, 36)),
          dict(blocks=(1, 1, 1), channels=(18, 36, 72)),
          dict(blocks=(1, 1, 1, 1), channels=(18, 36, 72, 144)))
CONTEXT = dict(type='mmnas.LightweightTransformer', num_tokens=8, proj_size=8)
NORM = dict(type='BN', momentum=0.01, eps=1e-3)


class SegNet(nn.Module):
    """Backbone + HR-NAS segmentation head: ``(N, 3, H, W) → (N, 19, H/4, W/4)``."""

    def __init__(self, backbone: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.backbone(x))


def build(arch=None, head_arch=None, fused=False) -> SegNet:
    backbone = HRNASSuperNet(stages=STAGES, expand_ratio=2, context=CONTEXT, norm_cfg=NORM,
                             arch=arch, fused=fused)
    head = HRNASSegHead(in_channels=[18, 36, 72, 144], channels=90, expand_ratio=1,
                        dropout_ratio=0.0, num_classes=NUM_CLASSES, norm_cfg=NORM,
                        align_corners=False, arch=head_arch, fused=fused)
    return SegNet(backbone, head)


def searched_arch(supernet: SegNet, keep: float, seed: int):
    """Random searched widths: per kernel, removed with probability 0.3, else a share of
    U(0.2, 2·keep - 0.2) of its channels; per transformer 0–8 tokens."""
    rng = random.Random(seed)
    archs = []
    for part in (supernet.backbone, supernet.head):
        arch = {}
        for name, block in part.searching_blocks():
            hidden = [0 if rng.random() < 0.3 else
                      max(1, round(h * rng.uniform(0.2, 2 * keep - 0.2)))
                      for h in block.hidden_channels]
            arch[name] = dict(hidden_channels=hidden)
            if block.context is not None:
                arch[name]['num_tokens'] = rng.randint(0, 8)
        archs.append(arch)
    return archs


def train_step(net: nn.Module, x: Tensor, target: Tensor) -> float:
    start = time.perf_counter()
    logits = F.interpolate(net(x), x.shape[2:], mode='bilinear', align_corners=False)
    loss = F.cross_entropy(logits, target)
    net.zero_grad(set_to_none=True)
    loss.backward()
    return time.perf_counter() - start


@torch.no_grad()
def infer(net: nn.Module, x: Tensor) -> float:
    start = time.perf_counter()
    net(x)
    return time.perf_counter() - start


def timed(nets, fn, inputs, warmup: int, steps: int):
    """Median seconds of ``fn(net, *inputs)`` per network. Rounds interleave the networks so
    that all see the same load; in each round a network first runs one untimed step, since
    the first step after another network's pays for the memory that one freed (the
    allocator hands it back to the system, and the next step faults it in again: 0.3 s of a
    searched network's 0.27 s step), which a training run, one network step after step,
    never pays."""
    times = {name: [] for name in nets}
    for i in range(warmup + steps):
        for name, net in nets.items():
            fn(net, *inputs)
            seconds = fn(net, *inputs)
            if i >= warmup:
                times[name].append(seconds)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--steps', type=int, default=7)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--keep', type=float, default=0.35)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--train-size', type=int, nargs=3, default=(4, 128, 256),
                        metavar=('N', 'H', 'W'))
    parser.add_argument('--infer-size', type=int, nargs=3, default=(1, 256, 512),
                        metavar=('N', 'H', 'W'))
    parser.add_argument('--profile', action='store_true',
                        help='print the operators taking the most time in one training step '
                        'of each searched form')
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads')

    supernet = build()
    arch, head_arch = searched_arch(supernet, args.keep, args.seed)
    plain = build(arch, head_arch)
    fused = build(arch, head_arch, fused=True)
    fused.load_state_dict(plain.state_dict(), strict=True)
    nets = {'supernet': supernet, 'searched plain': plain, 'searched': fused}
    n, h, w = args.infer_size
    flops = {}
    for name, net in nets.items():
        cost = count_complexity(net.eval(), (3, h, w))
        flops[name] = cost['flops']
        print(f'{name:14s}: {cost["params"] / 1e6:.3f} M params, '
              f'{cost["flops"] / 1e9:.3f} GFLOPs at {h}x{w} (eval)')
    print(f'searched / supernet FLOPs: {flops["searched"] / flops["supernet"]:.2f}')

    n, h, w = args.train_size
    x = torch.randn(n, 3, h, w)
    target = torch.randint(0, NUM_CLASSES, (n, h, w))
    for net in nets.values():
        net.train()
    train = timed(nets, train_step, (x, target), args.warmup, args.steps)
    if args.profile:
        for name in ('searched plain', 'searched'):
            with torch.profiler.profile() as prof:
                train_step(nets[name], x, target)
            print(f'{name}, one training step:')
            print(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=12))

    n, h, w = args.infer_size
    x = torch.randn(n, 3, h, w)
    for net in nets.values():
        net.eval()
    latency = timed(nets, infer, (x, ), args.warmup, args.steps)

    for name in nets:
        print(f'{name:14s}: train step {train[name] * 1e3:7.1f} ms '
              f'({train[name] / train["supernet"]:.2f}x supernet), inference '
              f'{latency[name] * 1e3:7.1f} ms ({latency[name] / latency["supernet"]:.2f}x)')
    print(f'searched (deploy form): train {train["searched"] / train["supernet"]:.2f}x the '
          f'supernet (target <= 0.5x), inference {latency["searched"] / latency["supernet"]:.2f}x '
          '(target <= 0.4x)')


if __name__ == '__main__':
    main()
