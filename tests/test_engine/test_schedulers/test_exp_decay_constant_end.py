"""Exponential decay with a constant ending (BigNAS supp. §B) against its closed form."""
import pytest
import torch
from mmengine.optim import OptimWrapper

from mmnas.engine import ExpDecayConstantEndLR


def test_lr_decays_then_stays_at_the_end_factor():
    param = torch.nn.Parameter(torch.zeros(1))
    wrapper = OptimWrapper(torch.optim.SGD([param], lr=0.4))
    scheduler = ExpDecayConstantEndLR(wrapper, gamma=0.5, end_factor=0.05, by_epoch=False)
    lrs = []
    for _ in range(8):
        lrs.append(wrapper.get_lr()['lr'][0])
        wrapper.step()
        scheduler.step()
    # 0.4 · 0.5^t while above 5% of 0.4 = 0.02, then 0.02 for good.
    expected = [0.4, 0.2, 0.1, 0.05, 0.025, 0.02, 0.02, 0.02]
    assert lrs == pytest.approx(expected)


@pytest.mark.parametrize('kwargs, match', [(dict(gamma=0.0), 'gamma'),
                                           (dict(gamma=0.9, end_factor=1.5), 'end_factor')])
def test_bad_settings_are_reported(kwargs, match):
    param = torch.nn.Parameter(torch.zeros(1))
    wrapper = OptimWrapper(torch.optim.SGD([param], lr=0.1))
    with pytest.raises(ValueError, match=match):
        ExpDecayConstantEndLR(wrapper, **kwargs)
