"""recalibrate_bn replaces stale running statistics by the exact average over the batches."""
import torch
from mmengine.dataset import InfiniteSampler
from mmengine.model import BaseModel
from torch import nn
from torch.utils.data import DataLoader

from mmnas.engine import recalibrate_bn


class ConvBN(BaseModel):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4, momentum=0.1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.bn(self.conv(inputs))


def test_running_stats_become_the_average_over_the_batches():
    torch.manual_seed(0)
    model = ConvBN().eval()
    model.bn.running_mean.fill_(5.0)  # stale statistics of "another network"
    model.bn.running_var.fill_(9.0)
    weights = {k: v.clone() for k, v in model.state_dict().items() if 'running' not in k}
    batches = [dict(inputs=torch.randn(2, 3, 8, 8) * (i + 1)) for i in range(4)]

    used = recalibrate_bn(model, batches + batches, num_batches=4)

    assert used == 4
    with torch.no_grad():
        feats = [model.conv(b['inputs']) for b in batches]
    means = torch.stack([f.mean((0, 2, 3)) for f in feats])
    variances = torch.stack([f.transpose(0, 1).flatten(1).var(1) for f in feats])
    torch.testing.assert_close(model.bn.running_mean, means.mean(0))
    torch.testing.assert_close(model.bn.running_var, variances.mean(0))
    assert model.bn.momentum == 0.1 and not model.training
    for k, v in weights.items():
        if k != 'bn.num_batches_tracked':
            torch.testing.assert_close(model.state_dict()[k], v)


def test_a_training_loader_with_persistent_workers_is_not_disturbed():
    samples = [dict(inputs=torch.randn(3, 8, 8)) for _ in range(6)]
    loader = DataLoader(samples, batch_size=2, num_workers=1, persistent_workers=True)
    training = iter(loader)
    first = next(training)
    assert recalibrate_bn(ConvBN(), loader, num_batches=3) == 3
    rest = list(training)  # the training iterator goes on where it was
    assert len(rest) == 2 and not torch.equal(rest[0]['inputs'], first['inputs'])
    torch.testing.assert_close(rest[-1]['inputs'], torch.stack([s['inputs'] for s in samples[4:]]))


def test_an_infinite_training_sampler_keeps_running():
    # mmseg's and mmpose's stock configs train from an InfiniteSampler, whose one index
    # generator must survive a calibration that stops reading early.
    samples = [dict(inputs=torch.randn(3, 8, 8)) for _ in range(6)]
    loader = DataLoader(samples, batch_size=2, sampler=InfiniteSampler(samples, seed=0))
    training = iter(loader)
    before = [next(training)['inputs'] for _ in range(2)]
    assert recalibrate_bn(ConvBN(), loader, num_batches=2) == 2
    after = [next(training)['inputs'] for _ in range(4)]  # past the end of an epoch
    reference = iter(DataLoader(samples, batch_size=2, sampler=InfiniteSampler(samples, seed=0)))
    for got in before + after:
        torch.testing.assert_close(got, next(reference)['inputs'])
