"""sknn's training engine: a private skorch net fed from tensors on the device.

skorch runs the loop (epochs, callbacks, history, optimizer steps, pickling); this
subclass changes only where data and weights come from:

* ``initialize_module`` builds the module with weights drawn from ``init_seed``
  (see :func:`sknn._modules.build_module`), never from torch's global generator;
* ``get_iterator`` cuts a :class:`~sknn._batching.TensorData` into mini-batches by
  indexing tensors already on the device, instead of a per-sample ``DataLoader``;
* ``run_single_epoch`` runs a training epoch over :class:`~sknn._batching.MiniBatches`
  as a plain loop (forward, loss, backward, step; the backward pass by hand for
  sknn's modules) with one host synchronisation per epoch, and records the
  epoch's loss; skorch's per-batch
  machinery (notifications, a history record and ``.item()`` per batch) runs only
  when a callback acts per batch;
* ``get_default_callbacks`` prints the per-epoch table without color codes
  outside a terminal (:class:`~sknn._callbacks.EpochLog`), and leaves the
  training loss to ``run_single_epoch``;
* ``get_loss`` averages the criterion's per-element losses, weighing rows when the
  targets come with weights (:class:`~sknn._batching.Weighted`), and in training
  adds scikit-learn's L2 penalty ``alpha / 2 * sum ||W||^2`` divided by the batch's
  rows (or the sum of its row weights), as scikit-learn's MLP does.
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
import operator
import time

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, LRScheduler
from skorch.history import History
from torch import nn

from ._backprop import (
    SGDStep,
    StackedParameters,
    add_l2_penalty,
    forward_chain,
    has_step_hooks,
    l2_penalty,
    linear_chain,
    loss_and_grads,
    loss_kind,
    sgd_step,
    stacked_loss_and_grads,
    widest_shapes,
)
from ._batching import MiniBatches, TensorData, Weighted
from ._callbacks import EpochLog
from ._modules import build_module
from ._threads import limit_threads

_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_grad_computed")
# Values TensorNet keeps between epochs to save work, and leaves out of pickles.
_CACHES = ("_hooks", "_step", "_lowest", "_by_hand", "_predictor")
# The key under which TensorNet._hooked keeps the callbacks that act per batch.
_PER_BATCH = "per batch"


def _acts_on(callback, hook: str) -> bool:
    """Whether a skorch callback's ``hook`` does something: it is not skorch's empty
    method (whether overridden in a class or set on the instance)."""
    method = getattr(callback, hook)
    return getattr(method, "__func__", None) is not getattr(Callback, hook)


def _acts_per_batch(callback) -> bool:
    """Whether a skorch callback does anything per mini-batch."""
    if isinstance(callback, LRScheduler):
        return callback.step_every == "batch"
    return any(_acts_on(callback, hook) for hook in _BATCH_HOOKS)


class _History(History):
    """skorch's ``History``, where ``history[i]`` for an integer ``i`` is as quick as
    a list's (skorch's copies the whole history for every lookup), with the same
    result: the epoch's dict."""

    def __getitem__(self, i):
        if type(i) is int:
            return list.__getitem__(self, i)
        return super().__getitem__(i)


