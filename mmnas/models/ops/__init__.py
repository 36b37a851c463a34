from .channel_select import select_batchnorm, select_conv2d, select_linear

__all__ = ['select_conv2d', 'select_batchnorm', 'select_linear']
