"""Bad input and faults during training, handled as scikit-learn does.

Bad data, parameters, weights and callbacks get scikit-learn's ValueError (or
TypeError) in scikit-learn's words, never an error from torch, numpy or skorch
internals; a call that fails leaves a fitted model exactly as it was (predictions,
``n_iter_``, ``loss_curve_``, history, ``t_`` and the optimizer's state). Also: a
diverging fit, extreme sample weights and targets, callbacks that raise, inputs that
must not be modified, parameters changed between ``partial_fit`` calls, and fits in
threads.
"""

import copy
import math
import pickle
import threading
import warnings

import numpy as np
import pytest
import torch
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import make_regression
from sklearn.exceptions import NotFittedError
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from sknn import ReLUMLPClassifier, ReLUMLPRegressor, SigmoidRegressor

SMALL = {
    SigmoidRegressor: {"n_sigmoids": 8},
    ReLUMLPRegressor: {"hidden_layer_sizes": (8,)},
    ReLUMLPClassifier: {"hidden_layer_sizes": (8,)},
}
SHAPE = {
    SigmoidRegressor: "n_sigmoids",
    ReLUMLPRegressor: "hidden_layer_sizes",
    ReLUMLPClassifier: "hidden_layer_sizes",
}
REGRESSORS = (SigmoidRegressor, ReLUMLPRegressor)


def make_data(cls, n=40):
    rng = np.random.RandomState(0)
    X = rng.randn(n, 3)
    if cls in REGRESSORS:
        return X, X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.randn(n)
    return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)


def new(cls, **params):
    defaults = {"max_epochs": 3, "random_state": 0, "momentum": 0.9, "batch_size": 8}
    return cls(**{**SMALL[cls], **defaults, **params})


def start_partial_fit(model, X, y, **kwargs):
    if isinstance(model, ReLUMLPClassifier):
        kwargs.setdefault("classes", np.unique(y))
    return model.partial_fit(X, y, **kwargs)


@pytest.fixture(
    params=[SigmoidRegressor, ReLUMLPRegressor, ReLUMLPClassifier],
    ids=lambda cls: cls.__name__,
)
def small(request):
    """Each estimator class with 40 rows of its kind of data: ``(cls, X, y)``."""
    X, y = make_data(request.param)
    return request.param, X, y


def outputs(model, X):
    if isinstance(model, ReLUMLPClassifier):
        return model.predict_proba(X)
    return model.predict(X)


def optimizer_state(model) -> dict:
    state = model.net_.optimizer_.state_dict()
    return {
        (index, key): value.clone() if torch.is_tensor(value) else copy.deepcopy(value)
        for index, entry in state["state"].items()
        for key, value in entry.items()
    }


def snapshot(model, X) -> dict:
    return {
        "outputs": outputs(model, X),
        "n_iter_": model.n_iter_,
        "loss_curve_": list(model.loss_curve_),
        "history": len(model.net_.history),
        "t_": model.t_,
        "optimizer": optimizer_state(model),
        "lr": [group["lr"] for group in model.net_.optimizer_.param_groups],
    }


def assert_unchanged(model, before: dict, X) -> None:
    after = snapshot(model, X)
    np.testing.assert_array_equal(after["outputs"], before["outputs"])
    for key in ("n_iter_", "loss_curve_", "history", "t_", "lr"):
        assert after[key] == before[key], key
    assert after["optimizer"].keys() == before["optimizer"].keys()
    for key, value in before["optimizer"].items():
        if torch.is_tensor(value):
            assert torch.equal(after["optimizer"][key], value), key
        else:
            assert after["optimizer"][key] == value, key


def refused(call, errors=(ValueError, TypeError)) -> str | None:
    """None if ``call()`` raises one of ``errors``, else what happened instead."""
    try:
        call()
    except errors:
        return None
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return "no error"


class Boom(Exception):
    pass


class FailOnBatch(Callback):
    """Raises at the end of the ``at``-th mini-batch of a call."""

    def __init__(self, at=2):
        self.at = at

    def on_train_begin(self, net, **kwargs):
        self.seen_ = 0

    def on_batch_end(self, net, **kwargs):
        self.seen_ += 1
        if self.seen_ == self.at:
            raise Boom("batch")


