"""DenseNASRouted: the densely connected DenseNAS supernet (DenseNAS supp. Sec. 3, A.2, A.3).

The network is a chain of routing blocks ``B_0`` (the stem's output) … ``B_N`` and an ending
block ``B_{N+1}``, widths growing with depth. Block ``i`` connects forward to up to ``M``
following blocks; every connection ``i → j`` has a shape-alignment head ``head_ij`` and a
transition probability ``p_ij = softmax(β_i / T)_j`` over ``i``'s outgoing connections. The
input of block ``j`` is ``Σ_i p_ij · head_ij(x_i)``; it then runs its basic layers, each a
mixture of candidate operations weighted by ``softmax(α_ℓ)``. A head is one fixed operation or,
where the space lists several, a mixed operation with its own α over them (DenseNAS supp.
A.2), sampled, re-balanced and derived like a basic layer.

Three ways to run (set by the search, see :class:`DenseNASArchUpdater`):

- mixed (default): every operation, weighted by ``softmax(α)``;
- sampled (:meth:`sample_ops`): one operation per layer and searched head (dropping-path
  weight step), or two weighted by their renormalised ``softmax(α)`` (architecture step);
- derived (:meth:`forward_derived`, a separate call that changes nothing): only the derived
  path and operations, exactly the network :meth:`export` hands back.
"""
import copy
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.dist import broadcast
from torch import Tensor, nn

from mmnas.models import DifferentiableBackbone, FeatureInfo
from mmnas.registry import MODELS
from mmnas.structures import ArchSpec, jsonable_config
from mmnas.utils.config_check import ConfigError
from .ops import build_op, check_op_name
from .routing import Edge, viterbi
from .search_space import SPACES

_SPACE_KEYS = {'stem', 'blocks', 'head_op', 'candidate_ops', 'max_connections', 'temperature',
               'act_cfg', 'search_stem_act_cfg', 'derive_ending'}
_BLOCK_KEYS = {'channels', 'stride', 'stage', 'num_layers', 'head_op'}


