"""`mim train mmnas CONFIG` / `mim test mmnas CONFIG` find our configs and tools by name."""
import os
import os.path as osp
import shutil
import subprocess
import sys

# openmim is part of the set-up (tools/setup_env.sh), next to this interpreter.
MIM = shutil.which('mim', path=osp.dirname(sys.executable))


def test_mim_finds_configs_and_tools_by_name(tmp_path, tiny_cityscapes):
    assert MIM is not None, 'mim is not installed next to ' + sys.executable
    config = 'hrnas-supernet_tiny-cityscapes.py'  # a name, not a path: mim must look it up
    assert not osp.exists(tmp_path / config)
    data = [f'{split}_dataloader.dataset.data_root={tiny_cityscapes}' for split in
            ('train', 'val', 'test')]
    small = ['train_cfg.max_iters=1', 'train_cfg.val_interval=1',
             'train_dataloader.batch_size=1', 'train_dataloader.num_workers=0',
             'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
             'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
             'test_dataloader.persistent_workers=False', 'model.backbone.context=None']
    work = tmp_path / 'work'
    run = dict(cwd=tmp_path, env=dict(os.environ, OMP_NUM_THREADS='1'), capture_output=True,
               text=True)
    train = subprocess.run([MIM, 'train', 'mmnas', config, '--work-dir', str(work),
                            '--cfg-options', *data, *small], **run)
    assert train.returncode == 0, train.stdout[-2000:] + train.stderr[-2000:]
    assert (work / 'iter_1.pth').is_file()
    test = subprocess.run([MIM, 'test', 'mmnas', config, '--checkpoint', str(work / 'iter_1.pth'),
                           '--work-dir', str(work), '--cfg-options', *data, *small], **run)
    assert test.returncode == 0, test.stdout[-2000:] + test.stderr[-2000:]
    assert 'mIoU' in test.stdout + test.stderr