class FailOnEpoch(Callback):
    """Raises (``error``) at the end of the ``at``-th epoch of a call."""

    def __init__(self, at=1, error=Boom):
        self.at = at
        self.error = error

    def on_train_begin(self, net, **kwargs):
        self.seen_ = 0

    def on_epoch_end(self, net, **kwargs):
        self.seen_ += 1
        if self.seen_ == self.at:
            raise self.error("epoch")


class Quiet(Callback):
    pass


FAILING = [FailOnBatch(at=2), FailOnEpoch(at=1)]


# A callback that raises


@pytest.mark.parametrize("failing", FAILING, ids=["batch", "epoch"])
def test_failing_callback_in_partial_fit_changes_nothing(small, failing):
    cls, X, y = small
    model = new(cls)
    start_partial_fit(model, X, y)
    model.partial_fit(X, y)
    before = snapshot(model, X)
    model.set_params(callbacks=[("fail", failing)])
    with pytest.raises(Boom):
        model.partial_fit(X, y)
    assert_unchanged(model, before, X)

    twin = new(cls)
    start_partial_fit(twin, X, y)
    twin.partial_fit(X, y).partial_fit(X, y)
    model = pickle.loads(pickle.dumps(model))
    model.set_params(callbacks=None).partial_fit(X, y)
    np.testing.assert_array_equal(outputs(model, X), outputs(twin, X))
    assert model.loss_curve_ == twin.loss_curve_ and model.t_ == twin.t_


