"""The random states saved by RNGStateHook survive torch's weights_only loading and put every
generator back exactly."""
import random

import numpy as np
import torch

from mmnas.engine import get_rng_state, preserved_rng, set_rng_state
from mmnas.utils.checkpoint import load_local_checkpoint


def draws():
    return random.random(), np.random.rand(3).tolist(), np.random.randn(), torch.rand(3).tolist()


def test_states_round_trip_through_a_safe_checkpoint(tmp_path):
    torch.manual_seed(1)
    np.random.seed(1)
    random.seed(1)
    np.random.randn()  # numpy caches the second gaussian of a pair: part of the state
    path = tmp_path / 'rng.pth'
    torch.save(dict(rng_state=get_rng_state()), path)
    expected = draws()
    assert draws() != expected
    set_rng_state(load_local_checkpoint(str(path))['rng_state'])
    assert draws() == expected


def test_preserved_rng_leaves_the_stream_untouched():
    torch.manual_seed(2)
    np.random.seed(2)
    random.seed(2)
    state = get_rng_state()
    with preserved_rng():
        draws()
    after = draws()
    set_rng_state(state)
    assert draws() == after
