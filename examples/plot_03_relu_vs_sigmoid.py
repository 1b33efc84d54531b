"""
From sigmoid to ReLU
====================

:math:`\\mathrm{ReLU}(z) = \\max(0, z)`. Two ReLUs make one hard sigmoid, so a
sum of :math:`2n` ReLUs can do what a sum of :math:`n` hard sigmoids does.
First the identity, then the three activations of
:class:`~sknn.SigmoidRegressor` on the same data.
"""

# %%
# Two ReLUs make a hard sigmoid
# -----------------------------
# torch's hard sigmoid is flat at 0 below :math:`z=-3`, a ramp of slope 1/6,
# and flat at 1 above :math:`z=3`: exactly :math:`(\mathrm{ReLU}(z+3) -
# \mathrm{ReLU}(z-3))/6`.
import matplotlib.pyplot as plt
import numpy as np
import torch

from sknn import SigmoidRegressor

z = torch.linspace(-6, 6, 241)
relu, hard_sigmoid = torch.nn.ReLU(), torch.nn.Hardsigmoid()
two_relus = (relu(z + 3) - relu(z - 3)) / 6
assert torch.allclose(two_relus, hard_sigmoid(z))

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(z, relu(z + 3) / 6, linestyle="--", label="ReLU(z + 3) / 6")
ax.plot(z, -relu(z - 3) / 6, linestyle="--", label="-ReLU(z - 3) / 6")
ax.plot(z, two_relus, linewidth=3, label="their sum = hard_sigmoid(z)")
ax.plot(z, torch.sigmoid(z), label="sigmoid(z)")
ax.set(xlabel="z", ylim=(-1.1, 1.3))
ax.legend()
plt.show()

# %%
# The same data, three activations
# --------------------------------
# ``n`` sigmoids or hard sigmoids against ``2n`` ReLUs.
rng = np.random.RandomState(0)
x = np.sort(rng.uniform(-3, 3, 300)).reshape(-1, 1)
y = np.sin(2 * x.ravel()) + 0.3 * x.ravel() + rng.normal(scale=0.1, size=300)

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
ax.scatter(x, y, s=5, color="gray", label="data")
for activation, n in [("sigmoid", 8), ("hard_sigmoid", 8), ("relu", 16)]:
    model = SigmoidRegressor(
        n_sigmoids=n,
        activation=activation,
        alpha=0.0,  # the lecture's model: no penalty, a constant rate
        learning_rate="constant",
        momentum=0.9,
        lr=0.05,
        batch_size=32,
        max_epochs=200,
        random_state=0,
    ).fit(x, y)
    r2 = model.score(x, y)
    ax.plot(x, model.predict(x), label=f"{n} x {activation}: R² {r2:.3f}")
ax.set(xlabel="x", title="sum of sigmoids, hard sigmoids and ReLUs")
ax.legend()
plt.show()
