"""Sweep candidate defaults of sknn over the real data sets of ``--section realdata``.

    python -m benchmarks._sweep regression '{"alpha": [0.0, 0.3], "lr": [0.01, 0.03]}'
    python -m benchmarks._sweep classification '{"alpha": [0.1, 1.0]}' '{"max_epochs": 300}'

The first argument is the estimator's task: ``regression`` (``SigmoidRegressor``),
``deep-regression`` (``ReLUMLPRegressor``) or ``classification``
(``ReLUMLPClassifier``); the second a grid of sknn parameters (JSON), the
optional third parameters set for every candidate (``random_state`` is 0 unless
they, or the grid, say otherwise: a grid over ``random_state`` shows how much of a
difference between candidates is the seed's). On each data set of the task,
``sknn.model_selection.GridSearchCV`` trains every candidate on the benchmark's
folds (5-fold, the same preprocessing inside each fold), side by side; each
candidate is then compared with the other models' scores of the last
``--section realdata`` run (``benchmarks/results/results.json``): its mean gap to
the best model, on how many data sets it is within 0.02 of gradient boosting and
ahead of scikit-learn's MLP, and its two worst data sets.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from . import _realdata


def sweep(task: str, grid: dict, fixed: dict, results: Path) -> list[dict]:
    """Each candidate's scores on every data set of ``task``, with the summary."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.pipeline import make_pipeline

    from sknn import ReLUMLPClassifier, ReLUMLPRegressor, SigmoidRegressor
    from sknn.model_selection import GridSearchCV

    saved = {
        row["dataset"]: row["models"]
        for row in json.loads(results.read_text())["real_data"]["datasets"]
    }
    scores: dict[str, list] = {}
    deep = task == "deep-regression"
    task = "regression" if deep else task
    for dataset in _realdata.DATASETS:
        if dataset.task != task:
            continue
        X, y, categorical = _realdata._prepared(dataset)
        if task == "regression":
            model = ReLUMLPRegressor if deep else SigmoidRegressor
            cv, y = KFold, y.astype(float)
        else:
            model, cv = ReLUMLPClassifier, StratifiedKFold
        step = model.__name__.lower()
        search = GridSearchCV(
            make_pipeline(
                _realdata._preprocessing(X, categorical),
                model(**{"random_state": 0, **fixed}),
            ),
            {f"{step}__{key}": values for key, values in grid.items()},
            cv=cv(5, shuffle=True, random_state=0),
            scoring=_realdata.METRIC[task],
            refit=False,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(X, y)
        others = {name: result["score"] for name, result in saved[dataset.name].items()}
        others.pop("sknn", None)
        for params, score in zip(
            search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True
        ):
            key = json.dumps({name.split("__")[1]: value for name, value in params.items()})
            scores.setdefault(key, []).append((dataset.name, float(score), others))
    rows = []
    for key, per_dataset in scores.items():
        gaps = {name: max(_realdata._peer_best(o), s) - s for name, s, o in per_dataset}
        rows.append(
            {
                "candidate": key,
                "mean_gap": float(np.mean(list(gaps.values()))),
                "within_hgb": sum(
                    s >= o["hgb"] - _realdata.TARGETS["within_hgb"]
                    for _, s, o in per_dataset
                ),
                "beats_mlp": sum(s > o["mlp"] for _, s, o in per_dataset),
                "datasets": len(per_dataset),
                "worst": sorted(gaps.items(), key=lambda item: -item[1])[:2],
            }
        )
    return sorted(rows, key=lambda row: row["mean_gap"])


def main(argv: list[str]) -> int:
    task, grid = argv[0], json.loads(argv[1])
    fixed = json.loads(argv[2]) if len(argv) > 2 else {}
    start = time.perf_counter()
    rows = sweep(task, grid, fixed, Path("benchmarks/results/results.json"))
    print(f"{len(rows)} candidates in {time.perf_counter() - start:.0f} s, best first:")
    for row in rows:
        worst = ", ".join(f"{name} {gap:.3f}" for name, gap in row["worst"])
        print(
            f"{row['candidate']}: mean gap {row['mean_gap']:.4f}, within 0.02 of "
            f"HGB on {row['within_hgb']}/{row['datasets']}, ahead of the MLP on "
            f"{row['beats_mlp']}/{row['datasets']}; worst: {worst}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
