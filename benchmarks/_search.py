"""Hyper-parameter search: sknn's ``GridSearchCV`` against scikit-learn's.

``python -m benchmarks._search JOB GRID DEVICE`` runs one search in a fresh
process and prints it as JSON; :func:`run_section` runs them all and returns the
section of the report. Each grid is searched three ways, with ``n_jobs=1``:

* ``sknn``: ``sknn.model_selection.GridSearchCV`` over the sknn estimator (its fits
  trained side by side);
* ``sknn_busy``: the same while another process keeps one core busy (started and
  stopped here, by its process id);
* ``sklearn_over_sknn``: scikit-learn's ``GridSearchCV`` over the same estimator;
* ``sklearn_over_mlp``: scikit-learn's ``GridSearchCV`` over scikit-learn's MLP with
  the same network, SGD settings, epochs and grid.

Each reports its seconds, the best parameters and the best score.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings
from dataclasses import asdict, dataclass

import numpy as np

# scikit-learn's names for sknn's parameters, in its MLP
_MLP_NAMES = {
    "n_sigmoids": "hidden_layer_sizes",
    "hidden_layer_sizes": "hidden_layer_sizes",
    "lr": "learning_rate_init",
    "alpha": "alpha",
}
JOBS = ("sknn", "sknn_busy", "sklearn_over_sknn", "sklearn_over_mlp")


@dataclass(frozen=True)
class SearchConfig:
    """A grid searched by cross-validation."""

    name: str
    data: str
    kind: str
    grid: dict
    folds: int
    batch_size: int
    epochs: int


SEARCH_CONFIGS = [
    SearchConfig(
        "sum of sigmoids, 2,000 x 10: 4 widths x 4 lr x 3 alpha, 5 folds (240 fits)",
        "regression_2000x10",
        "regressor",
        {
            "n_sigmoids": [3, 10, 30, 100],
            "lr": [0.003, 0.01, 0.03, 0.1],
            "alpha": [0.0, 1e-3, 1e-2],
        },
        5,
        64,
        100,
    ),
    SearchConfig(
        "ReLU classifier, digits: 3 networks x 3 lr x 2 alpha, 3 folds (54 fits)",
        "digits",
        "classifier",
        {
            "hidden_layer_sizes": [(32,), (128,), (64, 64)],
            "lr": [0.01, 0.03, 0.1],
            "alpha": [0.0, 0.01],
        },
        3,
        128,
        60,
    ),
]
# a grid of 500 models: 100 candidates x 5 folds (sknn's time, in fits per second)
SEARCH_CONFIGS.append(
    SearchConfig(
        "sum of sigmoids, diabetes: 4 widths x 5 lr x 5 alpha, 5 folds (500 fits)",
        "diabetes",
        "regressor",
        {
            "n_sigmoids": [3, 10, 30, 100],
            "lr": [0.003, 0.01, 0.03, 0.1, 0.3],
            "alpha": [0.0, 1e-4, 1e-3, 1e-2, 1e-1],
        },
        5,
        32,
        100,
    )
)
SMOKE_CONFIGS = [
    SearchConfig(
        "smoke: iris, 2 lr, 2 folds", "iris", "classifier", {"lr": [0.01, 0.1]}, 2, 50, 3
    )
]


def _data(name: str):
    from sklearn import datasets

    if name == "regression_2000x10":
        X, y = datasets.make_regression(2000, 10, noise=10.0, random_state=0)
    else:
        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    spread = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(spread > 0, spread, 1.0), y


def _search(config: SearchConfig, job: str, device: str):
    from sklearn.model_selection import GridSearchCV as SklearnSearch
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    from sknn import ReLUMLPClassifier, SigmoidRegressor
    from sknn.model_selection import GridSearchCV

    common = dict(batch_size=config.batch_size, random_state=0)
    if job == "sklearn_over_mlp":
        cls = MLPClassifier if config.kind == "classifier" else MLPRegressor
        estimator = cls(
            activation="relu" if config.kind == "classifier" else "logistic",
            solver="sgd",
            momentum=0.9,
            nesterovs_momentum=False,
            max_iter=config.epochs,
            **common,
        )
        grid = {
            _MLP_NAMES[key]: [(v,) if key == "n_sigmoids" else v for v in values]
            for key, values in config.grid.items()
        }
        return SklearnSearch(estimator, grid, cv=config.folds), grid
    cls = ReLUMLPClassifier if config.kind == "classifier" else SigmoidRegressor
    # a constant rate, as scikit-learn's MLP has by default
    estimator = cls(
        max_epochs=config.epochs,
        learning_rate="constant",
        momentum=0.9,
        device=device,
        **common,
    )
    search = SklearnSearch if job == "sklearn_over_sknn" else GridSearchCV
    return search(estimator, config.grid, cv=config.folds), config.grid


def search_seconds(config: SearchConfig, job: str, device: str) -> dict:
    """Seconds of one search, its best parameters (in sknn's names) and score."""
    warnings.simplefilter("ignore")
    X, y = _data(config.data)
    search, grid = _search(config, job, device)
    start = time.perf_counter()
    search.fit(X, y)
    seconds = time.perf_counter() - start
    names = dict(zip(grid, config.grid, strict=True))
    best = {names[key]: value for key, value in search.best_params_.items()}
    if "n_sigmoids" in best and isinstance(best["n_sigmoids"], tuple):
        best["n_sigmoids"] = best["n_sigmoids"][0]
    return {
        "seconds": seconds,
        "fits": len(search.cv_results_["params"]) * search.n_splits_,
        "best_params": {key: repr(value) for key, value in best.items()},
        "best_score": float(search.best_score_),
    }


def _job(*args: str) -> dict:
    command = [sys.executable, "-m", "benchmarks._search", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_section(smoke: bool = False, device: str = "cpu") -> list[dict]:
    """The search section of the report: each grid, searched three ways."""
    rows = []
    for config in SMOKE_CONFIGS if smoke else SEARCH_CONFIGS:
        row = {"config": asdict(config)}
        for job in JOBS:
            print(f"search: {config.name}: {job} ...", flush=True)
            load = None
            if job == "sknn_busy":  # another process keeping one core busy
                load = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            try:
                row[job] = _job(json.dumps(asdict(config)), job, device)
            finally:
                if load is not None:
                    load.kill()
                    load.wait()
        rows.append(row)
    return rows


if __name__ == "__main__":
    fields = json.loads(sys.argv[1])
    grid = {
        key: [tuple(v) if isinstance(v, list) else v for v in values]
        for key, values in fields["grid"].items()
    }
    config = SearchConfig(**{**fields, "grid": grid})
    print(json.dumps(search_seconds(config, sys.argv[2], sys.argv[3])))
