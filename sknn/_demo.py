"""``sknn demo``: the lecture's ideas, run end to end on built-in data.

1. a sum of sigmoids (:class:`~sknn.SigmoidRegressor`) on ``load_diabetes``, in a
   ``Pipeline`` with ``StandardScaler``, tuned by sknn's
   :class:`~sknn.model_selection.GridSearchCV` over ``n_sigmoids``, ``lr`` and
   ``batch_size`` (the hyper-parameters), then (not with ``quick``) the same
   search by scikit-learn's ``GridSearchCV``, timed against it;
2. every model a practitioner would try on the same data, scored on the same
   folds (5-fold cross-validation, repeated twice for the small diabetes data;
   3-fold with ``quick``), as a mean and spread over the folds: a linear model,
   ``HistGradientBoosting``, scikit-learn's MLP (on the target as given and
   standardized, saying whether it converged), sknn at its defaults and, for the
   regressor, tuned by the search inside each fold (so that its score is not
   measured on the rows it was tuned on);
3. going deep: a shallow and a deep :class:`~sknn.ReLUMLPClassifier` on
   ``load_digits`` among the same kinds of models;
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
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_digits
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import (
    KFold,
    RepeatedKFold,
    StratifiedKFold,
    cross_validate,
)
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


def _regressor(device: str, quick: bool, **params) -> SigmoidRegressor:
    epochs = 60 if quick else 200
    return SigmoidRegressor(max_epochs=epochs, device=device, random_state=0, **params)


def _regressor_search(search_class, device: str, quick: bool, cv: int | None = None):
    """The demo's grid search over the regressor, made by ``search_class`` (sknn's
    or scikit-learn's ``GridSearchCV``): one process (``n_jobs=1``) for either, so
    that the two compare like for like."""
    grid = _REGRESSOR_GRID[quick]
    return search_class(
        make_pipeline(StandardScaler(), _regressor(device, quick)),
        {f"sigmoidregressor__{key}": values for key, values in grid.items()},
        cv=cv or (2 if quick else 3),
        n_jobs=1,
    )


def _n_fits(search) -> int:
    return int(np.prod([len(values) for values in search.param_grid.values()])) * search.cv


def _warm_up(X, y, device: str) -> float:
    """A tiny search of two fits trained side by side and a refit, so that torch's
    one-off start-up cost is charged to none of the timed fits; its seconds."""
    search = model_selection.GridSearchCV(
        make_pipeline(
            StandardScaler(), SigmoidRegressor(max_epochs=2, device=device, random_state=0)
        ),
        {"sigmoidregressor__lr": [0.01, 0.05]},
        cv=2,
    )
    return _timed_fit(search, X[:40], y[:40])[1]


def _timed_search(search, X, y):
    """Fit ``search`` with ``verbose=1`` (its ``.fit`` alone is timed) and print
    what it printed, indented as the demo's other details."""
    printed = io.StringIO()
    search.set_params(verbose=1)
    with redirect_stdout(printed):
        _, seconds = _timed_fit(search, X, y)
    for line in printed.getvalue().splitlines():
        if not line.startswith("Fitting "):  # scikit-learn's count, said above
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
        f"scikit-learn's: sknn's was {speed}\n      ({n_fits} fits, n_jobs=1, each "
        "scored, and the refit; after a warm-up fit); same best parameters: "
        f"{same}"
    )


def _last_step(model):
    """The estimator that trains last in ``model``: a pipeline's last step, and
    for a fitted search its best estimator's (the one scored on the fold)."""
    if hasattr(model, "best_estimator_"):
        model = model.best_estimator_
    elif hasattr(model, "param_grid"):
        model = model.estimator
    if hasattr(model, "regressor_"):  # TransformedTargetRegressor
        model = model.regressor_
    elif hasattr(model, "regressor"):
        model = model.regressor
    return model[-1] if hasattr(model, "steps") else model


def _epoch_limit(model) -> tuple[str, int] | None:
    """The name and value of the limit on the epochs of an iterative model, or
    None."""
    last = _last_step(model)
    if isinstance(last, (SigmoidRegressor, ReLUMLPClassifier)):
        return "max_epochs", last.max_epochs
    if isinstance(last, (MLPRegressor, MLPClassifier)):
        return "max_iter", last.max_iter
    return None


