"""Small data, as most scikit-learn users have it: a few hundred rows.

``python -m benchmarks._small JOB ...`` runs one measurement in a fresh process and
prints it as JSON; :func:`run_section` runs them all and returns the section of the
report:

* fits of scikit-learn's data sets (standardized) by sknn and scikit-learn's MLP,
  same network, SGD settings and epochs, stopping off: the best of five fits
  after a warm-up, on a quiet machine and while another process keeps one core
  busy (started and stopped here, by its process id);
* fits at the defaults of sknn and of scikit-learn's MLP (stopping on, so each
  runs the epochs its own rule and defaults give), where sknn's defaults must not
  cost more than twice what they used to;
* the first fit in a fresh process (after the imports), and the imports;
* ``predict`` and ``predict_proba`` of one row by a fitted digits classifier.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import warnings
from dataclasses import asdict, dataclass

import numpy as np

from ._configs import Config
from ._job import build


@dataclass(frozen=True)
class SmallConfig:
    """A fit of one of scikit-learn's data sets."""

    name: str
    data: str
    kind: str
    hidden: tuple[int, ...]
    batch_size: int
    epochs: int


SMALL_CONFIGS = [
    SmallConfig("diabetes, 30 sigmoids, batch 32", "diabetes", "regressor", (30,), 32, 200),
    SmallConfig(
        "diabetes, 30 sigmoids, full batch", "diabetes", "regressor", (30,), 442, 300
    ),
    SmallConfig("iris, (100,), batch 200", "iris", "classifier", (100,), 200, 300),
    SmallConfig(
        "breast cancer, (100,), batch 200", "breast_cancer", "classifier", (100,), 200, 200
    ),
    SmallConfig("digits, (100,), batch 200", "digits", "classifier", (100,), 200, 100),
]
SMOKE_CONFIGS = [SmallConfig("smoke: iris, (8,)", "iris", "classifier", (8,), 50, 2)]
# scikit-learn's data sets fitted at the defaults: (data, sknn's estimator)
DEFAULT_FITS = [
    ("diabetes", "SigmoidRegressor"),
    ("diabetes", "ReLUMLPRegressor"),
    ("iris", "ReLUMLPClassifier"),
    ("wine", "ReLUMLPClassifier"),
    ("breast_cancer", "ReLUMLPClassifier"),
    ("digits", "ReLUMLPClassifier"),
]
SMOKE_DEFAULT_FITS = [("iris", "ReLUMLPClassifier")]
FIT_REPEATS = 5
PREDICT_CALLS = 2000


def _data(name: str):
    from sklearn import datasets

    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    spread = X.std(axis=0)
    X = ((X - X.mean(axis=0)) / np.where(spread > 0, spread, 1.0)).astype(np.float32)
    if name == "diabetes":
        y = (y - y.mean()) / y.std()
    return X, y


def _estimator(config: SmallConfig, library: str, n_rows: int, n_features: int):
    shape = Config(
        config.name,
        config.kind,
        n_rows,
        n_features,
        config.hidden,
        config.batch_size,
        config.epochs,
    )
    return build(shape, library, "cpu")


def _best_fit(make_model, X, y) -> tuple[float, object]:
    """The best seconds of :data:`FIT_REPEATS` fits of fresh ``make_model()``,
    after one to warm up, and the last model fitted."""
    times = []
    for repeat in range(FIT_REPEATS + 1):
        model = make_model()
        start = time.perf_counter()
        model.fit(X, y)
        if repeat:
            times.append(time.perf_counter() - start)
    return min(times), model


def fit_seconds(config: SmallConfig, library: str) -> dict:
    """The best of :data:`FIT_REPEATS` fits, after one to warm up."""
    warnings.simplefilter("ignore")
    X, y = _data(config.data)
    seconds, _ = _best_fit(lambda: _estimator(config, library, *X.shape), X, y)
    return {"fit_seconds": seconds}


def default_fit_seconds(data: str, name: str) -> dict:
    """The best of :data:`FIT_REPEATS` fits at the defaults (after one to warm
    up) of sknn's ``name`` and of scikit-learn's MLP, and their epochs."""
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    import sknn

    warnings.simplefilter("ignore")
    X, y = _data(data)
    peer = MLPClassifier if name == "ReLUMLPClassifier" else MLPRegressor
    result = {}
    for library, cls in (("sknn", getattr(sknn, name)), ("sklearn", peer)):
        seconds, model = _best_fit(lambda cls=cls: cls(random_state=0), X, y)
        result[library] = {"fit_seconds": seconds, "epochs": model.n_iter_}
    return result


def first_fit_seconds() -> dict:
    """The imports, and then the first fit in this (fresh) process."""
    start = time.perf_counter()
    from sknn import SigmoidRegressor

    imported = time.perf_counter()
    warnings.simplefilter("ignore")
    X, y = _data("diabetes")
    fitting = time.perf_counter()
    SigmoidRegressor(n_sigmoids=30, max_epochs=5, random_state=0).fit(X, y)
    return {
        "import_seconds": imported - start,
        "first_fit_seconds": time.perf_counter() - fitting,
    }


def one_row_seconds(library: str) -> dict:
    """Median seconds of ``predict`` and ``predict_proba`` on one row."""
    warnings.simplefilter("ignore")
    config = SMALL_CONFIGS[-1]
    X, y = _data(config.data)
    model = _estimator(config, library, *X.shape).fit(X, y)
    row = X[:1]
    result = {}
    for method in ("predict", "predict_proba"):
        call = getattr(model, method)
        times = []
        for _ in range(PREDICT_CALLS):
            start = time.perf_counter()
            call(row)
            times.append(time.perf_counter() - start)
        result[f"{method}_seconds"] = statistics.median(times)
    return result


def _job(*args: str) -> dict:
    command = [sys.executable, "-m", "benchmarks._small", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _fits(configs, busy: bool) -> list[dict]:
    load = None
    if busy:  # another process keeping one core busy
        load = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        rows = []
        for config in configs:
            print(f"small data{' (busy)' if busy else ''}: {config.name} ...", flush=True)
            row = {"config": asdict(config)}
            for library in ("sknn", "sklearn"):
                row[library] = _job("fit", json.dumps(asdict(config)), library)
            rows.append(row)
        return rows
    finally:
        if load is not None:
            load.kill()
            load.wait()


def run_section(smoke: bool = False) -> dict:
    """The small-data section of the report."""
    configs = SMOKE_CONFIGS if smoke else SMALL_CONFIGS
    section = {"quiet": _fits(configs, busy=False), "busy": _fits(configs, busy=True)}
    section["defaults"] = []
    for data, name in SMOKE_DEFAULT_FITS if smoke else DEFAULT_FITS:
        print(f"small data: {data}, {name} at the defaults ...", flush=True)
        fits = _job("defaults", data, name)
        section["defaults"].append({"data": data, "estimator": name, **fits})
    print("small data: first fit, one-row predictions ...", flush=True)
    section["first_fit"] = _job("first-fit")
    section["one_row"] = {
        library: _job("one-row", library) for library in ("sknn", "sklearn")
    }
    return section


if __name__ == "__main__":
    job, *rest = sys.argv[1:]
    if job == "fit":
        fields = json.loads(rest[0])
        config = SmallConfig(**{**fields, "hidden": tuple(fields["hidden"])})
        print(json.dumps(fit_seconds(config, rest[1])))
    elif job == "defaults":
        print(json.dumps(default_fit_seconds(*rest)))
    elif job == "first-fit":
        print(json.dumps(first_fit_seconds()))
    else:
        print(json.dumps(one_row_seconds(rest[0])))