@pytest.mark.parametrize("failing", FAILING, ids=["batch", "epoch"])
def test_failing_callback_in_first_partial_fit_leaves_it_unfitted(small, failing):
    cls, X, y = small
    model = new(cls, callbacks=[("fail", failing)])
    with pytest.raises(Boom):
        start_partial_fit(model, X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    model.set_params(callbacks=None)
    start_partial_fit(model, X, y)
    assert model.n_iter_ == 1 and len(model.net_.history) == 1


@pytest.mark.parametrize(
    "failing", [FailOnBatch(at=7), FailOnEpoch(at=2)], ids=["batch", "epoch"]
)
@pytest.mark.parametrize("warm_start", [True, False])
def test_failing_callback_in_fit_changes_nothing(small, failing, warm_start):
    cls, X, y = small
    model = new(cls, n_iter_no_change=100).fit(X, y)
    before = snapshot(model, X)
    model.set_params(warm_start=warm_start, callbacks=[("fail", failing)])
    with pytest.raises(Boom):
        model.fit(X, y)
    assert_unchanged(model, before, X)
    model.set_params(callbacks=[("quiet", Quiet())]).fit(X, y)
    assert model.n_iter_ == 3
    expected = len(before["loss_curve_"]) + 3 if warm_start else 3
    assert len(model.loss_curve_) == expected == len(model.net_.history)


def test_failing_callback_in_fit_leaves_new_model_unfitted(small):
    cls, X, y = small
    model = new(cls, callbacks=[("fail", FailOnEpoch(at=2))])
    with pytest.raises(Boom):
        model.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    with pytest.raises(NotFittedError):
        model.predict(X)


def test_interrupt_from_callback_keeps_the_epochs_run(small):
    cls, X, y = small
    model = new(cls, max_epochs=5, callbacks=[("stop", FailOnEpoch(2, KeyboardInterrupt))])
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 2
    assert np.isfinite(outputs(model, X)).all()


def test_callbacks_are_not_modified_by_fit(small):
    cls, X, y = small
    callback = FailOnEpoch(at=100)
    model = new(cls, callbacks=[("watch", callback)]).fit(X, y)
    assert not hasattr(callback, "seen_")
    assert model.get_params()["callbacks"][0][1] is callback


# Divergence


@pytest.mark.parametrize("early_stopping", [False, True])
def test_divergence_warns_and_keeps_a_usable_model(small, early_stopping):
    cls, X, y = small
    model = new(cls, lr=1e30, early_stopping=early_stopping)
    with np.errstate(all="raise"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    runtime = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert runtime and all("diverged" in str(w.message) for w in runtime)
    assert np.isfinite(outputs(model, X)).all()
    assert all(isinstance(loss, float) for loss in model.loss_curve_)
    if early_stopping:
        scores = model.validation_scores_
        assert isinstance(scores, list) and len(scores) == len(model.loss_curve_)
        assert all(isinstance(score, float) for score in scores)
        assert math.isnan(scores[-1])
        assert -math.inf not in scores


def test_diverged_model_can_be_refitted(small):
    cls, X, y = small
    model = new(cls, lr=1e30)
    with pytest.warns(RuntimeWarning, match="diverged"):
        model.fit(X, y)
    model.set_params(lr=0.01).fit(X, y)
    assert np.isfinite(model.loss_curve_).all()
    np.testing.assert_array_equal(
        outputs(model, X), outputs(new(cls, lr=0.01).fit(X, y), X)
    )


# Sample weights


def test_uniform_weights_of_any_size_train_as_ones(small):
    # without a penalty only the weights' ratios matter
    cls, X, y = small
    ones = outputs(new(cls, alpha=0.0).fit(X, y, sample_weight=np.ones(len(X))), X)
    np.testing.assert_allclose(ones, outputs(new(cls, alpha=0.0).fit(X, y), X), rtol=1e-4)
    differ = []
    for size in (1e-50, 1e-30, 1e30, 1e39, 1e308):
        model = new(cls, alpha=0.0).fit(X, y, sample_weight=np.full(len(X), size))
        weighted = outputs(model, X)
        if not np.array_equal(weighted, ones):
            differ.append(f"{size:g}: {np.abs(weighted - ones).max():.3g}")
    assert not differ, f"predictions differ from all-ones weights for {differ}"


def test_weights_scaled_by_any_power_of_two_train_the_same(small):
    cls, X, y = small
    weights = np.random.RandomState(1).uniform(0.5, 2, size=len(X))
    base = outputs(new(cls, alpha=0.0).fit(X, y, sample_weight=weights), X)
    for power in (-160, 100):
        scaled = new(cls, alpha=0.0).fit(X, y, sample_weight=np.ldexp(weights, power))
        np.testing.assert_array_equal(outputs(scaled, X), base)


def test_with_a_penalty_the_weights_scale_sets_its_strength(small):
    # scikit-learn divides the L2 penalty by the sum of a batch's sample weights:
    # weights times c with alpha train as the weights with alpha / c
    cls, X, y = small
    weights = np.random.RandomState(1).uniform(0.5, 2, size=len(X))
    for power in (-3, 4):
        scaled = new(cls, alpha=0.25).fit(X, y, sample_weight=np.ldexp(weights, power))
        same = new(cls, alpha=np.ldexp(0.25, -power)).fit(X, y, sample_weight=weights)
        np.testing.assert_array_equal(outputs(scaled, X), outputs(same, X))


def test_weight_ratio_beyond_float32_is_refused(small):
    cls, X, y = small
    weights = np.array([1e-45] * 20 + [1e3] * 20)
    with pytest.raises(ValueError, match="sample_weight"):
        new(cls).fit(X, y, sample_weight=weights)
    with pytest.raises(ValueError, match="sample_weight"):
        start_partial_fit(new(cls), X, y, sample_weight=weights)


def test_bad_sample_weight_is_refused_and_changes_nothing(small):
    cls, X, y = small
    bad = {
        "negative": np.r_[-1.0, np.ones(39)],
        "nan": np.r_[np.nan, np.ones(39)],
        "inf": np.r_[np.inf, np.ones(39)],
        "short": np.ones(39),
        "long": np.ones(41),
        "2d": np.ones((40, 2)),
        "zeros": np.zeros(40),
        "str": np.array(["a"] * 40),
        "ragged": [1.0] * 39 + [[1.0, 2.0]],
    }
    for name, weights in bad.items():
        assert (
            refused(lambda w=weights: new(cls).fit(X, y, sample_weight=w), ValueError)
            is None
        ), name
    model = new(cls).fit(X, y)
    before = snapshot(model, X)
    wrong = {}
    for name, weights in bad.items():
        for method in (model.fit, model.partial_fit):
            outcome = refused(
                lambda f=method, w=weights: f(X, y, sample_weight=w), ValueError
            )
            if outcome is not None:
                wrong[f"{name} {method.__name__}"] = outcome
    assert not wrong
    assert_unchanged(model, before, X)


def test_weights_that_overflow_with_class_weight_are_refused():
    X, y = make_data(ReLUMLPClassifier)
    model = new(ReLUMLPClassifier, class_weight={0: 1e300, 1: 1, 2: 1})
    with pytest.raises(ValueError, match="weight"):
        model.fit(X, y, sample_weight=np.full(len(X), 1e300))
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


# Extreme targets


def test_huge_regression_target_fits_as_scaled_or_is_refused():
    X, y = make_data(SigmoidRegressor)
    reference = new(SigmoidRegressor, max_epochs=20).fit(X, y)
    model = new(SigmoidRegressor, max_epochs=20)
    try:
        model.fit(X, 1e200 * y)
    except ValueError:
        with pytest.raises(NotFittedError):
            check_is_fitted(model)
        return
    prediction = model.predict(X)
    assert np.isfinite(prediction).all()
    assert r2_score(y, prediction / 1e200) == pytest.approx(reference.score(X, y), abs=1e-3)


@pytest.mark.parametrize("odd", [-1.7e308, 1.7e308], ids=["alternating", "one-low"])
def test_target_whose_spread_overflows_float64_is_refused(odd):
    X, _ = make_data(SigmoidRegressor)
    y = np.where(np.arange(len(X)) % 2, 1.7e308, odd)
    y[0] = -1.7e308
    model = new(SigmoidRegressor)
    with pytest.raises(ValueError):
        model.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    with pytest.raises(ValueError):
        model.partial_fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


def test_constant_regression_target_is_predicted_exactly():
    X, _ = make_data(SigmoidRegressor)
    y = np.full(len(X), 3.25)
    model = new(SigmoidRegressor).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), y)


