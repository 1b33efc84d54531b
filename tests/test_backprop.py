"""The training step by hand equals autograd's, for every module, activation and loss."""

import subprocess
import sys
from types import SimpleNamespace

import pytest
import torch

from sknn._backprop import SGD, Adam, linear_chain, loss_and_grads, loss_kind, sgd_step
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
    with torch.no_grad():
        loss = loss_and_grads(chain, kind, X, y, weight)
    torch.testing.assert_close(loss, expected_loss.detach(), rtol=1e-12, atol=1e-14)
    for key, p in module.named_parameters():
        torch.testing.assert_close(p.grad, expected[key], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (SumOfSigmoids, dict(n_sigmoids=40)),
        (ReLUMLP, dict(hidden_layer_sizes=(40, 30))),
    ],
)
@pytest.mark.parametrize("kind", ["squared_error", "cross_entropy"])
def test_gradients_of_many_rows_few_inputs_and_classes_equal_autograd(cls, kwargs, kind):
    # the CPU's faster forms: the weight gradients of wide layers on few inputs and
    # the log-softmax of few classes over many rows are computed transposed
    generator = torch.Generator().manual_seed(0)
    n, n_features, n_outputs = 200, 4, 3
    module = build_module(
        cls, dict(n_features=n_features, n_outputs=n_outputs, **kwargs), 0
    )
    module = module.double()
    X = torch.randn(n, n_features, generator=generator, dtype=torch.float64)
    if kind == "cross_entropy":
        y = torch.randint(n_outputs, (n,), generator=generator)
    else:
        y = torch.randn(n, n_outputs, generator=generator, dtype=torch.float64)
    net = SimpleNamespace(criterion_=LOSSES[kind](reduction="none"))
    module.zero_grad()
    expected_loss = TensorNet.get_loss(net, module(X), y)
    expected_loss.backward()
    expected = {key: p.grad.clone() for key, p in module.named_parameters()}
    module.zero_grad()
    with torch.no_grad():
        loss = loss_and_grads(linear_chain(module), kind, X, y)
    torch.testing.assert_close(loss, expected_loss.detach(), rtol=1e-12, atol=1e-14)
    for key, p in module.named_parameters():
        assert p.grad.is_contiguous()  # torch's fused SGD misreads other layouts
        torch.testing.assert_close(p.grad, expected[key], rtol=1e-10, atol=1e-13)


def test_frozen_parameters_get_no_gradient():
    module = build_module(SumOfSigmoids, dict(n_features=3, n_sigmoids=4), 0)
    module.hidden.weight.requires_grad_(False)
    X, y = torch.randn(8, 3), torch.randn(8, 1)
    with torch.no_grad():
        loss_and_grads(linear_chain(module), "squared_error", X, y)
    assert module.hidden.weight.grad is None and module.hidden.bias.grad is not None


def test_other_modules_and_loss_options_use_autograd():
    assert linear_chain(torch.nn.Sequential(torch.nn.Linear(2, 2))) is None
    assert loss_kind(torch.nn.CrossEntropyLoss(label_smoothing=0.1)) is None
    assert loss_kind(torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(2))) is None
    assert loss_kind(torch.nn.L1Loss()) is None


@pytest.mark.parametrize(
    "options",
    [
        dict(momentum=0.9),
        dict(momentum=0.9, nesterov=True),
        dict(momentum=0.0),
        dict(momentum=0.9, fused=True),
        dict(momentum=0.9, nesterov=True, fused=True),
        dict(momentum=0.0, fused=True),
    ],
    ids=["momentum", "nesterov", "plain", "fused", "fused-nesterov", "fused-plain"],
)
def test_sgd_step_equals_optimizer_step(options):
    """The lean step updates the weights and the momentum as SGD.step does, bit for
    bit, with a weight decay on some parameters (the alpha penalty)."""

    def make():
        module = build_module(
            ReLUMLP, dict(n_features=3, hidden_layer_sizes=(4,), n_outputs=2), 0
        )
        groups = [
            {
                "params": [p for n, p in module.named_parameters() if n.endswith("weight")],
                "weight_decay": 0.01,
            },
            {"params": [p for n, p in module.named_parameters() if n.endswith("bias")]},
        ]
        return module, torch.optim.SGD(groups, lr=0.1, **options)

    generator = torch.Generator().manual_seed(0)
    batches = [
        (
            torch.randn(8, 3, generator=generator),
            torch.randint(2, (8,), generator=generator),
        )
        for _ in range(4)
    ]
    (reference, reference_opt), (lean, lean_opt) = make(), make()
    step = sgd_step(lean_opt)
    assert step is not None
    for X, y in batches:
        for module, do_step in ((reference, reference_opt.step), (lean, step)):
            with torch.no_grad():
                loss_and_grads(linear_chain(module), "cross_entropy", X, y)
                do_step()
    for p, q in zip(reference.parameters(), lean.parameters(), strict=True):
        assert torch.equal(p, q)
        state_p, state_q = reference_opt.state[p], lean_opt.state[q]
        if options["momentum"]:
            assert torch.equal(state_p["momentum_buffer"], state_q["momentum_buffer"])


