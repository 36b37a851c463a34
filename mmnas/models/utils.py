"""Finding the mmnas backbone inside whatever wraps it (a stock model, a DDP wrapper)."""
from mmengine.model import is_model_wrapper
from torch import nn

from mmnas.utils.config_check import ConfigError
from .base_backbone import SearchableBackbone


def unwrap_model(model: nn.Module) -> nn.Module:
    """The stock model inside a DDP / FSDP wrapper (mmengine's ``MODEL_WRAPPERS``), or the
    model itself."""
    return model.module if is_model_wrapper(model) else model


def get_searchable_backbone(model: nn.Module) -> SearchableBackbone:
    """The mmnas backbone inside a stock model (``EncoderDecoder``, ``ImageClassifier``,
    ``TopdownPoseEstimator``, ``VoxelNet`` all keep it as ``.backbone``), wrapped or not.

    Raises:
        ConfigError: the model's backbone is not an mmnas backbone.
    """
    model = unwrap_model(model)
    backbone = getattr(model, 'backbone', model)
    if not isinstance(backbone, SearchableBackbone):
        raise ConfigError(f'model.backbone is a {type(backbone).__name__}, not an mmnas '
                          'backbone: nothing to search')
    return backbone


#: The parts of a stock model after its backbone, in forward order.
HEAD_KEYS = ('neck', 'decode_head', 'head')


def searched_heads(model: nn.Module) -> dict:
    """``{attribute: part}`` for the parts of a stock model after the backbone (neck, decode
    head, head) that were searched with it: those with an ``export_config()`` (HR-NAS's
    searched heads); empty for a stock head."""
    model = unwrap_model(model)
    return {key: getattr(model, key) for key in HEAD_KEYS
            if callable(getattr(getattr(model, key, None), 'export_config', None))}


def export_heads(model: nn.Module) -> dict:
    """``{attribute: config}`` of :func:`searched_heads`, as ``ArchSpec.heads`` holds them."""
    return {key: part.export_config() for key, part in searched_heads(model).items()}
