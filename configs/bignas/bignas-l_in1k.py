# The BigNAS-L-style child found by bignas-search-l_in1k.py, in the stock classifier.
#
#   python tools/test.py configs/bignas/bignas-l_in1k.py \
#       work_dirs/bignas-search-l_in1k/searched.pth
_base_ = ['./bignas-child_in1k.py']

model = dict(backbone=dict(arch_spec='work_dirs/bignas-search-l_in1k/arch.json'))
