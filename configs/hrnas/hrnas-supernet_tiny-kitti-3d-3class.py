# HR-NAS supernet in place of SECOND in mmdet3d's PointPillars (3 classes): it runs on the
# 64-channel BEV pseudo-image and gives SECONDFPN three maps at strides 2, 4 and 8, on the
# tiny KITTI set written by tools/dataset_converters/make_tiny_datasets.py. KITTI AP is
# computed on the CPU by mmnas's KittiAP. Use configs/hrnas/hrnas-a_kitti-3d-3class.py for
# the paper's setting.
_base_ = ['mmdet3d::pointpillars/pointpillars_hv_secfpn_8xb6-160e_kitti-3d-3class.py']

data_root = 'data/tiny/kitti/'
point_cloud_range = [0, -39.68, -3, 69.12, 39.68, 1]
class_names = ['Pedestrian', 'Cyclist', 'Car']
metainfo = dict(classes=class_names)
branch_channels = (32, 64, 128)
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmnas.HRNASSuperNet',
        in_channels=64,
        stem_channels=32,
        stem_strides=(2, 1),
        stages=[
            dict(blocks=(1, ), channels=branch_channels[:1]),
            dict(blocks=(1, 1), channels=branch_channels[:2]),
            dict(blocks=(1, 1, 1), channels=branch_channels),
        ],
        expand_ratio=2,
        out_indices=(0, 1, 2)),
    neck=dict(in_channels=list(branch_channels)))

# PointPillars' stock augmentation, ground-truth pasting on the road plane included (the tiny
# set ships kitti_dbinfos_train.pkl, kitti_gt_database/ and the planes). mmdet3d 1.4.0's own
# database sampler builds its labels with np.long, which numpy>=1.24 removed (mmdet3d issue
# #2821, fixed after 1.4.0), so ObjectSample is given mmnas.DataBaseSampler, the stock sampler
# without that one line.
db_sampler = dict(
    type='mmnas.DataBaseSampler',
    data_root=data_root,
    info_path=data_root + 'kitti_dbinfos_train.pkl',
    rate=1.0,
    prepare=dict(
        filter_by_difficulty=[-1], filter_by_min_points=dict(Car=5, Pedestrian=5, Cyclist=5)),
    classes=class_names,
    sample_groups=dict(Car=15, Pedestrian=15, Cyclist=15),
    points_loader=dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=4, use_dim=4))
train_pipeline = [
    dict(type='LoadPointsFromFile', coord_type='LIDAR', load_dim=4, use_dim=4),
    dict(type='LoadAnnotations3D', with_bbox_3d=True, with_label_3d=True),
    dict(type='ObjectSample', db_sampler=db_sampler, use_ground_plane=True),
    dict(type='RandomFlip3D', flip_ratio_bev_horizontal=0.5),
    dict(
        type='GlobalRotScaleTrans',
        rot_range=[-0.78539816, 0.78539816],
        scale_ratio_range=[0.95, 1.05]),
    dict(type='PointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='PointShuffle'),
    dict(type='Pack3DDetInputs', keys=['points', 'gt_labels_3d', 'gt_bboxes_3d'])
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    dataset=dict(times=1, dataset=dict(data_root=data_root, pipeline=train_pipeline)))
val_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True, type='mmnas.MMEvalMetric',
    metric=dict(type='KittiAP'))
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=20, eta_min=1e-5, begin=0, end=20, by_epoch=True,
         convert_to_iter_based=True)
]
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=10)
# mmdet3d's visualization hook in bird's eye view: tools/test.py --show-dir draws there.
default_hooks = dict(logger=dict(interval=10),
                     visualization=dict(type='mmnas.BEVVisualizationHook'))

search_cfg = dict(type='mmnas.DeriveArchLoop', input_shape=(64, 496, 432))
