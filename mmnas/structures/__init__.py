from .arch_spec import ArchSpec, build_searched_backbone, build_searched_head, jsonable_config

__all__ = ['ArchSpec', 'build_searched_backbone', 'build_searched_head', 'jsonable_config']
