# The segmentation schedule of seed §1: AdamW (β1 = 0.9) lr 0.04, weight decay 1e-5, one
# cycle whose lowest learning rate is 0.0016 (mmengine's one-cycle schedules the learning rate;
# β1 stays constant), epoch-based. The leaves set the mmeval evaluator, since mmengine
# forbids one key in two bases.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.04, betas=(0.9, 0.999), weight_decay=1e-5),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
