"""Backpropagation by hand for sknn's modules: the training step without autograd.

sknn's modules are chains of linear layers with an activation after each but the
last, and its losses are the mean squared error, the cross-entropy and the binary
cross-entropy on logits. For these, the forward pass keeps each layer's input and
output, and the backward pass applies the chain rule from the loss back to the
first layer, writing each parameter's ``.grad``, as the lecture's backpropagation
does. The optimizer's ``step`` then works as after ``loss.backward()``.

On small networks this halves the time of a training step: torch's autograd
records and replays every operation, which costs more than the arithmetic when
layers are narrow. The gradients equal autograd's to rounding (tested in float64).
"""

from __future__ import annotations

import functools
import inspect
import itertools
from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.optim.optimizer as optimizer_module
import torch.optim.sgd as functional_sgd
from torch import nn

from ._modules import ReLUMLP, SumOfSigmoids

# Keys are the torch losses sknn trains with.
_LOSS_KINDS: dict[type[nn.Module], str] = {
    nn.MSELoss: "squared_error",
    nn.CrossEntropyLoss: "cross_entropy",
    nn.BCEWithLogitsLoss: "binary_cross_entropy",
}
# Each activation: how it is applied to a layer's fresh output (in place where its
# gradient needs only the activation's output), and the product of a gradient ``d``
# with its derivative, given the activation's input ``z`` and output ``a``.
_ACTIVATIONS: dict[type[nn.Module], tuple[Callable, Callable]] = {
    nn.ReLU: (torch.relu_, lambda d, z, a: torch.ops.aten.threshold_backward(d, a, 0)),
    nn.Sigmoid: (torch.sigmoid_, lambda d, z, a: torch.ops.aten.sigmoid_backward(d, a)),
    nn.Hardsigmoid: (
        nn.functional.hardsigmoid,
        lambda d, z, a: torch.ops.aten.hardsigmoid_backward(d, z),
    ),
}
# The weight gradient d^T x of a CPU layer with 2 to 8 inputs and at least 30
# outputs is computed as (x^T d)^T: CPU matrix products whose result has so few
# columns run 1.5 to 6 times slower than their transposes once rows x outputs pass
# a few thousand (measured with torch's CPU builds, one thread).
_NARROW_INPUTS = (2, 8)
_WIDE_OUTPUTS = 30
_TRANSPOSED_MIN_WORK = 6000
# The log-softmax of fewer classes than this, over at least this many rows, is
# computed transposed (see _log_softmax_rows).
_FEW_CLASSES = 16
_MANY_ROWS = 64


class Layer(NamedTuple):
    """A linear layer's parameters and the activation after it (None: none)."""

    weight: torch.Tensor
    bias: torch.Tensor
    activation: nn.Module | None
    activate: Callable | None
    activation_grad: Callable | None


def linear_chain(module: nn.Module) -> list[Layer] | None:
    """The module as a list of :class:`Layer`, input side first, or None when it is
    not one of sknn's chains (then autograd trains it)."""
    if type(module) is SumOfSigmoids:
        pairs = [(module.hidden, module.activation), (module.output, None)]
    elif type(module) is ReLUMLP:
        layers = list(module.layers)
        pairs = [
            (layer, layers[i + 1] if i + 1 < len(layers) else None)
            for i, layer in enumerate(layers)
            if isinstance(layer, nn.Linear)
        ]
    else:
        return None
    if not all(act is None or type(act) in _ACTIVATIONS for _, act in pairs):
        return None
    return [
        Layer(linear.weight, linear.bias, act, *_ACTIVATIONS.get(type(act), (None, None)))
        for linear, act in pairs
    ]


def forward_chain(chain: list[Layer], X: torch.Tensor) -> torch.Tensor:
    """The module's outputs for ``X``, layer by layer, without ``nn.Module``'s call
    machinery: the same operations as the module's own forward pass, so the same
    numbers."""
    a = X
    for layer in chain:
        a = nn.functional.linear(a, layer.weight, layer.bias)
        if layer.activate is not None:
            a = layer.activate(a)
    return a


