"""The torch modules behind sknn's estimators.

Plain ``torch.nn.Module`` subclasses with no scikit-learn code, so they can be read
next to the lecture and reused on their own. Parameters are initialised by
:func:`build_module` from an explicit seed, never from torch's global generator.
"""

from __future__ import annotations

import math

import torch
from torch import nn

# Keys are exactly the strings users may pass as ``activation``.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "sigmoid": nn.Sigmoid,
    "hard_sigmoid": nn.Hardsigmoid,
    "relu": nn.ReLU,
}

# Initial scales of the hidden layer of SumOfSigmoids, per activation: W is drawn
# from U(-g * sqrt(3 / n_features), +g * ...), so that W x has standard deviation
# about g on standardized inputs, and b_vec from U(-B, B). Sigmoids need wide
# spreads to place their ramps across the data; ReLUs grow without bound, so they
# start small.
_SUM_INIT_SCALES: dict[str, tuple[float, float]] = {
    "sigmoid": (2.0, 4.0),
    "hard_sigmoid": (2.0, 4.0),
    "relu": (0.5, 1.0),
}


def _uniform_(tensor: torch.Tensor, bound: float, generator: torch.Generator) -> None:
    with torch.no_grad():
        tensor.uniform_(-bound, bound, generator=generator)


class SumOfSigmoids(nn.Module):
    """``y = b + c^T act(b_vec + W x)``: the lecture's sum of sigmoids.

    Parameters
    ----------
    n_features : int
        Number of input features (the length of ``x``).
    n_sigmoids : int
        Number of sigmoids ``i = 1..n`` in the sum.
    n_outputs : int, default=1
        Number of regression targets; each gets its own heights ``c`` and constant ``b``.
    activation : {"sigmoid", "hard_sigmoid", "relu"}, default="sigmoid"
        The function applied to ``b_i + sum_j w_ij x_j``.

    Attributes
    ----------
    hidden : torch.nn.Linear
        Holds ``W`` (``hidden.weight``, shape ``(n_sigmoids, n_features)``) and the
        biases ``b_vec`` (``hidden.bias``).
    output : torch.nn.Linear
        Holds the heights ``c`` (``output.weight``) and the constant ``b``
        (``output.bias``).
    """

    def __init__(
        self,
        n_features: int,
        n_sigmoids: int,
        n_outputs: int = 1,
        activation: str = "sigmoid",
    ) -> None:
        super().__init__()
        self.activation_name = activation
        self.hidden = nn.Linear(n_features, n_sigmoids)
        self.activation = ACTIVATIONS[activation]()
        self.output = nn.Linear(n_sigmoids, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.activation(self.hidden(x)))

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Draw ``W`` and ``b_vec`` so that, on standardized inputs, the sigmoids'
        centres spread over the data and their slopes vary; draw small heights
        ``c``; start the constant ``b`` at zero."""
        n_sigmoids, n_features = self.hidden.weight.shape
        gain, bias_bound = _SUM_INIT_SCALES[self.activation_name]
        _uniform_(self.hidden.weight, gain * math.sqrt(3.0 / n_features), generator)
        _uniform_(self.hidden.bias, bias_bound, generator)
        _uniform_(self.output.weight, 1.0 / math.sqrt(n_sigmoids), generator)
        with torch.no_grad():
            self.output.bias.zero_()


class ReLUMLP(nn.Module):
    """A fully connected ReLU network: ``W_k ... ReLU(W_1 x + b_1) ... + b_k``.

    It returns one value per output: a score (logit) per class, to which the
    classifier's loss applies softmax, or the regressor's standardized targets.

    Parameters
    ----------
    n_features : int
        Number of input features.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer, input side first. Empty gives a linear model.
    n_outputs : int
        Number of outputs (classes, or regression targets).
    """

    def __init__(
        self, n_features: int, hidden_layer_sizes: tuple[int, ...], n_outputs: int
    ) -> None:
        super().__init__()
        widths = [n_features, *hidden_layer_sizes]
        layers: list[nn.Module] = []
        for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        layers.append(nn.Linear(widths[-1], n_outputs))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Glorot uniform weights (as scikit-learn's MLP), zero biases."""
        for layer in self.layers:
            if isinstance(layer, nn.Linear):
                fan_out, fan_in = layer.weight.shape
                _uniform_(layer.weight, math.sqrt(6.0 / (fan_in + fan_out)), generator)
                with torch.no_grad():
                    layer.bias.zero_()


def build_module(module_cls: type[nn.Module], kwargs: dict, seed: int) -> nn.Module:
    """Build ``module_cls(**kwargs)`` on the CPU with parameters drawn from ``seed``.

    The layers are created on the meta device first, so torch's global random
    generator is neither used nor changed, and the same seed gives the same weights
    bit for bit.
    """
    with torch.device("meta"):
        module = module_cls(**kwargs)
    _materialize(module)
    module.reset_parameters(torch.Generator().manual_seed(seed))
    return module


def _materialize(module: nn.Module) -> None:
    """Give the meta device's parameters and buffers uninitialised storage on the
    CPU, as ``module.to_empty(device="cpu")`` does, without the import of sympy
    that ``to_empty`` costs on first use."""
    for child in module.modules():
        for name, param in child._parameters.items():
            if param is not None:
                empty = torch.empty(param.shape, dtype=param.dtype)
                child._parameters[name] = nn.Parameter(empty, param.requires_grad)
        for name, buffer in child._buffers.items():
            if buffer is not None:
                child._buffers[name] = torch.empty(buffer.shape, dtype=buffer.dtype)
