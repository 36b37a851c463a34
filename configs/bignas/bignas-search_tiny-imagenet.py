# Coarse-to-fine selection of a BigNAS child on the tiny supernet
# (bignas-supernet_tiny-imagenet.py) within 3 MFLOPs, about the middle of the tiny space's
# range: a coarse grid over resolution, width, depth and kernel at 0, 1/2 and 1 of their
# ranges, then one fine round mutating widths and kernels of the best; BN statistics re-computed per child
# on 4 batches.
#   python tools/search.py configs/bignas/bignas-search_tiny-imagenet.py \
#       work_dirs/bignas-supernet_tiny-imagenet/epoch_10.pth
#   python tools/test.py configs/bignas/bignas-child_tiny-imagenet.py \
#       work_dirs/bignas-search_tiny-imagenet/searched.pth
_base_ = ['./bignas-supernet_tiny-imagenet.py']

search_cfg = dict(
    type='mmnas.CoarseToFineSearchLoop',
    input_shape=(3, 48, 48),
    max_flops=3e6,
    min_flops=0,
    metric='accuracy/top1',
    coarse_levels=(0.0, 0.5, 1.0),
    coarse_dims=('resolution', 'width', 'depth', 'kernel'),
    top_k=1,
    fine_rounds=1,
    fine_dims=('width', 'kernel'),
    num_bn_batches=4)