# class_weight


def test_class_weight_with_keys_that_are_not_classes_is_refused():
    X, y = make_data(ReLUMLPClassifier)
    model = new(ReLUMLPClassifier, class_weight={0: 1, 1: 2, 7: 5})
    with pytest.raises(ValueError, match=r"The classes, \[2\], are not in class_weight"):
        model.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    labels = np.array(["a", "b", "c"])[y]
    with pytest.raises(ValueError, match="are not in class_weight"):
        new(ReLUMLPClassifier, class_weight={0: 2}).fit(X, labels)


def test_class_weight_for_some_classes_is_accepted():
    X, y = make_data(ReLUMLPClassifier)
    model = new(ReLUMLPClassifier, class_weight={2: 3.0}).fit(X, y)
    assert model.class_weight_.tolist() == [1.0, 1.0, 3.0]


@pytest.mark.parametrize("weight", [-1.0, np.nan, np.inf])
def test_bad_class_weight_value_is_refused(weight):
    X, y = make_data(ReLUMLPClassifier)
    with pytest.raises(ValueError, match="class_weight"):
        new(ReLUMLPClassifier, class_weight={0: weight}).fit(X, y)


# callbacks


@pytest.mark.parametrize(
    "item",
    [42, "x", print, lambda net: None, ("name", 42), ("a", Quiet(), 1), (Quiet(),),
     (1, Quiet()), Quiet],
    ids=["int", "str", "builtin", "lambda", "pair", "triple", "single", "int-name",
         "class"],
)  # fmt: skip
def test_callbacks_that_are_not_callbacks_are_refused(small, item):
    cls, X, y = small
    model = new(cls, callbacks=[item])
    with pytest.raises(InvalidParameterError, match="'callbacks' parameter"):
        model.fit(X, y)
    with pytest.raises(InvalidParameterError, match="'callbacks' parameter"):
        start_partial_fit(model, X, y)


