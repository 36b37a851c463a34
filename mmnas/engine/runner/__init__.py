from .derive_loop import DeriveArchLoop, get_searchable_backbone

__all__ = ['DeriveArchLoop', 'get_searchable_backbone']
