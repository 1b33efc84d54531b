"""One measurement, run in a fresh process: ``python -m benchmarks._job CONFIG LIB DEVICE``.

Prints one JSON object: fit and predict seconds, the peak memory (resident set) that
fitting added, and the test score.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np

from ._configs import Config

TEST_FRACTION = 0.2
PREDICT_FACTOR = 5


def make_data(config: Config):
    """Standardized inputs, and labels or a standardized target; train and test."""
    from sklearn.datasets import make_classification, make_regression

    n = int(config.n_rows * (1 + TEST_FRACTION))
    if config.kind == "classifier":
        X, y = make_classification(
            n, config.n_features, n_informative=config.n_features // 2, random_state=0
        )
    else:
        X, y = make_regression(n, config.n_features, noise=10.0, random_state=0)
        y = np.tanh(y / y.std()) + 0.1 * y / y.std()  # a curved target, standardized
        y = (y - y.mean()) / y.std()
    X = ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)
    split = config.n_rows
    return X[:split], y[:split], X[split:], y[split:]


def build(config: Config, library: str, device: str):
    """The estimator of ``library`` for ``config``."""
    if library == "sknn":
        return _sknn(config, device)
    if library == "sklearn":
        return _sklearn(config)
    return _skorch(config, device)


def _sknn(config, device):
    from sknn import ReLUMLPClassifier, SigmoidRegressor

    common = dict(
        lr=config.lr,
        momentum=config.momentum,
        alpha=0.0,
        learning_rate="constant",
        batch_size=config.batch_size,
        max_epochs=config.epochs,
        tol=0.0,
        n_iter_no_change=config.epochs + 1,
        device=device,
        random_state=0,
    )
    if config.kind == "classifier":
        return ReLUMLPClassifier(config.hidden, **common)
    return SigmoidRegressor(n_sigmoids=config.hidden[0], **common)


def _sklearn(config):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPClassifier if config.kind == "classifier" else MLPRegressor
    return cls(
        hidden_layer_sizes=config.hidden,
        activation="relu" if config.kind == "classifier" else "logistic",
        solver="sgd",
        alpha=0.0,
        batch_size=config.batch_size,
        learning_rate_init=config.lr,
        momentum=config.momentum,
        nesterovs_momentum=False,
        max_iter=config.epochs,
        tol=0.0,
        n_iter_no_change=config.epochs + 1,
        random_state=0,
    )


def _skorch(config, device):
    import torch
    from skorch import NeuralNetClassifier, NeuralNetRegressor

    torch.manual_seed(0)
    widths = [config.n_features, *config.hidden]
    activation = torch.nn.ReLU if config.kind == "classifier" else torch.nn.Sigmoid
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [torch.nn.Linear(fan_in, fan_out), activation()]
    n_out = 2 if config.kind == "classifier" else 1
    module = torch.nn.Sequential(*layers, torch.nn.Linear(widths[-1], n_out))
    cls, criterion = (
        (NeuralNetClassifier, torch.nn.CrossEntropyLoss)
        if config.kind == "classifier"
        else (NeuralNetRegressor, torch.nn.MSELoss)
    )
    return cls(
        module,
        criterion=criterion,
        optimizer=torch.optim.SGD,
        lr=config.lr,
        optimizer__momentum=config.momentum,
        batch_size=config.batch_size,
        max_epochs=config.epochs,
        train_split=None,
        iterator_train__shuffle=True,
        device=device,
        verbose=0,
    )


def _memory_kib(field: str) -> int | None:
    """``VmRSS`` (resident now) or ``VmHWM`` (peak resident) of this process, in KiB,
    from Linux's /proc; None elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Make ``VmHWM`` start again from the current resident size (Linux 4.0+)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _fit_peak_bytes(fit) -> int | None:
    """Run ``fit()`` and return how far it raised the resident memory at its peak."""
    if not _reset_peak():
        fit()
        return None
    before = _memory_kib("VmRSS")
    fit()
    return (_memory_kib("VmHWM") - before) * 1024


def measure(config: Config, library: str, device: str) -> dict:
    X, y, X_test, y_test = make_data(config)
    if library == "skorch" and config.kind == "regressor":
        y, y_test = y.astype(np.float32)[:, None], y_test.astype(np.float32)[:, None]
    rng = np.random.default_rng(1)
    X_predict = rng.standard_normal((PREDICT_FACTOR * len(X), X.shape[1]), np.float32)
    warnings.simplefilter("ignore")
    build(config, library, device).fit(X[:500], y[:500])  # warm up kernels and threads
    model = build(config, library, device)
    start = time.perf_counter()
    fit_peak = _fit_peak_bytes(lambda: model.fit(X, y))
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    model.predict(X_predict)
    predict_seconds = time.perf_counter() - start
    score = model.score(X_test, y_test)
    return {
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        "fit_peak_bytes": fit_peak,
        "score": float(score),
        "x_float32_bytes": X.nbytes,
    }


if __name__ == "__main__":
    fields = json.loads(sys.argv[1])
    config = Config(**{**fields, "hidden": tuple(fields["hidden"])})
    print(json.dumps(measure(config, sys.argv[2], sys.argv[3])))
