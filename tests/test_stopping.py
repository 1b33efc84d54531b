"""The lecture's train / dev loop: a held-out dev set, early stopping, and the
stopping rule on the training loss."""

import math
import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from sknn import ReLUMLPClassifier

from .conftest import same_state


def sklearn_stopping_epoch(values, tol, n_iter_no_change, higher_is_better=False):
    """The epoch at which scikit-learn's MLP rule (``_update_no_improvement_count``)
    stops on these per-epoch losses (or dev scores), or None."""
    sign = -1.0 if higher_is_better else 1.0
    best, count = np.inf, 0
    for epoch, value in enumerate(values, start=1):
        value = sign * value
        count = count + 1 if value > best - tol else 0
        best = min(best, value)
        if count > n_iter_no_change:
            return epoch
    return None


@pytest.mark.parametrize("n_iter_no_change", [1, 3, 10])
def test_without_a_dev_set_training_stops_by_sklearns_rule(case, n_iter_no_change):
    cls, X, y = case
    model = cls(
        learning_rate="constant",
        max_epochs=1000,
        tol=1e-2,
        n_iter_no_change=n_iter_no_change,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ < 1000
    assert len(model.loss_curve_) == model.n_iter_
    assert model.best_loss_ == min(model.loss_curve_)
    assert model.validation_scores_ is None and model.best_validation_score_ is None
    assert (
        sklearn_stopping_epoch(model.loss_curve_, 1e-2, n_iter_no_change) == model.n_iter_
    )
    assert model._no_improvement_count == n_iter_no_change + 1


@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_tolerance_no_epoch_can_meet_stops_when_sklearns_mlp_does(early_stopping):
    # scikit-learn's MLPClassifier(solver="sgd", tol=1e9, n_iter_no_change=10) runs
    # 12 epochs: the first sets the reference, then 11 without progress
    X, y = load_iris(return_X_y=True)
    kwargs = {"tol": 1e9, "n_iter_no_change": 10, "early_stopping": early_stopping}
    theirs = MLPClassifier(solver="sgd", random_state=0, **kwargs).fit(X, y)
    ours = ReLUMLPClassifier(random_state=0, **kwargs).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 12
    assert ours._no_improvement_count == theirs._no_improvement_count == 11
    if early_stopping:
        assert len(ours.validation_scores_) == len(theirs.validation_scores_) == 12


def test_with_a_dev_set_training_stops_by_sklearns_rule(case):
    cls, X, y = case
    model = cls(
        learning_rate="constant",
        early_stopping=True,
        tol=1e-3,
        n_iter_no_change=4,
        max_epochs=1000,
        random_state=0,
    ).fit(X, y)
    stop = sklearn_stopping_epoch(model.validation_scores_, 1e-3, 4, higher_is_better=True)
    assert stop == model.n_iter_ < 1000


def test_n_iter_no_change_inf_never_stops_early(case):
    cls, X, y = case
    with pytest.warns(ConvergenceWarning):
        model = cls(
            learning_rate="constant",
            tol=1e9,
            n_iter_no_change=np.inf,
            max_epochs=15,
            random_state=0,
        ).fit(X, y)
    assert model.n_iter_ == 15 and model._no_improvement_count == 14


def test_warm_start_continues_sklearns_count(case):
    cls, X, y = case
    model = cls(
        learning_rate="constant",
        tol=1e9,
        n_iter_no_change=3,
        warm_start=True,
        random_state=0,
    ).fit(X, y)
    assert model.n_iter_ == 5
    # the count carries over, as in scikit-learn: one more epoch without progress
    model.fit(X, y)
    assert model.n_iter_ == 1 and len(model.loss_curve_) == 6


def test_max_epochs_before_convergence_warns(case):
    cls, X, y = case
    for schedule in ("constant", "invscaling", "adaptive"):
        with pytest.warns(ConvergenceWarning, match="max_epochs=3"):
            cls(max_epochs=3, learning_rate=schedule, random_state=0).fit(X, y)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_cosine_schedule_that_runs_its_course_does_not_warn(case, early_stopping):
    # from 16 epochs on, its last rate is under 1% of lr: the end it planned
    cls, X, y = case
    settings = {"learning_rate": "cosine", "early_stopping": early_stopping}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = cls(max_epochs=16, n_iter_no_change=50, random_state=0, **settings)
        model.fit(X, y)
    assert model.n_iter_ == 16
    # a shorter curve ends at lr / 4 (3 epochs): it warns, as does Adam, which
    # keeps its rate with every schedule
    for short in ({"max_epochs": 3}, {"max_epochs": 16, "optimizer": "adam"}):
        with pytest.warns(ConvergenceWarning, match=f"max_epochs={short['max_epochs']}"):
            cls(n_iter_no_change=50, random_state=0, **settings, **short).fit(X, y)


def test_converged_fit_does_not_warn(case, recwarn):
    cls, X, y = case
    model = cls(max_epochs=1000, tol=1e-2, n_iter_no_change=3, random_state=0).fit(X, y)
    assert model.n_iter_ < 1000  # stopped by the rule
    assert not [w for w in recwarn if issubclass(w.category, ConvergenceWarning)]


def test_early_stopping_scores_a_dev_set_every_epoch(case):
    cls, X, y = case
    model = cls(early_stopping=True, max_epochs=300, random_state=0).fit(X, y)
    assert len(model.validation_scores_) == len(model.loss_curve_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.best_loss_ is None
    assert model.n_iter_ < 300  # stopped by the dev score
    history = model.net_.history
    assert history[:, "valid_score"] == model.validation_scores_
    assert np.isfinite(history[:, "valid_loss"]).all()


def test_early_stopping_restores_the_best_weights(case):
    cls, X, y = case
    constant = {"learning_rate": "constant"}  # the rerun's rate must be the same
    model = cls(
        early_stopping=True, n_iter_no_change=5, max_epochs=300, random_state=0, **constant
    )
    model.fit(X, y)
    best_epoch = int(np.argmax(model.validation_scores_)) + 1
    assert best_epoch < model.n_iter_  # the last epochs were worse
    rerun = cls(
        early_stopping=True,
        max_epochs=best_epoch,
        n_iter_no_change=300,
        random_state=0,
        **constant,
    )
    rerun.fit(X, y)
    assert same_state(rerun.module_.state_dict(), model.module_.state_dict())


def test_the_dev_set_is_held_out_stratified_and_seeded():
    X, y = load_digits(return_X_y=True)
    model = ReLUMLPClassifier(
        early_stopping=True, validation_fraction=0.2, max_epochs=2, random_state=0
    )
    model.fit(X, y)
    assert dict(model.net_.callbacks_)["dev_score"].X is None  # not kept after training
    # the dev set: 20% of the rows, split with the estimator's seed, stratified
    _, X_dev, _, y_dev = train_test_split(
        X, y, test_size=0.2, random_state=model._seeds()[2], stratify=y
    )
    assert len(y_dev) == math.ceil(0.2 * len(y))
    assert (np.bincount(y_dev) >= 35).all()
    dev_accuracy = np.mean(model.predict(X_dev) == y_dev)
    assert model.validation_scores_[-1] == pytest.approx(dev_accuracy)


def test_validation_fraction_is_validated(case):
    cls, X, y = case
    with pytest.raises(ValueError, match="'validation_fraction' parameter"):
        cls(early_stopping=True, validation_fraction=1.0).fit(X, y)
    with pytest.raises(ValueError, match="'n_iter_no_change' parameter"):
        cls(n_iter_no_change=0).fit(X, y)
    with pytest.raises(ValueError, match="'tol' parameter"):
        cls(tol=-1.0).fit(X, y)


def test_early_stopping_keeps_the_global_random_state(case):
    cls, X, y = case
    before = torch.random.get_rng_state(), np.random.get_state()[1].copy()
    cls(early_stopping=True, max_epochs=3, random_state=0).fit(X, y)
    assert torch.equal(before[0], torch.random.get_rng_state())
    np.testing.assert_array_equal(before[1], np.random.get_state()[1])


def test_early_stopped_models_pickle_without_their_dev_set(case):
    cls, X, y = case
    model = cls(early_stopping=True, n_iter_no_change=3, random_state=0).fit(X, y)
    saved = pickle.dumps(model)
    restored = pickle.loads(saved)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    assert restored.validation_scores_ == model.validation_scores_
    # no row of the data (the dev set's among them) is in the saved model
    rows = np.asarray(X, dtype=np.float32)
    assert not any(row.tobytes() in saved for row in rows)


def test_a_warm_start_that_never_beats_the_best_dev_score_keeps_its_weights(case):
    cls, X, y = case
    model = cls(early_stopping=True, warm_start=True, n_iter_no_change=3, random_state=0)
    model.fit(X, y)
    before, best = model.predict(X), model.best_validation_score_
    model.set_params(lr=50.0, max_epochs=3).fit(X, y)  # too large a rate to improve
    assert max(model.validation_scores_[-3:]) < best == model.best_validation_score_
    np.testing.assert_array_equal(model.predict(X), before)


def test_dev_scores_are_computed_in_float64():
    """An accuracy is a count over the dev rows, reported exactly as scikit-learn's
    accuracy_score would (not 0.9944444298744202 for 179 of 180)."""
    X, y = load_digits(return_X_y=True)
    model = ReLUMLPClassifier(early_stopping=True, max_epochs=5, random_state=0)
    model.fit(X, y)
    n_dev = math.ceil(0.1 * len(X))
    for score in model.validation_scores_:
        assert score == round(score * n_dev) / n_dev
    assert model.best_validation_score_ == max(model.validation_scores_)


def test_the_convergence_warning_says_what_the_last_epochs_did(case):
    cls, X, y = case
    with pytest.warns(ConvergenceWarning) as record:
        model = cls(max_epochs=5, learning_rate="constant", random_state=0).fit(X, y)
    first, last = model.loss_curve_[0], model.loss_curve_[-1]
    assert (
        f"Over the last 4 epochs the training loss went from {first:.4g} to {last:.4g}"
        in str(record[0].message)
    )
    with pytest.warns(ConvergenceWarning, match="The adaptive rate is still lr=0.01"):
        cls(max_epochs=5, lr=0.01, learning_rate="adaptive", random_state=0).fit(X, y)
    # every epoch fails a tolerance of 1e9: the rate is divided by 5 after the 3rd
    lowered = "the last 1 epoch .* The adaptive rate went from lr=0.01 to 0.002"
    with pytest.warns(ConvergenceWarning, match=lowered):
        cls(
            max_epochs=3,
            tol=1e9,
            n_iter_no_change=1,
            lr=0.01,
            learning_rate="adaptive",
            random_state=0,
        ).fit(X, y)
    with pytest.warns(ConvergenceWarning) as record:
        model = cls(
            early_stopping=True,
            learning_rate="constant",
            max_epochs=5,
            n_iter_no_change=50,
            random_state=0,
        ).fit(X, y)
    scores = model.validation_scores_
    assert (
        f"the dev score went from {scores[0]:.4g} to {scores[-1]:.4g} "
        f"(best {model.best_validation_score_:.4g})" in str(record[0].message)
    )
