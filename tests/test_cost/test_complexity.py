import torch
from torch import nn

from mmnas.cost import count_complexity


def test_convolutions_are_counted_as_multiply_adds():
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False),
                        nn.Conv2d(8, 8, 5, padding=2, groups=8, bias=False))
    cost = count_complexity(net, (3, 16, 16))
    assert cost['flops'] == 16 * 16 * (3 * 8 * 9 + 8 * 25)
    assert cost['params'] == 3 * 8 * 9 + 8 * 25
    assert cost['input_shape'] == [3, 16, 16]


def test_attention_products_are_counted():
    class Attention(nn.Module):

        def forward(self, x):
            q = x.flatten(2).transpose(1, 2)  # (N, L=HW, d=C)
            return nn.functional.scaled_dot_product_attention(q, q, q)

    net = nn.Sequential(nn.Conv2d(3, 4, 1, bias=False), Attention())
    length, dim = 6 * 6, 4
    cost = count_complexity(net, (3, 6, 6))
    assert cost['flops'] == length * 3 * 4 + length * length * (dim + dim)


def test_counting_leaves_the_model_and_its_statistics_untouched():
    net = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4)).train()
    before = net[1].running_mean.clone()
    count_complexity(net, (3, 8, 8))
    assert net.training
    torch.testing.assert_close(net[1].running_mean, before)
