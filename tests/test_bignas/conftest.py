import pytest

#: A small BigNAS space: every dimension elastic, SE in one stage, seconds per test on CPU.
TINY_SPACE = dict(
    resolution=(32, 40, 48),
    first_conv=dict(width=(8, 16)),
    stages=[
        dict(width=(8, 16), depth=(1, 2), kernel=(3, 5), expand=(1, ), stride=1, se=False),
        dict(width=(16, 24), depth=(1, 2, 3), kernel=(3, 5), expand=(3, 4), stride=2, se=True),
        dict(width=(24, 32), depth=(2, 3), kernel=(3, 5), expand=(4, 6), stride=2, se=False),
    ],
    last_conv=dict(width=(48, 64)))


@pytest.fixture
def tiny_space():
    return TINY_SPACE
