# UnNAS-DARTS with the colorization pretext on ImageNet-22K (UnNAS supp. §B.1):
# as unnas-darts-search-colorization_1xb64_in1k.py
# with the ~14M images of ImageNet-22K (mmpretrain's ImageNet21k list in data/imagenet21k),
# searched for 1 epoch (about 5× the ImageNet-1K search) with α updated from the start.
_base_ = ['./unnas-darts-search-colorization_1xb64_in1k.py']

in22k = dict(type='ImageNet21k', data_root='data/imagenet21k', split='train')
train_dataloader = dict(dataset=dict(dataset=in22k))
train_cfg = dict(max_epochs=1, arch_start=0, arch_dataloader=dict(dataset=dict(dataset=in22k)))
param_scheduler = dict(
    weights=[dict(type='CosineAnnealingLR', T_max=1, eta_min=0.0, by_epoch=True, begin=0, end=1,
                  convert_to_iter_based=True)])