def test_sgd_step_defers_to_step_hooks_and_other_optimizers():
    module = build_module(SumOfSigmoids, dict(n_features=2, n_sigmoids=3), 0)
    assert sgd_step(torch.optim.Adam(module.parameters())) is None
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    optimizer.register_step_post_hook(lambda *args: None)
    assert sgd_step(optimizer) is None


def test_schedules_see_the_optimizer_step(regression_data):
    """No 'lr_scheduler.step() before optimizer.step()' warning from torch."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from sknn import SigmoidRegressor

    X, y = regression_data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)  # 3 epochs, on purpose
        for schedule in ("invscaling", "adaptive", "cosine"):
            SigmoidRegressor(learning_rate=schedule, max_epochs=3, tol=0.0).fit(X, y)


@pytest.mark.parametrize(
    "ours, theirs, options",
    [
        (SGD, torch.optim.SGD, {}),
        (SGD, torch.optim.SGD, {"momentum": 0.9}),
        (SGD, torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
        (Adam, torch.optim.Adam, {}),
        (Adam, torch.optim.Adam, {"fused": True}),
        (Adam, torch.optim.Adam, {"amsgrad": True}),
    ],
)
def test_sknns_optimizers_are_torchs(ours, theirs, options):
    """sknn's SGD and Adam (without torch's first-use import of torch._dynamo)
    update the weights and keep the state as torch's, bit for bit, and their saved
    states load into each other."""
    generator = torch.Generator().manual_seed(0)
    batches = [
        (
            torch.randn(8, 3, generator=generator),
            torch.randint(2, (8,), generator=generator),
        )
        for _ in range(4)
    ]
    kwargs = dict(n_features=3, hidden_layer_sizes=(4,), n_outputs=2)
    runs = []
    for cls in (theirs, ours):
        module = build_module(ReLUMLP, kwargs, 0)
        optimizer = cls(module.parameters(), lr=0.1, weight_decay=0.01, **options)
        for X, y in batches:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(module(X), y).backward()
            optimizer.step()
        runs.append((module, optimizer))
    (reference, reference_opt), (ours, our_opt) = runs
    for p, q in zip(reference.parameters(), ours.parameters(), strict=True):
        assert torch.equal(p, q)
    reference_opt.load_state_dict(our_opt.state_dict())
    our_opt.load_state_dict(reference_opt.state_dict())


def test_fitting_and_predicting_do_not_import_torch_dynamo():
    """torch's optimizers import torch._dynamo (and sympy) the first time one is
    used, about a second; sknn's own SGD and Adam do not, nor does building a
    module."""
    code = (
        "import sys, warnings; warnings.simplefilter('ignore'); "
        "from sklearn.datasets import load_iris; "
        "from sknn import ReLUMLPClassifier, SigmoidRegressor; "
        "X, y = load_iris(return_X_y=True); "
        "ReLUMLPClassifier(max_epochs=3, early_stopping=True).fit(X, y).predict_proba(X); "
        "a = ReLUMLPClassifier(max_epochs=3, optimizer='adam').fit(X, y); "
        "a.partial_fit(X, y); "
        "m = SigmoidRegressor(max_epochs=3).fit(X, y); m.partial_fit(X, y); "
        "import pickle; pickle.loads(pickle.dumps(m)).predict(X); "
        "print(sorted(n for n in ('torch._dynamo', 'sympy') if n in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