def spatial_size(size: int, stride: int) -> int:
    """The side length after ``log2(stride)`` stride-2 layers with "same" padding."""
    while stride > 1:
        size, stride = -(-size // 2), stride // 2
    return size


def cost_key(op: str, in_channels: int, size: Tuple[int, int], out_channels: int,
             stride: int) -> str:
    """Name of an operation at a shape in a cost table, e.g. ``ir_k3_e6|24x56x56|32|s2``."""
    return f'{op}|{in_channels}x{size[0]}x{size[1]}|{out_channels}|s{stride}'


class MixedLayer(nn.Module):
    """Candidate operations of equal shapes, ``(N, C_in, H, W) → (N, C_out, H/s, W/s)``: a
    basic layer (``C_in = C_out``, ``s = 1``) or a searched head.

    ``forward(x, alpha, active)``: with ``active=None`` the ``softmax(α)``-weighted sum of all
    candidates; with one index, only that candidate; with several, their sum weighted by
    ``softmax`` over their own α (the renormalised pair of the architecture step).
    """

    def __init__(self, op_names: Sequence[str], channels: int, norm_cfg: dict,
                 act_cfg: dict, out_channels: Optional[int] = None, stride: int = 1) -> None:
        super().__init__()
        out_channels = channels if out_channels is None else out_channels
        self.ops = nn.ModuleList(build_op(name, channels, out_channels, stride, norm_cfg, act_cfg)
                                 for name in op_names)

    def forward(self, x: Tensor, alpha: Tensor, active: Optional[Sequence[int]]) -> Tensor:
        if active is None:
            weights, ops = F.softmax(alpha, 0), list(self.ops)
        elif len(active) == 1:
            return self.ops[active[0]](x)
        else:
            weights = F.softmax(alpha[list(active)], 0)
            ops = [self.ops[o] for o in active]
        return sum(w * op(x) for w, op in zip(weights, ops))


class RoutingBlock(nn.Module):
    """Block ``j``: a head per incoming connection (``heads[str(i)]``: ``(N, C_i, H_i, W_i) →
    (N, C_j, H_j, W_j)``, one operation or a :class:`MixedLayer` of the searched head
    candidates) and the basic layers at ``(N, C_j, H_j, W_j)``."""

    def __init__(self, sources: Mapping[int, Tuple[int, int]], channels: int,
                 head_ops: Sequence[str], num_layers: int, op_names: Sequence[str],
                 norm_cfg: dict, act_cfg: dict) -> None:
        super().__init__()
        self.heads = nn.ModuleDict({
            str(i): (build_op(head_ops[0], c_in, channels, stride, norm_cfg, act_cfg)
                     if len(head_ops) == 1 else
                     MixedLayer(head_ops, c_in, norm_cfg, act_cfg, channels, stride))
            for i, (c_in, stride) in sources.items()
        })
        self.layers = nn.ModuleList(
            MixedLayer(op_names, channels, norm_cfg, act_cfg) for _ in range(num_layers))


@MODELS.register_module()
class DenseNASRouted(DifferentiableBackbone):
    """The DenseNAS supernet over a search space of :mod:`mmnas.densenas.search_space`.

    Args:
        search_space: ``'mbv2'`` or ``'resnet'`` (the two spaces of DenseNAS supp.), or a
            space dict (see :mod:`~mmnas.densenas.search_space`).
        in_channels: input channels.
        norm_cfg: normalisation of the supernet (DenseNAS supp. searches with BN without affine
            parameters).
        derived_norm_cfg: normalisation of the network :meth:`export_arch` writes, which is
            trained from scratch; ``None`` keeps ``norm_cfg``.
        derive_with_temperature: whether :meth:`derive` runs Viterbi over ``softmax(β_i / T)``,
            the transition probabilities the search trains with, instead of ``softmax(β_i)``,
            which the authors' released derivation uses (the default; the two agree for
            ``T = 1`` and may pick different paths otherwise, e.g. in the ResNet space,
            ``T = 0.9``).
        init_cfg: mmengine initialisation.

    Architecture parameters (:meth:`named_arch_parameters`): ``alphas.k`` (one per basic
    layer, ``(num_candidates,)``, in block order), ``head_alphas.k`` (one per connection with
    a searched head, ``(num_head_candidates,)``, in :attr:`head_edges` order) and ``betas.i``
    (one per block with outgoing connections, ``(len(out(i)),)``), all zero (uniform) at the
    start.

    Shapes: ``(N, in_channels, H, W) → ((N, C_{N+1}, H / s_{N+1}, W / s_{N+1}),)``.
    """

    def __init__(self,
                 search_space: Union[str, Mapping] = 'mbv2',
                 in_channels: int = 3,
                 norm_cfg: dict = dict(type='BN', affine=False),
                 derived_norm_cfg: Optional[dict] = dict(type='BN'),
                 derive_with_temperature: bool = False,
                 init_cfg: Optional[List[dict]] = (
                     dict(type='Kaiming', layer='Conv2d', mode='fan_out',
                          nonlinearity='relu'),
                     dict(type='Constant', val=1, layer=['_BatchNorm']))) -> None:
        super().__init__(init_cfg=list(init_cfg) if init_cfg else None)
        space = self._check_space(search_space)
        self.space = space
        self.in_channels = in_channels
        self.norm_cfg = copy.deepcopy(norm_cfg)
        self.derived_norm_cfg = copy.deepcopy(derived_norm_cfg or norm_cfg)
        self.candidate_ops = tuple(space['candidate_ops'])
        self.temperature = float(space.get('temperature', 1.0))
        self.derive_with_temperature = bool(derive_with_temperature)
        act_cfg = space.get('act_cfg', dict(type='ReLU6'))

        stem = space['stem']
        self.nodes = [dict(channels=stem.get('op_channels', stem['channels'])
                           if stem.get('op') else stem['channels'],
                           stride=stem['stride'], stage=0, num_layers=0)]
        self.nodes += [dict(b) for b in space['blocks']]
        self.out_edges = self._connect(self.nodes, space['max_connections'])
        self.edges: List[Edge] = [(i, j) for i, js in enumerate(self.out_edges) for j in js]
        #: The connections whose head is searched (``head_alphas`` order).
        self.head_edges: List[Edge] = [(i, j) for i, j in self.edges
                                       if len(self._head_ops(j)) > 1]
        self._head_k = {e: k for k, e in enumerate(self.head_edges)}
        self.derive_ending = bool(space.get('derive_ending', True))

        layers = [build_op('conv_k3', in_channels, stem['channels'], stem['stride'],
                           self.norm_cfg, space.get('search_stem_act_cfg', act_cfg))]
        if stem.get('op'):
            layers.append(build_op(stem['op'], stem['channels'], self.nodes[0]['channels'], 1,
                                   self.norm_cfg, act_cfg))
        self.stem = nn.Sequential(*layers)
        self.blocks = nn.ModuleList()
        #: ``(block index j, layer index ℓ)`` of every ``alphas`` entry.
        self.layer_index: List[Tuple[int, int]] = []
        for j, node in enumerate(self.nodes[1:], 1):
            sources = {
                i: (self.nodes[i]['channels'], node['stride'] // self.nodes[i]['stride'])
                for i, _ in self.edges if _ == j
            }
            self.blocks.append(
                RoutingBlock(sources, node['channels'], self._head_ops(j), node['num_layers'],
                             self.candidate_ops, self.norm_cfg, act_cfg))
            self.layer_index += [(j, layer) for layer in range(node['num_layers'])]
        self.alphas = nn.ParameterList(
            nn.Parameter(torch.zeros(len(self.candidate_ops))) for _ in self.layer_index)
        self.head_alphas = nn.ParameterList(
            nn.Parameter(torch.zeros(len(self._head_ops(j)))) for _, j in self.head_edges)
        self.betas = nn.ParameterList(
            nn.Parameter(torch.zeros(len(js))) for js in self.out_edges[:-1])

        self._active: Optional[List[Optional[List[int]]]] = None
        self._active_heads: Optional[List[List[int]]] = None

        last = self.nodes[-1]
        self.feature_info = [FeatureInfo(last['channels'], last['stride'],
                                         f'blocks.{len(self.blocks) - 1}')]
        self.out_indices = (0, )

    # ----------------------------------------------------------------------------- space
    def _check_space(self, search_space: Union[str, Mapping]) -> dict:
        if isinstance(search_space, str):
            if search_space not in SPACES:
                raise ConfigError(f'DenseNASRouted: search_space {search_space!r} is not a '
                                  f'known space; expected one of {sorted(SPACES)} or a space '
                                  'dict')
            search_space = SPACES[search_space]
        if not isinstance(search_space, Mapping):
            raise ConfigError(f'DenseNASRouted: search_space must be a space name or dict, '
                              f'got {type(search_space).__name__}')
        space = copy.deepcopy(dict(search_space))
        missing = {'stem', 'blocks', 'head_op', 'candidate_ops', 'max_connections'} - set(space)
        if missing or set(space) - _SPACE_KEYS:
            raise ConfigError(f'DenseNASRouted: search_space is missing {sorted(missing)} or has '
                              f'unknown keys {sorted(set(space) - _SPACE_KEYS)}; expected '
                              f'{sorted(_SPACE_KEYS)}')
        if len(space['blocks']) < 1 or len(space['candidate_ops']) < 1:
            raise ConfigError('DenseNASRouted: search_space needs at least one block (the ending '
                              'block) and one candidate operation')
        for name in list(space['candidate_ops']) + list(self._names(space['head_op'])):
            check_op_name(name)
        connections = space['max_connections']
        if not (isinstance(connections, int) and connections >= 1) and not (
                isinstance(connections, Sequence) and connections
                and all(isinstance(m, int) and m >= 1 for m in connections)):
            raise ConfigError(f'DenseNASRouted: search_space.max_connections={connections!r}; '
                              'expected a positive int or one per stage')
        strides = [space['stem']['stride']]
        for k, block in enumerate(space['blocks']):
            if not isinstance(block, Mapping) or set(block) - _BLOCK_KEYS or not {
                    'channels', 'stride', 'stage', 'num_layers'} <= set(block):
                raise ConfigError(f'DenseNASRouted: search_space.blocks[{k}] = {block!r}; expected a '
                                  'dict of channels, stride, stage, num_layers (and head_op)')
            for name in self._names(block.get('head_op', ())):
                check_op_name(name)
            strides.append(block['stride'])
        for k, s in enumerate(strides):
            if s < 1 or s & (s - 1):
                raise ConfigError(f'DenseNASRouted: block {k} has stride {s}; expected a '
                                  'power of two')
        if (not isinstance(space['max_connections'], int)
                and len(space['max_connections']) <= max(b['stage'] for b in space['blocks'][:-1])):
            raise ConfigError(f'DenseNASRouted: search_space.max_connections has '
                              f'{len(space["max_connections"])} entries; expected one per stage '
                              'of the blocks that connect onwards')
        return space

    @staticmethod
    def _names(ops: Union[str, Sequence[str]]) -> Tuple[str, ...]:
        """A head given as one name or several, as a tuple of names."""
        return (ops, ) if isinstance(ops, str) else tuple(ops)

    @staticmethod
    def _connect(nodes: Sequence[dict],
                 max_connections: Union[int, Sequence[int]]) -> List[List[int]]:
        """``out(i)``: the following blocks ``j ≤ i + M`` (``M`` of the stage of ``i`` when
        given per stage) at most one stage later and at most one halving of resolution
        away."""
        out: List[List[int]] = []
        for i, src in enumerate(nodes):
            m = (max_connections if isinstance(max_connections, int) else
                 max_connections[min(src['stage'], len(max_connections) - 1)])
            out.append([
                j for j in range(i + 1, min(i + 1 + m, len(nodes)))
                if 0 <= nodes[j]['stage'] - src['stage'] <= 1
                and nodes[j]['stride'] // src['stride'] in (1, 2)
                and nodes[j]['stride'] >= src['stride']
            ])
        for j in range(1, len(nodes)):
            if not any(j in js for js in out):
                raise ConfigError(f'DenseNASRouted: block {j} {nodes[j]} has no incoming '
                                  'connection (check stages, strides and max_connections)')
        for i in range(len(nodes) - 1):
            if not out[i]:
                raise ConfigError(f'DenseNASRouted: block {i} {nodes[i]} has no outgoing '
                                  'connection (check stages, strides and max_connections)')
        return out

    def _head_ops(self, j: int) -> Tuple[str, ...]:
        """The head candidates of the connections into block ``j`` (one: a fixed head)."""
        return self._names(self.nodes[j].get('head_op', self.space['head_op']))

    # ------------------------------------------------------------ architecture parameters
    def named_arch_parameters(self) -> Iterator[Tuple[str, nn.Parameter]]:
        """α (``alphas.k``, ``head_alphas.k``) and β (``betas.i``), the parameters of the
        architecture step."""
        for name, param in self.named_parameters():
            if name.startswith(('alphas.', 'head_alphas.', 'betas.')):
                yield name, param

    def arch_parameters(self) -> Iterator[nn.Parameter]:
        for _, param in self.named_arch_parameters():
            yield param

    def transition_probs(self, temperature: Optional[float] = None) -> Dict[Edge, Tensor]:
        """``p_ij = softmax(β_i / T)_j`` for every connection (sums to 1 over ``out(i)``);
        ``T`` is the space's temperature unless ``temperature`` is given."""
        temperature = self.temperature if temperature is None else temperature
        probs = {}
        for i, beta in enumerate(self.betas):
            p = F.softmax(beta / temperature, 0)
            probs.update({(i, j): p[k] for k, j in enumerate(self.out_edges[i])})
        return probs

    # --------------------------------------------------------------------- search modes
    def sample_ops(self, num: int) -> List[List[int]]:
        """Draw ``num`` distinct candidates per basic layer and per searched head from
        ``softmax(α)`` (all of them if there are fewer), run only those from now on, and
        return the basic layers' draws (the heads' are :attr:`active_head_ops`).

        Rank 0's draw is broadcast, so that every process runs the same sub-network.
        """
        alphas = list(self.alphas) + list(self.head_alphas)
        with torch.no_grad():
            draws = [
                torch.multinomial(F.softmax(a.detach().float(), 0), min(num, a.numel()))
                for a in alphas
            ]
        if draws:
            flat = torch.cat(draws)
            broadcast(flat, src=0)
            draws = [d.tolist() for d in flat.split([d.numel() for d in draws])]
        self._active = draws[:len(self.alphas)]
        self._active_heads = draws[len(self.alphas):]
        return self._active

    def reset_ops(self) -> None:
        """Back to the mixed forward over every candidate and connection."""
        self._active = None
        self._active_heads = None

    @property
    def active_ops(self) -> Optional[List[Optional[List[int]]]]:
        """The candidates each basic layer runs (``None``: all)."""
        return self._active

    @property
    def active_head_ops(self) -> Optional[List[List[int]]]:
        """The candidates each searched head (:attr:`head_edges` order) runs (``None``:
        all)."""
        return self._active_heads

    def derive(self) -> dict:
        """The searched architecture: the Viterbi path of blocks (DenseNAS supp. Algorithm 1)
        under ``softmax(β_i)`` as released, or under the transition probabilities
        ``softmax(β_i / T)`` with :attr:`derive_with_temperature`; per connection on the path
        the ``argmax α`` head candidate, and per basic layer of the kept blocks the
        ``argmax α`` candidate.

        Returns:
            ``dict(path=[0, …, N+1], heads={block j: head name of the connection into j},
            ops={block j: [candidate name per layer]})``.
        """
        temperature = self.temperature if self.derive_with_temperature else 1.0
        probs = {e: float(p.detach()) for e, p in self.transition_probs(temperature).items()}
        path = viterbi(len(self.nodes), probs)
        ops: Dict[int, List[str]] = {j: [] for j in path[1:]}
        for (j, _), alpha in zip(self.layer_index, self.alphas):
            if j in ops:
                ops[j].append(self.candidate_ops[int(alpha.argmax())])
        heads = {j: self._head_ops(j)[self._head_choice((i, j))]
                 for i, j in zip(path, path[1:])}
        return dict(path=path, heads=heads, ops=ops)

    def _head_choice(self, edge: Edge) -> int:
        """The ``argmax α`` head candidate of a connection (0 for a fixed head)."""
        if edge not in self._head_k:
            return 0
        return int(self.head_alphas[self._head_k[edge]].argmax())

    def _derived_pairs(self, path: Sequence[int]) -> List[Edge]:
        """The connections of ``path`` the derived network keeps (without the one into the
        ending block when the space drops it)."""
        pairs = list(zip(path, path[1:]))
        return pairs if self.derive_ending else pairs[:-1]

    def export(self) -> Tuple[ArchSpec, Dict[str, Tensor]]:
        """The :class:`DenseNASNet` of :meth:`export_arch` and its weights, under that
        network's parameter names: per kept block the head from its predecessor on the path
        and the chosen candidate of every non-skip layer. The search's non-affine norms (the
        BN without γ, β) become the derived network's affine ones with γ = 1, β = 0,
        the same function (but for a space whose ``search_stem_act_cfg`` differs from its
        ``act_cfg``: the ResNet space's derived stem clips at 6, as released)."""
        spec = self.export_arch()
        path = spec.meta['derived']['path']
        state = {f'stem.{k}': v for k, v in self.stem.state_dict().items()}
        for b, (i, j) in enumerate(self._derived_pairs(path)):
            block = self.blocks[j - 1]
            head = block.heads[str(i)]
            modules = [head.ops[self._head_choice((i, j))] if (i, j) in self.head_edges
                       else head]
            for layer, alpha in zip(block.layers, self._alphas_of(j)):
                if self.candidate_ops[int(alpha.argmax())] != 'skip':
                    modules.append(layer.ops[int(alpha.argmax())])
            for m, module in enumerate(modules):
                state.update({f'blocks.{b}.{m}.{k}': v for k, v in module.state_dict().items()})
        state = {k: v.detach().clone() for k, v in state.items()}
        for key in [k for k in state if k.endswith('running_mean')]:
            prefix = key[:-len('running_mean')]
            if prefix + 'weight' not in state:
                state[prefix + 'weight'] = torch.ones_like(state[key])
                state[prefix + 'bias'] = torch.zeros_like(state[key])
        return spec, state

    def _alphas_of(self, j: int) -> List[Tensor]:
        return [a for (b, _), a in zip(self.layer_index, self.alphas) if b == j]

    def export_arch(self) -> ArchSpec:
        """The derived network (:meth:`derive`) as a :class:`DenseNASNet` spec: per kept block
        its derived head (with the block's stride change) and its non-skip layers."""
        arch = self.derive()
        blocks = []
        for i, j in self._derived_pairs(arch['path']):
            node = self.nodes[j]
            blocks.append(dict(channels=node['channels'],
                               stride=node['stride'] // self.nodes[i]['stride'],
                               ops=[arch['heads'][j]] + [o for o in arch['ops'][j]
                                                         if o != 'skip']))
        stem = self.space['stem']
        backbone = dict(type='mmnas.DenseNASNet', in_channels=self.in_channels,
                        stem=dict(channels=stem['channels'], stride=stem['stride'],
                                  op=stem.get('op'), op_channels=self.nodes[0]['channels']),
                        blocks=blocks, out_indices=(len(blocks) - 1, ),
                        norm_cfg=self.derived_norm_cfg,
                        act_cfg=self.space.get('act_cfg', dict(type='ReLU6')))
        spec = ArchSpec(method='densenas', backbone=jsonable_config(backbone))
        spec.meta['derived'] = dict(path=arch['path'],
                                    heads={str(j): h for j, h in arch['heads'].items()},
                                    ops={str(j): ops for j, ops in arch['ops'].items()})
        return spec

    # ---------------------------------------------------------------------------- cost
    def cost_graph(self, input_shape: Sequence[int],
                   num_classes: Optional[int] = None) -> Tuple[dict, Dict[str, tuple]]:
        """Where the cost of this supernet comes from, at one input ``(C, H, W)``.

        Args:
            input_shape: ``(C, H, W)``.
            num_classes: with a number, the graph also holds the classifier after the
                global pooling, ``(N, C_{N+1}) → (N, num_classes)``, a linear layer
                (its cost is part of the released search's cost; the pooling is not).

        Returns:
            ``(graph, entries)``: ``graph`` has ``stem`` (a cost key), ``heads`` (``{(i, j):
            key}``, a list of keys, one per candidate, for a searched head), ``layers``
            (per ``alphas`` entry, one key per candidate) and ``classifier`` (a key, or
            ``None`` without ``num_classes``); ``entries`` maps every key to ``(module, its
            input shape)`` for measuring (``(C, H, W)``; ``(C_{N+1},)`` for the classifier).
        """
        _, height, width = input_shape

        def size(stride):
            return spatial_size(height, stride), spatial_size(width, stride)

        stem = self.space['stem']
        ops = '+'.join(['conv_k3'] + ([stem['op']] if stem.get('op') else []))
        stem_key = cost_key(f'stem({ops})', self.in_channels, (height, width),
                            self.nodes[0]['channels'], stem['stride'])
        entries = {stem_key: (self.stem, tuple(input_shape))}
        heads, layers = {}, []
        for (i, j) in self.edges:
            src, dst = self.nodes[i], self.nodes[j]
            stride = dst['stride'] // src['stride']
            head = self.blocks[j - 1].heads[str(i)]
            modules = head.ops if (i, j) in self.head_edges else [head]
            keys = []
            for name, module in zip(self._head_ops(j), modules):
                key = cost_key(name, src['channels'], size(src['stride']), dst['channels'],
                               stride)
                keys.append(key)
                entries.setdefault(key, (module, (src['channels'], *size(src['stride']))))
            heads[(i, j)] = keys if (i, j) in self.head_edges else keys[0]
        for j, layer in self.layer_index:
            node = self.nodes[j]
            keys = []
            for name, op in zip(self.candidate_ops, self.blocks[j - 1].layers[layer].ops):
                key = cost_key(name, node['channels'], size(node['stride']), node['channels'],
                               1)
                keys.append(key)
                entries.setdefault(key, (op, (node['channels'], *size(node['stride']))))
            layers.append(keys)
        classifier = None
        if num_classes is not None:
            if not isinstance(num_classes, int) or num_classes < 1:
                raise ConfigError(f'DenseNASRouted.cost_graph: num_classes={num_classes!r}; '
                                  'expected a positive int')
            channels = self.nodes[-1]['channels']
            classifier = f'classifier|{channels}|{num_classes}'
            # Initialised from a random stream of its own: the cost model is built at moments
            # a resumed search does not repeat, which must not move the global stream.
            with torch.random.fork_rng(devices=[]):
                linear = nn.Linear(channels, num_classes)
            entries[classifier] = (linear.to(next(iter(self.stem.parameters())).device),
                                   (channels, ))
        return dict(stem=stem_key, heads=heads, layers=layers, classifier=classifier), entries

    # ------------------------------------------------------------------------- forward
    def forward(self, x: Tensor) -> Tuple[Tensor]:
        """``(N, C_in, H, W) → ((N, C_{N+1}, H/s, W/s),)``; the derived network
        (:meth:`forward_derived`) instead while :attr:`validate_derived` is set and the
        module is in eval mode."""
        if self.validate_derived and not self.training:
            return self._forward_derived_batch_stats(x)
        return self._forward(x, None, self._active, self._active_heads)

    #: Set by :class:`~mmnas.densenas.DenseNASTopKHook` around a validation of the derived
    #: network.
    validate_derived = False

    def forward_derived(self, x: Tensor) -> Tuple[Tensor]:
        """The derived network (:meth:`derive`) with the supernet's weights: the Viterbi
        path, heads unweighted, the ``argmax α`` candidate per layer (skips as identities)
        and per searched head. ``(N, C_in, H, W) → ((N, C_out, H/s, W/s),)``, ``C_out`` that
        of the last block the derived network keeps."""
        return self._forward_path(x, keep_ending=self.derive_ending)

    def _forward_path(self, x: Tensor, keep_ending: bool) -> Tuple[Tensor]:
        """The Viterbi path with the ``argmax α`` candidates, to the ending block or to the
        block before it."""
        path = self.derive()['path']
        return self._forward(x, path, [[int(a.argmax())] for a in self.alphas],
                             [[int(a.argmax())] for a in self.head_alphas],
                             keep_feats=not keep_ending)

    def _forward_derived_batch_stats(self, x: Tensor) -> Tuple[Tensor]:
        """The derived path through the ending block (so that the supernet's classifier
        fits), every BN normalising by the batch's statistics and leaving its running
        statistics as they are (the released search validates with batch statistics: the
        supernet's running ones mix every connection)."""
        norms = [m for m in self.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
                 and m.track_running_stats]
        saved = [(m.momentum, m.num_batches_tracked.clone()) for m in norms]
        for m in norms:
            m.train()
            m.momentum = 0.0
        try:
            return self._forward_path(x, keep_ending=True)
        finally:
            for m, (momentum, count) in zip(norms, saved):
                m.eval()
                m.momentum = momentum
                m.num_batches_tracked.copy_(count)

    def _forward(self, x: Tensor, path: Optional[List[int]],
                 active: Optional[List[Optional[List[int]]]],
                 active_heads: Optional[List[List[int]]],
                 keep_feats: bool = False) -> Tuple[Tensor]:
        """Through the blocks of ``path`` only (all, mixed by ``p_ij``, if ``None``), each
        layer and searched head running the candidates ``active`` / ``active_heads`` name
        (all if ``None``). With ``keep_feats`` the output is that of the path's last block
        before the ending block."""
        feats: Dict[int, Tensor] = {0: self.stem(x)}
        probs = None if path is not None else self.transition_probs()
        alphas = list(self.alphas)

        def head(i: int, j: int, h: Tensor) -> Tensor:
            module = self.blocks[j - 1].heads[str(i)]
            if (i, j) not in self._head_k:
                return module(h)
            k = self._head_k[(i, j)]
            return module(h, self.head_alphas[k],
                          None if active_heads is None else active_heads[k])

        layer_k = 0
        for j, block in enumerate(self.blocks, 1):
            num_layers = len(block.layers)
            if path is not None and j not in path:
                layer_k += num_layers
                continue
            if path is not None:
                i = path[path.index(j) - 1]
                h = head(i, j, feats[i])
            else:
                h = sum(probs[(int(i), j)] * head(int(i), j, feats[int(i)])
                        for i in block.heads)
            for layer in block.layers:
                h = layer(h, alphas[layer_k], None if active is None else active[layer_k])
                layer_k += 1
            feats[j] = h
        if keep_feats:
            return (feats[path[-2]], )
        return (feats[len(self.nodes) - 1], )


def count_paths(out_edges: Sequence[Sequence[int]]) -> int:
    """How many block sequences (paths from the input to the ending block) a space holds."""
    counts = [0] * len(out_edges)
    counts[-1] = 1
    for i in range(len(out_edges) - 2, -1, -1):
        counts[i] = sum(counts[j] for j in out_edges[i])
    return counts[0]
