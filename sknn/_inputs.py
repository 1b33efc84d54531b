"""Checks and conversions of what users pass in, shared by the estimators.

* ``callbacks``: a constraint for ``_parameter_constraints`` and the names that
  sknn's own callbacks take;
* sample weights: rows of weight 0 left out, the others as ratios in float32;
* regression targets: their mean and scale, computed without overflow, and the
  scale of a column that was constant so far once later data varies.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Options
from skorch.callbacks import Callback

# The names of the callbacks that skorch and sknn add to every fit; a user's
# callback cannot take them.
RESERVED_CALLBACK_NAMES = (
    "epoch_timer",
    "print_log",
    "train_loss",
    "valid_loss",
    "dev_score",
    "stopping_rule",
    "non_finite_loss_guard",
    "progress_bar",
    "sklearn_callbacks",
    "stop_training",
)


def _is_callback_item(item) -> bool:
    """Whether ``item`` is a skorch callback or a ``(name, callback)`` pair."""
    if isinstance(item, Callback):
        return True
    return (
        isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], Callback)
    )


class SkorchCallbacks(Options):
    """The ``callbacks`` parameter: a list of skorch callbacks or named pairs.

    A subclass of scikit-learn's ``Options`` only because ``_parameter_constraints``
    takes its constraint classes, not others; it checks every item of the list.
    """

    def __init__(self) -> None:
        super().__init__(list, set())

    def is_satisfied_by(self, val) -> bool:
        return isinstance(val, list) and all(_is_callback_item(item) for item in val)

    def __str__(self) -> str:
        return (
            "a list whose items are skorch callbacks (instances of "
            "skorch.callbacks.Callback) or (name, callback) tuples with a str name"
        )


def relative_weights(weights: np.ndarray) -> np.ndarray:
    """Row weights divided by the largest: only their ratios matter to a weighted
    mean, so weights of any size (all 1e-50, all 1e39) train as the same ratios
    would, bit for bit."""
    peak = weights.max()
    if not np.isfinite(peak):
        raise ValueError(
            "sample_weight times class_weight overflows float64; use smaller weights."
        )
    return weights / peak


def float32_weights(weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Row weights relative to the largest, as float32, and the largest; refuses
    weights whose ratios float32 cannot hold."""
    scaled = relative_weights(weights)
    smallest = scaled[scaled > 0].min()
    if smallest < np.finfo(np.float32).tiny:
        raise ValueError(
            f"sample_weight spans too wide a range: the smallest positive weight is "
            f"{smallest:.3g} times the largest, and training in float32 needs at "
            f"least {np.finfo(np.float32).tiny:.3g}. Set the weights of negligible "
            f"rows to 0 instead."
        )
    return scaled.astype(np.float32), float(weights.max())


def drop_absent_rows(X, y, sample_weight, stratify):
    """Leave out the rows of weight 0, as if absent; refuse weights that are all 0."""
    if sample_weight is None or sample_weight.all():
        return X, y, sample_weight, stratify
    if not sample_weight.any():
        raise ValueError(
            "Every row has weight 0 (from sample_weight, or class_weight), so "
            "there is nothing to train on; give some rows a positive weight."
        )
    kept = sample_weight > 0
    stratify = None if stratify is None else stratify[kept]
    return X[kept], y[kept], sample_weight[kept], stratify


def _power_of_two_below(values: np.ndarray) -> np.ndarray:
    """The power of two at or just below each value (1 for 0 or non-finite
    values)."""
    usable = (values > 0) & np.isfinite(values)
    exponents = np.frexp(np.where(usable, values, 1.0))[1] - 1
    return np.where(usable, np.ldexp(1.0, exponents), 1.0)


def weighted_moments(rows: np.ndarray, weights) -> tuple[np.ndarray, np.ndarray]:
    """The (weighted) mean and standard deviation of each column, computed on the
    columns divided by a power of two near their largest magnitude (which changes
    no digit), so that targets near float64's limits do not overflow; refuses a
    target whose spread cannot be held."""
    with np.errstate(over="ignore"):
        spread = rows.max(axis=0) - rows.min(axis=0)
    if not np.isfinite(spread).all():
        raise ValueError("y is too large: its range overflows float64. Rescale y.")
    peak = _power_of_two_below(np.abs(rows).max(axis=0))
    scaled = rows / peak
    mean = np.average(scaled, axis=0, weights=weights)
    scale = np.sqrt(np.average((scaled - mean) ** 2, axis=0, weights=weights))
    with np.errstate(over="ignore"):
        mean, scale = mean * peak, scale * peak
    if not (np.isfinite(mean).all() and np.isfinite(scale).all()):
        raise ValueError("y is too large: its mean or spread overflows float64. Rescale y.")
    return mean, scale


def widened_scale(scale: np.ndarray, mean: np.ndarray, rows, weights) -> np.ndarray:
    """The target's scale for a continued fit: as fitted, but a column with scale 0
    (constant so far) takes the root mean square distance of the new targets from
    its mean, so that later data can move its predictions."""
    if (scale > 0).all():
        return scale
    with np.errstate(over="ignore"):
        peak = _power_of_two_below(np.abs(rows - mean).max(axis=0))
        spread = np.sqrt(np.average(((rows - mean) / peak) ** 2, axis=0, weights=weights))
        spread = spread * peak
    return np.where(scale > 0, scale, spread)


def check_hidden_layer_sizes(hidden_layer_sizes) -> tuple[int, ...]:
    """``hidden_layer_sizes`` as a tuple of positive ints (an int is one layer)."""
    sizes = (
        (hidden_layer_sizes,)
        if isinstance(hidden_layer_sizes, Integral)
        else tuple(hidden_layer_sizes)
    )
    if not all(isinstance(size, Integral) and size >= 1 for size in sizes):
        raise ValueError(
            f"The 'hidden_layer_sizes' parameter must hold positive integers. "
            f"Got {hidden_layer_sizes!r} instead."
        )
    return tuple(int(size) for size in sizes)