def loss_kind(criterion: nn.Module) -> str | None:
    """The loss a criterion computes, or None when it has options this module does
    not reproduce (class weights, label smoothing, positive weights)."""
    kind = _LOSS_KINDS.get(type(criterion))
    if kind == "cross_entropy" and (
        criterion.weight is not None or criterion.label_smoothing != 0
    ):
        return None
    if kind == "binary_cross_entropy" and (
        criterion.weight is not None or criterion.pos_weight is not None
    ):
        return None
    return kind


def _log_softmax_rows(logits: torch.Tensor) -> torch.Tensor:
    """``log_softmax`` over the last dimension (the classes) of a 2-D or 3-D
    tensor. For a few classes and many rows on the CPU it is computed along the
    dimension before, of the transposed logits (equal to rounding): torch's CPU
    kernel along a last dimension shorter than its vector width runs element by
    element, 4 to 8 times slower than the kernel along another."""
    classes = logits.shape[-1]
    rows = logits.numel() // max(classes, 1)
    if classes < _FEW_CLASSES and rows >= _MANY_ROWS and logits.device.type == "cpu":
        columns = logits.transpose(-1, -2).contiguous()
        return torch.log_softmax(columns, dim=-2).transpose(-1, -2)
    return torch.log_softmax(logits, dim=-1)


# torch's mean squared error, without the Python checks and broadcasting of
# ``nn.functional.mse_loss`` (a few microseconds a call: more than the loss itself
# on a mini-batch); for two tensors of the same shape, the same call.
_MSE_KERNEL = getattr(getattr(torch._C, "_nn", None), "mse_loss", None)
_MEAN_REDUCTION = torch.nn._reduction.get_enum("mean")


def _mse_loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if _MSE_KERNEL is None:
        return nn.functional.mse_loss(output, target)
    return _MSE_KERNEL(output, target, _MEAN_REDUCTION)


def _loss_and_output_grad(kind: str, logits, y, weight):
    """The batch loss, as ``TensorNet.get_loss`` computes it, and its gradient with
    respect to the logits. With ``weight``, the loss is the weighted mean of the
    rows' losses (each the mean over its outputs)."""
    n = logits.shape[0]
    if kind == "cross_entropy":
        log_p = _log_softmax_rows(logits)
        if weight is None:
            loss = nn.functional.nll_loss(log_p, y)
        else:
            row_loss = nn.functional.nll_loss(log_p, y, reduction="none")
        grad = log_p.exp_()
        grad.scatter_add_(1, y.unsqueeze(1), grad.new_full((n, 1), -1.0))
        if weight is None:
            return loss, grad.div_(n)
        per_row = 1
    else:
        if y.shape != logits.shape:
            y = y.reshape(logits.shape)
        if kind == "squared_error":
            diff = logits - y
            if weight is None:
                loss = _mse_loss(logits, y)
                return loss, diff.mul_(2.0 / diff.numel())
            losses = diff.square()
            grad = diff.mul_(2.0)
        else:
            losses = nn.functional.binary_cross_entropy_with_logits(
                logits, y, reduction="none"
            )
            grad = torch.sigmoid(logits).sub_(y)
        per_row = logits.shape[1]
        row_loss = losses.mean(dim=1)
    if weight is None:
        return row_loss.mean(), grad.div_(n * per_row)
    total = weight.sum()
    loss = (row_loss * weight).sum() / total
    return loss, grad.mul_((weight / (total * per_row)).unsqueeze(1))


