"""A DenseNAS search killed with SIGKILL and resumed ends bit-identical to the run left alone:
α, β and their optimizer are in the checkpoint, each architecture epoch re-reads the held-out
split from its start, and the path sampling and augmentation draw from the random states the
checkpoint carries."""
from tests.test_densenas.test_search import SEARCH, tiny_config
from tests.test_engine.exact_resume import check_exact_resume


def test_killed_search_resumes_exactly(tmp_path, repo_root):
    from mmnas.datasets.tiny import make_tiny_imagenet
    root = str(tmp_path / 'imagenet')
    make_tiny_imagenet(root, num_classes=4, num_train_per_class=8, num_val_per_class=2,
                       min_size=32, max_size=40)
    # 3 epochs of 3 weight steps, architecture epochs from the second on, validation (after
    # the checkpoint of its epoch) every 2 epochs: the resumed run (killed after the first
    # epoch's checkpoint) goes through both architecture epochs and the validation.
    config = tiny_config(repo_root, SEARCH, root, tmp_path / 'search.py',
                         **{'train_cfg.max_epochs': 3, 'train_cfg.arch_start': 1,
                            'train_cfg.val_begin': 1, 'train_cfg.val_interval': 2,
                            'train_dataloader.batch_size': 8,
                            'train_cfg.arch_dataloader.batch_size': 4,
                            'param_scheduler.weights.0.T_max': 3,
                            'param_scheduler.weights.0.end': 3})
    alone, _ = check_exact_resume(config, tmp_path, [
        'default_hooks.checkpoint.interval=1', 'default_hooks.checkpoint.max_keep_ckpts=-1',
        'default_hooks.logger.interval=1'])
    assert alone['meta']['epoch'] == 3
