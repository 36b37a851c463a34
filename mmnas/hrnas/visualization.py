"""A picture of a searched HR-NAS architecture: what survived in every searching block."""
from mmnas.structures import ArchSpec
from mmnas.utils.atomic import atomic_path


def draw_arch(spec: ArchSpec, path: str) -> None:
    """Draw ``spec`` (an HR-NAS ArchSpec) as a PNG: one stacked bar per searching block in
    forward order, the kept hidden channels of each kernel against the supernet width (grey
    outline), and a marker with the token count where the block keeps its transformer.

    The file is written next to ``path`` first and renamed, so a reader never sees half of it.
    """
    # Imported here, where a figure is drawn: importing mmnas.hrnas stays free of matplotlib.
    import matplotlib
    matplotlib.use('Agg')  # files only: no display on training machines
    import matplotlib.pyplot as plt

    backbone = spec.backbone
    arch = backbone['arch']
    kernels = backbone['kernel_sizes']
    names = list(arch)
    fig, ax = plt.subplots(figsize=(max(8.0, 0.18 * len(names)), 4.5))
    bottoms = [0] * len(names)
    colours = plt.get_cmap('viridis')([0.15 + 0.7 * i / max(1, len(kernels) - 1)
                                       for i in range(len(kernels))])
    for k, (kernel, colour) in enumerate(zip(kernels, colours)):
        heights = [arch[n]['hidden_channels'][k] for n in names]
        ax.bar(range(len(names)), heights, bottom=bottoms, color=colour, width=0.8,
               label=f'{kernel}x{kernel} kernel')
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    full = _supernet_hidden(backbone)
    if full:
        ax.bar(range(len(names)), [full.get(n, 0) for n in names], fill=False,
               edgecolor='0.6', width=0.8, linewidth=0.6, label='supernet width')
    kept = [(i, arch[n]['num_tokens']) for i, n in enumerate(names)
            if arch[n].get('num_tokens', 0) > 0]
    if kept:
        top = max(max(bottoms), max(full.values()) if full else 0)
        ax.scatter([i for i, _ in kept], [top * 1.05] * len(kept), marker='v', color='crimson',
                   label='transformer kept')
        for i, tokens in kept:
            ax.annotate(str(tokens), (i, top * 1.05), textcoords='offset points',
                        xytext=(0, 4), ha='center', fontsize=6, color='crimson')
    stages = [n.split('.')[0] + '.' + n.split('.')[1] for n in names]
    ticks = [i for i in range(len(names)) if i == 0 or stages[i] != stages[i - 1]]
    ax.set_xticks(ticks, [stages[i] for i in ticks], rotation=45, ha='right', fontsize=7)
    ax.set_xlim(-1, len(names))
    ax.set_ylabel('hidden channels kept')
    cost = spec.cost or {}
    title = f'HR-NAS searched architecture: {len(names)} searching blocks'
    if cost:
        title += (f', {cost["flops"] / 1e9:.3f} GFLOPs, {cost["params"] / 1e6:.3f} M params '
                  f'at {cost["input_shape"]}')
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc='upper right')
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=150, format='png')
    plt.close(fig)


def _supernet_hidden(backbone: dict) -> dict:
    """Hidden width of every block in the uncut supernet of this config."""
    from .supernet import HRNASSuperNet
    config = {k: v for k, v in backbone.items() if k not in ('type', 'arch')}
    net = HRNASSuperNet(**config)
    return {name: block.num_hidden for name, block in net.searching_blocks()}
