# The BigNAS-M-style child found by bignas-search-m_in1k.py, in the stock classifier.
#
#   python tools/test.py configs/bignas/bignas-m_in1k.py \
#       work_dirs/bignas-search-m_in1k/searched.pth
_base_ = ['./bignas-child_in1k.py']

model = dict(backbone=dict(arch_spec='work_dirs/bignas-search-m_in1k/arch.json'))
