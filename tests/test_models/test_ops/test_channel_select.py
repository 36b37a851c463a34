import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmnas.models.ops import select_batchnorm, select_conv2d, select_linear


def test_dense_conv_keeps_chosen_channels_and_matches_the_reference():
    conv = nn.Conv2d(6, 8, 3, padding=1, bias=True)
    out_idx, in_idx = torch.tensor([7, 0, 3]), torch.tensor([1, 4])
    new = select_conv2d(conv, out_idx, in_idx)
    assert new.weight.shape == (3, 2, 3, 3)
    x = torch.randn(2, 6, 5, 5)
    expected = F.conv2d(x[:, in_idx], conv.weight[out_idx][:, in_idx], conv.bias[out_idx],
                        padding=1)
    torch.testing.assert_close(new(x[:, in_idx]), expected)
    assert new.weight.data_ptr() != conv.weight.data_ptr()


def test_depthwise_conv_selection_and_kernel_centre():
    conv = nn.Conv2d(5, 5, 7, padding=3, groups=5, bias=False)
    idx = torch.tensor([0, 2, 4])
    new = select_conv2d(conv, idx, kernel_size=3)
    assert (new.groups, new.kernel_size, new.padding) == (3, (3, 3), (1, 1))
    torch.testing.assert_close(new.weight, conv.weight[idx][:, :, 2:5, 2:5])
    with pytest.raises(ValueError, match='same input and output'):
        select_conv2d(conv, idx, torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match='centred'):
        select_conv2d(conv, idx, kernel_size=4)


def test_batchnorm_selection_copies_statistics():
    bn = nn.BatchNorm2d(6).train()
    bn(torch.randn(4, 6, 3, 3) * 3 + 1)
    idx = torch.tensor([5, 1])
    new = select_batchnorm(bn, idx).eval()
    bn.eval()
    x = torch.randn(2, 6, 4, 4)
    torch.testing.assert_close(new(x[:, idx]), bn(x)[:, idx])


def test_linear_selection():
    linear = nn.Linear(4, 6)
    new = select_linear(linear, torch.tensor([0, 5]), torch.tensor([3]))
    x = torch.randn(2, 4)
    expected = x[:, [3]] @ linear.weight[[0, 5]][:, [3]].t() + linear.bias[[0, 5]]
    torch.testing.assert_close(new(x[:, [3]]), expected)
