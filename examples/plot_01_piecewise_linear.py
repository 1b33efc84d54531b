"""
A piecewise-linear curve is a constant plus hard sigmoids
=========================================================

The lecture's first step from a line to a richer function: any piecewise-linear
curve is a constant plus a sum of "hard sigmoids" (flat, a ramp, flat). Here
:class:`~sknn.SigmoidRegressor` with ``activation="hard_sigmoid"`` fits such a
curve, and :meth:`~sknn.SigmoidRegressor.sigmoid_contributions` returns each
fitted piece :math:`c_i \\, \\mathrm{hard\\_sigmoid}(b_i + w_i x)`, so the sum
can be drawn term by term.
"""

# %%
# A curve of straight segments
# ----------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sknn import SigmoidRegressor

# These fits run a fixed number of epochs on purpose: no warning that more
# epochs would lower the loss further.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

x = np.linspace(-3, 3, 400).reshape(-1, 1)
kinks_x, kinks_y = [-3, -1, 0.5, 1.5, 3], [0.0, 2.0, 0.5, 1.5, 1.5]
y = np.interp(x.ravel(), kinks_x, kinks_y)

# Four sloped segments need four pieces, but a hard sigmoid is flat outside its
# ramp, where its gradient is zero: a piece that starts with its ramp away from
# the data never moves. So the model gets more pieces than kinks; the spare
# ones stay small.
model = SigmoidRegressor(
    n_sigmoids=8,
    activation="hard_sigmoid",
    alpha=0.0,  # the lecture's model: no penalty, a constant rate
    learning_rate="constant",
    momentum=0.9,
    lr=0.05,
    batch_size=64,
    max_epochs=300,
    tol=1e-6,
    n_iter_no_change=30,
    random_state=0,
).fit(x, y)
print(f"R² of the fit: {model.score(x, y):.4f} after {model.n_iter_} epochs")

# %%
# The constant and the pieces
# ---------------------------
# ``constant_ + sigmoid_contributions(x).sum(axis=1)`` is the prediction: the
# lecture's :math:`y = b + \sum_i c_i \, \mathrm{hard\_sigmoid}(b_i + w_i x)`.
# Each piece is flat, a ramp, flat; its ramp is :math:`6 / |w_i|` wide, so a
# piece with a small weight ramps across the whole range of the data. The
# pieces are drawn on a wider range than the data's (shaded) to show their
# flats.
wide = np.linspace(-9, 9, 600).reshape(-1, 1)
pieces = model.sigmoid_contributions(wide)
fig, (left, right) = plt.subplots(
    1, 2, figsize=(11, 4.6), layout="constrained"
)
left.axvspan(-3, 3, color="0.93", label="the data's range")
left.axhline(
    model.constant_, color="gray", linestyle="--", label="the constant $b$"
)
for i in np.argsort(-np.abs(model.heights_)):
    left.plot(
        wide, pieces[:, i], label=f"$c_{{{i + 1}}} = {model.heights_[i]:.2f}$"
    )
left.set(
    title="the fitted pieces $c_i\\,\\mathrm{hard\\_sigmoid}(b_i + w_i x)$",
    xlabel="$x$",
)
left.legend(
    fontsize="small", ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.14)
)
inside = np.abs(wide.ravel()) <= 3
right.plot(x, y, color="black", linewidth=4, alpha=0.3, label="the curve")
right.plot(
    wide[inside],
    model.constant_ + pieces[inside].sum(axis=1),
    label="$b + \\sum_i$ the pieces",
)
right.set(title="their sum is the curve", xlabel="$x$")
right.legend()
plt.show()
