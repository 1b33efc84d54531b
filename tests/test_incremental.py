"""Training that continues: warm_start and partial_fit."""

import numpy as np
import pytest

from sknn import ReLUMLPClassifier, SigmoidRegressor

from .conftest import same_state


def first_partial_fit(model, X, y):
    classes = {"classes": np.unique(y)} if hasattr(model, "predict_proba") else {}
    return model.partial_fit(X, y, **classes)


def test_warm_start_continues_from_the_fitted_weights(case):
    cls, X, y = case
    model = cls(max_epochs=5, n_iter_no_change=50, random_state=0).fit(X, y)
    first = list(model.loss_curve_)
    model.set_params(warm_start=True).fit(X, y)
    assert model.n_iter_ == 10 and model.loss_curve_[:5] == first
    assert model.loss_curve_[5] < first[0]  # did not start over
    cold = cls(max_epochs=5, n_iter_no_change=50, random_state=0).fit(X, y)
    assert cold.n_iter_ == 5 and cold.loss_curve_ == first
    model.set_params(warm_start=False).fit(X, y)
    assert model.n_iter_ == 5 and model.loss_curve_ == first


def test_warm_start_refuses_other_data_shapes(case):
    cls, X, y = case
    model = cls(max_epochs=2, warm_start=True, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.fit(X[:, :-1], y)
    if cls is ReLUMLPClassifier:
        with pytest.raises(ValueError, match="same classes"):
            model.fit(X, np.where(y == 2, 1, y))
    else:
        with pytest.raises(ValueError, match="outputs"):
            model.fit(X, np.column_stack([y, y]))
    assert model.n_iter_ == 2  # the failed calls changed nothing


def test_warm_start_keeps_the_regressors_target_scale(regression_data):
    X, y = regression_data
    model = SigmoidRegressor(max_epochs=2, warm_start=True, random_state=0).fit(X, y)
    mean, scale = model._y_mean.copy(), model._y_scale.copy()
    model.fit(X, y + 1000)
    np.testing.assert_array_equal(model._y_mean, mean)
    np.testing.assert_array_equal(model._y_scale, scale)


def test_partial_fit_is_one_epoch_of_fit(case):
    cls, X, y = case
    streamed = first_partial_fit(cls(random_state=0), X, y)
    assert streamed.n_iter_ == 1 and len(streamed.loss_curve_) == 1
    once = cls(max_epochs=1, random_state=0).fit(X, y)
    assert same_state(streamed.module_.state_dict(), once.module_.state_dict())


def test_partial_fit_over_chunks_learns_and_keeps_the_optimizer(case):
    cls, X, y = case
    model = cls(batch_size=16, random_state=0)
    first_partial_fit(model, X[:50], y[:50])
    optimizer = model.net_.optimizer_
    for _ in range(30):
        for start in range(0, len(X), 50):
            model.partial_fit(X[start : start + 50], y[start : start + 50])
    assert model.net_.optimizer_ is optimizer
    assert optimizer.state  # momentum carried across calls
    assert model.n_iter_ == 1 + 30 * 3
    assert model.score(X, y) > 0.8


def test_partial_fit_after_fit_continues(case):
    cls, X, y = case
    model = cls(max_epochs=3, n_iter_no_change=50, random_state=0).fit(X, y)
    weights = {k: v.clone() for k, v in model.module_.state_dict().items()}
    model.partial_fit(X, y)
    assert model.n_iter_ == 4
    assert not same_state(weights, model.module_.state_dict())


def test_partial_fit_ignores_early_stopping(case):
    cls, X, y = case
    model = first_partial_fit(cls(early_stopping=True, random_state=0), X, y)
    assert model.n_iter_ == 1 and model.validation_scores_ is None
    model.set_params(warm_start=True).fit(X, y)
    assert np.isnan(model.validation_scores_[0])
    assert np.isfinite(model.validation_scores_[1:]).all()
    assert len(model.validation_scores_) == model.n_iter_


def test_partial_fit_checks_features(case):
    cls, X, y = case
    model = first_partial_fit(cls(random_state=0), X, y)
    with pytest.raises(ValueError, match=f"is expecting {X.shape[1]} features"):
        model.partial_fit(X[:, :-1], y)


def test_classifier_partial_fit_needs_classes_first_and_stays_within_them(
    classification_data,
):
    X, y = classification_data
    with pytest.raises(ValueError, match="classes must be passed"):
        ReLUMLPClassifier().partial_fit(X, y)
    model = ReLUMLPClassifier(random_state=0).partial_fit(
        X[y < 2], y[y < 2], classes=[0, 1, 2]
    )
    assert model.classes_.tolist() == [0, 1, 2]
    assert model.predict_proba(X).shape == (len(X), 3)
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        model.partial_fit(X, np.where(y == 2, 7, y))
    model.partial_fit(X, y)  # a later chunk may hold any of the classes
    assert model.n_iter_ == 2
