"""BN folding and the kept folded weights of deploy-form networks."""
import copy
import pickle

import torch
from torch import nn

from mmnas.models.ops import FoldedWeights, fold_batchnorm, folds_batchnorm


def test_fold_batchnorm_is_the_eval_mode_norm():
    norm = nn.BatchNorm2d(5)
    norm.running_mean.uniform_(-1, 1)
    norm.running_var.uniform_(0.5, 2)
    norm.weight.data.uniform_(0.5, 1.5)
    norm.bias.data.uniform_(-1, 1)
    norm.eval()
    x = torch.randn(2, 5, 3, 3)
    scale, shift = fold_batchnorm(norm)
    torch.testing.assert_close(scale.view(1, -1, 1, 1) * x + shift.view(1, -1, 1, 1),
                               norm(x))
    assert folds_batchnorm(norm)
    assert not folds_batchnorm(norm.train())
    assert not folds_batchnorm(nn.BatchNorm2d(5, track_running_stats=False).eval())
    assert not folds_batchnorm(nn.GroupNorm(1, 5).eval())


def test_folded_weights_are_kept_while_their_sources_are_unchanged():
    weight = nn.Parameter(torch.randn(3))
    calls = []

    def fold():
        calls.append(1)
        return (weight * 2, )

    folded = FoldedWeights()
    with torch.no_grad():
        first = folded(fold, [weight])
        assert folded(fold, [weight]) is first and len(calls) == 1
        weight.add_(1)  # an optimizer step: a new version of the same tensor
        torch.testing.assert_close(folded(fold, [weight])[0], weight * 2)
        assert len(calls) == 2
    # With gradients, and under a trace, every call folds: gradients reach the weight and
    # a trace sees the same operations every time.
    out = folded(fold, [weight])[0]
    assert out.requires_grad and len(calls) == 3

    class Doubled(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = weight

        def forward(self, x):
            return x + folded(fold, [self.weight])[0]

    with torch.no_grad():
        torch.jit.trace(Doubled(), torch.zeros(3))
    assert len(calls) >= 4
    assert copy.deepcopy(folded).kept is None and pickle.loads(pickle.dumps(folded)).kept is None
    assert folded.kept is not None
    folded.clear()
    assert folded.kept is None
