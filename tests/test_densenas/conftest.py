import pytest

#: A five-block space small enough to enumerate: 3 candidates (two inverted residuals and
#: skip), connections 0→1,2  1→2,3  2→3,4  3→4,5  4→5 (block 5 is the ending block).
TINY_SPACE = dict(
    stem=dict(channels=8, stride=2, op=None),
    blocks=[
        dict(channels=8, stride=2, stage=1, num_layers=1),
        dict(channels=12, stride=4, stage=1, num_layers=2),
        dict(channels=16, stride=4, stage=2, num_layers=1),
        dict(channels=16, stride=8, stage=2, num_layers=1),
        dict(channels=24, stride=8, stage=3, num_layers=0, head_op='conv_k1'),
    ],
    head_op='ir_k3_e1',
    candidate_ops=('ir_k3_e3', 'ir_k5_e3', 'skip'),
    max_connections=3,
    temperature=1.0,
    act_cfg=dict(type='ReLU6'))


@pytest.fixture
def tiny_space() -> dict:
    return TINY_SPACE
