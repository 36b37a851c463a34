# Retrain the network HR-NAS-A found on ImageNet (work_dirs/hrnas-a_imagenet/arch.json, or the
# authors' released checkpoint.json imported with tools/model_converters/hrnas_released_arch.py)
# with the released retraining recipe (the authors' configs/cls_retrain.yml; the paper gives
# none): searched backbone and searched classification neck from the spec with Swish
# activations, label smoothing 0.1, RMSProp lr 0.016 per 256 images (0.064 at the batch of
# 1024 here), the search run's schedule and EMA, no shrinking penalty. The released classifier
# also drops 28% of the pooled features; mmpretrain's LinearClsHead has no dropout.
_base_ = ['./hrnas-a_imagenet.py']

arch_spec = 'work_dirs/hrnas-a_imagenet/arch.json'
swish = dict(type='Swish')
model = dict(
    backbone=dict(_delete_=True, type='mmnas.SearchedBackbone', arch_spec=arch_spec,
                  act_cfg=swish),
    neck=dict(_delete_=True, type='mmnas.SearchedHead', key='neck', arch_spec=arch_spec,
              act_cfg=swish),
    head=dict(loss=dict(_delete_=True, type='LabelSmoothLoss', label_smooth_val=0.1,
                        mode='original')))
custom_hooks = [dict(type='EMAHook', momentum=1e-4)]
search_cfg = None