class TensorNet(NeuralNet):
    """skorch ``NeuralNet`` with seeded initialisation and on-device batching.

    Parameters
    ----------
    module : type of torch.nn.Module
        Module class with a ``reset_parameters(generator)`` method; its constructor
        arguments are given as ``module__<name>``.
    criterion : type of torch.nn.Module
        A torch loss; it is built with ``reduction="none"`` unless
        ``criterion__reduction`` says otherwise, as :meth:`get_loss` averages.
    *args, **kwargs
        As for :class:`skorch.NeuralNet`.
    shuffle : bool, default=True
        Reorder the training rows at every epoch (when there is more than one
        mini-batch: the order of a single batch would change only rounding).
    init_seed : int, default=0
        Seed of the initial weights.
    shuffle_seed : int, default=0
        Seed of the order of the training rows.
    alpha : float, default=0.0
        Strength of the L2 penalty on the weight matrices (parameters named
        ``*weight``), divided by each training batch's rows or sum of row weights.
    """

    def __init__(
        self, module, *args, shuffle=True, init_seed=0, shuffle_seed=0, alpha=0.0, **kwargs
    ):
        kwargs.setdefault("criterion__reduction", "none")  # get_loss averages
        super().__init__(module, *args, **kwargs)
        self.shuffle = shuffle
        self.init_seed = init_seed
        self.shuffle_seed = shuffle_seed
        self.alpha = alpha

    def initialize_history(self):
        self.history_ = _History()
        return self

    def initialize_module(self):
        kwargs = self.get_params_for("module")
        self.module_ = build_module(self.module, kwargs, self.init_seed)
        return self

    def get_default_callbacks(self):
        # skorch's "train_loss" and "valid_loss" average per-batch records, which
        # the plain epoch loop does not keep: run_single_epoch records the training
        # loss, and DevScore the dev loss. The table of each epoch is built only
        # when it is printed.
        return [
            (name, EpochLog() if name == "print_log" else callback)
            for name, callback in super().get_default_callbacks()
            if name not in ("train_loss", "valid_loss")
            and (name != "print_log" or self.verbose)
        ]

    def __getstate__(self):
        state = super().__getstate__()
        for cache in _CACHES:  # rebuilt when needed; the step function cannot pickle
            state.pop(cache, None)
        return state

    def _hooked(self, method_name: str) -> list:
        """The callbacks whose ``method_name`` does something (overrides skorch's
        empty hook), or with ``_PER_BATCH`` those that act per mini-batch; kept
        until the callbacks change."""
        callbacks = self.callbacks_
        cache = self.__dict__.get("_hooks")
        if cache is None or cache[0] is not callbacks:
            cache = self._hooks = (callbacks, {})
        hooked = cache[1].get(method_name)
        if hooked is None and method_name == _PER_BATCH:
            hooked = [callback for _, callback in callbacks if _acts_per_batch(callback)]
        elif hooked is None:
            hooked = [
                callback for _, callback in callbacks if _acts_on(callback, method_name)
            ]
        cache[1][method_name] = hooked
        return hooked

    def notify(self, method_name, **cb_kwargs):
        """As skorch's ``notify``, but only the callbacks that act on the event
        are called."""
        getattr(self, method_name)(self, **cb_kwargs)
        for callback in self._hooked(method_name):
            getattr(callback, method_name)(self, **cb_kwargs)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if iterator is None:
            return
        plain = (
            training and isinstance(iterator, MiniBatches) and not self._hooked(_PER_BATCH)
        )
        if plain:
            losses, sizes = self._plain_epoch(iterator)
        else:
            super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
            batches = self.history[-1, "batches"]
            losses = [batch[f"{prefix}_loss"] for batch in batches]
            sizes = [batch[f"{prefix}_batch_size"] for batch in batches]
        self._record_epoch_loss(prefix, losses, sizes)

    def _plain_epoch(self, iterator: MiniBatches) -> tuple[list[float], list[int]]:
        """The lecture's loop over one epoch's mini-batches; the batch losses stay
        on the device until the epoch ends. For sknn's own modules and losses the
        gradients are computed by hand (:mod:`sknn._backprop`), else by autograd."""
        module, optimizer = self.module_, self.optimizer_
        if not module.training:
            module.train()
        chain, kind = self._chain()
        by_hand = chain is not None and kind is not None
        step = self._step_function(optimizer)
        losses, sizes = [], []
        alpha, weights = self.alpha, [layer.weight for layer in chain or []]
        if by_hand:
            with torch.no_grad():
                for X_batch, y_batch in iterator:
                    y, weight = (
                        y_batch if isinstance(y_batch, Weighted) else (y_batch, None)
                    )
                    rows = X_batch.shape[0]
                    loss = loss_and_grads(chain, kind, X_batch, y, weight)
                    if alpha:
                        total = rows if weight is None else weight.sum()
                        loss = loss + add_l2_penalty(weights, alpha, total)
                    losses.append(loss)
                    step()
                    sizes.append(rows)
        else:
            for X_batch, y_batch in iterator:
                optimizer.zero_grad()
                loss = self.get_loss(module(X_batch), y_batch, X=X_batch, training=True)
                loss.backward()
                with torch.no_grad():
                    step()
                losses.append(loss.detach())
                sizes.append(len(X_batch))
        self.history.record("train_batch_count", len(losses))
        if len(losses) == 1:
            return [losses[0].item()], sizes
        return torch.stack(losses).tolist() if losses else [], sizes

    def _chain(self):
        """The module as a chain of layers and the loss's kind, for backpropagation
        by hand (:mod:`sknn._backprop`), kept for as long as the module and the
        criterion are."""
        module, criterion = self.module_, self.criterion_
        cached = self.__dict__.get("_by_hand")
        if cached is None or cached[0] is not module or cached[1] is not criterion:
            chain, kind = linear_chain(module), loss_kind(criterion)
            cached = self._by_hand = (module, criterion, chain, kind)
        return cached[2:]

    def predictor(self) -> tuple:
        """The module's first parameter (where the module is), its forward function
        for prediction (layer by layer for sknn's modules) and the multiply-adds of
        one row through its weights (what :mod:`sknn._threads` sizes work by); kept
        for as long as the module is."""
        module = self.module_
        cached = self.__dict__.get("_predictor")
        if cached is None or cached[0] is not module:
            chain = linear_chain(module)
            forward = module if chain is None else functools.partial(forward_chain, chain)
            per_row = sum(
                param.numel()
                for name, param in module.named_parameters()
                if name.endswith("weight")
            )
            first = next(module.parameters())
            cached = self._predictor = (module, first, forward, per_row)
        return cached[1:]

    def _step_function(self, optimizer):
        """The optimizer's step (:func:`sknn._backprop.sgd_step` where it applies),
        kept for as long as the optimizer is and has no step hooks (checked at every
        epoch: hooks registered since are run)."""
        cached = self.__dict__.get("_step")
        if cached is None or cached[0] is not optimizer or has_step_hooks(optimizer):
            cached = self._step = (optimizer, sgd_step(optimizer) or optimizer.step)
        step = cached[1]
        if isinstance(step, SGDStep):
            step.new_epoch()  # the learning rate or the state may have changed
        return step

    def _record_epoch_loss(self, prefix: str, losses: list[float], sizes: list[int]):
        """Record the epoch's loss (the mean over rows) and whether it is the best
        so far; or, if a batch loss was NaN or infinite, the first such batch and
        its loss instead (:class:`~sknn._callbacks.NonFiniteLossGuard` acts on it)."""
        if not losses:
            return
        bad = [i for i, value in enumerate(losses) if not math.isfinite(value)]
        if bad:
            self.history.record(f"{prefix}_nonfinite_batch", bad[0])
            self.history.record(f"{prefix}_nonfinite_loss", float(losses[bad[0]]))
            return
        # the mean of the batch losses weighted by their rows (as np.average, to
        # rounding, without its overhead)
        loss = math.fsum(map(operator.mul, losses, sizes)) / sum(sizes)
        lowest = self._lowest_loss(prefix)
        self.history.record(f"{prefix}_loss", loss)
        self.history.record(f"{prefix}_loss_best", loss < lowest)
        self._lowest = (prefix, len(self.history), min(loss, lowest))

    def _lowest_loss(self, prefix: str) -> float:
        """The lowest ``{prefix}_loss`` of the epochs before this one: kept as a
        running value, and found in the history only when that does not hold it."""
        kept = self.__dict__.get("_lowest")
        if kept is not None and kept[:2] == (prefix, len(self.history) - 1):
            return kept[2]
        key = f"{prefix}_loss"
        return min(
            (epoch[key] for epoch in self.history[:-1] if key in epoch), default=np.inf
        )

    def get_iterator(self, dataset, training=False):
        if not isinstance(dataset, TensorData):
            return super().get_iterator(dataset, training=training)
        batch_size = min(self.batch_size, len(dataset))
        if not (training and self.shuffle) or batch_size == len(dataset):
            # one batch of all rows: their order would change nothing but rounding
            return MiniBatches(dataset, batch_size)
        # A fresh stream for every call to fit_loop, so that continuing a fit does
        # not repeat the orders of the epochs already run.
        seed = self.shuffle_seed + len(self.history)
        generator = torch.Generator().manual_seed(seed)
        return MiniBatches(dataset, batch_size, shuffle=True, generator=generator)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The mean loss of a batch: the mean over all elements, or with
        :class:`~sknn._batching.Weighted` targets, the weighted mean of each row's
        loss (its mean over outputs), normalised by the sum of the weights; in
        training, plus the L2 penalty of ``alpha``."""
        if not isinstance(y_true, Weighted):
            loss, total = self.criterion_(y_pred, y_true).mean(), len(y_pred)
        else:
            losses = self.criterion_(y_pred, y_true.y)
            row_losses = losses.reshape(len(losses), -1).mean(dim=1)
            total = y_true.weight.sum()
            loss = (row_losses * y_true.weight).sum() / total
        if training and self.alpha:
            weights = [
                param
                for name, param in self.module_.named_parameters()
                if name.endswith("weight")
            ]
            loss = loss + l2_penalty(weights, self.alpha, total)
        return loss


class NetSnapshot:
    """What a continued fit (``partial_fit``) changes in a fitted net: its
    attributes, weights, optimizer state and history; :meth:`restore` puts them
    back, so that a call that fails changes nothing."""

    def __init__(self, net: TensorNet) -> None:
        self.net = net
        self.attributes = dict(vars(net))
        self.device = next(net.module_.parameters()).device
        self.weights = {k: v.detach().clone() for k, v in net.module_.state_dict().items()}
        self.optimizer_state = copy.deepcopy(net.optimizer_.state_dict())
        self.epochs = len(net.history)

    def restore(self) -> None:
        net = self.net
        net.__dict__.clear()
        net.__dict__.update(self.attributes)
        net.module_.to(self.device)
        net.module_.load_state_dict(self.weights)
        net.optimizer_.load_state_dict(self.optimizer_state)
        del net.history[self.epochs :]


def move_net(net: TensorNet, device: torch.device) -> None:
    """Move a fitted net's module and optimizer state (momentum) to ``device``."""
    net.module_.to(device)  # in place: the optimizer keeps the same parameters
    for state in net.optimizer_.state.values():
        for key, value in state.items():
            if torch.is_tensor(value):
                state[key] = value.to(device)
    net.device = device


