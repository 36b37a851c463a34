"""DeriveArchLoop: turn a trained supernet into its searched architecture (``tools/search.py``)."""
from typing import Optional, Sequence

from mmengine.logging import print_log
from mmengine.runner import Runner

from mmnas.cost import count_complexity
from mmnas.models import export_heads, get_searchable_backbone
from mmnas.registry import LOOPS
from mmnas.structures import ArchSpec
from .export import ARCH_FILE, WEIGHTS_FILE, finalize_spec, save_searched


@LOOPS.register_module()
class DeriveArchLoop:
    """Derive the architecture a supernet has found and write it with its weights.

    What "derive" means is the backbone's :meth:`export`: HR-NAS keeps the widths that
    survived shrinking, DARTS the top-2 edges per node, DenseNAS the Viterbi path. The
    spec's cost is counted on the network the spec builds (:func:`finalize_spec`).

    Args:
        runner: the runner holding the (loaded) supernet.
        input_shape: ``(C, H, W)`` at which FLOPs are counted.
        out_file: spec file name, relative to the work dir.
        weights_file: searched weights (the stock model's state dict with the searched
            backbone), relative to the work dir.
    """

    def __init__(self, runner: Runner, input_shape: Sequence[int], out_file: str = ARCH_FILE,
                 weights_file: str = WEIGHTS_FILE) -> None:
        self.runner = runner
        self.input_shape = tuple(input_shape)
        self.out_file = out_file
        self.weights_file = weights_file

    def run(self, checkpoint: Optional[str] = None) -> ArchSpec:
        return write_arch_spec(self.runner, self.input_shape, self.out_file, checkpoint,
                               self.weights_file)


def write_arch_spec(runner: Runner,
                    input_shape: Sequence[int],
                    out_file: str = ARCH_FILE,
                    checkpoint: Optional[str] = None,
                    weights_file: Optional[str] = WEIGHTS_FILE) -> ArchSpec:
    """Export the runner's backbone (and the heads searched with it, ``spec.heads``),
    finalise its spec (cost at ``input_shape``, provenance, the supernet's cost), write spec
    and weights into the work dir and log supernet → searched cost."""
    backbone = get_searchable_backbone(runner.model)
    spec, weights = backbone.export()
    spec.heads = export_heads(runner.model)
    supernet_cost = count_complexity(backbone.build_supernet(), input_shape)
    finalize_spec(spec, input_shape, runner.cfg.filename, checkpoint,
                  supernet_cost=supernet_cost)
    save_searched(runner.work_dir, runner.model, spec, weights, out_file, weights_file)
    print_log(
        f'{spec.method}: supernet {supernet_cost["flops"] / 1e9:.3f} GFLOPs '
        f'{supernet_cost["params"] / 1e6:.3f} M params -> searched '
        f'{spec.cost["flops"] / 1e9:.3f} GFLOPs {spec.cost["params"] / 1e6:.3f} M params '
        f'at input {list(input_shape)}; {out_file} and {weights_file} written to '
        f'{runner.work_dir}', logger='current')
    return spec
