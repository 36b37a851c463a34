"""DeriveArchLoop: turn a trained supernet into its searched architecture (``tools/search.py``)."""
import os.path as osp
import time
from typing import Optional, Sequence

from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from torch import nn

from mmnas.cost import count_complexity
from mmnas.models import SearchableBackbone
from mmnas.registry import LOOPS
from mmnas.structures import ArchSpec
from mmnas.utils.config_check import ConfigError
from mmnas.version import __version__


def get_searchable_backbone(model: nn.Module) -> SearchableBackbone:
    """The mmnas backbone inside a stock model (``EncoderDecoder``, ``ImageClassifier``,
    ``TopdownPoseEstimator``, ``VoxelNet`` all keep it as ``.backbone``)."""
    if is_model_wrapper(model):
        model = model.module
    backbone = getattr(model, 'backbone', model)
    if not isinstance(backbone, SearchableBackbone):
        raise ConfigError(f'model.backbone is a {type(backbone).__name__}, not an mmnas '
                          'backbone: nothing to search')
    return backbone


@LOOPS.register_module()
class DeriveArchLoop:
    """Derive the architecture a supernet has found and write it as an :class:`ArchSpec`.

    What "derive" means is the backbone's :meth:`export_arch`: HR-NAS keeps the widths that
    survived shrinking, DARTS the top-2 edges per node, DenseNAS the Viterbi path. The
    derived network is then rebuilt from the spec alone and counted with mmengine, so the
    cost in the file is the cost of the network the file builds.

    Args:
        runner: the runner holding the (loaded) supernet.
        input_shape: ``(C, H, W)`` at which FLOPs are counted.
        out_file: spec file name, relative to the work dir.
    """

    def __init__(self, runner: Runner, input_shape: Sequence[int],
                 out_file: str = 'arch.json') -> None:
        self.runner = runner
        self.input_shape = tuple(input_shape)
        self.out_file = out_file

    def run(self, checkpoint: Optional[str] = None) -> ArchSpec:
        return write_arch_spec(self.runner, self.input_shape, self.out_file, checkpoint)


def write_arch_spec(runner: Runner,
                    input_shape: Sequence[int],
                    out_file: str = 'arch.json',
                    checkpoint: Optional[str] = None) -> ArchSpec:
    """Export the runner's backbone as an :class:`ArchSpec` whose cost is counted on the network
    the spec builds, write it to ``work_dir/out_file`` and log supernet → searched cost."""
    backbone = get_searchable_backbone(runner.model)
    spec = backbone.export_arch()
    supernet_cost = count_complexity(backbone.build_supernet(), input_shape)
    spec.cost = count_complexity(spec.build(), input_shape)
    spec.meta.update(mmnas_version=__version__, config=runner.cfg.filename,
                     checkpoint=checkpoint, supernet_cost=supernet_cost,
                     time=time.strftime('%Y-%m-%d %H:%M:%S'))
    path = osp.join(runner.work_dir, out_file)
    spec.dump(path)
    print_log(
        f'{spec.method}: supernet {supernet_cost["flops"] / 1e9:.3f} GFLOPs '
        f'{supernet_cost["params"] / 1e6:.3f} M params -> searched '
        f'{spec.cost["flops"] / 1e9:.3f} GFLOPs {spec.cost["params"] / 1e6:.3f} M params '
        f'at input {list(input_shape)}; spec written to {path}',
        logger='current')
    return spec
