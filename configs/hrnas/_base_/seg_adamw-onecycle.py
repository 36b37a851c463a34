# The segmentation optimizer of HR-NAS supp. §1: AdamW lr 0.04, weight decay 1e-5; β1 starts at 0.95
# and is cycled with the learning rate by the leaves' one-cycle schedule. The leaves set the
# mmeval evaluator, since mmengine forbids one key in two bases.
optim_wrapper = dict(
    type='OptimWrapper',
    # paramwise_cfg gives every parameter a group of its own, and torch checks each new group
    # against all earlier ones; groups with equal options are merged (same training).
    constructor='mmnas.MergedGroupsOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=0.04, betas=(0.95, 0.999), weight_decay=1e-5),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# As mmseg's schedules: the segmentation visualization hook, off until --show-dir.
default_hooks = dict(visualization=dict(type='SegVisualizationHook'))
