"""Parameters and FLOPs of every zoo genotype's evaluation networks, as a Markdown table.

    python -m mmnas.unnas.table [--genotypes DARTS_V2 ...] [--settings imagenet cifar]

Settings (DARTS, Liu et al., ICLR 2019, §3.3 and §3.4):

- ``imagenet``: the mobile setting, 224×224 input, 14 cells, ImageNet stem, 1000 classes, at
  the width the released UnNAS evaluation gives the cell (``EVAL_SIZES``; 48 where it gives
  none, DARTS's width).
- ``cifar``: 32×32 input, 20 cells of width 36, CIFAR stem, 10 classes.

Each network is the evaluation backbone, global average pooling and the linear classifier;
the auxiliary head is left out as the papers count (it only runs in training). Columns, all
per image and counting one multiply-add as one operation:

- ``params``: every parameter (what DARTS's tables give).
- ``conv+fc MACs``: multiply-adds of convolutions and the classifier only, the convention of
  the mobile-setting limit ("multiply-add operations").
- ``mmengine FLOPs``: mmengine's ``FlopAnalyzer`` (fvcore's rules), which adds the norms
  (one per element) and the pooling to the above; mmnas's ``ArchSpec`` costs use it.
- ``all-layer ops``: conv+fc MACs plus one per output element of every norm and ReLU and k²
  per output element of every k×k pooling (what layer-wise counters such as ptflops add).
"""
import argparse
from typing import Dict, Iterable, List, Optional, Sequence

import torch
from torch import nn

from mmnas.cost import count_complexity
from mmnas.utils.config_check import ConfigError
from .genotype import EVAL_SIZES, GENOTYPES
from .network import DARTSNet

#: Published DARTS_V2 costs: DARTS Table 3 (ImageNet mobile setting) and Table 1 (CIFAR-10).
PUBLISHED = {('DARTS_V2', 'imagenet'): dict(params=4.7e6, macs=574e6),
             ('DARTS_V2', 'cifar'): dict(params=3.3e6)}
SETTINGS = {
    'imagenet': dict(stem='imagenet', num_cells=14, num_classes=1000, input_shape=(3, 224, 224)),
    'cifar': dict(stem='cifar', num_cells=20, channels=36, num_classes=10,
                  input_shape=(3, 32, 32)),
}


class EvalClassifier(nn.Module):
    """An evaluation network as the papers count it: ``DARTSNet`` → global average pooling →
    linear. ``(N, 3, H, W) → (N, num_classes)``."""

    def __init__(self, genotype: str, channels: int, num_cells: int, stem: str,
                 num_classes: int) -> None:
        super().__init__()
        self.backbone = DARTSNet(genotype, channels=channels, num_cells=num_cells, stem=stem)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.backbone.feature_info[-1].num_chs, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.backbone(x)[-1]).flatten(1))


def layer_counts(model: nn.Module, input_shape: Sequence[int]) -> Dict[str, int]:
    """``dict(macs=..., all_ops=...)`` of one input: conv/linear multiply-adds, and those plus
    the norm, ReLU and pooling outputs (see the module docstring)."""
    counts = dict(macs=0, other=0)

    def hook(module, _, out):
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            counts['macs'] += out.numel() * module.in_channels // module.groups * k
        elif isinstance(module, nn.Linear):
            counts['macs'] += out.numel() * module.in_features
        elif isinstance(module, (nn.BatchNorm2d, nn.ReLU)):
            counts['other'] += out.numel()
        elif isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
            k = module.kernel_size
            counts['other'] += out.numel() * (k * k if isinstance(k, int) else k[0] * k[1])

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.randn(1, *input_shape))
    finally:
        model.train(training)
        for h in handles:
            h.remove()
    return dict(macs=counts['macs'], all_ops=counts['macs'] + counts['other'])


def eval_cost(genotype: str, setting: str) -> dict:
    """Cost of ``genotype``'s evaluation network in ``setting`` (``imagenet`` or ``cifar``):
    ``channels``, ``params``, ``macs``, ``flops`` (mmengine) and ``all_ops``."""
    if setting not in SETTINGS:
        raise ConfigError(f'setting {setting!r}: expected one of {sorted(SETTINGS)}')
    spec = dict(SETTINGS[setting])
    input_shape = spec.pop('input_shape')
    if setting == 'imagenet':
        spec['channels'] = EVAL_SIZES[genotype].get('imagenet', dict(channels=48))['channels']
    model = EvalClassifier(genotype, **spec)
    cost = count_complexity(model, input_shape)
    return dict(channels=spec['channels'], params=cost['params'], flops=cost['flops'],
                **layer_counts(model, input_shape))


def format_table(rows: Iterable[dict]) -> str:
    """Markdown of ``rows`` (``genotype``, ``setting`` and :func:`eval_cost`'s keys)."""
    lines = [
        '| genotype | setting | C | params (M) | conv+fc MACs (M) | mmengine FLOPs (M) '
        '| all-layer ops (M) | published |',
        '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ]
    for r in rows:
        published = PUBLISHED.get((r['genotype'], r['setting']))
        note = ''
        if published:
            note = ' / '.join([f"{published['params'] / 1e6:.1f} M params"] + (
                [f"{published['macs'] / 1e6:.0f} M multiply-adds"] if 'macs' in published
                else []))
        lines.append(f"| {r['genotype']} | {r['setting']} | {r['channels']} "
                     f"| {r['params'] / 1e6:.2f} | {r['macs'] / 1e6:.1f} "
                     f"| {r['flops'] / 1e6:.1f} | {r['all_ops'] / 1e6:.1f} | {note} |")
    return '\n'.join(lines)


def build_rows(genotypes: Sequence[str], settings: Sequence[str]) -> List[dict]:
    unknown = [g for g in genotypes if g not in GENOTYPES]
    if unknown:
        raise ConfigError(f'genotypes {unknown}: expected names from {sorted(GENOTYPES)}')
    return [dict(genotype=g, setting=s, **eval_cost(g, s)) for g in genotypes for s in settings]


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--genotypes', nargs='+', default=list(GENOTYPES),
                        help='zoo names (default: all)')
    parser.add_argument('--settings', nargs='+', default=list(SETTINGS),
                        choices=sorted(SETTINGS), help='evaluation settings (default: both)')
    args = parser.parse_args(argv)
    print(format_table(build_rows(args.genotypes, args.settings)))


if __name__ == '__main__':
    main()
