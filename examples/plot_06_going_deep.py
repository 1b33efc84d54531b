"""
Going deep: shallow against deep on digits
==========================================

Stacking layers of neurons is deep learning. :class:`~sknn.ReLUMLPClassifier`
builds its network from ``hidden_layer_sizes``: ``(16,)`` is one hidden layer
of 16 ReLUs, ``(128, 128)`` two layers of 128. Both are trained with softmax
and cross-entropy on the 8x8 digit images; the deeper (and wider) network makes
fewer mistakes on the test set, and the confusion matrix shows which digits it
still mixes up.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import LossCurveDisplay, ReLUMLPClassifier

# These fits run a fixed number of epochs on purpose: no warning that more
# epochs would lower the loss further.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, stratify=y, random_state=0
)

models = {}
for sizes in [(16,), (128, 128)]:
    model = make_pipeline(
        StandardScaler(),
        ReLUMLPClassifier(sizes, max_epochs=100, random_state=0),
    ).fit(X_train, y_train)
    models[sizes] = model
    n_weights = sum(p.numel() for p in model[-1].module_.parameters())
    print(
        f"hidden_layer_sizes={sizes}: {n_weights} parameters, test accuracy "
        f"{model.score(X_test, y_test):.3f} after {model[-1].n_iter_} epochs"
    )

# %%
# Loss curves
# -----------
fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
for ax, (sizes, model) in zip(axes, models.items(), strict=True):
    LossCurveDisplay.from_estimator(
        model, ax=ax, name=f"hidden_layer_sizes={sizes}"
    )
plt.show()

# %%
# Which digits are confused
# -------------------------
ConfusionMatrixDisplay.from_estimator(models[(128, 128)], X_test, y_test)
plt.title("deep network, test set")
plt.show()
