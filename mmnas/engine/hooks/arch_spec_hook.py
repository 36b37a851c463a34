"""ArchSpecHook: every checkpoint says which architecture its weights belong to."""
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmnas.models import SearchableBackbone, export_heads, unwrap_model
from mmnas.registry import HOOKS
from mmnas.structures import ArchSpec

#: Key of the network's architecture (``ArchSpec.to_dict()``) in a checkpoint's ``meta``.
ARCH_SPEC_KEY = 'arch_spec'


def _backbone(runner: Runner):
    """The runner's mmnas backbone, ``None`` for a model without one."""
    backbone = getattr(unwrap_model(runner.model), 'backbone', None)
    return backbone if isinstance(backbone, SearchableBackbone) else None


@HOOKS.register_module()
class ArchSpecHook(Hook):
    """Store the backbone's current architecture in every checkpoint as
    ``meta['arch_spec']`` (an :class:`ArchSpec` dict, as ``arch.json`` holds it), and hand a
    loaded checkpoint's spec to :meth:`restore` before its weights are loaded (mmengine calls
    ``after_load_checkpoint`` first), for ``--resume``, ``tools/test.py`` and
    ``tools/search.py`` alike.

    What is stored is what :meth:`SearchableBackbone.export_arch` says now, with the heads
    searched along (``ArchSpec.heads``): the cut network (HR-NAS), the current child
    (BigNAS), the derived genotype or path so far (DARTS, DenseNAS). A weight-sharing
    supernet keeps its shape while it is searched, so the config alone rebuilds the network
    its checkpoint's weights belong to and :meth:`restore` has nothing to do; a method whose
    network changes shape during the search (HR-NAS's
    :class:`~mmnas.hrnas.ProgressiveShrinkHook`) overrides it. The tools register this hook
    when a config has none of its kind.
    """

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        backbone = _backbone(runner)
        if backbone is not None:
            spec = backbone.export_arch()
            spec.heads = export_heads(runner.model)
            checkpoint.setdefault('meta', {})[ARCH_SPEC_KEY] = spec.to_dict()

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        data = (checkpoint.get('meta') or {}).get(ARCH_SPEC_KEY)
        if data is not None and _backbone(runner) is not None:
            self.restore(runner, ArchSpec.from_dict(data, f"checkpoint meta['{ARCH_SPEC_KEY}']"))

    def restore(self, runner: Runner, spec: ArchSpec) -> None:
        """Make the runner's network the one ``spec`` describes; a supernet whose shape the
        search does not change already is."""


def ensure_arch_spec_hook(runner: Runner) -> None:
    """Register an :class:`ArchSpecHook` unless the runner has one (or a subclass)."""
    if not any(isinstance(hook, ArchSpecHook) for hook in runner.hooks):
        runner.register_hook(ArchSpecHook())
