"""Elastic layers equal static layers built independently with the sliced weights."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmnas.models.ops import (ElasticBatchNorm2d, ElasticConv2d, ElasticLinear, elastic_slice,
                              pad_channels, slice_state_dict)


def test_elastic_slice_takes_first_channels_and_kernel_centre():
    t = torch.arange(2 * 3 * 5 * 5).reshape(2, 3, 5, 5)
    part = elastic_slice(t, (1, 2, 3, 3), (2, 3))
    assert torch.equal(part, t[:1, :2, 1:4, 1:4])
    assert part.untyped_storage().data_ptr() == t.untyped_storage().data_ptr()  # a view
    assert elastic_slice(t, t.shape) is t
    with pytest.raises(ValueError, match='cannot cut'):
        elastic_slice(t, (3, 3, 5, 5))
    with pytest.raises(ValueError, match='centred'):
        elastic_slice(t, (2, 3, 4, 4), (2, 3))


def test_slice_state_dict_copies():
    src = {'w': torch.randn(4, 4, 5, 5), 'b': torch.randn(4), 'gone': torch.randn(2)}
    out = slice_state_dict(src, {'w': torch.empty(2, 3, 3, 3), 'b': torch.empty(2)})
    assert set(out) == {'w', 'b'}
    assert torch.equal(out['w'], src['w'][:2, :3, 1:4, 1:4])
    assert out['w'].data_ptr() != src['w'].data_ptr()
    with pytest.raises(KeyError, match='missing'):
        slice_state_dict(src, {'missing': torch.empty(1)})


@pytest.mark.parametrize('stride', [1, 2])
def test_dense_conv_equals_static(stride):
    conv = ElasticConv2d(8, 6, 5, stride, bias=True)
    conv.set_choice(out_channels=4, kernel_size=3)
    assert conv.current_choice == dict(out_channels=4, kernel_size=3)
    static = nn.Conv2d(5, 4, 3, stride, 1, bias=True)
    with torch.no_grad():
        static.weight.copy_(conv.weight[:4, :5, 1:4, 1:4])
        static.bias.copy_(conv.bias[:4])
    x = torch.randn(2, 5, 9, 9)
    torch.testing.assert_close(conv(x), static(x), rtol=0, atol=1e-6)


def test_depthwise_conv_equals_static_and_grads_stay_in_the_slice():
    conv = ElasticConv2d(8, 8, 7, 2, depthwise=True)
    conv.set_choice(kernel_size=3)
    static = nn.Conv2d(6, 6, 3, 2, 1, groups=6, bias=False)
    with torch.no_grad():
        static.weight.copy_(conv.weight[:6, :, 2:5, 2:5])
    x = torch.randn(2, 6, 10, 10)
    y = conv(x)
    torch.testing.assert_close(y, static(x), rtol=0, atol=1e-6)
    y.sum().backward()
    grad = conv.weight.grad
    assert grad[:6, :, 2:5, 2:5].abs().sum() > 0
    outside = grad.clone()
    outside[:6, :, 2:5, 2:5] = 0
    assert outside.abs().sum() == 0


def test_conv_rejects_bad_choices():
    conv = ElasticConv2d(4, 4, 5)
    with pytest.raises(ValueError, match='out_channels 5'):
        conv.set_choice(out_channels=5)
    with pytest.raises(ValueError, match='kernel_size 4'):
        conv.set_choice(kernel_size=4)
    with pytest.raises(ValueError, match='odd'):
        ElasticConv2d(4, 4, 4)


def test_batchnorm_updates_only_its_channels_and_equals_static_in_eval():
    bn = ElasticBatchNorm2d(8, momentum=0.5)
    x = torch.randn(4, 5, 3, 3) * 3 + 1
    bn(x)
    assert bn.current_choice == dict(num_features=5)
    mean = x.mean((0, 2, 3))
    torch.testing.assert_close(bn.running_mean[:5], 0.5 * mean)
    assert torch.equal(bn.running_mean[5:], torch.zeros(3))
    bn.eval()
    with torch.no_grad():
        bn.weight.uniform_()
        bn.bias.uniform_()
    static = nn.BatchNorm2d(5).eval()
    static.load_state_dict(slice_state_dict(bn.state_dict(), static.state_dict()))
    torch.testing.assert_close(bn(x), static(x))
    with pytest.raises(ValueError, match='at most 8'):
        bn(torch.randn(1, 9, 2, 2))


def test_batchnorm_cumulative_average_with_momentum_none():
    bn = ElasticBatchNorm2d(4, momentum=None)
    xs = [torch.randn(8, 3, 2, 2) + i for i in range(3)]
    for x in xs:
        bn(x)
    expected = torch.stack([x.mean((0, 2, 3)) for x in xs]).mean(0)
    torch.testing.assert_close(bn.running_mean[:3], expected)


def test_linear_equals_static():
    fc = ElasticLinear(10, 6)
    fc.set_choice(4)
    x = torch.randn(3, 7)
    torch.testing.assert_close(fc(x), F.linear(x, fc.weight[:4, :7], fc.bias[:4]))
    with pytest.raises(ValueError, match='out_features 7'):
        fc.set_choice(7)


def test_padded_input_equals_sliced_consumer():
    x = torch.randn(2, 3, 4, 4)
    consumer = nn.Conv2d(5, 2, 1)
    padded = consumer(pad_channels(x, 5))
    torch.testing.assert_close(padded, F.conv2d(x, consumer.weight[:, :3], consumer.bias))
