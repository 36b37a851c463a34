"""UnrolledArchUpdater (DARTS second order): its α gradient against the exact gradient through
a differentiable virtual step, and one search on the one-edge supernet."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.runner import Runner
from torch import nn

from mmnas.engine.runner.unrolled_arch_updater import UnrolledArchUpdater
from mmnas.utils.config_check import ConfigError


class Toy(nn.Module):
    """L(w, α; X, y) = mean((tanh(X w₁) softmax(α)₀ + (X w₂) softmax(α)₁ − y)²)."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.w1 = nn.Parameter(torch.randn(5, generator=g))
        self.w2 = nn.Parameter(torch.randn(5, generator=g))
        self.alpha = nn.Parameter(torch.randn(2, generator=g))


def toy_loss(w1, w2, alpha, batch):
    x, y = batch
    a = alpha.softmax(0)
    return ((torch.tanh(x @ w1) * a[0] + (x @ w2) * a[1] - y) ** 2).mean()


class ToyUpdater(UnrolledArchUpdater):

    def loss(self, model, batch):
        return toy_loss(model.w1, model.w2, model.alpha, batch), {}


def batch(seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(16, 5, generator=g), torch.randn(16, generator=g)


@pytest.mark.parametrize('momentum, weight_decay', [(0.0, 0.0), (0.9, 3e-4)])
def test_gradient_equals_the_exact_unrolled_gradient(momentum, weight_decay):
    model = Toy()
    xi = 0.3
    sgd = torch.optim.SGD([model.w1, model.w2], lr=xi, momentum=momentum,
                          weight_decay=weight_decay)
    if momentum:  # a momentum buffer from an earlier weight step
        toy_loss(model.w1, model.w2, model.alpha.detach(), batch(2)).backward()
        sgd.step()
        sgd.zero_grad()
    wrappers = OptimWrapperDict(weights=OptimWrapper(sgd),
                                architecture=OptimWrapper(torch.optim.Adam([model.alpha])))
    train, val = batch(0), batch(1)
    before = [p.detach().clone() for p in model.parameters()]
    grads, _ = ToyUpdater(r=1e-3).arch_gradients(model, [model.alpha], val, train, wrappers)

    # Exact: differentiate through w'(α) = w − ξ(∇_w L_train + λ w + μ buf).
    w = [model.w1, model.w2]
    g_train = torch.autograd.grad(toy_loss(*w, model.alpha, train), w, create_graph=True)
    unrolled = []
    for p, g in zip(w, g_train):
        step = g + weight_decay * p.detach()
        if momentum:
            step = step + momentum * sgd.state[p]['momentum_buffer']
        unrolled.append(p.detach() - xi * step)
    exact, = torch.autograd.grad(toy_loss(*unrolled, model.alpha, val), [model.alpha])
    torch.testing.assert_close(grads[0], exact, rtol=1e-3, atol=1e-5)
    # The first-order gradient is measurably different: the test can tell them apart.
    first, = torch.autograd.grad(toy_loss(*w, model.alpha, val), [model.alpha])
    assert not torch.allclose(first, exact, rtol=1e-3, atol=1e-5)
    # Weights are back where they were and no .grad was written.
    for p, b in zip(model.parameters(), before):
        assert torch.equal(p.detach(), b) and p.grad is None


def test_second_order_search_in_the_stock_runner(tmp_path, classifier_cfg, split_loader,
                                                 bilevel_optim_wrapper):
    runner = Runner(
        model=copy.deepcopy(classifier_cfg), work_dir=str(tmp_path),
        train_dataloader=split_loader('first'),
        train_cfg=dict(type='mmnas.BilevelTrainLoop', arch_dataloader=split_loader('second'),
                       max_epochs=1, arch_updater=dict(type='mmnas.UnrolledArchUpdater')),
        optim_wrapper=copy.deepcopy(bilevel_optim_wrapper),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0), default_scope='mmpretrain', log_level='WARNING')
    alpha = runner.model.backbone.alpha
    start = alpha.detach().clone()
    runner.train()
    assert not torch.equal(alpha.detach(), start)
    assert alpha.grad is None or not alpha.grad.any()


def test_needs_the_training_batch():
    model = Toy()
    wrappers = OptimWrapperDict(
        weights=OptimWrapper(torch.optim.SGD([model.w1, model.w2], lr=0.1)),
        architecture=OptimWrapper(torch.optim.Adam([model.alpha])))
    with pytest.raises(ConfigError, match="alternate='iter'"):
        ToyUpdater().arch_gradients(model, [model.alpha], batch(0), None, wrappers)
    with pytest.raises(ConfigError, match='UnrolledArchUpdater.r'):
        UnrolledArchUpdater(r=0)
