"""The training step by hand equals autograd's, for every module, activation and loss."""

from types import SimpleNamespace

import pytest
import torch

from sknn._backprop import linear_chain, loss_and_grads, loss_kind
from sknn._batching import Weighted
from sknn._modules import ReLUMLP, SumOfSigmoids, build_module
from sknn._net import TensorNet

LOSSES = {
    "squared_error": torch.nn.MSELoss,
    "cross_entropy": torch.nn.CrossEntropyLoss,
    "binary_cross_entropy": torch.nn.BCEWithLogitsLoss,
}


def modules():
    yield "sigmoid", SumOfSigmoids, dict(n_sigmoids=6, activation="sigmoid")
    yield "hard_sigmoid", SumOfSigmoids, dict(n_sigmoids=6, activation="hard_sigmoid")
    yield "relu_sum", SumOfSigmoids, dict(n_sigmoids=6, activation="relu")
    yield "mlp_deep", ReLUMLP, dict(hidden_layer_sizes=(7, 5))
    yield "mlp_linear", ReLUMLP, dict(hidden_layer_sizes=())


@pytest.mark.parametrize("name, cls, kwargs", list(modules()), ids=lambda v: str(v)[:12])
@pytest.mark.parametrize("kind", list(LOSSES))
@pytest.mark.parametrize("weighted", [False, True])
def test_gradients_by_hand_equal_autograd(name, cls, kwargs, kind, weighted):
    generator = torch.Generator().manual_seed(0)
    n, n_features, n_outputs = 23, 4, 3
    module = build_module(
        cls, dict(n_features=n_features, n_outputs=n_outputs, **kwargs), 0
    )
    module = module.double()
    X = torch.randn(n, n_features, generator=generator, dtype=torch.float64) * 3
    if kind == "cross_entropy":
        y = torch.randint(n_outputs, (n,), generator=generator)
    elif kind == "binary_cross_entropy":
        y = torch.randint(2, (n, n_outputs), generator=generator).double()
    else:
        y = torch.randn(n, n_outputs, generator=generator, dtype=torch.float64)
    weight = torch.rand(n, generator=generator, dtype=torch.float64) if weighted else None

    net = SimpleNamespace(criterion_=LOSSES[kind](reduction="none"))  # as TensorNet's
    target = y if weight is None else Weighted(y, weight)
    module.zero_grad()
    expected_loss = TensorNet.get_loss(net, module(X), target)
    expected_loss.backward()
    expected = {key: p.grad.clone() for key, p in module.named_parameters()}

    chain, kind_found = linear_chain(module), loss_kind(net.criterion_)
    assert chain is not None and kind_found == kind
    module.zero_grad()
    loss = loss_and_grads(chain, kind, X, y, weight)
    torch.testing.assert_close(loss, expected_loss.detach(), rtol=1e-12, atol=1e-14)
    for key, p in module.named_parameters():
        torch.testing.assert_close(p.grad, expected[key], rtol=1e-10, atol=1e-13)


def test_frozen_parameters_get_no_gradient():
    module = build_module(SumOfSigmoids, dict(n_features=3, n_sigmoids=4), 0)
    module.hidden.weight.requires_grad_(False)
    X, y = torch.randn(8, 3), torch.randn(8, 1)
    loss_and_grads(linear_chain(module), "squared_error", X, y)
    assert module.hidden.weight.grad is None and module.hidden.bias.grad is not None


def test_other_modules_and_loss_options_use_autograd():
    assert linear_chain(torch.nn.Sequential(torch.nn.Linear(2, 2))) is None
    assert loss_kind(torch.nn.CrossEntropyLoss(label_smoothing=0.1)) is None
    assert loss_kind(torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(2))) is None
    assert loss_kind(torch.nn.L1Loss()) is None
