# HR-NAS-B for COCO keypoints at 384x288: HR-NAS-A's setting with λ = 1e-8 (HR-NAS supp. §1).
_base_ = ['./hrnas-a_coco-384x288.py']

custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty=1e-8, warmup=25, interval=30,
         by_epoch=True, input_shape=(3, 384, 288), calib_batches=10),
    dict(type='EMAHook', momentum=1e-4),
]
