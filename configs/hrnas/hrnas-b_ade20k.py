# HR-NAS-B on ADE20K: HR-NAS-A's setting with λ = 6.0e-5 (HR-NAS supp. §1).
_base_ = ['./hrnas-a_ade20k.py']

custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty=6.0e-5, warmup=25, interval=25,
         by_epoch=True, input_shape=(3, 512, 512), calib_batches=10),
    dict(type='EMAHook', momentum=1e-4),
]
