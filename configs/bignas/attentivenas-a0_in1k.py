# AttentiveNAS-A0 (Wang et al., CVPR 2021, Table 2), a published child of AttentiveNAS's
# BigNAS-style supernet, as a static network in mmpretrain's stock classifier: 203 MFLOPs
# published (multiply-adds at its resolution, the classifier included). The child is the
# released eval config's; AttentiveNAS's space has the resolutions {192, 224, 256, 288}.
# Released weights, converted:
#
#   python tools/model_converters/attentivenas2mmnas.py attentive_nas_pretrained.pth.tar \
#       work_dirs/attentivenas/a0.pth --child a0
#   python tools/test.py configs/bignas/attentivenas-a0_in1k.py work_dirs/attentivenas/a0.pth
#
# Evaluation as released: 256 short side (bilinear), 224 centre crop, resized (bicubic) by the
# network to its resolution. Fine-tuning (tools/train.py) follows bignas-child_in1k.py.
_base_ = ['./bignas-child_in1k.py']

search_space = dict(
    resolution=(192, 224, 256, 288),
    first_conv=dict(width=(16, 24)),
    stages=[
        dict(width=(16, 24), depth=(1, 2), kernel=(3, 5), expand=(1, ), stride=1, se=False),
        dict(width=(24, 32), depth=(3, 4, 5), kernel=(3, 5), expand=(4, 5, 6), stride=2,
             se=False),
        dict(width=(32, 40), depth=(3, 4, 5, 6), kernel=(3, 5), expand=(4, 5, 6), stride=2,
             se=True),
        dict(width=(64, 72), depth=(3, 4, 5, 6), kernel=(3, 5), expand=(4, 5, 6), stride=2,
             se=False),
        dict(width=(112, 120, 128), depth=(3, 4, 5, 6, 7, 8), kernel=(3, 5),
             expand=(4, 5, 6), stride=1, se=True),
        dict(width=(192, 200, 208, 216), depth=(3, 4, 5, 6, 7, 8), kernel=(3, 5),
             expand=(6, ), stride=2, se=True),
        dict(width=(216, 224), depth=(1, 2), kernel=(3, 5), expand=(6, ), stride=1, se=True),
    ],
    last_conv=dict(width=(1792, 1984)))
arch = dict(
    resolution=192,
    first_conv=dict(width=16),
    stages=[
        dict(width=16, depth=1, kernel=3, expand=1),
        dict(width=24, depth=3, kernel=3, expand=4),
        dict(width=32, depth=3, kernel=3, expand=4),
        dict(width=64, depth=3, kernel=3, expand=4),
        dict(width=112, depth=3, kernel=3, expand=4),
        dict(width=192, depth=3, kernel=3, expand=6),
        dict(width=216, depth=1, kernel=3, expand=6),
    ],
    last_conv=dict(width=1792))
#: Published MFLOPs, printed next to the count by tests/test_bignas/test_attentivenas.py.
published_mflops = 203

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmnas.BigNASSuperNet',
        search_space=search_space,
        arch=arch,
        # AttentiveNAS's regularisation of the biggest child, when fine-tuning alone.
        drop_path_rate=0.2,
        dropout_rate=0.2))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bilinear'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
