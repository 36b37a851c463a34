"""Registration of every mmnas module, as each OpenMMLab package offers it."""
from importlib import import_module

from mmengine.registry import init_default_scope


def register_all_modules(init_default_scope_: bool = True) -> None:
    """Import every mmnas module that registers something.

    The registries import what they need by themselves when a type is built by name
    (``locations``); this is for code that looks types up before building, and for tools.

    Args:
        init_default_scope_: also make ``mmnas`` the default scope. Tools that run stock
            configs keep the host's scope (``mmseg``, ...) and pass False.
    """
    from mmnas.registry import METHOD_PACKAGES
    for package in ['mmnas.datasets', 'mmnas.engine', 'mmnas.evaluation', 'mmnas.models'
                    ] + METHOD_PACKAGES:
        import_module(package)
    if init_default_scope_:
        init_default_scope('mmnas')
