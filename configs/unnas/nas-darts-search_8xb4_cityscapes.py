# NAS-DARTS on Cityscapes (UnNAS supp. §B.1): the supervised search, the segmentation labels as
# the task; batch 32 as 8 GPUs × 4.
#   bash tools/dist_train.sh configs/unnas/nas-darts-search_8xb4_cityscapes.py 8
#   python tools/search.py configs/unnas/nas-darts-search_8xb4_cityscapes.py \
#       work_dirs/nas-darts-search_8xb4_cityscapes/epoch_400.pth
_base_ = ['./_base_/darts-search_cityscapes.py']

train_dataloader = dict(batch_size=4)
train_cfg = dict(arch_dataloader=dict(batch_size=4))