def can_train_side_by_side(net: TensorNet, data) -> bool:
    """Whether :func:`train_side_by_side` can train ``net`` on ``data``: one of
    sknn's modules and losses, dense data, sknn's SGD without weight decay or
    dampening and without step hooks, and no callback acting per batch."""
    if not isinstance(data, TensorData) or not torch.is_tensor(data.X):
        return False
    chain, kind = net._chain()
    if chain is None or kind is None:
        return False
    optimizer = net.optimizer_
    if sgd_step(optimizer) is None or len(optimizer.param_groups) != 1:
        return False
    group = optimizer.param_groups[0]
    if group["weight_decay"] != 0 or group["dampening"] != 0 or group.get("maximize"):
        return False
    trained = {id(p) for layer in chain for p in (layer.weight, layer.bias)}
    if {id(p) for p in net.module_.parameters()} != trained:
        return False
    return all(p.requires_grad for p in net.module_.parameters()) and not net._hooked(
        _PER_BATCH
    )


def side_by_side_key(net: TensorNet, data: TensorData) -> tuple:
    """Nets with equal keys can be trained together by :func:`train_side_by_side`:
    the same kind of module, depth, activations, inputs and outputs, loss, batch
    size, device and dtype. Their widths may differ (the narrower are padded)."""
    chain, kind = net._chain()
    return (
        type(net.module_),
        tuple(type(layer.activation) for layer in chain),
        chain[0].weight.shape[1],
        chain[-1].weight.shape[0],
        kind,
        net.batch_size,
        data.X.device,
        data.X.dtype,
        data.y.dtype,
        tuple(data.y.shape[1:]),
    )


