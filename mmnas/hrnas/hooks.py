"""ProgressiveShrinkHook: HR-NAS's resource-aware progressive shrinking inside a stock runner."""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from mmengine.dist import is_main_process
from mmengine.hooks import EMAHook
from mmengine.logging import print_log
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmnas.cost import count_complexity
from mmnas.engine.hooks import ArchSpecHook, preserved_rng
from mmnas.engine.runner.derive_loop import write_arch_spec
from mmnas.engine.utils import (recalibrate_bn, refresh_averaged_model, replace_optimizer_params,
                                rewrap_model)
from mmnas.models import unwrap_model
from mmnas.registry import HOOKS
from mmnas.structures import ArchSpec
from mmnas.utils.config_check import ConfigError
from .context import LightweightTransformer
from .shrinking import (SearchScope, apply_plan, l1_penalty, marginal_token_cost, mean_cost,
                        penalty_weights, plan_for_arch, plan_shrink, scale_groups, scope_arch)
from .visualization import draw_arch


@HOOKS.register_module()
class ProgressiveShrinkHook(ArchSpecHook):
    """Train an HR-NAS supernet with ``loss + λ·Σ_c p_c·|γ_c|`` and physically cut the
    channels whose BN scale γ has vanished, every ``interval`` epochs (or iterations).

    The searched channels are those of the backbone and of the heads built of searching
    blocks (:class:`~mmnas.hrnas.SearchScope`: ``HRNASSegHead``, ``HRNASHeatmapHead``,
    ``HRNASClsNeck``); they are priced, penalised and cut together, and the exported spec
    holds the heads in ``ArchSpec.heads``.

    The penalty joins the stock model's loss dict as ``loss_scale_l1`` (a forward hook on the
    model, so any optimizer wrapper, AMP, gradient accumulation and DDP apply to it as to the
    task loss). ``λ`` is 0 before ``begin`` and then rises linearly to ``penalty`` over
    ``warmup`` epochs (iterations), in steps of one epoch (iteration). A cut keeps the
    channels with ``|γ| > threshold`` in the weights or in the EMA weights, and happens only
    if it saves more than ``min_flops_saving`` FLOPs; then optimizer state, EMA copy, DDP
    wrapper and penalty weights are rebuilt, BN statistics are re-estimated on
    ``calib_batches`` training batches, and FLOPs / parameters are logged. Checkpoints carry
    the current architecture so that ``--resume`` and ``tools/test.py`` rebuild the cut
    network (as :class:`~mmnas.engine.ArchSpecHook`, ``meta['arch_spec']``). At the end the
    searched architecture is written as an ``ArchSpec`` (``arch_file``) and ``searched.pth``
    with a picture (``figure_file``) in the work dir.

    Args:
        penalty: λ, the coefficient of the L1 term (HR-NAS supp. §1: 1.6e-4 / 6e-5 for
            HR-NAS-A / B on Cityscapes).
        warmup: length of the linear warm-up of λ.
        begin: epoch (iteration) where the warm-up starts.
        interval: cut every ``interval`` epochs (iterations), and after the last one.
        by_epoch: count ``begin``, ``warmup`` and ``interval`` in epochs or iterations.
        threshold: |γ| at or below which a channel is cut.
        min_flops_saving: a cut that saves fewer FLOPs is postponed.
        input_shape: ``(C, H, W)`` at which FLOPs (logs, exported spec) are counted.
        price_size: ``(H, W)`` at which the channel costs of the penalty weights are counted
            (with ``input_shape``'s C): 224×224 as the released code (its profiling size for
            every task); ``None``: at ``input_shape``.
        token_penalty: ``'marginal'`` (the released code): every iteration each token is
            priced from its transformer's alive tokens (|γ| > threshold) by
            :func:`~mmnas.hrnas.shrinking.marginal_token_cost`; ``'average'``: a token costs
            its transformer's FLOPs over its tokens, refreshed after each cut.
        calib_batches: training batches for BN re-calibration after a cut (and of the EMA
            model, see ``ema_bn``).
        ema_bn: ``'calibrate'`` (the released code): before every validation and checkpoint
            the EMA model's BN statistics are re-estimated on ``calib_batches`` training
            batches (averaged over DDP ranks), and validation, ``save_best`` and the saved
            weights (hence ``tools/test.py``) use the EMA weights with these statistics;
            ``'live'``: mmengine's ``EMAHook`` as it is, the EMA weights with the live
            model's statistics.
        final_mask: which weights decide the last cut: ``'ema'`` (the released code: the
            channels alive in the EMA weights, when there is an EMA model) or ``'union'``
            (alive in the weights or the EMA weights, as every other cut).
        arch_file: searched ArchSpec, relative to the work dir.
        figure_file: picture of the searched architecture, relative to the work dir.
    """

    # Before EMAHook (NORMAL): the EMA copy must have the checkpoint's shape before EMAHook
    # loads its weights; and before CheckpointHook, so the last checkpoint holds the last cut.
    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 penalty: float,
                 warmup: int = 0,
                 begin: int = 0,
                 interval: int = 1,
                 by_epoch: bool = True,
                 threshold: float = 1e-3,
                 min_flops_saving: float = 1e6,
                 input_shape: Sequence[int] = (3, 224, 224),
                 price_size: Optional[Sequence[int]] = (224, 224),
                 token_penalty: str = 'marginal',
                 calib_batches: int = 10,
                 ema_bn: str = 'calibrate',
                 final_mask: str = 'ema',
                 arch_file: str = 'arch.json',
                 figure_file: str = 'arch.png') -> None:
        if penalty < 0 or warmup < 0 or begin < 0 or interval < 1:
            raise ConfigError('ProgressiveShrinkHook: expected penalty >= 0, warmup >= 0, '
                              f'begin >= 0 and interval >= 1, got {penalty}, {warmup}, {begin}, '
                              f'{interval}')
        self.penalty = penalty
        self.warmup = warmup
        self.begin = begin
        self.interval = interval
        self.by_epoch = by_epoch
        self.threshold = threshold
        self.min_flops_saving = min_flops_saving
        self.input_shape = tuple(input_shape)
        if token_penalty not in ('marginal', 'average'):
            raise ConfigError(f"ProgressiveShrinkHook: token_penalty must be 'marginal' or "
                              f"'average', got {token_penalty!r}")
        self.price_shape = self.input_shape if price_size is None else \
            (self.input_shape[0], *price_size)
        self.token_penalty = token_penalty
        if ema_bn not in ('calibrate', 'live') or final_mask not in ('ema', 'union'):
            raise ConfigError(f"ProgressiveShrinkHook: ema_bn must be 'calibrate' or 'live' and "
                              f"final_mask 'ema' or 'union', got {ema_bn!r}, {final_mask!r}")
        self.calib_batches = calib_batches
        self.ema_bn = ema_bn
        self.final_mask = final_mask
        self._ema_calibrated_at: Optional[int] = None
        self._ema_swapped = False
        self.arch_file = arch_file
        self.figure_file = figure_file
        self.coefficient = 0.0
        self._weights: List[Tuple[nn.Parameter, Tensor]] = []
        self._token_prices: list = []
        self._mean_cost = 1.0
        self._handle = None

    # -- the penalty ------------------------------------------------------------------------

    def lambda_at(self, step: int) -> float:
        """λ at epoch (iteration) ``step``."""
        if step < self.begin:
            return 0.0
        if self.warmup == 0:
            return self.penalty
        return self.penalty * min(1.0, (step - self.begin + 1) / self.warmup)

    def _add_penalty(self, module: nn.Module, args, kwargs, output):
        if module.training and kwargs.get('mode') == 'loss' and isinstance(output, dict):
            output['loss_scale_l1'] = self.coefficient * l1_penalty(self._weights)
        return output

    def _refresh(self, runner) -> dict:
        scope = SearchScope(runner.model)
        self._groups = scale_groups(scope, self.price_shape)
        self._weights = penalty_weights(self._groups, scope)
        self._mean_cost = mean_cost(self._groups) if self._groups else 1.0
        blocks = dict(scope.searching_blocks())
        # (group, γ, penalty weights, token dimension d) of each channel-token transformer.
        self._token_prices = [
            (g, gamma, p, blocks[g.block].context.proj_size**2)
            for g, (gamma, p) in zip(self._groups, self._weights)
            if g.kind == 'tokens' and isinstance(blocks[g.block].context, LightweightTransformer)
            and blocks[g.block].context.prunable_tokens]
        # The backbone's cost is what the exported spec's cost counts; the searched network's
        # (backbone + searched heads) is what the log reports: one trace gives both.
        if scope.parts:
            cost = count_complexity(scope, self.input_shape, submodules=('backbone', ))
            backbone_cost = cost.pop('submodules')['backbone']
        else:
            cost = backbone_cost = count_complexity(scope.backbone, self.input_shape)
        runner.message_hub.update_info('hrnas_cost', backbone_cost)
        runner.message_hub.update_info('hrnas_searched_cost', cost)
        return cost

    def before_train(self, runner) -> None:
        model = unwrap_model(runner.model)
        self._handle = model.register_forward_hook(self._add_penalty, with_kwargs=True)
        cost = self._refresh(runner)
        print_log(f'HR-NAS shrinking: searched network {cost["flops"] / 1e9:.4f} GFLOPs '
                  f'{cost["params"] / 1e6:.4f} M params at {list(self.input_shape)}, '
                  f'{sum(g.size for g in self._groups)} searched channels',
                  logger='current')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self.coefficient = self.lambda_at(runner.epoch if self.by_epoch else runner.iter)
        if self.token_penalty == 'marginal':
            for group, gamma, weights, dim in self._token_prices:
                alive = int((gamma.detach().abs() > self.threshold).sum())
                weights.fill_(marginal_token_cost(group, alive, dim) / self._mean_cost)
        runner.message_hub.update_scalar('train/lambda', self.coefficient)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._ema_calibrated_at = None  # the EMA update copied the live statistics in
        if not self.by_epoch and (self.every_n_train_iters(runner, self.interval)
                                  or self.is_last_train_iter(runner)):
            self.shrink(runner, final=self.is_last_train_iter(runner))

    def after_train_epoch(self, runner) -> None:
        if self.by_epoch and (self.every_n_epochs(runner, self.interval)
                              or runner.epoch + 1 == runner.max_epochs):
            self.shrink(runner, final=runner.epoch + 1 == runner.max_epochs)

    # -- the EMA model's own BN statistics -----------------------------------------------------

    def _calibrate_ema(self, runner) -> list:
        """Re-estimate the EMA models' BN statistics once per training step (mmengine's EMA
        copies the live statistics in at every update); returns the EMA models."""
        emas = self._ema_models(runner) if self.ema_bn == 'calibrate' else []
        if emas and self._ema_calibrated_at != runner.iter:
            # Off the random streams: a resumed run, which does not repeat a save, draws the
            # same augmentation as the run left alone.
            with preserved_rng():
                for ema in emas:
                    recalibrate_bn(ema.module, runner.train_dataloader, self.calib_batches)
            self._ema_calibrated_at = runner.iter
        return emas

    def _swap_ema_norms(self, runner) -> None:
        """Exchange the BN statistics of the model and its (first) EMA model."""
        ema = self._ema_models(runner)[0]
        live = [m for m in unwrap_model(runner.model).modules() if isinstance(m, _BatchNorm)]
        avg = [m for m in ema.module.modules() if isinstance(m, _BatchNorm)]
        for a, b in zip(live, avg):
            for name in ('running_mean', 'running_var', 'num_batches_tracked'):
                x, y = getattr(a, name), getattr(b, name)
                if x is not None and y is not None:
                    tmp = x.detach().clone()
                    x.copy_(y)
                    y.copy_(tmp)
        self._ema_swapped = not self._ema_swapped

    def before_val_epoch(self, runner) -> None:
        # EMAHook swaps the weights; the statistics are swapped here, so that the EMA weights
        # are validated with their own statistics.
        if self._calibrate_ema(runner):
            self._swap_ema_norms(runner)

    def after_val_epoch(self, runner, metrics=None) -> None:
        if self._ema_swapped:
            self._swap_ema_norms(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        # Before EMAHook stores the EMA state (and swaps it into the saved weights).
        self._calibrate_ema(runner)
        super().before_save_checkpoint(runner, checkpoint)

    def after_train(self, runner) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
        if is_main_process():
            spec = write_arch_spec(runner, self.input_shape, self.arch_file)
            path = osp.join(runner.work_dir, self.figure_file)
            draw_arch(spec, path)
            print_log(f'HR-NAS searched architecture drawn in {path}', logger='current')

    # -- the cut ------------------------------------------------------------------------------

    def _ema_models(self, runner) -> list:
        return [hook.ema_model for hook in runner.hooks
                if isinstance(hook, EMAHook) and hasattr(hook, 'ema_model')]

    def _cut(self, runner, plan: dict) -> None:
        """Apply ``plan`` to the model, its EMA copies and the optimizer; re-wrap DDP."""
        slices = apply_plan(SearchScope(runner.model), plan)
        for ema in self._ema_models(runner):
            apply_plan(SearchScope(ema.module), plan)
            refresh_averaged_model(ema)
        replace_optimizer_params(runner.optim_wrapper, slices)
        rewrap_model(runner)

    def shrink(self, runner, final: bool = False) -> Optional[dict]:
        """Cut the vanished channels now (``final``: the last cut, see ``final_mask``);
        returns the new cost, or ``None`` if nothing was cut."""
        emas = [SearchScope(ema.module) for ema in self._ema_models(runner)]
        if final and self.final_mask == 'ema' and emas:
            backbones = emas
        else:
            backbones = [SearchScope(runner.model)] + emas
        plan, saved = plan_shrink(self._groups, backbones, self.threshold)
        if not plan or saved <= self.min_flops_saving:
            return None
        before = runner.message_hub.get_info('hrnas_searched_cost')
        self._cut(runner, plan)
        recalibrate_bn(runner.model, runner.train_dataloader, self.calib_batches)
        cost = self._refresh(runner)
        removed = sum(len(e.get('kernels', ())) for e in plan.values())
        print_log(
            f'HR-NAS shrinking at {"epoch" if self.by_epoch else "iter"} '
            f'{runner.epoch + 1 if self.by_epoch else runner.iter + 1}: cut {len(plan)} blocks '
            f'({removed} kernel branches touched), FLOPs {before["flops"] / 1e9:.4f} G -> '
            f'{cost["flops"] / 1e9:.4f} G, params {before["params"] / 1e6:.4f} M -> '
            f'{cost["params"] / 1e6:.4f} M', logger='current')
        runner.message_hub.update_scalar('train/backbone_mflops',
                                         runner.message_hub.get_info('hrnas_cost')['flops'] / 1e6)
        runner.message_hub.update_scalar('train/searched_mflops', cost['flops'] / 1e6)
        return cost

    # -- checkpoints --------------------------------------------------------------------------

    def restore(self, runner, spec: ArchSpec) -> None:
        """Cut the network, its EMA copies and the optimizer to the widths of a checkpoint's
        spec, before its weights are loaded."""
        plan = plan_for_arch(SearchScope(runner.model), scope_arch(spec))
        if plan:
            self._cut(runner, plan)
            print_log(f'HR-NAS: network cut to the architecture stored in the checkpoint '
                      f'({len(plan)} blocks)', logger='current')
