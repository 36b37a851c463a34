"""Config checks: every shipped config passes, mistakes are named."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmnas.utils.config_check import ConfigError, check_types

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_every_shipped_config_resolves(path):
    """Each type resolves in the registry its key is built from, in the config's scope; a
    host registry with a broken location (mmdet3d 1.4's inferencers) does not matter."""
    check_types(Config.fromfile(path))


@pytest.mark.parametrize('key, name, expected', [
    ('model.backbone', 'mmnas.HRNASSuperNett', "mmnas.HRNASSuperNet'"),
    ('model.decode_head', 'FCNHaed', "FCNHead'"),
])
def test_unknown_type_is_named_with_suggestions(key, name, expected):
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'hrnas', 'hrnas-a_cityscapes.py'))
    cfg.merge_from_dict({f'{key}.type': name})
    with pytest.raises(ConfigError, match=f'{key}.type: unknown type .*did you mean.*{expected}'):
        check_types(cfg)


def test_type_in_a_scope_that_lacks_it_is_refused():
    """A name registered only in another host's scope is not what the build would find."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'hrnas', 'hrnas-a_cityscapes.py'))
    cfg.merge_from_dict({'model.decode_head.type': 'HeatmapHead'})
    with pytest.raises(ConfigError, match="model.decode_head.type: unknown type 'HeatmapHead'"):
        check_types(cfg)