@pytest.mark.parametrize("callbacks", [Quiet(), "print_log"])
def test_callbacks_must_be_a_list(small, callbacks):
    cls, X, y = small
    with pytest.raises(InvalidParameterError, match="'callbacks' parameter"):
        new(cls, callbacks=callbacks).fit(X, y)


@pytest.mark.parametrize("name", ["print_log", "stopping_rule", "dev_score", "train_loss"])
def test_callback_names_of_sknns_own_are_taken(small, name):
    cls, X, y = small
    model = new(cls, early_stopping=True, callbacks=[(name, Quiet())])
    with pytest.raises(ValueError, match="is taken"):
        model.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


@pytest.mark.parametrize("name", ["early_stopping", "my_cb"])
def test_callback_with_a_name_of_its_own_works(small, name):
    cls, X, y = small
    model = new(cls, early_stopping=True, callbacks=[(name, Quiet()), Quiet()])
    assert model.fit(X, y).n_iter_ >= 1


def test_duplicate_callback_names_are_refused(small):
    cls, X, y = small
    model = new(cls, callbacks=[("mine", Quiet()), ("mine", Quiet())])
    with pytest.raises(ValueError, match="mine"):
        model.fit(X, y)


# Inputs are never modified


def messy_csr() -> sparse.csr_matrix:
    """A float32 CSR matrix with duplicate entries and unsorted indices in a row."""
    rng = np.random.RandomState(0)
    rows = [[(2, 1.0), (0, 2.0), (2, 0.5)], [(1, -1.0), (1, 3.0)], [(0, 1.5), (2, -2.0)]]
    indptr, indices, data = [0], [], []
    for i in range(40):
        for column, value in rows[i % 3]:
            indices.append(column)
            data.append(value + rng.randn())
        indptr.append(len(indices))
    matrix = sparse.csr_matrix(
        (np.array(data, np.float32), np.array(indices, np.int32), np.array(indptr)),
        shape=(40, 3),
    )
    assert not matrix.has_canonical_format
    return matrix


def test_sparse_input_is_not_modified(small):
    cls, _, y = small
    X = messy_csr()
    saved = X.indptr.copy(), X.indices.copy(), X.data.copy(), X.nnz
    model = new(cls).fit(X, y)
    model.set_params(warm_start=True).fit(X, y)
    model.partial_fit(X, y)
    outputs(model, X)
    start_partial_fit(new(cls), X, y)
    for before, after in zip(saved, (X.indptr, X.indices, X.data, X.nnz), strict=True):
        np.testing.assert_array_equal(after, before)
    assert not X.has_canonical_format
    np.testing.assert_array_equal(outputs(model, X), outputs(model, X.toarray()))


def test_dense_input_and_weights_are_not_modified(small):
    cls, X, y = small
    X = np.ascontiguousarray(X, dtype=np.float32)
    y = y.astype(np.float32) if cls in REGRESSORS else y
    weights = np.random.RandomState(1).uniform(0.5, 2, size=len(X))
    saved = X.copy(), y.copy(), weights.copy()
    model = new(cls, early_stopping=True).fit(X, y, sample_weight=weights)
    outputs(model, X)
    start_partial_fit(new(cls), X, y, sample_weight=weights)
    for before, after in zip(saved, (X, y, weights), strict=True):
        np.testing.assert_array_equal(after, before)
        assert after.dtype == before.dtype


# partial_fit


def test_partial_fit_refuses_early_stopping_and_keeps_the_scores(small):
    cls, X, y = small
    model = new(cls, early_stopping=True).fit(X, y)
    scores, best = list(model.validation_scores_), model.best_validation_score_
    before = snapshot(model, X)
    with pytest.raises(
        ValueError, match="partial_fit does not support early_stopping=True"
    ):
        model.partial_fit(X, y)
    assert model.validation_scores_ == scores
    assert model.best_validation_score_ == best
    assert_unchanged(model, before, X)
    with pytest.raises(
        ValueError, match="partial_fit does not support early_stopping=True"
    ):
        start_partial_fit(new(cls, early_stopping=True), X, y)


