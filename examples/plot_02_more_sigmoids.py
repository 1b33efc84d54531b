"""
More sigmoids, a closer fit
===========================

Any smooth curve is close to a piecewise-linear one with enough pieces, and
each piece is about one sigmoid. So the more sigmoids, the closer a
:class:`~sknn.SigmoidRegressor` can follow a smooth curve: here the training
error on a wavy curve falls as ``n_sigmoids`` grows. (Adam, rather than plain
SGD, lets every size converge within a few hundred epochs.)
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sknn import SigmoidRegressor

# These fits run a fixed number of epochs on purpose: no warning that more
# epochs would lower the loss further.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

rng = np.random.RandomState(0)
x = np.sort(rng.uniform(-3, 3, 300)).reshape(-1, 1)
y = np.sin(2 * x.ravel()) + 0.3 * x.ravel()

counts = [1, 2, 4, 8, 16, 32]
fits, errors = {}, []
for n in counts:
    model = SigmoidRegressor(
        n_sigmoids=n,
        alpha=0.0,  # no penalty: how closely can n sigmoids fit the curve?
        optimizer="adam",
        lr=0.03,
        batch_size=32,
        max_epochs=300,
        tol=1e-6,
        n_iter_no_change=20,
        random_state=0,
    )
    model.fit(x, y)
    fits[n] = model.predict(x)
    errors.append(np.mean((fits[n] - y) ** 2))
    print(f"n_sigmoids={n:>2}: mean squared error {errors[-1]:.4f}")

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
left.plot(x, y, color="black", linewidth=4, alpha=0.3, label="the curve")
for n in (1, 4, 32):
    left.plot(x, fits[n], label=f"{n} sigmoid{'s' if n > 1 else ''}")
left.set(title="fits with more and more sigmoids", xlabel="x")
left.legend()
right.plot(counts, errors, marker="o")
right.set(
    xscale="log",
    yscale="log",
    xlabel="n_sigmoids",
    ylabel="mean squared error",
)
right.set_xticks(counts, [str(n) for n in counts])
right.set_title("the error falls as n_sigmoids grows")
plt.show()
