# AttentiveNAS-A6 (Wang et al., CVPR 2021, Table 2): 709 MFLOPs published; the child of the
# released eval config, in attentivenas-a0_in1k.py's classifier and evaluation.
#
#   python tools/model_converters/attentivenas2mmnas.py attentive_nas_pretrained.pth.tar \
#       work_dirs/attentivenas/a6.pth --child a6
#   python tools/test.py configs/bignas/attentivenas-a6_in1k.py work_dirs/attentivenas/a6.pth
_base_ = ['./attentivenas-a0_in1k.py']

arch = dict(
    resolution=288,
    first_conv=dict(width=16),
    stages=[
        dict(width=16, depth=1, kernel=3, expand=1),
        dict(width=24, depth=3, kernel=3, expand=4),
        dict(width=32, depth=3, kernel=3, expand=6),
        dict(width=64, depth=4, kernel=3, expand=5),
        dict(width=112, depth=4, kernel=3, expand=4),
        dict(width=216, depth=6, kernel=5, expand=6),
        dict(width=224, depth=1, kernel=3, expand=6),
    ],
    last_conv=dict(width=1984))
published_mflops = 709
model = dict(backbone=dict(arch=arch))
