# Retrain the network HR-NAS-A found on Cityscapes (work_dirs/hrnas-a_cityscapes/arch.json,
# written by the search run of hrnas-a_cityscapes.py): its searched backbone and searched head
# built from the spec and trained from scratch with the search run's recipe (data,
# optimizer, one cycle, EMA, 430 epochs), without the shrinking penalty. Point arch_spec at
# another arch.json (e.g. one imported from the released code with
# tools/model_converters/hrnas_released_arch.py) to retrain that network.
_base_ = ['./hrnas-a_cityscapes.py']

arch_spec = 'work_dirs/hrnas-a_cityscapes/arch.json'
model = dict(
    backbone=dict(_delete_=True, type='mmnas.SearchedBackbone', arch_spec=arch_spec),
    decode_head=dict(_delete_=True, type='mmnas.SearchedHead', key='decode_head',
                     arch_spec=arch_spec))
custom_hooks = [dict(type='EMAHook', momentum=1e-4)]
search_cfg = None
