# HR-NAS-B for COCO keypoints at 256x192: HR-NAS-A's setting with λ = 1e-8 (HR-NAS supp. §1).
_base_ = ['./hrnas-a_coco-256x192.py']

custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty=1e-8, warmup=25, interval=30,
         by_epoch=True, input_shape=(3, 256, 192), calib_batches=10),
    dict(type='EMAHook', momentum=1e-4),
]
