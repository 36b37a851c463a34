# BigNAS-S-style child: coarse-to-fine selection within 250 MFLOPs (the S/M/L/XL of BigNAS supp.
# children sit at about 242/418/586/1040 MFLOPs), then test it with bignas-s_in1k.py.
#
#   python tools/search.py configs/bignas/bignas-search-s_in1k.py SUPERNET.pth
_base_ = ['./bignas-search_in1k.py']

search_cfg = dict(max_flops=250e6)