def test_partial_fit_refuses_other_classes():
    X, y = make_data(ReLUMLPClassifier)
    model = new(ReLUMLPClassifier).partial_fit(X, y, classes=[0, 1, 2])
    before = snapshot(model, X)
    for classes in ([0, 1, 2, 3], [0, 1], ["a", "b", "c"]):
        with pytest.raises(ValueError, match="classes"):
            model.partial_fit(X, y, classes=classes)
    assert_unchanged(model, before, X)
    model.partial_fit(X, y, classes=[2, 0, 1])
    model.partial_fit(X, y, classes=np.array([0, 1, 2]))
    assert len(model.loss_curve_) == 3


def test_partial_fit_after_a_failed_first_call_starts_afresh():
    X, y = make_data(ReLUMLPClassifier)
    model = new(ReLUMLPClassifier)
    with pytest.raises(ValueError, match="classes"):
        model.partial_fit(X, y)
    with pytest.raises(ValueError):
        model.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(NotFittedError):
        check_is_fitted(model)
    model.partial_fit(X, y, classes=[0, 1, 2])
    twin = new(ReLUMLPClassifier).partial_fit(X, y, classes=[0, 1, 2])
    np.testing.assert_array_equal(model.predict_proba(X), twin.predict_proba(X))


# Small dev sets


def test_dev_set_of_one_row_is_refused():
    X, y = make_regression(n_samples=10, n_features=5, random_state=0)
    model = new(SigmoidRegressor, early_stopping=True)
    with pytest.raises(ValueError, match="validation set is too small"):
        model.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


def test_class_of_one_row_cannot_be_stratified():
    X, y = make_data(ReLUMLPClassifier)
    y = y.copy()
    y[0] = 3
    model = new(ReLUMLPClassifier, early_stopping=True)
    with pytest.raises(ValueError, match="least populated class"):
        model.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


def test_failed_dev_split_in_warm_fit_changes_nothing():
    X, y = make_regression(n_samples=10, n_features=5, random_state=0)
    model = new(SigmoidRegressor).fit(X, y)
    before = snapshot(model, X)
    model.set_params(warm_start=True, early_stopping=True)
    with pytest.raises(ValueError, match="validation set is too small"):
        model.fit(X, y)
    assert_unchanged(model, before, X)


# Parameters changed between partial_fit calls


def test_batch_size_set_between_partial_fits_applies(small):
    cls, X, y = small
    model = start_partial_fit(new(cls, batch_size=10), X, y)
    assert model.net_.history[-1, "train_batch_count"] == 4
    model.set_params(batch_size=20).partial_fit(X, y)
    assert model.net_.history[-1, "train_batch_count"] == 2
    model.set_params(batch_size=1000).partial_fit(X, y)
    assert model.net_.history[-1, "train_batch_count"] == 1


def test_alpha_set_between_partial_fits_applies(small):
    cls, X, y = small
    model = start_partial_fit(new(cls, alpha=0.0), X, y)
    assert model.net_.alpha == 0
    model.set_params(alpha=0.5).partial_fit(X, y)
    assert model.net_.alpha == 0.5
    assert optimizer_state(model)  # momentum carried over
    model.set_params(alpha=0.0).partial_fit(X, y)
    assert model.net_.alpha == 0


def test_lr_and_momentum_set_between_partial_fits_apply(small):
    cls, X, y = small
    model = start_partial_fit(new(cls, learning_rate="constant"), X, y)
    model.set_params(lr=0.0123, momentum=0.25).partial_fit(X, y)
    for group in model.net_.optimizer_.param_groups:
        assert group["lr"] == 0.0123 and group["momentum"] == 0.25


def test_shuffle_set_between_partial_fits_applies(small):
    cls, X, y = small
    a = start_partial_fit(new(cls), X, y)
    b = start_partial_fit(new(cls), X, y)
    a.set_params(shuffle=False).partial_fit(X, y)
    b.partial_fit(X, y)
    assert a.loss_curve_[0] == b.loss_curve_[0]
    assert not np.array_equal(outputs(a, X), outputs(b, X))


