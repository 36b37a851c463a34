# HR-NAS-B for KITTI 3D detection: HR-NAS-A's setting with λ = 6e-5 (the Cityscapes B value).
_base_ = ['./hrnas-a_kitti-3d-3class.py']

custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty=6e-5, warmup=25, interval=10,
         by_epoch=True, input_shape=(64, 496, 432), price_size=None, calib_batches=10),
    dict(type='EMAHook', momentum=1e-4),
]
