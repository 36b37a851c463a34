from .arch_spec_hook import ARCH_SPEC_KEY, ArchSpecHook, ensure_arch_spec_hook

__all__ = ['ArchSpecHook', 'ARCH_SPEC_KEY', 'ensure_arch_spec_hook']