# The fixed cost of one step of a stack of networks (about 30 small operations),
# as the multiply-adds of the networks' own forward passes that take as long: on
# the CPU about 0.3 ms against 5 to 10 multiply-adds per ns (measured on 2 x86_64
# cores, stacks of sums of sigmoids and ReLU networks); on a GPU the launches of
# those operations against its throughput. Networks of different widths are
# padded into one stack when the padding costs less than the steps it saves.
STEP_COST = {"cpu": 3_000_000, "cuda": 1_000_000_000}
# Of the memory a device has free, the share one stack may take (its epoch's rows
# for every network, the activations of a step, parameters and momentum).
MEMORY_SHARE = 0.25


def _shapes(net: TensorNet) -> tuple:
    return tuple(tuple(layer.weight.shape) for layer in net._chain()[0])


def _padded_work(shapes: list[tuple], activation_cost: int = 0) -> int:
    """Multiply-adds of one row through networks padded to the widest of
    ``shapes``, for each network, counting each hidden unit's activation (and its
    derivative) as ``activation_cost`` multiply-adds."""
    widest = widest_shapes(shapes)
    hidden = sum(out for out, _ in widest[:-1])
    return len(shapes) * (sum(o * i for o, i in widest) + activation_cost * hidden)


# A hidden unit's activation and its derivative, in the multiply-adds that take as
# long on the CPU (torch's float32 sigmoid takes about 2 ns an element, as long as
# some 40 multiply-adds of a matrix product; ReLU is a comparison).
ACTIVATION_COST = {nn.Sigmoid: 40, nn.Hardsigmoid: 4, nn.ReLU: 2}


