# AttentiveNAS-A4 (Wang et al., CVPR 2021, Table 2): 444 MFLOPs published; the child of the
# released eval config, in attentivenas-a0_in1k.py's classifier and evaluation.
#
#   python tools/model_converters/attentivenas2mmnas.py attentive_nas_pretrained.pth.tar \
#       work_dirs/attentivenas/a4.pth --child a4
#   python tools/test.py configs/bignas/attentivenas-a4_in1k.py work_dirs/attentivenas/a4.pth
_base_ = ['./attentivenas-a0_in1k.py']

arch = dict(
    resolution=256,
    first_conv=dict(width=16),
    stages=[
        dict(width=16, depth=1, kernel=3, expand=1),
        dict(width=24, depth=3, kernel=3, expand=4),
        dict(width=32, depth=3, kernel=3, expand=4),
        dict(width=64, depth=4, kernel=5, expand=5),
        dict(width=112, depth=3, kernel=3, expand=4),
        dict(width=192, depth=5, kernel=5, expand=6),
        dict(width=216, depth=1, kernel=3, expand=6),
    ],
    last_conv=dict(width=1984))
published_mflops = 444
model = dict(backbone=dict(arch=arch))
