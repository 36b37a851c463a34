from .arch_spec_hook import ARCH_SPEC_KEY, ArchSpecHook, ensure_arch_spec_hook
from .rng_state import RNGStateHook, get_rng_state, preserved_rng, set_rng_state

__all__ = [
    'ArchSpecHook', 'ARCH_SPEC_KEY', 'ensure_arch_spec_hook', 'RNGStateHook', 'get_rng_state',
    'set_rng_state', 'preserved_rng'
]
