# Retrain the network a DenseNAS search derived (DenseNAS supp. A.1): full ImageNet, 240 epochs,
# batch 1024 (8 × 128), SGD 0.9, weight decay 4e-5, cosine 0.5 → 1e-4. The backbone is built from
# the search's arch.json alone (python tools/search.py <search config> <checkpoint>); the
# MobileNetV2 space ends in 1984 channels (512 for the ResNet space: set head.in_channels).
_base_ = ['./densenas-r1_8xb128_in1k.py']

arch_spec = 'work_dirs/densenas-mbv2-search_4xb88_in100/arch.json'
model = dict(
    backbone=dict(_delete_=True, type='mmnas.SearchedBackbone', arch_spec=arch_spec),
    head=dict(in_channels=1984))