def _free_memory(device: torch.device) -> int:
    """Bytes free on ``device``: for the CPU, the memory the system can give
    (``MemAvailable``) within the process's control group's limit, if any."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    free = []
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    free.append(int(line.split()[1]) * 1024)
        with (
            open("/sys/fs/cgroup/memory.max") as limit,
            open("/sys/fs/cgroup/memory.current") as used,
        ):
            text = limit.read().strip()
            if text != "max":
                free.append(int(text) - int(used.read()))
    except (OSError, ValueError):
        pass
    return max(min(free), 0) if free else 4 * 2**30  # elsewhere: assume 4 GiB


def _bytes_per_net(nets: list[TensorNet], datas: list[TensorData]) -> int:
    """The most memory one of ``nets`` takes in their stack (padded to the widest):
    its epoch's rows of X and y with their indices (int64), row weights and shares;
    its parameters, gradient, momentum, mask and the update's temporaries; and the
    inputs, outputs and gradients of a step's activations."""
    widest = widest_shapes([_shapes(net) for net in nets])
    params = sum(out * inp + out for out, inp in widest)
    width = sum(out for out, _ in widest)
    most = 0
    for net, data in zip(nets, datas, strict=True):
        n, features = data.X.shape[0], data.X.shape[1]
        targets = data.y[:1].numel() * data.y.element_size()
        item = data.X.element_size()
        batch = min(net.batch_size, n)
        rows = n * (features * item + targets + 3 * 8 + 4 * item)
        most = max(most, rows + item * (8 * params + 4 * batch * (features + width)))
    return most


