"""The sandwich rule with inplace distillation (BigNAS §3.1), as mmengine training loops.

Every iteration trains the biggest child, the smallest child and ``num_random`` random
children on one batch, accumulates their gradients and makes one optimizer step:

- the biggest child at the highest resolution, on the labels (the stock model's ``loss``),
  with the regularisation (weight decay, dropout, drop-path) that only it gets;
- the others on the biggest child's prediction (detached), the smallest at the lowest
  resolution, random children at a random one; dropout and drop-path off;
- one prefetched batch serves all: the backbone resizes it (bicubic) to each child's
  resolution;
- each child's backward runs before the next child's forward, so only one graph is alive.

The model stays stock (``ImageClassifier``, ``EncoderDecoder``, ...); the rule only needs
its ``backbone`` to be an :class:`~mmnas.models.ElasticBackbone` and the name of the module
whose output is the task prediction (``head``, ``decode_head``).

Children are drawn from ``random.Random`` seeded with ``(seed, global step, child index)``:
every process of a multi-process run trains the same children without communicating. Each
child's backward runs under DDP's ``no_sync``; the accumulated gradients are averaged over
processes once, before the step, so parameters a child does not use never trip DDP.
"""
import random
from contextlib import ExitStack, contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

from mmengine.dist import all_reduce_params
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from torch import Tensor, nn

from mmnas.engine.runner.child_eval import get_elastic_backbone
from mmnas.models import no_regularization, unwrap_model
from mmnas.registry import LOOPS, MODELS
from mmnas.utils.config_check import ConfigError


@contextmanager
def capture_forward(module: nn.Module, store: dict) -> Iterator[None]:
    """Record in ``store['output']`` what ``module.forward`` returns inside the block.

    Stock heads call ``self.forward(x)`` from their ``loss`` (so a forward hook would not
    fire); an instance attribute shadows the method for both ``module(x)`` and that call.
    """
    method = module.forward

    def forward(*args, **kwargs):
        store['output'] = method(*args, **kwargs)
        return store['output']

    module.forward = forward
    try:
        yield
    finally:
        del module.forward


class SandwichRule:
    """One BigNAS training step (see the module docstring).

    Args:
        num_random: random children per step (N; BigNAS: 2, i.e. 4 children per step).
        distill_loss: loss of a child against the teacher's prediction, e.g.
            ``dict(type='mmnas.SoftTargetKLDivLoss')`` for logits, ``SoftTargetMSELoss``
            for heatmaps.
        prediction: the submodule of the stock model whose ``forward`` gives the task output
            (``'head'`` for mmpretrain/mmpose, ``'decode_head'`` for mmseg).
        weight_decay: L2 coefficient on conv/linear weights, biggest child only (set the
            optimizer's own ``weight_decay`` to 0: it would decay for every child).
        seed: base of the per-step seeds.
    """

    def __init__(self, num_random: int = 2,
                 distill_loss: dict = dict(type='mmnas.SoftTargetKLDivLoss'),
                 prediction: str = 'head', weight_decay: float = 0.0, seed: int = 0) -> None:
        if not isinstance(num_random, int) or num_random < 0:
            raise ConfigError(f'sandwich rule: num_random must be an int >= 0, got '
                              f'{num_random!r}')
        self.num_random = num_random
        self.distill_loss = MODELS.build(distill_loss)
        self.prediction = prediction
        self.weight_decay = weight_decay
        self.seed = seed
        #: ``[(name, arch)]`` of the last step, for logging and checks.
        self.last_children: List[Tuple[str, dict]] = []

    def children(self, backbone, step: int) -> List[Tuple[str, dict]]:
        """``[('max', arch), ('min', arch), ('random0', arch), ...]`` of global ``step``."""
        out = [('max', backbone.max_arch()), ('min', backbone.min_arch())]
        for i in range(self.num_random):
            rng = random.Random(f'{self.seed}:{step}:{i}')
            out.append((f'random{i}', backbone.sample_arch(rng)))
        return out

    def _l2(self, net: nn.Module) -> Union[Tensor, float]:
        if not self.weight_decay:
            return 0.0
        weights = [p for p in net.parameters() if p.requires_grad and p.dim() > 1]
        return 0.5 * self.weight_decay * sum(p.pow(2).sum() for p in weights)

    def train_step(self, model: nn.Module, data_batch: Union[dict, Sequence],
                   optim_wrapper: OptimWrapper, step: int) -> Dict[str, Tensor]:
        """Train the sandwich of children on one batch; one optimizer step.

        Returns:
            Log variables: ``loss`` (the sum), ``max.<stock loss names>`` and
            ``<child>.loss_distill`` per other child.
        """
        net = unwrap_model(model)
        try:
            predictor = net.get_submodule(self.prediction)
        except AttributeError:
            raise ConfigError(f'sandwich rule: prediction={self.prediction!r} is not a '
                              f'submodule of {type(net).__name__}') from None
        backbone = get_elastic_backbone(net)
        data = net.data_preprocessor(data_batch, True)
        inputs, samples = data['inputs'], data['data_samples']
        self.last_children = self.children(backbone, step)
        log_vars: Dict[str, Tensor] = {}
        total = 0.0
        teacher: Optional[Tensor] = None
        for name, arch in self.last_children:
            backbone.set_arch(arch)
            with ExitStack() as stack:
                stack.enter_context(backbone.input_resolution(backbone.arch_resolution(arch)))
                stack.enter_context(optim_wrapper.optim_context(model))
                if is_model_wrapper(model) and hasattr(model, 'no_sync'):
                    stack.enter_context(model.no_sync())
                if name == 'max':
                    store = {}
                    with capture_forward(predictor, store):
                        losses = model(inputs, samples, mode='loss')
                    loss, parsed = net.parse_losses(losses)
                    loss = loss + self._l2(net)
                    teacher = _detach(store['output'])
                    log_vars.update({f'max.{k}': v for k, v in parsed.items()})
                else:
                    stack.enter_context(no_regularization(net))
                    out = _prediction(model(inputs, samples, mode='tensor'))
                    loss = self.distill_loss(out, teacher)
                    log_vars[f'{name}.loss_distill'] = loss.detach()
                optim_wrapper.backward(loss)
            total = total + loss.detach()
        grads = [p.grad for p in net.parameters() if p.grad is not None]
        all_reduce_params(grads, op='mean')
        optim_wrapper.step()
        optim_wrapper.zero_grad()
        log_vars['loss'] = total
        return log_vars


