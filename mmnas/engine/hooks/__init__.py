from .rng_state import RNGStateHook, get_rng_state, preserved_rng, set_rng_state

__all__ = ['RNGStateHook', 'get_rng_state', 'set_rng_state', 'preserved_rng']
