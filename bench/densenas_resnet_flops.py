"""Parameters and FLOPs (mmengine's count, 3×224×224, 1000 classes) of DenseNAS-R1/R2/R3
(DenseNAS supp. Table 1, configs/densenas) next to mmpretrain's ResNet-18/34/50, with the ratios to
the ResNet each is compared with in the paper, and the DenseNAS README's FLOPs.

    python bench/densenas_resnet_flops.py
"""
import os.path as osp

from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmnas.cost import count_complexity
from mmnas.registry import MODELS
from mmnas.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: DenseNAS network, the ResNet depth it is set against, the README's GFLOPs.
PAIRS = (('r1', 18, 1.61), ('r2', 34, 3.06), ('r3', 50, 3.41))


def count(model_cfg: dict) -> dict:
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg)
    return count_complexity(model, (3, 224, 224))


def main() -> None:
    register_all_modules(init_default_scope_=False)
    print(f'{"network":<14}{"params (M)":>12}{"GFLOPs":>9}{"README":>9}{"vs ResNet":>22}')
    for name, depth, published in PAIRS:
        cfg = Config.fromfile(osp.join(REPO, 'configs', 'densenas',
                                       f'densenas-{name}_8xb128_in1k.py'))
        ours = count(cfg.model)
        resnet = count(dict(type='ImageClassifier', backbone=dict(type='ResNet', depth=depth),
                            neck=dict(type='GlobalAveragePooling'),
                            head=dict(type='LinearClsHead', num_classes=1000,
                                      in_channels=512 if depth < 50 else 2048)))
        print(f'{"DenseNAS-" + name.upper():<14}{ours["params"] / 1e6:>12.2f}'
              f'{ours["flops"] / 1e9:>9.3f}{published:>9.2f}'
              f'{ours["flops"] / resnet["flops"]:>14.2f}x FLOPs')
        print(f'{"ResNet-" + str(depth):<14}{resnet["params"] / 1e6:>12.2f}'
              f'{resnet["flops"] / 1e9:>9.3f}{"":>9}')


if __name__ == '__main__':
    main()
