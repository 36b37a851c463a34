"""An independent DARTS evaluation network: plain ``torch.nn.functional`` over a state dict,
written from the DARTS paper's cell definition, to check ``DARTSNet`` against."""
import torch
import torch.nn.functional as F


def _bn(state, prefix, x):
    return F.batch_norm(x, state[prefix + 'running_mean'], state[prefix + 'running_var'],
                        state.get(prefix + 'weight'), state.get(prefix + 'bias'), False, 0.0,
                        1e-5)


def _sep_unit(state, prefix, x, k, stride, dilation):
    """ReLU, depthwise k×k (dilation), pointwise, BN."""
    c = x.shape[1]
    x = F.conv2d(F.relu(x), state[prefix + '1.weight'], stride=stride,
                 padding=dilation * (k - 1) // 2, dilation=dilation, groups=c)
    return _bn(state, prefix + '3.', F.conv2d(x, state[prefix + '2.weight']))


def _factorized_reduce(state, prefix, x):
    x = F.relu(x)
    a = F.conv2d(x, state[prefix + 'conv_1.weight'], stride=2)
    b = F.conv2d(F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:], state[prefix + 'conv_2.weight'], stride=2)
    return _bn(state, prefix + 'bn.', torch.cat([a, b], 1))


def _op(state, prefix, name, x, stride):
    if name == 'skip_connect':
        return x if stride == 1 else _factorized_reduce(state, prefix, x)
    if name == 'max_pool_3x3':
        return F.max_pool2d(x, 3, stride, 1)
    if name == 'avg_pool_3x3':
        return F.avg_pool2d(x, 3, stride, 1, count_include_pad=False)
    k = int(name[-1])
    if name.startswith('dil'):
        return _sep_unit(state, prefix, x, k, stride, 2)
    x = _sep_unit(state, prefix + '0.', x, k, stride, 1)
    return _sep_unit(state, prefix + '1.', x, k, 1, 1)


def _preprocess(state, prefix, x, reduce):
    if reduce:
        return _factorized_reduce(state, prefix, x)
    return _bn(state, prefix + '2.', F.conv2d(F.relu(x), state[prefix + '1.weight']))


def reference_darts(state, genotype, reduction_cells, x, last_stride=2):
    """The ImageNet-stem DARTS network of ``genotype`` in eval mode; output of the last cell."""
    s0 = F.conv2d(x, state['stem0.0.weight'], stride=2, padding=1)
    s0 = F.relu(_bn(state, 'stem0.1.', s0))
    s0 = _bn(state, 'stem0.4.', F.conv2d(s0, state['stem0.3.weight'], stride=2, padding=1))
    s1 = F.conv2d(F.relu(s0), state['stem1.1.weight'], stride=2, padding=1)
    s1 = _bn(state, 'stem1.2.', s1)
    reduce_prev = True
    num_cells = 1 + max(int(k.split('.')[1]) for k in state if k.startswith('cells.'))
    for c in range(num_cells):
        reduction = c in reduction_cells
        kind = 'reduce' if reduction else 'normal'
        stride = (last_stride if c == max(reduction_cells) else 2) if reduction else 1
        states = [_preprocess(state, f'cells.{c}.preprocess0.', s0, reduce_prev),
                  _preprocess(state, f'cells.{c}.preprocess1.', s1, False)]
        pairs = genotype[kind]
        for i in range(len(pairs) // 2):
            states.append(sum(
                _op(state, f'cells.{c}.ops.{n}.', pairs[n][0], states[pairs[n][1]],
                    stride if pairs[n][1] < 2 else 1) for n in (2 * i, 2 * i + 1)))
        s0, s1 = s1, torch.cat([states[i] for i in genotype[f'{kind}_concat']], 1)
        reduce_prev = stride == 2
    return s1
