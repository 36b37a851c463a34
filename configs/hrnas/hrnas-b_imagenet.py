# HR-NAS-B for ImageNet classification: HR-NAS-A's setting with λ = 1.2e-4 (HR-NAS supp. §1).
_base_ = ['./hrnas-a_imagenet.py']

custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty=1.2e-4, warmup=25, interval=5,
         by_epoch=True, input_shape=(3, 224, 224), calib_batches=10),
    dict(type='EMAHook', momentum=1e-4),
]
