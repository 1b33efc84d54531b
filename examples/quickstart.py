"""sknn quickstart: both estimators on data that ships with scikit-learn.

Each model is a Pipeline (StandardScaler, then the network) tuned by GridSearchCV
on a training split and scored on a held-out test split, next to scikit-learn's
MLP at its defaults. The best regressor is saved with joblib, loaded back, and its
predictions checked.

Run it with ``python examples/quickstart.py``; it takes well under a minute on two
CPU cores.
"""

import tempfile
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import ReLUMLPClassifier, SigmoidRegressor


def tune(name, estimator, grid, baseline, X, y):
    """Grid-search ``estimator`` in a scaled pipeline; print it beside ``baseline``."""
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    step = type(estimator).__name__.lower()
    search = GridSearchCV(
        make_pipeline(StandardScaler(), estimator),
        {f"{step}__{key}": values for key, values in grid.items()},
        cv=3,
        n_jobs=2,
    )
    start = time.perf_counter()
    search.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    best = {key.split("__")[1]: value for key, value in search.best_params_.items()}
    n_settings = len(search.cv_results_["params"])
    print(f"\n{name}: {n_settings} settings x 3 folds in {seconds:.1f}s")
    print(f"  best {best}")
    print(f"  sknn test score                 {search.score(X_test, y_test):.3f}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = make_pipeline(StandardScaler(), baseline).fit(X_train, y_train)
    print(f"  scikit-learn MLP (defaults)     {mlp.score(X_test, y_test):.3f}")
    return search.best_estimator_, X_test


def main():
    X, y = load_diabetes(return_X_y=True)
    regressor, X_test = tune(
        "SigmoidRegressor on load_diabetes (R^2, y unscaled)",
        SigmoidRegressor(random_state=0),
        {"n_sigmoids": [10, 100], "lr": [0.003, 0.01]},
        MLPRegressor(random_state=0),
        X,
        y,
    )
    X, y = load_digits(return_X_y=True)
    tune(
        "ReLUMLPClassifier on load_digits (accuracy)",
        ReLUMLPClassifier(max_epochs=50, random_state=0),
        {"hidden_layer_sizes": [(64,), (128, 64)]},
        MLPClassifier(random_state=0),
        X,
        y,
    )

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sigmoid_regressor.joblib"
        joblib.dump(regressor, path)
        loaded = joblib.load(path)
        same = np.array_equal(loaded.predict(X_test), regressor.predict(X_test))
    print(f"\nSaved and reloaded the best SigmoidRegressor: identical predictions: {same}")
    if not same:
        raise SystemExit("the reloaded model predicts differently")


if __name__ == "__main__":
    main()
