# HR-NAS-B on Cityscapes: HR-NAS-A's setting with the smaller penalty λ = 6.0e-5 (HR-NAS supp. §1).
_base_ = ['./hrnas-a_cityscapes.py']

custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty=6.0e-5, warmup=25, interval=10,
         by_epoch=True, input_shape=(3, 512, 1024), calib_batches=10),
    dict(type='EMAHook', momentum=1e-4),
]
