"""
Backpropagation by hand
=======================

Autograd computes the gradient of the loss with respect to every parameter.
Here the same gradients of :class:`~sknn.SigmoidRegressor`'s loss are computed
once by hand, with the chain rule in numpy, and compared with autograd's.

For one layer, :math:`\\partial C / \\partial w = \\partial z / \\partial w
\\cdot \\partial C / \\partial z`: the *forward pass* gives :math:`\\partial z
/ \\partial w` (the input that meets the weight), and the *backward pass* gives
:math:`\\partial C / \\partial z`, from the output back towards the input.
"""

# %%
# The model and a batch
# ---------------------
# The module of a fitted regressor, in the lecture's notation :math:`\hat y = b
# + c^T \sigma(\vec b + W x)`, and a mini-batch of the standardized inputs and
# target it trains on. Everything is in float64 here, so the two computations
# can be compared to rounding error.
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sknn import SigmoidRegressor

# These fits run a fixed number of epochs on purpose: no warning that more
# epochs would lower the loss further.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X)
y = (y - y.mean()) / y.std()  # the target as SigmoidRegressor trains on it
model = SigmoidRegressor(n_sigmoids=5, max_epochs=10, random_state=0).fit(X, y)
module = model.module_.double()
X_batch, y_batch = X[:32], y[:32, np.newaxis]


# %%
# Forward and backward by hand
# ----------------------------
def gradients_by_hand(W, b_vec, c, b, X, y):
    """The mean squared error of ``b + c sigmoid(b_vec + W x)`` and its
    gradients."""
    n = len(X)
    # forward pass: keep every intermediate value
    z = X @ W.T + b_vec  # (n, n_sigmoids)
    a = 1 / (1 + np.exp(-z))  # sigmoid(z)
    y_hat = a @ c.T + b  # (n, 1)
    loss = np.mean((y_hat - y) ** 2)
    # backward pass: dC/d(each value), from the output back to the input
    d_y_hat = 2 * (y_hat - y) / n
    d_c = d_y_hat.T @ a  # dC/dc = dC/dy_hat * (the input to c: a)
    d_b = d_y_hat.sum(axis=0)
    d_a = d_y_hat @ c
    d_z = d_a * a * (1 - a)  # sigmoid'(z) = sigmoid(z) (1 - sigmoid(z))
    d_W = d_z.T @ X  # dC/dW = dC/dz * (the input to W: x)
    d_b_vec = d_z.sum(axis=0)
    return loss, {"W": d_W, "b_vec": d_b_vec, "c": d_c, "b": d_b}


def gradients_by_autograd(module, X, y):
    """The same loss and gradients from torch: ``loss.backward()`` fills
    ``.grad``."""
    module.zero_grad()
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    loss = torch.nn.functional.mse_loss(module(X), y)
    loss.backward()
    grads = {
        "W": module.hidden.weight.grad,
        "b_vec": module.hidden.bias.grad,
        "c": module.output.weight.grad,
        "b": module.output.bias.grad,
    }
    return loss.item(), {name: grad.numpy() for name, grad in grads.items()}


def parameters(module):
    hidden, output = module.hidden, module.output
    return [
        p.detach().numpy()
        for p in (hidden.weight, hidden.bias, output.weight, output.bias)
    ]


loss_hand, by_hand = gradients_by_hand(*parameters(module), X_batch, y_batch)
loss_auto, by_autograd = gradients_by_autograd(module, X_batch, y_batch)
np.testing.assert_allclose(loss_hand, loss_auto, rtol=1e-12)
for name in by_hand:
    np.testing.assert_allclose(
        by_hand[name], by_autograd[name], rtol=1e-10, atol=1e-14
    )
    diff = np.abs(by_hand[name] - by_autograd[name]).max()
    print(
        f"dC/d{name:<5} shape {str(by_hand[name].shape):<8} "
        f"largest difference {diff:.1e}"
    )

# %%
# Every gradient entry, by hand against autograd
# ----------------------------------------------
fig, ax = plt.subplots(figsize=(5, 5), layout="constrained")
for name in by_hand:
    ax.scatter(
        by_autograd[name].ravel(), by_hand[name].ravel(), label=name, s=15
    )
limits = ax.get_xlim()
ax.plot(limits, limits, color="gray", linewidth=0.5)
ax.set(
    xlabel="autograd", ylabel="chain rule by hand", title="the same gradients"
)
ax.legend()
plt.show()
