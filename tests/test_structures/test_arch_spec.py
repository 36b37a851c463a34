import json

import pytest
import torch

from mmnas.registry import MODELS
from mmnas.structures import ArchSpec
from mmnas.utils import ConfigError

TINY = dict(type='mmnas.HRNASSuperNet', stem_channels=8,
            stages=[dict(blocks=(1, ), channels=(8, )), dict(blocks=(1, 1), channels=(8, 16))],
            out_indices=(0, 1), expand_ratio=2)


def test_dump_load_build_round_trip(tmp_path):
    spec = ArchSpec(method='hrnas', backbone=json.loads(json.dumps(TINY)),
                    cost=dict(flops=1, params=2, input_shape=[3, 32, 32]), meta=dict(x=1))
    path = tmp_path / 'arch.json'
    spec.dump(str(path))
    assert ArchSpec.load(str(path)) == spec
    assert not [p for p in tmp_path.iterdir() if p.name != 'arch.json']
    net = MODELS.build(dict(type='mmnas.SearchedBackbone', arch_spec=str(path),
                            out_indices=(1, )))
    assert net(torch.randn(1, 3, 32, 32))[0].shape == (1, 16, 4, 4)


@pytest.mark.parametrize('content, message', [
    (None, 'does not exist'),
    ('{not json', 'not valid JSON'),
    ('[]', 'expected a JSON object'),
    ('{"version": 0, "method": "x", "backbone": {"type": "A"}}', 'version 0'),
    ('{"version": 1, "backbone": {"type": "A"}}', 'missing method'),
    ('{"version": 1, "method": "x", "backbone": {}}', 'must be a config dict'),
    ('{"version": 1, "method": "x", "backbone": {"type": "A"}, "extra": 1}', 'unknown fields'),
])
def test_bad_spec_files_are_named_in_the_error(tmp_path, content, message):
    path = tmp_path / 'arch.json'
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message) as info:
        ArchSpec.load(str(path))
    assert str(path) in str(info.value)
