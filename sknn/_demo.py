"""``sknn demo``: the lecture's ideas, run end to end on built-in data.

1. a sum of sigmoids (:class:`~sknn.SigmoidRegressor`) on ``load_diabetes``, in a
   ``Pipeline`` with ``StandardScaler``, tuned by sknn's
   :class:`~sknn.model_selection.GridSearchCV` over ``n_sigmoids``, ``lr`` and
   ``batch_size`` (the hyper-parameters), then the same search by scikit-learn's
   ``GridSearchCV``, timed against it;
2. going deep: a shallow and a deep :class:`~sknn.ReLUMLPClassifier` on
   ``load_digits``;
3. scikit-learn's ``MLPRegressor`` / ``MLPClassifier`` at their defaults on the
   same splits, for comparison;
4. the best models saved with joblib, reloaded and checked; figures of the loss
   curves and of the fitted sigmoids (with matplotlib).
"""

from __future__ import annotations

import io
import time
import warnings
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

import joblib
import numpy as np
from sklearn import model_selection as sklearn_model_selection
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import model_selection
from ._classifier import ReLUMLPClassifier
from ._regressor import SigmoidRegressor

# (full, quick) settings
_REGRESSOR_GRID = (
    {"n_sigmoids": [3, 10, 30], "lr": [0.01, 0.05], "batch_size": [32, 128]},
    {"n_sigmoids": [3, 30], "lr": [0.05], "batch_size": [64]},
)
_CLASSIFIERS = {"shallow": (100,), "deep": (128, 64)}
_STEPS = 6


class _Progress:
    """Numbered steps, each printed when it starts and timed when it ends."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0

    @contextmanager
    def step(self, text: str):
        self.done += 1
        print(f"[{self.done}/{self.total}] {text} ...", flush=True)
        start = time.perf_counter()
        yield
        print(f"      done in {time.perf_counter() - start:.1f} s", flush=True)


def _timed_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
    return model, seconds


def _regressor_search(search_class, device: str, quick: bool):
    """The demo's grid search over the regressor, made by ``search_class`` (sknn's
    or scikit-learn's ``GridSearchCV``): one process (``n_jobs=1``) for either, so
    that the two compare like for like; ``verbose=1`` prints the number of fits."""
    grid = _REGRESSOR_GRID[quick]
    search = search_class(
        make_pipeline(
            StandardScaler(),
            SigmoidRegressor(
                max_epochs=60 if quick else 200, device=device, random_state=0
            ),
        ),
        {f"sigmoidregressor__{key}": values for key, values in grid.items()},
        cv=2 if quick else 3,
        n_jobs=1,
        verbose=1,
    )
    return search, int(np.prod([len(values) for values in grid.values()])) * search.cv


def _warm_up(X, y, device: str) -> None:
    """A tiny search of two fits trained side by side and a refit, so that torch's
    one-off start-up cost is charged to neither of the timed searches."""
    search = model_selection.GridSearchCV(
        make_pipeline(
            StandardScaler(), SigmoidRegressor(max_epochs=2, device=device, random_state=0)
        ),
        {"sigmoidregressor__lr": [0.01, 0.05]},
        cv=2,
    )
    _timed_fit(search, X[:40], y[:40])


def _timed_search(search, X, y):
    """Fit ``search`` (its ``.fit`` alone is timed) and print what it printed,
    indented as the demo's other details."""
    printed = io.StringIO()
    with redirect_stdout(printed):
        _, seconds = _timed_fit(search, X, y)
    for line in printed.getvalue().splitlines():
        print(f"      {line}")
    return seconds


def _comparison(ours: float, theirs: float, n_fits: int, search, sklearn_search) -> str:
    """One line: the time of each search's ``fit``, how many times faster sknn's
    was, and whether both chose the same parameters."""
    ratio = theirs / ours
    speed = f"{ratio:.1f}x faster" if ratio >= 1 else f"only {ratio:.1f}x as fast"
    same = "yes" if search.best_params_ == sklearn_search.best_params_ else "NO"
    return (
        f"      GridSearchCV.fit took {ours:.1f} s with sknn's, {theirs:.1f} s with "
        f"scikit-learn's: sknn's was {speed} ({n_fits} fits, n_jobs=1; both include "
        "scoring every fit and the refit; after a warm-up fit); same best "
        f"parameters: {same}"
    )


