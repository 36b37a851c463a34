"""A DARTS bilevel search killed with SIGKILL and resumed ends bit-identical to the run left
alone: α and their optimizer are in the checkpoint, the held-out iterator is put back at the
same batch of the same pass, and the random states travel with the checkpoint.

The search runs the configs' first-order ``BaseArchUpdater``; the second-order
``UnrolledArchUpdater`` adds no state of its own (its virtual step reads the weight
optimizer's lr and momentum, which the checkpoint carries), so it resumes by the same path."""
from tests.test_engine.exact_resume import check_exact_resume


def test_killed_search_resumes_exactly(tiny_search_config, tmp_path):
    # The supervised search: random crops and flips in the main process. Held-out batches of
    # 6 give 3 per pass against 2 weight steps per epoch, so a checkpoint (every epoch) falls
    # inside a pass of the held-out split, which the resumed run re-reads to get back there.
    config = tiny_search_config('nas-darts-search_tiny-imagenet', max_epochs=4, arch_start=0,
                                model='model = dict(backbone=dict(channels=4, num_cells=3), '
                                      'head=dict(in_channels=64))')
    alone, _ = check_exact_resume(config, tmp_path, [
        'train_cfg.arch_dataloader.batch_size=6',
        'default_hooks.checkpoint.interval=1', 'default_hooks.checkpoint.max_keep_ckpts=-1'])
    assert alone['meta']['epoch'] == 4
