import pytest
import torch
from torch import nn

from sknn._modules import ACTIVATIONS, ReLUMLP, SumOfSigmoids, build_module


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_sum_of_sigmoids_is_the_lectures_formula(activation):
    module = build_module(
        SumOfSigmoids,
        {"n_features": 3, "n_sigmoids": 4, "n_outputs": 1, "activation": activation},
        seed=0,
    )
    x = torch.randn(5, 3)
    W, b_vec = module.hidden.weight, module.hidden.bias
    c, b = module.output.weight[0], module.output.bias[0]
    act = ACTIVATIONS[activation]()
    expected = b + (c * act(x @ W.T + b_vec)).sum(dim=1)
    torch.testing.assert_close(module(x)[:, 0], expected)


def test_two_relus_make_a_hard_sigmoid():
    z = torch.linspace(-6, 6, 101)
    relu, hard = nn.ReLU(), ACTIVATIONS["hard_sigmoid"]()
    torch.testing.assert_close(hard(z), (relu(z + 3) - relu(z - 3)) / 6)


def test_relu_mlp_has_the_asked_layers():
    module = build_module(
        ReLUMLP, {"n_features": 4, "hidden_layer_sizes": (8, 6), "n_outputs": 3}, seed=0
    )
    shapes = [tuple(m.weight.shape) for m in module.layers if isinstance(m, nn.Linear)]
    assert shapes == [(8, 4), (6, 8), (3, 6)]
    assert sum(isinstance(m, nn.ReLU) for m in module.layers) == 2
    assert module(torch.randn(2, 4)).shape == (2, 3)


def test_relu_mlp_without_hidden_layers_is_linear():
    module = build_module(
        ReLUMLP, {"n_features": 4, "hidden_layer_sizes": (), "n_outputs": 2}, 0
    )
    assert [type(m) for m in module.layers] == [nn.Linear]


def test_build_module_is_seeded_and_leaves_global_rng_alone():
    kwargs = {"n_features": 4, "hidden_layer_sizes": (16,), "n_outputs": 3}
    before = torch.random.get_rng_state()
    first = build_module(ReLUMLP, kwargs, seed=1)
    again = build_module(ReLUMLP, kwargs, seed=1)
    other = build_module(ReLUMLP, kwargs, seed=2)
    assert torch.equal(before, torch.random.get_rng_state())
    for a, b in zip(first.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)
        assert a.device.type == "cpu"
    assert not torch.equal(first.layers[0].weight, other.layers[0].weight)
    assert all(torch.isfinite(p).all() for p in first.parameters())
