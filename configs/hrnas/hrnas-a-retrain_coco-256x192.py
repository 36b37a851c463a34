# Retrain the network HR-NAS-A found on COCO keypoints at 256x192
# (work_dirs/hrnas-a_coco-256x192/arch.json): its searched backbone and searched heatmap head
# built from the spec and trained from scratch with the search run's recipe, without the
# shrinking penalty.
_base_ = ['./hrnas-a_coco-256x192.py']

arch_spec = 'work_dirs/hrnas-a_coco-256x192/arch.json'
model = dict(
    backbone=dict(_delete_=True, type='mmnas.SearchedBackbone', arch_spec=arch_spec),
    head=dict(_delete_=True, type='mmnas.SearchedHead', key='head', arch_spec=arch_spec))
custom_hooks = [dict(type='EMAHook', momentum=1e-4)]
search_cfg = None
