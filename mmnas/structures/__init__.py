from .arch_spec import ArchSpec, build_searched_backbone, jsonable_config

__all__ = ['ArchSpec', 'build_searched_backbone', 'jsonable_config']