def _prediction(output):
    """The task output of a stock model's ``tensor`` mode (a tensor, or the last of a
    tuple of per-level outputs)."""
    return output[-1] if isinstance(output, (tuple, list)) else output


def _detach(output):
    return _prediction(output).detach()


class _SandwichMixin:
    """``run_iter`` of mmengine's loops with the sandwich rule in place of
    ``model.train_step``."""

    def _build_rule(self, rule: dict) -> None:
        self.rule = SandwichRule(**rule)

    def run(self):
        check_no_optimizer_weight_decay(self.runner.optim_wrapper, self.rule)
        return super().run()

    def _sandwich_iter(self, batch_idx: int, data_batch) -> None:
        self.runner.call_hook('before_train_iter', batch_idx=batch_idx, data_batch=data_batch)
        outputs = self.rule.train_step(self.runner.model, data_batch, self.runner.optim_wrapper,
                                       self._iter)
        self.runner.call_hook('after_train_iter', batch_idx=batch_idx, data_batch=data_batch,
                              outputs=outputs)
        self._iter += 1


@LOOPS.register_module()
class SandwichTrainLoop(_SandwichMixin, IterBasedTrainLoop):
    """``IterBasedTrainLoop`` training with the sandwich rule.

    Args:
        runner, dataloader, max_iters, val_begin, val_interval, dynamic_intervals: as
            ``IterBasedTrainLoop``.
        **rule: :class:`SandwichRule` arguments (``num_random``, ``distill_loss``,
            ``prediction``, ``weight_decay``, ``seed``).
    """

    def __init__(self, runner, dataloader, max_iters: int, val_begin: int = 1,
                 val_interval: int = 1000, dynamic_intervals=None, **rule) -> None:
        super().__init__(runner, dataloader, max_iters, val_begin, val_interval,
                         dynamic_intervals)
        self._build_rule(rule)

    def run_iter(self, data_batch) -> None:
        self._sandwich_iter(self._iter, data_batch)


@LOOPS.register_module()
class SandwichEpochTrainLoop(_SandwichMixin, EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` training with the sandwich rule (arguments as
    :class:`SandwichTrainLoop`, with ``max_epochs``)."""

    def __init__(self, runner, dataloader, max_epochs: int, val_begin: int = 1,
                 val_interval: int = 1, dynamic_intervals=None, **rule) -> None:
        super().__init__(runner, dataloader, max_epochs, val_begin, val_interval,
                         dynamic_intervals)
        self._build_rule(rule)

    def run_iter(self, idx, data_batch) -> None:
        self._sandwich_iter(idx, data_batch)


def check_no_optimizer_weight_decay(optim_wrapper: OptimWrapper, rule: SandwichRule) -> None:
    """The optimizer's weight decay would regularise every child, not only the biggest."""
    if rule.weight_decay and any(g.get('weight_decay', 0) for g in
                                 optim_wrapper.optimizer.param_groups):
        raise ConfigError('sandwich rule: weight_decay is set both in the rule (biggest child '
                          'only) and in optim_wrapper.optimizer (every child); set the '
                          "optimizer's to 0")
