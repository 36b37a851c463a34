from .exp_decay_constant_end import ExpDecayConstantEndLR, ExpDecayConstantEndParamScheduler

__all__ = ['ExpDecayConstantEndLR', 'ExpDecayConstantEndParamScheduler']