def _weight_grad(d: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``d^T x``, the gradient of a layer's weight matrix from its output gradient
    ``d`` and its input ``x`` (contiguous, as the fused optimizers need)."""
    rows, outputs = d.shape
    inputs = x.shape[1]
    if (
        _NARROW_INPUTS[0] <= inputs <= _NARROW_INPUTS[1]
        and outputs >= _WIDE_OUTPUTS
        and rows * outputs >= _TRANSPOSED_MIN_WORK
        and d.device.type == "cpu"
    ):
        return x.t().mm(d).t().contiguous()
    return d.t().mm(x)


def loss_and_grads(chain: list[Layer], kind: str, X, y, weight=None) -> torch.Tensor:
    """Run the forward pass, compute the loss, and write every parameter's ``.grad``
    by the chain rule. Returns the loss (a tensor on the device). Call it under
    ``torch.no_grad()``."""
    inputs, pre_activations = [], []
    a = X
    for layer in chain:
        inputs.append(a)
        z = nn.functional.linear(a, layer.weight, layer.bias)
        pre_activations.append(z)
        a = z if layer.activate is None else layer.activate(z)
    loss, d = _loss_and_output_grad(kind, a, y, weight)
    outputs = [*inputs[1:], a]
    for i in range(len(chain) - 1, -1, -1):
        layer = chain[i]
        if layer.activation_grad is not None:
            d = layer.activation_grad(d, pre_activations[i], outputs[i])
        if layer.weight.requires_grad:
            layer.weight.grad = _weight_grad(d, inputs[i])
        if layer.bias.requires_grad:
            layer.bias.grad = d.sum(dim=0)
        if i > 0:
            d = d.mm(layer.weight)
    return loss


def _per_weight(alpha: float, total_weight):
    """``alpha / total_weight`` rounded as when ``total_weight`` is the batch's row
    count (a Python number, divided in float64): a sum of row weights on the device
    is divided in float64 too, so that unit weights train exactly as no weights.
    (MPS has no float64; there the quotient is float32's.)"""
    if isinstance(total_weight, torch.Tensor) and total_weight.device.type != "mps":
        total_weight = total_weight.double()
    return alpha / total_weight


def l2_penalty(weights: list[torch.Tensor], alpha: float, total_weight) -> torch.Tensor:
    """scikit-learn's L2 penalty of a mini-batch, ``alpha / 2 * sum ||W||^2`` divided
    by ``total_weight`` (the batch's rows, or the sum of its row weights), over the
    weight matrices only (a tensor on the device)."""
    flats = [weight.reshape(-1) for weight in weights]
    squares = torch.dot(flats[0], flats[0])  # one operation per matrix
    for flat in flats[1:]:  # fewer operations than stacking the dot products
        squares = squares + torch.dot(flat, flat)
    factor = 0.5 * _per_weight(alpha, total_weight)
    if isinstance(factor, torch.Tensor):  # the loss stays in the weights' dtype
        factor = factor.to(squares.dtype)
    return squares * factor


def add_l2_penalty(weights: list[torch.Tensor], alpha: float, total_weight) -> torch.Tensor:
    """Add the gradient of :func:`l2_penalty`, ``alpha * W / total_weight``, to each
    ``W.grad`` and return the penalty. Call it under ``torch.no_grad()``, after the
    gradients of the loss are written."""
    factor = _per_weight(alpha, total_weight)
    for weight in weights:
        if weight.grad is None:
            continue
        if isinstance(factor, torch.Tensor):  # rounds as add_ with alpha (on the CPU)
            weight.grad.addcmul_(weight, factor.to(weight.dtype))
        else:
            weight.grad.add_(weight, alpha=factor)
    return l2_penalty(weights, alpha, total_weight)


class StackedLayer(NamedTuple):
    """One linear layer of several networks of one depth, side by side: their
    weights ``[models, out, in]`` and biases ``[models, out]`` (views of a
    :class:`StackedParameters`' flat tensor, each padded to the widest network),
    and the activation after the layer (None: none)."""

    weight: torch.Tensor
    bias: torch.Tensor
    activate: Callable | None
    activation_grad: Callable | None


def widest_shapes(shapes: list) -> list[tuple[int, int]]:
    """Each layer's ``(out, in)`` padded to the widest of several networks of one
    depth, given each network's list of layer shapes."""
    return [
        (max(out for out, _ in layer), max(inp for _, inp in layer))
        for layer in zip(*shapes, strict=True)
    ]


class StackedParameters:
    """The parameters of networks of one depth and activations, side by side in
    one tensor ``flat`` of ``[models, parameters]``: each layer's weights and bias
    padded with zeros to the widest network's, so that networks of different widths
    (``n_sigmoids``, ``hidden_layer_sizes`` of one depth) train as one computation.

    A padded hidden unit has zero weights in and out; its gradient is masked
    (``mask``), so it stays zero and adds exact zeros to the next layer's sums: each
    network computes what it computes alone, to float32 rounding. Each network's
    own parameters become views of its block of ``flat`` (what training changes
    there, the network sees; what its own code writes to its parameters, the stack
    sees) until :meth:`release`. ``update`` is one SGD step of every network from
    the flat gradient, with ``momentum`` kept as one tensor like ``flat``.
    """

    def __init__(self, chains: list[list[Layer]]) -> None:
        self.chains = chains
        first = chains[0]
        self.shapes = widest_shapes(
            [[tuple(layer.weight.shape) for layer in chain] for chain in chains]
        )
        self.activations = [(layer.activate, layer.activation_grad) for layer in first]
        sizes = [size for out, inp in self.shapes for size in (out * inp, out)]
        self.offsets = [0, *itertools.accumulate(sizes)]
        weight = first[0].weight
        flat = torch.zeros(len(chains), self.offsets[-1], dtype=weight.dtype)
        flat = flat.to(weight.device)
        padded = any(
            tuple(layer.weight.shape) != shape
            for chain in chains
            for layer, shape in zip(chain, self.shapes, strict=True)
        )
        self.mask = torch.zeros_like(flat) if padded else None
        # 1 on the weights, 0 on the biases: the entries the L2 penalty counts
        self.penalized = torch.zeros(self.offsets[-1], dtype=weight.dtype)
        for depth in range(len(self.shapes)):
            self.penalized[self.offsets[2 * depth] : self.offsets[2 * depth + 1]] = 1
        self.penalized = self.penalized.to(weight.device)
        self.flat = flat
        self.momentum: torch.Tensor | None = None
        self.slots = list(range(len(chains)))  # the network in each row of flat
        self.layers = self._views(flat)
        masks = None if self.mask is None else self._views(self.mask)
        for position, chain in enumerate(chains):
            blocks = self._own(self.layers, position, chain)
            for layer, (weight, bias) in zip(chain, blocks, strict=True):
                weight.copy_(layer.weight.detach())
                bias.copy_(layer.bias.detach())
            if masks is not None:
                for weight, bias in self._own(masks, position, chain):
                    weight.fill_(1)
                    bias.fill_(1)
        self._share()

    def _views(self, flat: torch.Tensor) -> list[StackedLayer]:
        """Each layer's weights and biases as views of ``flat`` (or a tensor of its
        shape: the mask, the momentum)."""
        models = len(flat)
        layers = []
        for depth, (out, inp) in enumerate(self.shapes):
            start, middle, end = self.offsets[2 * depth : 2 * depth + 3]
            layers.append(
                StackedLayer(
                    flat[:, start:middle].view(models, out, inp),
                    flat[:, middle:end],
                    *self.activations[depth],
                )
            )
        return layers

    def _own(self, views: list[StackedLayer], position: int, chain: list[Layer]):
        """The blocks of network ``chain``, at ``position``, in ``views``: pairs of
        (weight, bias)."""
        for stacked, layer in zip(views, chain, strict=True):
            out, inp = layer.weight.shape
            yield stacked.weight[position, :out, :inp], stacked.bias[position, :out]

    def _share(self) -> None:
        """Make each network's parameters views of its block of ``flat``."""
        for position, index in enumerate(self.slots):
            chain = self.chains[index]
            for layer, (weight, bias) in zip(
                chain, self._own(self.layers, position, chain), strict=True
            ):
                layer.weight.data = weight
                layer.bias.data = bias

    def own_momentum(self, position: int) -> list[torch.Tensor] | None:
        """The momentum of the network at ``position``, a tensor for each of its
        weights and biases (None before the first step)."""
        if self.momentum is None:
            return None
        chain = self.chains[self.slots[position]]
        blocks = self._own(self._views(self.momentum), position, chain)
        return [t.clone(memory_format=torch.contiguous_format) for b in blocks for t in b]

    def release(self, positions=None) -> None:
        """Give the networks at ``positions`` (default: all) their own memory."""
        for position in range(len(self.slots)) if positions is None else positions:
            for layer in self.chains[self.slots[position]]:
                for param in (layer.weight, layer.bias):
                    param.data = param.data.clone(memory_format=torch.contiguous_format)

    def keep(self, positions: list[int]) -> None:
        """Keep only the networks at ``positions`` (the others should have been
        released)."""
        index = torch.tensor(positions, device=self.flat.device)
        self.flat = self.flat.index_select(0, index)
        if self.mask is not None:
            self.mask = self.mask.index_select(0, index)
        if self.momentum is not None:
            self.momentum = self.momentum.index_select(0, index)
        self.slots = [self.slots[p] for p in positions]
        self.layers = self._views(self.flat)
        self._share()

    def flat_gradient(self, grads: list[tuple[torch.Tensor, torch.Tensor]]):
        """The layers' gradients as one tensor like ``flat``, padding masked."""
        models = len(self.flat)
        flat = torch.cat([t.reshape(models, -1) for pair in grads for t in pair], dim=1)
        return flat if self.mask is None else flat.mul_(self.mask)

    def add_l2_penalty(self, grad, alpha: torch.Tensor, total: torch.Tensor):
        """:func:`add_l2_penalty` for each network, with its own ``alpha``
        (``[models, 1]``) and sum of row weights ``total``: add the penalty's
        gradient to ``grad`` (flat) and return each network's penalty."""
        factor = alpha / torch.where(total > 0, total, 1.0).unsqueeze(1)
        grad.addcmul_(self.flat, factor * self.penalized)
        return self.flat.square().mv(self.penalized) * (0.5 * factor.squeeze(1))

    def update(self, grad, lr, momentum, nesterov, active) -> None:
        """``torch.optim.SGD``'s update (no weight decay, no dampening) of every
        network from the flat gradient ``grad``, each with its own ``lr`` and
        ``momentum`` (``[models, 1]``) and ``nesterov`` (``[models, 1]``, or True /
        False for all); a network that is not ``active`` (``[models, 1]``, or True:
        all are) keeps its parameters and momentum. The momentum is the gradient
        at the first step, as in torch."""
        if self.momentum is None:
            self.momentum = grad.clone() if active is True else torch.where(active, grad, 0)
        elif active is True:
            self.momentum.mul_(momentum).add_(grad)
        else:
            self.momentum = torch.where(
                active, self.momentum * momentum + grad, self.momentum
            )
        buffer = self.momentum
        if nesterov is True:
            step = grad.addcmul_(momentum, buffer)
        elif nesterov is False:
            step = buffer
        else:
            step = torch.where(nesterov, grad.addcmul_(momentum, buffer), buffer)
        if active is True:
            self.flat.addcmul_(step, lr, value=-1.0)
        else:
            self.flat.copy_(torch.where(active, self.flat - lr * step, self.flat))


def stacked_loss_and_grads(
    layers: list[StackedLayer], kind: str, X, y, share
) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
    """:func:`loss_and_grads` for several networks at once, each on its own rows.

    ``X`` is ``[models, rows, in]``; ``y`` is ``[models, rows]`` (class indices) or
    ``[models, rows, outputs]``; ``share`` is ``[models, rows]``, each row's weight
    divided by its network's sum of row weights in the batch (0 for the padding of
    a network with fewer rows). Each network's loss is the weighted mean of its
    rows' losses (each the mean over its outputs), as :func:`loss_and_grads`
    computes it. Returns the losses ``[models]`` (0 for a network without rows) and
    the gradients ``(weight, bias)`` of each layer. Call it under
    ``torch.no_grad()``."""
    inputs, pre_activations = [], []
    a = X
    for layer in layers:
        inputs.append(a)
        z = torch.baddbmm(layer.bias.unsqueeze(1), a, layer.weight.transpose(1, 2))
        pre_activations.append(z)
        a = z if layer.activate is None else layer.activate(z)
    if kind == "cross_entropy":
        log_p = _log_softmax_rows(a)
        row_loss = -log_p.gather(2, y.unsqueeze(2)).squeeze(2)
        d = log_p.exp_()
        d.scatter_add_(2, y.unsqueeze(2), d.new_full((*y.shape, 1), -1.0))
        d.mul_(share.unsqueeze(2))
    elif kind == "squared_error":
        diff = a - y
        row_loss = diff.square().mean(dim=2)
        d = diff.mul_(share.unsqueeze(2) * (2.0 / a.shape[2]))
    else:
        row_loss = nn.functional.binary_cross_entropy_with_logits(
            a, y, reduction="none"
        ).mean(dim=2)
        d = torch.sigmoid(a).sub_(y).mul_(share.unsqueeze(2) / a.shape[2])
    loss = (row_loss * share).sum(dim=1)
    outputs = [*inputs[1:], a]
    grads: list = [None] * len(layers)
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        if layer.activation_grad is not None:
            d = layer.activation_grad(d, pre_activations[i], outputs[i])
        grads[i] = (_stacked_weight_grad(d, inputs[i]), d.sum(dim=1))
        if i > 0:
            # one output: a product of one term, which broadcasting computes faster
            d = d * layer.weight if d.shape[2] == 1 else torch.bmm(d, layer.weight)
    return loss, grads


def _stacked_weight_grad(d: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``d^T x`` of each network: the gradient of its layer's weights. On the CPU,
    for a layer with at most 16 inputs and twice as many outputs, computed as the
    transpose of ``x^T d`` (2 to 4 times faster there, as :func:`_weight_grad`)."""
    inputs, outputs = x.shape[2], d.shape[2]
    if inputs <= 16 and outputs >= 2 * inputs and d.device.type == "cpu":
        return torch.bmm(x.transpose(1, 2), d).transpose(1, 2)
    return torch.bmm(d.transpose(1, 2), x)


# The arguments of torch's functional ``sgd`` that ``sgd_step`` passes.
_SGD_ARGUMENTS = {
    "foreach",
    "fused",
    "weight_decay",
    "momentum",
    "lr",
    "dampening",
    "nesterov",
    "maximize",
}


def _functional_sgd_available() -> bool:
    sgd = getattr(functional_sgd, "sgd", None)
    if sgd is None:
        return False
    return _SGD_ARGUMENTS <= set(inspect.signature(sgd).parameters)


_FUNCTIONAL_SGD = _functional_sgd_available()


def has_step_hooks(optimizer: torch.optim.Optimizer) -> bool:
    hooks = (
        getattr(optimizer, "_optimizer_step_pre_hooks", None),
        getattr(optimizer, "_optimizer_step_post_hooks", None),
        getattr(optimizer_module, "_global_optimizer_pre_hooks", None),
        getattr(optimizer_module, "_global_optimizer_post_hooks", None),
    )
    return any(hook is None or len(hook) for hook in hooks)


def _undecorated(method):
    """The function torch wraps to keep ``torch.compile`` out of it (the wrapper
    imports ``torch._dynamo`` on its first call, about a second)."""
    return getattr(method, "__wrapped__", method)


class _WithoutDynamoImport:
    """What sknn's optimizers change in torch's: the same updates and state,
    without the import of ``torch._dynamo`` (and sympy) that torch's optimizers
    make the first time one is built, stepped or saved (the wrappers that keep
    ``torch.compile`` out of them): about a second off the first fit in a process.
    Not for use under ``torch.compile``."""

    add_param_group = _undecorated(torch.optim.Optimizer.add_param_group)
    zero_grad = _undecorated(torch.optim.Optimizer.zero_grad)
    state_dict = _undecorated(torch.optim.Optimizer.state_dict)
    load_state_dict = _undecorated(torch.optim.Optimizer.load_state_dict)
    _torch_step: Callable

    def step(self, closure=None):
        previous = torch.is_grad_enabled()
        try:
            torch.set_grad_enabled(self.defaults["differentiable"])
            return self._torch_step(closure)
        finally:
            torch.set_grad_enabled(previous)


class SGD(_WithoutDynamoImport, torch.optim.SGD):
    """``torch.optim.SGD`` without its first-use import of ``torch._dynamo``."""

    _torch_step = _undecorated(torch.optim.SGD.step)


class Adam(_WithoutDynamoImport, torch.optim.Adam):
    """``torch.optim.Adam`` without its first-use import of ``torch._dynamo``."""

    _torch_step = _undecorated(torch.optim.Adam.step)


# torch's fused SGD kernel, which its functional ``sgd`` calls after grouping the
# tensors by device and dtype; None in a torch without it.
_FUSED_SGD = getattr(torch, "_fused_sgd_", None)


def _update_arguments(group: dict) -> dict:
    """The hyper-parameters of an SGD update of ``group``, as torch's functional
    ``sgd`` and its fused kernel take them."""
    return {
        "weight_decay": group["weight_decay"],
        "momentum": group["momentum"],
        "lr": group["lr"],
        "dampening": group["dampening"],
        "nesterov": group["nesterov"],
        "maximize": group.get("maximize", False),
    }


def _fused_kernel_applies(group: dict, params: list, buffers: list) -> bool:
    """Whether ``group``'s step is one call of the fused kernel, as torch's own
    fused path makes it: fused, on one device and dtype, with momentum buffers
    already made (after the first step) or no momentum."""
    if _FUSED_SGD is None or not group.get("fused") or not params:
        return False
    if group["momentum"] != 0 and any(buffer is None for buffer in buffers):
        return False
    first = params[0]
    return all(p.device == first.device and p.dtype == first.dtype for p in params)


class SGDStep:
    """``optimizer.step()`` for a ``torch.optim.SGD``, through torch's fused SGD
    kernel or its functional ``sgd``, without ``step``'s per-call bookkeeping
    (profiler records, grouping, hook dispatch), which costs more than the update
    itself on small networks.

    The first call goes through ``optimizer.step()`` itself, so learning-rate
    schedulers see that the optimizer has stepped. The hyper-parameters and tensors
    of the updates are read at the first call after :meth:`new_epoch` and kept
    until the next: call it whenever the parameter groups or the optimizer's state
    may have changed (sknn does before every epoch). Call the step under
    ``torch.no_grad()``.
    """

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        self.optimizer = optimizer
        self.stepped = False
        self._updates = None

    def new_epoch(self) -> None:
        """Read the groups and the state again at the next step."""
        self._updates = None

    def __call__(self) -> None:
        if not self.stepped:
            self.stepped = True
            self.optimizer.step()
            return
        updates = self._updates
        if updates is None:
            groups = self.optimizer.param_groups
            updates = self._updates = [self._update(group) for group in groups]
        for update in updates:
            update()

    def _update(self, group: dict) -> Callable[[], None]:
        """The update of ``group``: one call of the fused kernel when that is how
        torch's fused path would make it, else torch's functional ``sgd``."""
        params = [p for p in group["params"] if p.grad is not None]
        buffers = [self.optimizer.state[p].get("momentum_buffer") for p in params]
        if not _fused_kernel_applies(group, params, buffers):
            return functools.partial(self._functional_update, group)
        momentum_buffers = [] if group["momentum"] == 0 else buffers
        arguments = _update_arguments(group)

        def fused_update():  # torch's _fused_sgd for one device and dtype
            _FUSED_SGD(
                params,
                [p.grad for p in params],
                momentum_buffers,
                **arguments,
                is_first_step=False,
                grad_scale=None,
                found_inf=None,
            )

        return fused_update

    def _functional_update(self, group: dict) -> None:
        params = [p for p in group["params"] if p.grad is not None]
        state = [self.optimizer.state[p] for p in params]
        buffers = [s.get("momentum_buffer") for s in state]
        functional_sgd.sgd(
            params,
            [p.grad for p in params],
            buffers,
            foreach=group.get("foreach"),
            fused=group.get("fused"),
            **_update_arguments(group),
        )
        if group["momentum"] != 0:
            for s, buffer in zip(state, buffers, strict=True):
                s["momentum_buffer"] = buffer


def sgd_step(optimizer: torch.optim.Optimizer) -> SGDStep | None:
    """The :class:`SGDStep` of ``optimizer``, or None when it would not do what
    ``optimizer.step`` does: another optimizer, step hooks, or a torch without the
    functional form; then use ``optimizer.step``."""
    if type(optimizer) not in (torch.optim.SGD, SGD) or not _FUNCTIONAL_SGD:
        return None
    if has_step_hooks(optimizer):
        return None
    return SGDStep(optimizer)
