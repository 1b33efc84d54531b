"""The examples that make a claim a test should hold them to."""

import runpy
from pathlib import Path

import numpy as np
import pytest
import torch

EXAMPLES = Path(__file__).parents[1] / "examples"


def test_backpropagation_by_hand_equals_autograd():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    # The example asserts the equality itself on a fitted model's batch ...
    example = runpy.run_path(str(EXAMPLES / "plot_07_backprop_by_hand.py"))
    # ... and here it holds for other parameters and data too.
    rng = np.random.default_rng(0)
    module = example["module"]
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.from_numpy(rng.normal(size=parameter.shape)))
    X, y = rng.normal(size=(17, 10)), rng.normal(size=(17, 1))
    loss_hand, by_hand = example["gradients_by_hand"](*example["parameters"](module), X, y)
    loss_auto, by_autograd = example["gradients_by_autograd"](module, X, y)
    assert loss_hand == pytest.approx(loss_auto, rel=1e-12)
    for name, grad in by_hand.items():
        np.testing.assert_allclose(grad, by_autograd[name], rtol=1e-10, atol=1e-14)
