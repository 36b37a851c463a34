import pytest
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope

import mmnas.registry as registry


def test_every_root_registry_has_an_mmnas_child():
    from mmengine.registry import Registry
    from mmengine.registry import root
    roots = {name for name, value in vars(root).items() if isinstance(value, Registry)}
    children = {name for name, value in vars(registry).items()
                if isinstance(value, Registry) and value.parent is not None}
    assert roots == children
    for name in children:
        assert getattr(registry, name).parent is getattr(root, name)


@pytest.mark.parametrize('host', ['mmseg', 'mmpose', 'mmdet3d', 'mmpretrain'])
def test_prefixed_type_builds_from_a_host_scope(host):
    """`type='mmnas.HRNASSuperNet'` resolves from a stock scope through the root registry."""
    with DefaultScope.overwrite_default_scope(host):
        with ROOT_MODELS.switch_scope_and_registry(None) as host_models:
            assert host_models.scope == host
            cls = host_models.get('mmnas.HRNASSuperNet')
    from mmnas.hrnas import HRNASSuperNet
    assert cls is HRNASSuperNet


def test_locations_import_the_modules():
    assert registry.MODELS.get('HRNASSuperNet') is not None
    assert registry.LOOPS.get('DeriveArchLoop') is not None
    assert registry.METRICS.get('MMEvalMetric') is not None
    assert registry.MODELS.get('SearchedBackbone') is not None


def test_a_method_type_imports_its_method_alone():
    """Building a DARTS network imports mmnas.unnas and none of the other three methods."""
    import subprocess
    import sys
    code = ('import sys\n'
            'from mmnas.registry import METHOD_PACKAGES, MODELS\n'
            "MODELS.build(dict(type='DARTSCellNet', channels=4, num_cells=3))\n"
            'print(sorted(m for m in METHOD_PACKAGES if m in sys.modules))\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    assert out == "['mmnas.unnas']"


def test_method_types_name_every_type_of_a_method():
    from mmnas.utils import register_all_modules
    register_all_modules(init_default_scope_=False)
    for reg in [v for v in vars(registry).values() if isinstance(v, registry.Registry)]:
        for name, obj in reg.module_dict.items():
            package = '.'.join(getattr(obj, '__module__', '').split('.')[:2])
            if package in registry.METHOD_PACKAGES:
                # The module a lookup imports: the method package or one of its modules
                # (HR-NAS's heads, which import mmseg and mmpose).
                listed = registry.METHOD_TYPES.get(reg.name, {}).get(name, '')
                assert listed == package or obj.__module__ == listed, (reg.name, name)
