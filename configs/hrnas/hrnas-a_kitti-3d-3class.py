# HR-NAS-A for KITTI 3D detection, 3 classes (HR-NAS supp. §1): mmdet3d's PointPillars with the
# paper's supernet in place of SECOND on the 64-channel 496x432 BEV pseudo-image. The stem keeps
# stride 2 (strides 2, 1), so the four branches of 18/36/72/144 channels sit at strides
# 2, 4, 8 and 16; SECONDFPN brings each to stride 2 at 128 channels for the anchor head.
# Pillars of 0.16 m, at most 12000 pillars and 100 points per pillar; AdamW lr 2e-3, weight
# decay 1e-2, one cycle with lowest learning rate 2e-4; batch 16 (8 GPUs x 2); 80 epochs;
# axis-aligned NMS at IoU 0.5 for inference. HR-NAS supp. §1 gives no λ for KITTI: the Cityscapes
# values (A 1.6e-4, B 6e-5) are used.
_base_ = ['mmdet3d::pointpillars/pointpillars_hv_secfpn_8xb6-160e_kitti-3d-3class.py']

branch_channels = [18, 36, 72, 144]
norm_cfg = dict(type='SyncBN', momentum=0.01, eps=1e-3, requires_grad=True)
model = dict(
    data_preprocessor=dict(voxel_layer=dict(max_num_points=100, max_voxels=(12000, 12000))),
    backbone=dict(
        _delete_=True,
        type='mmnas.HRNASSuperNet',
        in_channels=64,
        stem_strides=(2, 1),
        expand_ratio=4,
        kernel_sizes=(3, 5, 7),
        context=dict(type='mmnas.LightweightTransformer', num_tokens=8, proj_size=8),
        norm_cfg=norm_cfg),
    neck=dict(in_channels=branch_channels, upsample_strides=[1, 2, 4, 8],
              out_channels=[128, 128, 128, 128]),
    bbox_head=dict(in_channels=512, feat_channels=512),
    test_cfg=dict(use_rotate_nms=False, nms_thr=0.5))

# PointPillars' stock augmentation: ground-truth pasting on the road plane (the infos must be
# made with `tools/create_data.py kitti --with-plane`), mirroring, global rotation, scaling and
# translation. mmdet3d 1.4.0's own database sampler builds its labels with np.long, which
# numpy>=1.24 removed (mmdet3d issue #2821, fixed after 1.4.0), so ObjectSample is given
# mmnas.DataBaseSampler, the stock sampler without that one line.
data_root = 'data/kitti/'
class_names = ['Pedestrian', 'Cyclist', 'Car']
point_cloud_range = [0, -39.68, -3, 69.12, 39.68, 1]
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
    dict(type='GlobalRotScaleTrans', rot_range=[-0.78539816, 0.78539816],
         scale_ratio_range=[0.95, 1.05], translation_std=[0.2, 0.2, 0.2]),
    dict(type='PointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='ObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='PointShuffle'),
    dict(type='Pack3DDetInputs', keys=['points', 'gt_labels_3d', 'gt_bboxes_3d'])
]
# 80 epochs over the train split itself (the stock config repeats it twice per epoch).
# Exact --resume: the random states travel with each checkpoint (RNGStateHook) and the
# workers restart every epoch (persistent ones would carry their random state from one
# epoch to the next, which a resumed run cannot recreate).
train_dataloader = dict(batch_size=2, persistent_workers=False,
                        dataset=dict(times=1, dataset=dict(pipeline=train_pipeline)))
val_evaluator = dict(_delete_=True, type='mmnas.MMEvalMetric', metric=dict(type='KittiAP'))
test_evaluator = val_evaluator

# One cycle: the learning rate rises from 2e-4 to 2e-3 over the first 40% and anneals back to
# 2e-4 while β1 goes 0.95 → 0.85 → 0.95 (the PointPillars / OpenPCDet one-cycle).
max_epochs = 80
momentum_peak = 32
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, betas=(0.95, 0.99), weight_decay=1e-2))
param_scheduler = [
    dict(type='OneCycleLR', eta_max=2e-3, div_factor=10, final_div_factor=1, pct_start=0.4,
         by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', eta_min=0.85, T_max=momentum_peak, by_epoch=True,
         begin=0, end=momentum_peak, convert_to_iter_based=True),
    dict(type='CosineAnnealingMomentum', eta_min=0.95, T_max=max_epochs - momentum_peak,
         by_epoch=True, begin=momentum_peak, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
auto_scale_lr = dict(enable=False, base_batch_size=16)
# mmdet3d's visualization hook in bird's eye view: tools/test.py --show-dir draws there; the
# random states in each checkpoint: --resume continues bit-identically.
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
                     visualization=dict(type='mmnas.BEVVisualizationHook'),
                     rng_state=dict(type='mmnas.RNGStateHook'))

# λ warms up over the first 25 epochs (the released code, for every task; the paper does not
# say); vanished channels are cut every 10 epochs, FLOPs counted on the BEV pseudo-image, where
# channel costs are also priced (the released code has no 3D task, so no profiling size for it).
# Otherwise the penalty and EMA follow the released code where the paper is silent (the
# hook's defaults): each token priced every iteration by its marginal cost, the EMA model's BN
# re-estimated before validation and saving, the last cut decided by the EMA weights.
# token_penalty='average', ema_bn='live', final_mask='union' give the earlier behaviour.
custom_hooks = [
    dict(type='mmnas.ProgressiveShrinkHook', penalty=1.6e-4, warmup=25, interval=10,
         by_epoch=True, input_shape=(64, 496, 432), price_size=None, calib_batches=10),
    dict(type='EMAHook', momentum=1e-4),
]
search_cfg = dict(type='mmnas.DeriveArchLoop', input_shape=(64, 496, 432))
