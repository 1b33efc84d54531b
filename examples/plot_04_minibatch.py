"""
Mini-batches and the learning rate
==================================

Each update of mini-batch SGD uses ``batch_size`` rows; a pass over all batches
is an epoch. Smaller batches make more (noisier) updates per epoch; the
learning rate ``lr`` sets the size of each step. Too small learns slowly; too
large oscillates, or diverges: then sknn stops at the first non-finite loss,
keeps the last finite weights and warns, naming ``lr``.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler

from sknn import SigmoidRegressor

X, y = load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X)


def loss_curve(**params):
    model = SigmoidRegressor(
        n_sigmoids=20,
        alpha=0.0,  # the lecture's plain SGD: no penalty, a constant rate
        learning_rate="constant",
        momentum=0.0,
        max_epochs=40,
        tol=0.0,
        random_state=0,
        **params,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    diverged = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if diverged:
        print(f"{params}: {diverged[0].message}")
    return model.loss_curve_


# %%
# The batch size
# --------------
# Plain SGD (``momentum=0``, as in the lecture) with ``lr=0.01``.
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
for batch_size in (8, 32, 128, 442):
    ax.plot(
        loss_curve(batch_size=batch_size, lr=0.01),
        label=f"batch_size={batch_size}",
    )
ax.set(
    xlabel="epoch", ylabel="training loss (MSE, standardized y)", yscale="log"
)
ax.set_title("smaller batches: more updates per epoch")
ax.legend()
plt.show()

# %%
# The learning rate
# -----------------
# With ``lr=10`` the loss becomes infinite in the first epoch: training stops
# there and the curve is empty; the warning is printed below.
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
for lr in (0.001, 0.01, 0.1, 10.0):
    ax.plot(loss_curve(batch_size=32, lr=lr), label=f"lr={lr}")
ax.set(xlabel="epoch", ylabel="training loss", yscale="log")
ax.set_title("too small is slow; too large diverges")
ax.legend()
plt.show()
