"""Training and search machinery shared by the methods: loops, hooks, optimizer wrappers."""
from .runner import DeriveArchLoop, get_searchable_backbone
from .utils import recalibrate_bn

__all__ = ['DeriveArchLoop', 'get_searchable_backbone', 'recalibrate_bn']
