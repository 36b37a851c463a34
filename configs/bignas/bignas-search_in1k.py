# Coarse-to-fine selection of a BigNAS child under a FLOPs budget, on a trained supernet:
# a coarse grid over stage-level choices (resolution, width, depth, kernel, expand, each at 0,
# 1/2 or 1 of its range in every stage) within the budget, then two fine rounds mutating one
# stage's width, depth, kernel or expand (or the resolution) around the 3 best. Each child's BN
# statistics are re-computed on 64 training batches (through a loader with the training
# loader's workers) before it is scored; seconds per child are logged and kept in
# candidates.json.
#
#   python tools/search.py configs/bignas/bignas-search_in1k.py SUPERNET.pth \
#       --cfg-options search_cfg.max_flops=600e6
#
# writes arch.json (ArchSpec), searched.pth (sliced weights), candidates.json and pareto.png;
# configs/bignas/bignas-child_in1k.py then tests or fine-tunes the child.
#
# Children are scored on a held-out part of the training set (BigNAS §3.3 selects on data the
# reported accuracy does not use): 4% of the images (about 51k, the size of the
# validation set; search_cfg's split is val_dataloader.dataset.ratio), test-time
# preprocessing. The ImageNet validation set stays for tools/test.py on the child.
_base_ = ['./bignas-supernet_8xb128_in1k.py']

search_cfg = dict(
    type='mmnas.CoarseToFineSearchLoop',
    input_shape=(3, 224, 224),  # the prefetched 224 centre crop, resized per child
    max_flops=600e6,
    min_flops=0,
    metric='accuracy/top1',
    coarse_levels=(0.0, 0.5, 1.0),
    coarse_dims=('resolution', 'width', 'depth', 'kernel', 'expand'),
    top_k=3,
    fine_rounds=2,
    fine_dims=('resolution', 'width', 'depth', 'kernel', 'expand'),
    num_bn_batches=64,
    calibration_workers=None)  # as many as the training loader
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='mmnas.SplitDataset',
        ratio=0.04,
        part='first',
        per_class=False,  # 4% of all images; a per-class cut would round small classes to 0
        dataset=dict(type='ImageNet', data_root='data/imagenet', split='train',
                     pipeline={{_base_.test_pipeline}})))
