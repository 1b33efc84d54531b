"""Sweep candidate defaults of sknn over the real data sets of ``--section realdata``.

    python -m benchmarks._sweep regression '{"alpha": [0.0, 0.3], "lr": [0.01, 0.03]}'
    python -m benchmarks._sweep classification '{"alpha": [0.1, 1.0]}' '{"max_epochs": 300}'

The first argument is the estimator's task: ``regression`` (``SigmoidRegressor``),
``deep-regression`` (``ReLUMLPRegressor``) or ``classification``
(``ReLUMLPClassifier``); the second a grid of sknn parameters (JSON), the
optional third parameters set for every candidate (``random_state`` is 0 unless
they, or the grid, say otherwise: with ``random_state`` in the grid, each
candidate is scored at every seed and reported once, with its mean gap over the
seeds and their range, so that a better default is told from a luckier seed).
On each data set of the task,
``sknn.model_selection.GridSearchCV`` trains every candidate on the benchmark's
folds (5-fold, the same preprocessing inside each fold), side by side; each
candidate is then compared with the other models' scores of the last
``--section realdata`` run (``benchmarks/results/results.json``): its mean gap to
the best model, on how many data sets it is within 0.02 of gradient boosting and
ahead of scikit-learn's MLP (the fewest and the most over the seeds), and its two
worst data sets (by their mean gap over the seeds).
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
            params = {name.split("__")[1]: value for name, value in params.items()}
            seed = params.pop("random_state", fixed.get("random_state", 0))
            scores.setdefault(json.dumps(params), {}).setdefault(seed, []).append(
                (dataset.name, float(score), others)
            )
    rows = []
    for key, per_seed in scores.items():
        gaps, within, beats, by_seed = {}, [], [], []
        for per_dataset in per_seed.values():
            # the benchmark's rows, with the candidate as sknn, scored as it does
            seed_rows = [
                {
                    "dataset": name,
                    "models": {
                        **{model: {"score": o} for model, o in others.items()},
                        "sknn": {"score": score},
                    },
                }
                for name, score, others in per_dataset
            ]
            summary = _realdata._summary(seed_rows)
            within.append(summary["sknn_within_0.02_of_hgb"])
            beats.append(summary["sknn_beats_mlp"])
            by_seed.append(summary["mean_gap_to_best"])
            for row in seed_rows:
                gaps.setdefault(row["dataset"], []).append(row["sknn_gap"])
        by_seed = np.array(by_seed)  # each seed's mean gap
        mean_gaps = {name: float(np.mean(values)) for name, values in gaps.items()}
        rows.append(
            {
                "candidate": key,
                "seeds": len(per_seed),
                "mean_gap": float(by_seed.mean()),
                "gap_range": (float(by_seed.min()), float(by_seed.max())),
                "within_hgb": (min(within), max(within)),
                "beats_mlp": (min(beats), max(beats)),
                "datasets": len(gaps),
                "worst": sorted(mean_gaps.items(), key=lambda item: -item[1])[:2],
            }
        )
    return sorted(rows, key=lambda row: row["mean_gap"])


def _span(low_high: tuple, fmt: str = "d") -> str:
    low, high = low_high
    return f"{low:{fmt}}" if low == high else f"{low:{fmt}} to {high:{fmt}}"


def main(argv: list[str]) -> int:
    task, grid = argv[0], json.loads(argv[1])
    fixed = json.loads(argv[2]) if len(argv) > 2 else {}
    start = time.perf_counter()
    rows = sweep(task, grid, fixed, Path("benchmarks/results/results.json"))
    print(f"{len(rows)} candidates in {time.perf_counter() - start:.0f} s, best first:")
    for row in rows:
        worst = ", ".join(f"{name} {gap:.3f}" for name, gap in row["worst"])
        n, seeds = row["datasets"], row["seeds"]
        over = (
            f" over {seeds} seeds ({_span(row['gap_range'], '.4f')})" if seeds > 1 else ""
        )
        print(
            f"{row['candidate']}: mean gap {row['mean_gap']:.4f}{over}, within 0.02 of "
            f"HGB on {_span(row['within_hgb'])}/{n}, ahead of the MLP on "
            f"{_span(row['beats_mlp'])}/{n}; worst: {worst}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