def _cross_validate(name: str, model, X, y, cv) -> dict:
    """Score ``model`` in the folds of ``cv``: the mean and spread of the test
    scores, the mean fit time per fold, and how many of its fits ran all their
    epochs, their stopping rule not having ended them (not converged)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = cross_validate(model, X, y, cv=cv, return_estimator=True, n_jobs=1)
    limit = _epoch_limit(model)
    unconverged = None
    if limit is not None:
        unconverged = sum(
            int(_last_step(fitted).n_iter_ >= limit[1]) for fitted in result["estimator"]
        )
    scores = result["test_score"]
    return {
        "model": name,
        "mean": float(np.mean(scores)),
        "sd": float(np.std(scores)),
        "folds": len(scores),
        "seconds": float(np.mean(result["fit_time"])),
        "unconverged": unconverged,
        "limit": limit,
    }


def _regressors(device: str, quick: bool) -> dict:
    scaled = lambda model: make_pipeline(StandardScaler(), model)  # noqa: E731
    models = {
        "LinearRegression": scaled(LinearRegression()),
        "HistGradientBoostingRegressor": HistGradientBoostingRegressor(random_state=0),
        # on the target as it is (a mean of 152), as MLPRegressor is used by
        # default; and on the standardized target, as sknn's regressor trains
        "MLPRegressor (defaults)": scaled(MLPRegressor(random_state=0)),
        "MLPRegressor (standardized y)": TransformedTargetRegressor(
            scaled(MLPRegressor(random_state=0)), transformer=StandardScaler()
        ),
    }
    models["SigmoidRegressor (defaults)"] = scaled(
        SigmoidRegressor(device=device, random_state=0)
    )
    models["SigmoidRegressor (tuned in each fold)"] = _regressor_search(
        model_selection.GridSearchCV, device, quick
    )
    return models


def _classifier_label(name: str, sizes: tuple) -> str:
    return f"ReLUMLPClassifier {name} {sizes}"


def _relu_classifier(sizes: tuple, device: str, quick: bool):
    return make_pipeline(
        StandardScaler(),
        ReLUMLPClassifier(
            sizes, max_epochs=30 if quick else 200, device=device, random_state=0
        ),
    )


def _classifiers(device: str, quick: bool) -> dict:
    scaled = lambda model: make_pipeline(StandardScaler(), model)  # noqa: E731
    models = {
        "LogisticRegression": scaled(LogisticRegression(max_iter=1000)),
        "HistGradientBoostingClassifier": HistGradientBoostingClassifier(random_state=0),
        "MLPClassifier (defaults)": scaled(MLPClassifier(random_state=0)),
    }
    for name, sizes in _CLASSIFIERS.items():
        models[_classifier_label(name, sizes)] = _relu_classifier(sizes, device, quick)
    return models


def run_demo(out: Path, device: str = "cpu", quick: bool = False) -> list[dict]:
    """Run the demo, print its tables, and write models and figures to ``out``.

    Parameters
    ----------
    out : pathlib.Path
        An existing folder for the saved models and figures.
    device : str, default="cpu"
        Where sknn trains.
    quick : bool, default=False
        A smaller grid, fewer epochs and folds, and no timing of scikit-learn's
        search.

    Returns
    -------
    rows : list of dict
        One row of the tables per model: task, model, mean and spread of its
        scores over the folds, mean fit time per fold, fits that did not converge.
    """
    progress = _Progress(4 if quick else 5)
    # the features in their own units (age in years, bmi in kg/m²...), which the
    # pipelines' StandardScaler standardizes
    X, y = load_diabetes(return_X_y=True, scaled=False)
    search = _regressor_search(model_selection.GridSearchCV, device, quick)
    n_fits = _n_fits(search)
    with progress.step(
        "Tuning SigmoidRegressor on load_diabetes with sknn.model_selection."
        f"GridSearchCV ({n_fits} fits)"
    ):
        warm_up = _warm_up(X, y, device)
        sknn_seconds = _timed_search(search, X, y)
    best = {key.split("__")[1]: v for key, v in search.best_params_.items()}
    print(f"      best: {best}")
    if not quick:
        sklearn_search = _regressor_search(
            sklearn_model_selection.GridSearchCV, device, quick
        )
        with progress.step(
            f"The same search with scikit-learn's GridSearchCV ({n_fits} fits), to compare"
        ):
            sklearn_seconds = _timed_search(sklearn_search, X, y)
        print(_comparison(sknn_seconds, sklearn_seconds, n_fits, search, sklearn_search))

    folds = (
        KFold(3, shuffle=True, random_state=0)
        if quick
        else RepeatedKFold(n_splits=5, n_repeats=2, random_state=0)
    )
    rows = []
    with progress.step(
        f"Cross-validating regressors on load_diabetes ({_folds_text(folds)})"
    ):
        for name, model in _regressors(device, quick).items():
            rows.append({"task": "diabetes", **_cross_validate(name, model, X, y, folds)})

    X_digits, y_digits = load_digits(return_X_y=True)
    folds = StratifiedKFold(3 if quick else 5, shuffle=True, random_state=0)
    with progress.step(
        f"Cross-validating classifiers on load_digits ({_folds_text(folds)})"
    ):
        for name, model in _classifiers(device, quick).items():
            rows.append(
                {
                    "task": "digits",
                    **_cross_validate(name, model, X_digits, y_digits, folds),
                }
            )
    _print_tables(rows, warm_up)

    with progress.step(f"Saving the best models and figures to {out}"):
        # both networks refit on all rows (for the figure); the better one saved
        classifiers = {
            name: _timed_fit(_relu_classifier(sizes, device, quick), X_digits, y_digits)[0]
            for name, sizes in _CLASSIFIERS.items()
        }
        scores = {row["model"]: row["mean"] for row in rows}
        best = max(
            _CLASSIFIERS,
            key=lambda name: scores[_classifier_label(name, _CLASSIFIERS[name])],
        )
        best_classifier = classifiers[best]
        models = {
            "sigmoid_regressor": (search.best_estimator_, X),
            "relu_mlp_classifier": (best_classifier, X_digits),
        }
        _save_and_reload(models, out)
        _draw_figures(search.best_estimator_, classifiers, X, y, out)
    return rows


def _folds_text(cv) -> str:
    if isinstance(cv, RepeatedKFold):
        return (
            f"{cv.cvargs['n_splits']}-fold cross-validation repeated {cv.n_repeats} "
            f"times: {cv.get_n_splits()} folds"
        )
    return f"{cv.get_n_splits()}-fold cross-validation"


def _print_tables(rows: list[dict], warm_up: float) -> None:
    for task, metric in (("diabetes", "R²"), ("digits", "accuracy")):
        table = [row for row in rows if row["task"] == task]
        print()
        print(
            f"load_{task}: {metric} on held-out folds, mean (sd) over "
            f"{table[0]['folds']} folds"
        )
        print(f"  {'model':<40} {metric:>16} {'fit / fold':>10}  not converged")
        for row in table:
            score = f"{row['mean']:.3f} ({row['sd']:.3f})"
            if row["unconverged"] is None:
                note = ""
            else:
                name, value = row["limit"]
                note = f"{row['unconverged']} of {row['folds']} ({name}={value})"
            print(f"  {row['model']:<40} {score:>16} {row['seconds']:>8.2f} s  {note}")
    print(
        "\n  fit / fold: the mean time of one fit (the tuned model's includes its "
        "search). A warm-up\n  search (two short fits and a refit, "
        f"{warm_up:.2f} s, with torch's one-off start-up) ran first\n  and is in "
        "no row. not converged: fits that ran all their epochs (max_iter,\n  "
        "max_epochs) without their stopping rule ending them; for the tuned model, "
        "the\n  fit it chose in each fold.\n"
    )


def _save_and_reload(models: dict, out: Path) -> None:
    for name, (model, X_test) in models.items():
        path = out / f"{name}.joblib"
        joblib.dump(model, path)
        same = np.array_equal(joblib.load(path).predict(X_test), model.predict(X_test))
        if not same:
            raise RuntimeError(f"{path} predicts differently after reloading")
        print(f"      saved {path}; reloaded, it predicts the same")


def _draw_figures(regressor, classifiers: dict, X, y, out: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print('      figures skipped: install matplotlib (pip install "sknn[plot]")')
        return
    fig = _loss_figure(regressor, classifiers)
    fig.savefig(out / "loss_curves.png", dpi=100)
    plt.close(fig)
    print(f"      saved {out / 'loss_curves.png'}")

    fig = _sigmoid_figure(regressor, X, y)
    fig.savefig(out / "sigmoids.png", dpi=100)
    plt.close(fig)
    print(f"      saved {out / 'sigmoids.png'}")


def _loss_figure(regressor, classifiers: dict):
    """The training loss per epoch of the saved regressor and of both classifiers
    (refit on all rows; the better one is saved), on a log scale (where a
    loss that keeps falling by a little stays visible)."""
    import matplotlib.pyplot as plt

    from ._display import LossCurveDisplay

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), layout="constrained")
    model = regressor[-1]
    LossCurveDisplay.from_estimator(
        regressor,
        ax=axes[0],
        name=f"load_diabetes: SigmoidRegressor, {model.n_sigmoids} sigmoids",
    )
    axes[0].set_ylabel("squared error (standardized y) + L2 penalty")
    for ax, (name, pipeline) in zip(axes[1:], classifiers.items(), strict=True):
        sizes = pipeline[-1].hidden_layer_sizes
        LossCurveDisplay.from_estimator(
            pipeline, ax=ax, name=f"load_digits: ReLUMLPClassifier {sizes}, {name}"
        )
        ax.set_ylabel("cross-entropy + L2 penalty (alpha)")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel("epoch (one pass over the training rows)")
    fig.suptitle(
        "Training loss per epoch, log scale: the saved regressor, and both "
        "classifiers refit on all rows (the better is saved)"
    )
    return fig


def _sigmoid_figure(pipeline, X, y, feature: int = 2, name: str = "bmi", shown: int = 6):
    """The lecture's sum of sigmoids, term by term: the largest fitted terms
    :math:`c_i\\,\\sigma(z_i)` against their own :math:`z_i`, then the same terms along
    one feature (the others at their mean), and their sum (plus ``b``), which is
    the prediction, over the data."""
    import matplotlib.pyplot as plt

    scaler, model = pipeline[0], pipeline[-1]
    X_scaled = scaler.transform(X)
    z = X_scaled @ model.weights_.T + model.biases_
    largest = np.argsort(-np.abs(model.heights_))[:shown]
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 4.4), layout="constrained")
    grid = np.linspace(z.min(), z.max(), 200)
    for i in largest:
        curve = model.heights_[i] / (1 + np.exp(-grid))
        left.plot(
            grid, curve, linewidth=1.5, label=f"$c_{{{i + 1}}} = {model.heights_[i]:.0f}$"
        )
    left.axhline(0, color="0.8", linewidth=0.8, zorder=0)
    left.set(
        xlabel=r"$z_i = b_i + \mathbf{w}_i \cdot \mathbf{x}$",
        ylabel=r"$c_i\,\sigma(z_i)$",
        title=f"The {shown} largest of {model.n_sigmoids} terms",
    )
    left.legend(fontsize="small", ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.2))

    # one feature varies over its range (in its own units), the others at their mean
    values = np.linspace(X[:, feature].min(), X[:, feature].max(), 200)
    rows = np.tile(scaler.mean_, (len(values), 1))
    rows[:, feature] = values
    parts = model.sigmoid_contributions(scaler.transform(rows))
    for i in largest:
        middle.plot(
            values,
            parts[:, i],
            linewidth=1.5,
            label=f"$c_{{{i + 1}}}\\,\\sigma(z_{{{i + 1}}})$",
        )
    middle.axhline(0, color="0.8", linewidth=0.8, zorder=0)
    middle.set(
        xlabel=f"{name} (kg/m²; the other features at their mean)",
        ylabel="the term's part of the prediction",
        title=f"The same terms along {name}",
    )
    middle.legend(fontsize="small", ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.2))

    right.scatter(X[:, feature], y, s=8, color="0.75", label="the data")
    total = model.constant_ + parts.sum(axis=1)
    right.plot(
        values,
        total,
        color="C3",
        linewidth=2.5,
        label=r"$b + \sum_i c_i\,\sigma(z_i)$ = predict",
    )
    right.set(
        xlabel=f"{name} (kg/m²; the other features at their mean)",
        ylabel="disease progression (y)",
        title=f"Their sum: the fitted function of {name}",
    )
    right.legend(fontsize="small")
    fig.suptitle(
        "SigmoidRegressor on load_diabetes: "
        r"$y = b + \sum_i c_i\,\sigma(b_i + \mathbf{w}_i \cdot \mathbf{x})$"
    )
    return fig