@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_network_shape_cannot_change_when_continuing(small, how):
    cls, X, y = small
    model = start_partial_fit(new(cls), X, y)
    before = snapshot(model, X)
    name = SHAPE[cls]
    model.set_params(**{name: 5 if cls is SigmoidRegressor else (5,)})
    with pytest.raises(ValueError, match=name):
        if how == "partial_fit":
            model.partial_fit(X, y)
        else:
            model.set_params(warm_start=True).fit(X, y)
    assert_unchanged(model, before, X)


@pytest.mark.parametrize(
    "params",
    [{"lr": -1.0}, {"lr": "x"}, {"batch_size": 0}, {"momentum": 2}, {"alpha": -1}],
    ids=lambda params: f"{next(iter(params))}={next(iter(params.values()))}",
)
def test_bad_parameter_set_between_partial_fits_is_refused(small, params):
    cls, X, y = small
    model = start_partial_fit(new(cls), X, y)
    before = snapshot(model, X)
    name = next(iter(params))
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        model.set_params(**params).partial_fit(X, y)
    assert_unchanged(model, before, X)


def test_nesterov_without_momentum_between_partial_fits_changes_nothing(small):
    cls, X, y = small
    model = start_partial_fit(new(cls), X, y)
    before = snapshot(model, X)
    with pytest.raises(ValueError, match="nesterov"):
        model.set_params(nesterov=True, momentum=0.0).partial_fit(X, y)
    assert_unchanged(model, before, X)


# Bad data


def bad_data(cls):
    X, y = make_data(cls)
    nan_X, inf_X, big_X = X.copy(), X.copy(), X.copy()
    nan_X[3, 1], inf_X[5, 0], big_X[7, 2] = np.nan, np.inf, 1e39
    words = X.astype(str)
    words[2, 2] = "abc"
    cases = {
        "nan-X": (nan_X, y),
        "inf-X": (inf_X, y),
        "float32-overflow-X": (big_X, y),
        "str-X": (words, y),
        "empty": (X[:0], y[:0]),
        "no-features": (X[:, :0], y),
        "3d-X": (X[:, :, None], y),
        "1d-X": (X[:, 0], y),
        "short-y": (X, y[:-1]),
        "complex-X": (X + 1j, y),
        "ragged-X": ([[1.0, 2.0, 3.0], [1.0, 2.0]], y[:2]),
        "none-y": (X, None),
        "3d-y": (X, np.zeros((len(X), 1, 1))),
        "no-columns-y": (X, np.zeros((len(X), 0))),
    }
    if cls in REGRESSORS:
        nan_y, inf_y = y.copy(), y.copy()
        nan_y[4], inf_y[6] = np.nan, np.inf
        y_words = y.astype(str)
        y_words[8] = "abc"
        cases.update({"nan-y": (X, nan_y), "inf-y": (X, inf_y), "str-y": (X, y_words)})
    else:
        cases.update(
            {
                "one-class": (X, np.zeros(len(X), int)),
                "continuous-y": (X, y + 0.5 * np.random.RandomState(0).rand(len(y))),
                "nan-label": (X, np.where(y == 2, np.nan, y)),
                "mixed-labels": (X, np.where(y == 2, "two", y.astype(object))),
            }
        )
    return cases


def test_bad_data_gets_sklearns_error_and_changes_nothing(small):
    cls, X, y = small
    cases = bad_data(cls)
    wrong = {}
    for name, (bad_X, bad_y) in cases.items():
        outcome = refused(lambda a=bad_X, b=bad_y: new(cls).fit(a, b))
        if outcome is not None:
            wrong[f"{name} fit"] = outcome
    model = new(cls).fit(X, y)
    before = snapshot(model, X)
    for name, (bad_X, bad_y) in cases.items():
        calls = {
            "refit": lambda a=bad_X, b=bad_y: model.set_params(warm_start=False).fit(a, b),
            "warm fit": lambda a=bad_X, b=bad_y: model.set_params(warm_start=True).fit(
                a, b
            ),
        }
        if name != "one-class":  # a chunk of one class is fine for partial_fit
            calls["partial_fit"] = lambda a=bad_X, b=bad_y: model.partial_fit(a, b)
        for call_name, call in calls.items():
            outcome = refused(call)
            if outcome is not None:
                wrong[f"{name} {call_name}"] = outcome
    assert not wrong
    assert_unchanged(model, before, X)


