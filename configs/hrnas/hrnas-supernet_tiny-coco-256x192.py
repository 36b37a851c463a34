# HR-NAS supernet in mmpose's top-down heatmap pipeline: all branches resized to the
# stride-4 map and concatenated (mmpose's stock FeatureMapProcessor), then the searched pose
# head (one searching block to 90 channels, expansion 1 here, shrunk with the backbone; a 1x1
# convolution to the heatmaps), on the tiny COCO-keypoints set written by
# tools/dataset_converters/make_tiny_datasets.py. Ground-truth person boxes at test time.
# Use configs/hrnas/hrnas-a_coco-256x192.py for the paper's setting.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w32_8xb64-210e_coco-256x192.py']

data_root = 'data/tiny/coco/'
stages = [
    dict(blocks=(1, ), channels=(24, )),
    dict(blocks=(1, 1), channels=(18, 36)),
    dict(blocks=(1, 1, 1), channels=(18, 36, 72)),
    dict(blocks=(1, 1, 1, 1), channels=(18, 36, 72, 144)),
]
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmnas.HRNASSuperNet',
        stages=stages,
        expand_ratio=2,
        context=dict(type='mmnas.LightweightTransformer', num_tokens=8, proj_size=8)),
    neck=dict(type='FeatureMapProcessor', concat=True),
    head=dict(type='mmnas.HRNASHeatmapHead', in_channels=18 + 36 + 72 + 144, last_channel=90,
              expand_ratio=1))

train_dataloader = dict(batch_size=8, dataset=dict(data_root=data_root))
val_dataloader = dict(batch_size=8, dataset=dict(data_root=data_root, bbox_file=None))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='mmnas.MMEvalMetric', metric=dict(type='CocoKeypointAP',
                                                ann_file=data_root + 'annotations/'
                                                'person_keypoints_val2017.json')),
    dict(type='mmnas.MMEvalMetric', metric=dict(type='PCKAccuracy', thr=0.05)),
]
test_evaluator = val_evaluator

train_cfg = dict(max_epochs=40, val_interval=10)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=20, start_factor=0.001, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=40, milestones=[30, 36], gamma=0.1, by_epoch=True)
]
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3))
auto_scale_lr = dict(base_batch_size=8)
default_hooks = dict(logger=dict(interval=10))

search_cfg = dict(type='mmnas.DeriveArchLoop', input_shape=(3, 256, 192))
