# NAS-DARTS on ImageNet-1K (UnNAS supp. §B.1): the supervised search, the labels as the task.
#   python tools/train.py configs/unnas/nas-darts-search_1xb64_in1k.py
#   python tools/search.py configs/unnas/nas-darts-search_1xb64_in1k.py \
#       work_dirs/nas-darts-search_1xb64_in1k/epoch_2.pth
_base_ = ['./_base_/darts-search_in1k.py']