@pytest.mark.parametrize("name", ["nan-X", "inf-X", "str-X", "empty", "3d-X", "1d-X",
                                  "complex-X", "no-features"])  # fmt: skip
def test_bad_data_at_predict_gets_sklearns_error(small, name):
    cls, X, y = small
    model = new(cls).fit(X, y)
    bad_X = bad_data(cls)[name][0]
    methods = [model.predict]
    if cls is ReLUMLPClassifier:
        methods += [model.predict_proba, model.predict_log_proba]
    for method in methods:
        with pytest.raises(ValueError):
            method(bad_X)
    with pytest.raises(ValueError):
        model.score(bad_X, y)


def test_wrong_number_of_features_is_refused(small):
    cls, X, y = small
    model = new(cls).fit(X, y)
    before = snapshot(model, X)
    for wrong in (X[:, :2], np.column_stack([X, X])):
        with pytest.raises(ValueError, match="features"):
            model.predict(wrong)
        with pytest.raises(ValueError, match="features"):
            model.partial_fit(wrong, y)
        with pytest.raises(ValueError, match="features"):
            model.set_params(warm_start=True).fit(wrong, y)
        model.set_params(warm_start=False)
    assert_unchanged(model, before, X)


def test_one_row_regression_fits_without_early_stopping():
    X, y = make_data(SigmoidRegressor)
    model = new(SigmoidRegressor).fit(X[:1], y[:1])
    np.testing.assert_allclose(model.predict(X[:1]), y[:1], rtol=1e-6)
    assert np.isfinite(model.predict(X)).all()
    model.partial_fit(X[1:2], y[1:2])
    assert np.isfinite(model.predict(X)).all()


def test_one_row_classification_is_refused():
    X, y = make_data(ReLUMLPClassifier)
    with pytest.raises(ValueError, match="class"):
        new(ReLUMLPClassifier).fit(X[:1], y[:1])
    model = new(ReLUMLPClassifier).partial_fit(X, y, classes=[0, 1, 2])
    model.partial_fit(X[:1], y[:1])
    assert model.n_iter_ == 1 and np.isfinite(model.predict_proba(X)).all()


def test_unfitted_model_refuses_to_predict(small):
    cls, X, _ = small
    model = new(cls)
    with pytest.raises(NotFittedError):
        model.predict(X)
    if cls is ReLUMLPClassifier:
        with pytest.raises(NotFittedError):
            model.predict_proba(X)


# Threads and stopping


def test_fits_in_threads_match_sequential_fits(small):
    cls, X, y = small
    model = new(cls, max_epochs=5)
    expected = outputs(clone(model).fit(X, y), X)
    results, errors = [None, None], []

    def fit(i):
        try:
            results[i] = outputs(clone(model).fit(X, y), X)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=fit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for result in results:
        np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_n_iter_no_change_inf_runs_max_epochs(small, early_stopping):
    cls, X, y = small
    params = {"max_epochs": 4, "tol": 1e9, "early_stopping": early_stopping}
    params["learning_rate"] = "constant"  # "adaptive" lowers the rate instead
    model = new(cls, n_iter_no_change=np.inf, **params).fit(X, y)
    assert model.n_iter_ == 4 and len(model.loss_curve_) == 4
    assert new(cls, n_iter_no_change=1, **params).fit(X, y).n_iter_ < 4


@pytest.mark.parametrize("value", [0, -1, 1.5, np.nan, -np.inf, "10"])
def test_bad_n_iter_no_change_is_refused(small, value):
    cls, X, y = small
    with pytest.raises(InvalidParameterError, match="'n_iter_no_change' parameter"):
        new(cls, n_iter_no_change=value).fit(X, y)
