"""
Early stopping on a dev set
===========================

The lecture trains on one part of the data, watches the loss on a held-out
*dev* (validation) set, and keeps the model from the epoch where the dev set
did best; the test set is touched only once, at the end.

``early_stopping=True`` does exactly this: ``validation_fraction`` of the
training rows become the dev set, its loss and score are recorded after every
epoch, training stops once more than ``n_iter_no_change`` epochs in a row have
not beaten the best dev score by ``tol`` (scikit-learn's rule), and the weights
of the best epoch are kept.
"""

# %%
# Train with a dev set
# --------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import ReLUMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, stratify=y, random_state=0
)

model = make_pipeline(
    StandardScaler(),
    ReLUMLPClassifier(
        hidden_layer_sizes=(128, 64),
        alpha=0.0,  # the dev set alone guards against overfitting here
        lr=0.01,
        batch_size=32,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=20,
        max_epochs=300,
        random_state=0,
    ),
)
model.fit(X_train, y_train)
net = model[-1]

best_epoch = int(np.argmax(net.validation_scores_)) + 1
print(
    f"stopped after {net.n_iter_} epochs; best dev accuracy "
    f"{net.best_validation_score_:.3f} at epoch {best_epoch}"
)
accuracy = model.score(X_test, y_test)
print(f"test accuracy of the kept (best) weights: {accuracy:.3f}")

# %%
# The loss curves
# ---------------
# The training loss keeps falling, while the dev loss soon flattens out: from
# then on the network only gets better at the training rows, not at new ones.
# The dev accuracy peaks early, and the weights from its best epoch are the
# ones kept.
epochs = np.arange(1, net.n_iter_ + 1)
dev_loss = net.net_.history[:, "valid_loss"]

fig, (ax_loss, ax_score) = plt.subplots(
    1, 2, figsize=(10, 4), layout="constrained"
)
ax_loss.plot(epochs, net.loss_curve_, label="training loss")
ax_loss.plot(epochs, dev_loss, label="dev loss")
ax_loss.set_yscale("log")
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("cross-entropy")
ax_score.plot(epochs, net.validation_scores_, color="tab:green")
ax_score.set_xlabel("epoch")
ax_score.set_ylabel("dev accuracy")
for ax in (ax_loss, ax_score):
    ax.axvline(
        best_epoch,
        color="gray",
        linestyle="--",
        label=f"kept: epoch {best_epoch}",
    )
ax_loss.legend()
ax_score.legend(loc="lower right")
fig.suptitle("ReLUMLPClassifier on digits, early_stopping=True")
plt.show()
