"""
Tuning hyper-parameters with GridSearchCV, then saving the model
================================================================

``n_sigmoids``, ``lr`` and ``batch_size`` are hyper-parameters: chosen by us,
not learnt. sknn's estimators are scikit-learn estimators, so a
:class:`~sklearn.pipeline.Pipeline` with a scaler and a grid search tune them
by cross-validation on the training set, keeping the test set for the end.
The best model is then saved and loaded with joblib (pickle works too).

The search is :class:`sknn.model_selection.GridSearchCV`. Compared with
scikit-learn's :class:`~sklearn.model_selection.GridSearchCV`, this is the one
import that changes: ``from sknn.model_selection import GridSearchCV`` instead
of ``from sklearn.model_selection import GridSearchCV``. Its parameters and
results are scikit-learn's, but it first trains the networks of all
candidates and folds side by side, which is several times faster (see
:doc:`/performance`). ``verbose=1`` says how many fits were trained that way.
"""

# %%
import tempfile
import warnings
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import SigmoidRegressor
from sknn.model_selection import GridSearchCV  # the one import that changes

# These fits run a fixed number of epochs on purpose: no warning that more
# epochs would lower the loss further.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

model = SigmoidRegressor(max_epochs=100, random_state=0)
pipe = make_pipeline(StandardScaler(), model)
grid = {
    "sigmoidregressor__n_sigmoids": [2, 8, 32],
    "sigmoidregressor__lr": [0.003, 0.03],
}
search = GridSearchCV(pipe, grid, cv=3, verbose=1).fit(X_train, y_train)
print("best:", search.best_params_)
test_r2 = search.score(X_test, y_test)
print(f"cross-validated R² {search.best_score_:.3f}, test R² {test_r2:.3f}")

# %%
# The cross-validated R² of every setting
# ---------------------------------------
scores = search.cv_results_["mean_test_score"].reshape(3, 2)
fig, ax = plt.subplots(figsize=(5, 4), layout="constrained")
image = ax.imshow(scores, cmap="viridis")
ax.set_xticks([0, 1], ["lr=0.003", "lr=0.03"])
ax.set_yticks([0, 1, 2], ["2 sigmoids", "8 sigmoids", "32 sigmoids"])
for (row, col), score in np.ndenumerate(scores):
    ax.text(col, row, f"{score:.3f}", ha="center", va="center", color="white")
fig.colorbar(image, label="mean R² over 3 folds")
plt.show()

# %%
# Saving and loading
# ------------------
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "model.joblib"
    joblib.dump(search.best_estimator_, path)
    loaded = joblib.load(path)
assert np.array_equal(loaded.predict(X_test), search.predict(X_test))
print("the loaded model predicts exactly as the saved one")
