from .arch_weight_constructor import ArchWeightOptimWrapperConstructor

__all__ = ['ArchWeightOptimWrapperConstructor']