def plan_side_by_side(nets: list[TensorNet], datas: list[TensorData]) -> list[list[int]]:
    """The stacks to train nets of one :func:`side_by_side_key` in: lists of their
    indices. Nets of one width share a stack; stacks of other widths are merged
    (the narrower padded) while that saves time by :data:`STEP_COST`; and a stack
    is split into chunks that fit :data:`MEMORY_SHARE` of the device's free memory.
    """
    device = datas[0].X.device
    by_shape: dict = {}
    for index, net in enumerate(nets):
        by_shape.setdefault(_shapes(net), []).append(index)
    step_cost = STEP_COST.get(device.type, STEP_COST["cpu"])
    activation = type(nets[0]._chain()[0][0].activation)
    activation_cost = ACTIVATION_COST.get(activation, 0) if device.type == "cpu" else 0

    def cost(stack: list[int]) -> float:
        steps = max(
            nets[i].max_epochs
            * math.ceil(len(datas[i]) / min(nets[i].batch_size, len(datas[i])))
            for i in stack
        )
        batch = max(min(nets[i].batch_size, len(datas[i])) for i in stack)
        work = _padded_work([_shapes(nets[i]) for i in stack], activation_cost)
        return steps * (step_cost + batch * work)

    stacks = [by_shape[s] for s in sorted(by_shape, key=lambda s: sum(o * i for o, i in s))]
    while len(stacks) > 1:
        savings = [cost(a) + cost(b) - cost(a + b) for a, b in itertools.pairwise(stacks)]
        best = int(np.argmax(savings))
        if savings[best] <= 0:
            break
        stacks[best : best + 2] = [stacks[best] + stacks[best + 1]]
    budget = MEMORY_SHARE * _free_memory(device)
    chunks = []
    for stack in stacks:
        size = _bytes_per_net([nets[i] for i in stack], [datas[i] for i in stack])
        per_chunk = max(1, int(budget // size))
        chunks.extend(stack[k : k + per_chunk] for k in range(0, len(stack), per_chunk))
    return chunks


def _stack_rows(tensors: list[torch.Tensor]) -> tuple[torch.Tensor, list[int]]:
    """The tensors' rows one after another, each tensor once (nets trained on the
    same data share it), and where each tensor's rows start."""
    unique: dict = {}
    for tensor in tensors:
        unique.setdefault((tensor.data_ptr(), tuple(tensor.shape), tensor.stride()), tensor)
    starts, start, position = {}, 0, []
    for key, tensor in unique.items():
        starts[key] = start
        start += len(tensor)
    for tensor in tensors:
        position.append(starts[(tensor.data_ptr(), tuple(tensor.shape), tensor.stride())])
    values = list(unique.values())
    return (values[0] if len(values) == 1 else torch.cat(values)), position


def train_side_by_side(nets: list[TensorNet], datas: list[TensorData]) -> None:
    """Do what ``net.partial_fit(data)`` does for each net, for all of them in one
    computation: their layers are stacked (padded to the widest), and each
    mini-batch step is one batched product per layer and one update for every net.

    Each net keeps its own rows, order of mini-batches (its own generator), batch
    count, learning rate, momentum, Nesterov, L2 penalty, ``max_epochs`` and
    callbacks: its callbacks run on it as in its own fit (the stopping rule, the dev
    score, the divergence guard), and once they end its training it leaves the
    stack while the others go on. Each net ends with the weights, momentum and
    history its own ``partial_fit`` would give, to float32 rounding. The nets must
    share :func:`side_by_side_key` and pass :func:`can_train_side_by_side`.
    """
    stack = _Stack(nets)
    try:
        _run_side_by_side(nets, datas, stack)
    finally:
        stack.params.release()


class _Stack:
    """The stacked parameters of the nets still training (their indices in
    ``params.slots``, in stack order); nets that end their training leave it."""

    # the stack is rebuilt without the nets that ended once they are this share
    LEAVE_SHARE = 0.25

    def __init__(self, nets: list[TensorNet]) -> None:
        self.nets = nets
        self.params = StackedParameters([net._chain()[0] for net in nets])
        self.kind = nets[0]._chain()[1]

    @property
    def slots(self) -> list[int]:
        return self.params.slots

    def keep_momentum(self, position: int) -> None:
        """Give the net at ``position`` its momentum, where its own optimizer keeps
        it (none once the divergence guard has cleared it, or without momentum)."""
        net = self.nets[self.slots[position]]
        group = net.optimizer_.param_groups[0]
        guard = dict(net.callbacks_).get("non_finite_loss_guard")
        diverged = getattr(guard, "diverged_epoch_", None) is not None
        buffers = self.params.own_momentum(position)
        if group["momentum"] == 0 or buffers is None or diverged:
            return
        chain = net._chain()[0]
        own = [t for layer in chain for t in (layer.weight, layer.bias)]
        for param, buffer in zip(own, buffers, strict=True):
            net.optimizer_.state[param]["momentum_buffer"] = buffer

    def drop(self, running: list[bool]) -> bool:
        """Rebuild the stack without the nets that ended, once they are
        :attr:`LEAVE_SHARE` of it; return whether it changed."""
        ended = [p for p, i in enumerate(self.slots) if not running[i]]
        if not ended or len(ended) < self.LEAVE_SHARE * len(self.slots):
            return False
        if len(ended) == len(self.slots):
            return False
        for position in ended:
            self.keep_momentum(position)
        self.params.release(ended)
        self.params.keep([p for p in range(len(self.slots)) if running[self.slots[p]]])
        return True


class _ThreadChoice:
    """How many threads each epoch of a stack trains on (CPU): all that torch may
    use, or one, whichever the last epochs on each ran faster, per step and net.

    A stack's operations are large enough that more threads pay on a quiet machine
    (2 threads: 1.3 to 1.5 times faster on 2 cores), but when another process keeps
    a core busy, each parallel region waits for a thread that is not scheduled and
    a step takes up to ten times longer than on one thread. Neither can be known
    ahead, so both are timed: the first two epochs try each, and every
    :attr:`PROBE_EVERY` epochs the other is tried again."""

    PROBE_EVERY = 16

    def __init__(self, device: torch.device) -> None:
        most = torch.get_num_threads() if device.type == "cpu" else 1
        self.options = [most, 1] if most > 1 else [1]
        self.seconds: dict[int, float] = {}
        self.epoch = 0

    def next(self, models: int) -> int:
        """The threads for the next epoch of a stack of ``models``. A stack of one
        trains on one thread: torch may share out the sums over a single model's
        rows between threads, and that changes their rounding."""
        if models == 1:
            return 1
        epoch, self.epoch = self.epoch, self.epoch + 1
        if len(self.options) == 1:
            return 1
        if epoch < 2:
            return self.options[epoch]
        best = min(self.options, key=self.seconds.__getitem__)
        other = self.options[1] if best == self.options[0] else self.options[0]
        return other if epoch % self.PROBE_EVERY == 0 else best

    def record(self, threads: int, seconds: float) -> None:
        """The seconds per step and net of an epoch run on ``threads``."""
        self.seconds[threads] = seconds


def _run_side_by_side(nets, datas, stack: _Stack) -> None:
    device = stack.params.flat.device
    X_all, x_start = _stack_rows([data.X for data in datas])
    y_all, y_start = _stack_rows([data.y for data in datas])
    weights = [
        torch.ones(len(data), dtype=data.X.dtype, device=device)
        if data.weight is None
        else data.weight.to(data.X.dtype)
        for data in datas
    ]
    w_all = torch.cat(weights)
    w_start = [0, *np.cumsum([len(w) for w in weights])[:-1].tolist()]
    sizes = [len(data) for data in datas]
    batch_sizes = [min(net.batch_size, n) for net, n in zip(nets, sizes, strict=True)]
    steps = [math.ceil(n / b) for n, b in zip(sizes, batch_sizes, strict=True)]
    width = max(batch_sizes)  # columns per step; a net with smaller batches pads
    # where each position of a net's order of rows goes: its batch, then its place
    columns = [
        (torch.arange(n) // b) * width + torch.arange(n) % b
        for n, b in zip(sizes, batch_sizes, strict=True)
    ]
    iterators = [
        net.get_iterator(data, training=True) for net, data in zip(nets, datas, strict=True)
    ]
    groups = [net.optimizer_.param_groups[0] for net in nets]

    def per_net(values, dtype=torch.float32):
        return torch.tensor(values, dtype=dtype, device=device).unsqueeze(1)

    def settings():
        """The per-net settings of the nets in the stack, in its order."""
        uses = [bool(groups[i]["nesterov"]) for i in stack.slots]
        return (
            per_net([groups[i]["momentum"] for i in stack.slots]),
            uses[0] if len(set(uses)) == 1 else per_net(uses, torch.bool),
            per_net([float(nets[i].alpha) for i in stack.slots]),
        )

    momentum, nesterov, alpha = settings()
    choice = _ThreadChoice(device)
    layout: list = [None, None, None]  # kept while the nets training stay the same
    epochs_left = [net.max_epochs for net in nets]
    running = [True] * len(nets)
    kwargs = [{"dataset_train": data, "dataset_valid": None} for data in datas]
    for net, data in zip(nets, datas, strict=True):
        net.notify("on_train_begin", X=data, y=None)

    def finish(i: int) -> None:
        running[i] = False
        nets[i].notify("on_train_end", X=datas[i], y=None)

    while any(running):
        for i in [i for i in stack.slots if running[i]]:
            try:
                nets[i].notify("on_epoch_begin", **kwargs[i])
            except KeyboardInterrupt:
                finish(i)
        if stack.drop(running):
            momentum, nesterov, alpha = settings()
        slots = stack.slots
        count = len(slots)
        active_nets = [p for p, i in enumerate(slots) if running[i]]
        if not active_nets:
            break
        batches = max(steps[slots[p]] for p in active_nets)
        total_columns = batches * width
        # each net's rows in this epoch's order, as positions in the stacked data:
        # where each net's rows go in the epoch's columns, and where its data start
        layout_key = (tuple(slots), tuple(active_nets), total_columns)
        if layout[0] != layout_key:
            nets_here = [slots[p] for p in active_nets]
            starts = [
                torch.tensor([x_start[i], y_start[i], w_start[i]]).expand(sizes[i], 3)
                for i in nets_here
            ]
            layout[:] = [
                layout_key,
                torch.cat([columns[slots[p]] + p * total_columns for p in active_nets]),
                torch.cat(starts),
            ]
        _, positions, starts = layout
        orders = torch.cat(
            [
                iterators[i].order() if iterators[i].shuffle else torch.arange(sizes[i])
                for i in (slots[p] for p in active_nets)
            ]
        )
        rows = torch.zeros(3, count * total_columns, dtype=torch.long)
        rows[:, positions] = (orders.unsqueeze(1) + starts).t()
        present = torch.zeros(count * total_columns, dtype=torch.bool)
        present[positions] = True
        x_rows, y_rows, w_rows = (r.view(count, total_columns).to(device) for r in rows)
        X_epoch = X_all.index_select(0, x_rows.view(-1))
        X_epoch = X_epoch.view(count, total_columns, *X_all.shape[1:])
        y_epoch = y_all.index_select(0, y_rows.view(-1))
        y_epoch = y_epoch.view(count, total_columns, *y_all.shape[1:])
        # each row's share of its batch's weight, and each batch's sum of weights
        row_weight = w_all[w_rows] * present.view(count, total_columns).to(device)
        row_weight = row_weight.view(count, batches, width)
        totals = row_weight.sum(dim=2)
        share = (row_weight / torch.where(totals > 0, totals, 1.0).unsqueeze(2)).view(
            count, total_columns
        )
        # whether every net in the stack has a batch at a step (known here, without
        # a device synchronisation)
        everyone = [
            len(active_nets) == count and all(steps[i] > step for i in slots)
            for step in range(batches)
        ]
        actives = (totals > 0).unsqueeze(2)
        lr = per_net([groups[i]["lr"] for i in slots])
        penalized = bool((alpha > 0).any())
        losses = []
        threads = choice.next(count)
        started = time.perf_counter()
        with limit_threads(threads):
            for step in range(batches):
                cols = slice(step * width, (step + 1) * width)
                loss, grads = stacked_loss_and_grads(
                    stack.params.layers,
                    stack.kind,
                    X_epoch[:, cols],
                    y_epoch[:, cols],
                    share[:, cols],
                )
                grad = stack.params.flat_gradient(grads)
                if penalized:
                    loss = loss + stack.params.add_l2_penalty(grad, alpha, totals[:, step])
                losses.append(loss)
                active = True if everyone[step] else actives[:, step]
                stack.params.update(grad, lr, momentum, nesterov, active)
            epoch_losses = torch.stack(losses).t().tolist()  # waits for the device
        choice.record(threads, (time.perf_counter() - started) / (batches * count))
        for p in active_nets:
            i = slots[p]
            n, batches, size = sizes[i], steps[i], batch_sizes[i]
            rows = [size] * (batches - 1) + [n - (batches - 1) * size]
            nets[i].history.record("train_batch_count", batches)
            nets[i]._record_epoch_loss("train", epoch_losses[p][:batches], rows)
        for p in active_nets:
            i = slots[p]
            epochs_left[i] -= 1
            try:
                nets[i].notify("on_epoch_end", **kwargs[i])
            except KeyboardInterrupt:
                finish(i)
                continue
            if epochs_left[i] == 0:
                finish(i)
    for position in range(len(stack.slots)):
        stack.keep_momentum(position)
