# BigNAS-XL-style child: coarse-to-fine selection within 1040 MFLOPs (the S/M/L/XL of BigNAS supp.
# children sit at about 242/418/586/1040 MFLOPs), then test it with bignas-xl_in1k.py.
#
#   python tools/search.py configs/bignas/bignas-search-xl_in1k.py SUPERNET.pth
_base_ = ['./bignas-search_in1k.py']

search_cfg = dict(max_flops=1040e6)