def run_demo(out: Path, device: str = "cpu", quick: bool = False) -> list[dict]:
    """Run the demo, print its table, and write models and figures to ``out``.

    Parameters
    ----------
    out : pathlib.Path
        An existing folder for the saved models and figures.
    device : str, default="cpu"
        Where sknn trains.
    quick : bool, default=False
        A smaller grid and fewer epochs.

    Returns
    -------
    rows : list of dict
        One row of the table per model: task, model, score, seconds.
    """
    progress = _Progress(_STEPS)
    X, y = load_diabetes(return_X_y=True)
    reg_split = train_test_split(X, y, test_size=0.25, random_state=0)
    X_train, X_test, y_train, y_test = reg_split
    search, n_fits = _regressor_search(model_selection.GridSearchCV, device, quick)
    with progress.step(
        "Tuning SigmoidRegressor on load_diabetes with sknn.model_selection."
        f"GridSearchCV ({n_fits} fits)"
    ):
        _warm_up(X_train, y_train, device)
        sknn_seconds = _timed_search(search, X_train, y_train)
    best = {key.split("__")[1]: v for key, v in search.best_params_.items()}
    print(f"      best: {best}")
    rows = [_row("diabetes", "SigmoidRegressor (tuned)", search, reg_split)]
    rows[-1]["seconds"] = search.refit_time_

    sklearn_search, _ = _regressor_search(
        sklearn_model_selection.GridSearchCV, device, quick
    )
    with progress.step(
        f"The same search with scikit-learn's GridSearchCV ({n_fits} fits), to compare"
    ):
        sklearn_seconds = _timed_search(sklearn_search, X_train, y_train)
    print(_comparison(sknn_seconds, sklearn_seconds, n_fits, search, sklearn_search))

    with progress.step("Training scikit-learn's MLPRegressor (defaults)"):
        mlp, seconds = _timed_fit(
            make_pipeline(StandardScaler(), MLPRegressor(random_state=0)), X_train, y_train
        )
    rows.append(_row("diabetes", "MLPRegressor (defaults)", mlp, reg_split, seconds))

    X, y = load_digits(return_X_y=True)
    clf_split = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    classifiers = {}
    with progress.step("Training a shallow and a deep ReLUMLPClassifier on load_digits"):
        for name, sizes in _CLASSIFIERS.items():
            model = ReLUMLPClassifier(
                sizes, max_epochs=30 if quick else 200, device=device, random_state=0
            )
            fitted, seconds = _timed_fit(
                make_pipeline(StandardScaler(), model), *clf_split[::2]
            )
            classifiers[name] = fitted
            label = f"ReLUMLPClassifier {name} {sizes}"
            rows.append(_row("digits", label, fitted, clf_split, seconds))
    with progress.step("Training scikit-learn's MLPClassifier (defaults)"):
        mlp, seconds = _timed_fit(
            make_pipeline(StandardScaler(), MLPClassifier(random_state=0)),
            *clf_split[::2],
        )
    rows.append(_row("digits", "MLPClassifier (defaults)", mlp, clf_split, seconds))

    _print_table(rows)
    best_classifier = max(classifiers.values(), key=lambda m: m.score(*clf_split[1::2]))
    with progress.step(f"Saving the best models and figures to {out}"):
        models = {
            "sigmoid_regressor": (search.best_estimator_, X_test),
            "relu_mlp_classifier": (best_classifier, clf_split[1]),
        }
        _save_and_reload(models, out)
        _draw_figures(search.best_estimator_, classifiers, X_test, out)
    return rows


def _row(task: str, name: str, model, split, seconds: float | None = None) -> dict:
    _, X_test, _, y_test = split
    metric = "R²" if task == "diabetes" else "accuracy"
    return {
        "task": task,
        "model": name,
        "metric": metric,
        "score": model.score(X_test, y_test),
        "seconds": seconds,
    }


def _print_table(rows: list[dict]) -> None:
    print()
    print(f"{'data':<9} {'model':<38} {'test score':>16} {'fit time':>9}")
    for row in rows:
        score = f"{row['metric']} {row['score']:.3f}"
        print(f"{row['task']:<9} {row['model']:<38} {score:>16} {row['seconds']:>8.2f}s")
    print("(fit time of one fit; the tuned model's is its final refit)\n")


def _save_and_reload(models: dict, out: Path) -> None:
    for name, (model, X_test) in models.items():
        path = out / f"{name}.joblib"
        joblib.dump(model, path)
        same = np.array_equal(joblib.load(path).predict(X_test), model.predict(X_test))
        if not same:
            raise RuntimeError(f"{path} predicts differently after reloading")
        print(f"      saved {path}; reloaded, it predicts the same")


def _draw_figures(regressor, classifiers: dict, X_test, out: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print('      figures skipped: install matplotlib (pip install "sknn[plot]")')
        return
    from ._display import LossCurveDisplay

    fig, axes = plt.subplots(1, 3, figsize=(15, 4), layout="constrained")
    LossCurveDisplay.from_estimator(regressor, ax=axes[0], name="SigmoidRegressor")
    for ax, (name, model) in zip(axes[1:], classifiers.items(), strict=True):
        sizes = model[-1].hidden_layer_sizes
        LossCurveDisplay.from_estimator(model, ax=ax, name=f"{name} {sizes}")
    fig.savefig(out / "loss_curves.png", dpi=100)
    plt.close(fig)
    print(f"      saved {out / 'loss_curves.png'}")

    fig = _sigmoid_figure(regressor, X_test)
    fig.savefig(out / "sigmoids.png", dpi=100)
    plt.close(fig)
    print(f"      saved {out / 'sigmoids.png'}")


def _sigmoid_figure(pipeline, X):
    """Each fitted term c_i sigmoid(z_i) against its own z_i = b_i + w_i . x, and
    the sum of the terms (plus b) against the prediction."""
    import matplotlib.pyplot as plt

    scaler, model = pipeline[0], pipeline[-1]
    X_scaled = scaler.transform(X)
    z = X_scaled @ model.weights_.T + model.biases_
    parts = model.sigmoid_contributions(X_scaled)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    grid = np.linspace(z.min(), z.max(), 200)
    for i in np.argsort(-np.abs(model.heights_))[:8]:
        curve = model.heights_[i] / (1 + np.exp(-grid))
        (line,) = left.plot(grid, curve, linewidth=1)
        left.scatter(z[:, i], parts[:, i], s=6, color=line.get_color())
    left.set(
        xlabel="z_i = b_i + w_i · x",
        ylabel="c_i · sigmoid(z_i)",
        title="the largest fitted sigmoids (curves) and the test rows on them",
    )
    total = model.constant_ + parts.sum(axis=1)
    right.scatter(pipeline.predict(X), total, s=8)
    right.set(
        xlabel="predict(X)",
        ylabel="b + Σ c_i · sigmoid(z_i)",
        title=f"the sum of {model.n_sigmoids} sigmoids is the prediction",
    )
    return fig
