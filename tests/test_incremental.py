"""Training that continues: warm_start and partial_fit."""

import numpy as np
import pytest
import torch

from sknn import ReLUMLPClassifier, ReLUMLPRegressor, SigmoidRegressor

from .conftest import same_state


def first_partial_fit(model, X, y):
    classes = {"classes": np.unique(y)} if hasattr(model, "predict_proba") else {}
    return model.partial_fit(X, y, **classes)


def test_warm_start_continues_from_the_fitted_weights(case):
    cls, X, y = case
    model = cls(max_epochs=5, n_iter_no_change=50, random_state=0).fit(X, y)
    first = list(model.loss_curve_)
    model.set_params(warm_start=True).fit(X, y)
    # as scikit-learn's MLP: n_iter_ counts this fit's epochs, loss_curve_ them all
    assert model.n_iter_ == 5 and len(model.loss_curve_) == 10
    assert model.loss_curve_[:5] == first and model.t_ == 10 * len(X)
    assert model.loss_curve_[5] < first[0]  # did not start over
    cold = cls(max_epochs=5, n_iter_no_change=50, random_state=0).fit(X, y)
    assert cold.n_iter_ == 5 and cold.loss_curve_ == first
    model.set_params(warm_start=False).fit(X, y)
    assert model.n_iter_ == 5 and model.loss_curve_ == first and model.t_ == 5 * len(X)


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
    # alpha divides by the batch size, as scikit-learn's: keep the penalty of 16
    # rows as light as the default's at the default batch size
    model = cls(batch_size=16, alpha=0.01, random_state=0)
    first_partial_fit(model, X[:50], y[:50])
    optimizer = model.net_.optimizer_
    for _ in range(30):
        for start in range(0, len(X), 50):
            model.partial_fit(X[start : start + 50], y[start : start + 50])
    assert model.net_.optimizer_ is optimizer
    assert optimizer.state  # momentum carried across calls
    assert model.n_iter_ == 1  # epochs of the last call, as scikit-learn's MLP
    assert len(model.loss_curve_) == 1 + 30 * 3 and model.t_ == 50 + 30 * len(X)
    assert model.score(X, y) > 0.8


def test_partial_fit_after_fit_continues(case):
    cls, X, y = case
    model = cls(max_epochs=3, n_iter_no_change=50, random_state=0).fit(X, y)
    weights = {k: v.clone() for k, v in model.module_.state_dict().items()}
    model.partial_fit(X, y)
    assert model.n_iter_ == 1 and len(model.loss_curve_) == 4
    assert not same_state(weights, model.module_.state_dict())


def test_partial_fit_refuses_early_stopping_and_keeps_the_fitted_scores(case):
    cls, X, y = case
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        first_partial_fit(cls(early_stopping=True, random_state=0), X, y)
    model = cls(early_stopping=True, max_epochs=5, random_state=0).fit(X, y)
    scores, best = list(model.validation_scores_), model.best_validation_score_
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        model.partial_fit(X, y)
    assert model.validation_scores_ == scores and model.best_validation_score_ == best
    # without the dev set, partial_fit continues; epochs without one score NaN
    model.set_params(early_stopping=False).partial_fit(X, y)
    assert len(model.validation_scores_) == 6 and np.isnan(model.validation_scores_[-1])
    assert model.best_validation_score_ == best


def test_warm_start_with_a_dev_set_continues_its_scores(case):
    cls, X, y = case
    model = cls(early_stopping=True, warm_start=True, max_epochs=4, random_state=0)
    model.set_params(n_iter_no_change=50).fit(X, y)
    model.set_params(max_epochs=6).fit(X, y)
    assert model.n_iter_ == 6 and len(model.validation_scores_) == 10
    assert model.best_validation_score_ == max(model.validation_scores_)


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
    assert len(model.loss_curve_) == 2
    model.partial_fit(X, y, classes=[2, 0, 1])  # the same classes, in any order
    with pytest.raises(ValueError, match="is not the same as on last call"):
        model.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="is not the same as on last call"):
        model.partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
    assert len(model.loss_curve_) == 3 and model.classes_.tolist() == [0, 1, 2]


def test_a_constant_first_target_does_not_fix_the_regressors_scale():
    # scikit-learn's test_mlp_loading_from_joblib_partial_fit: fitted on y = 4,
    # then streamed y = 1, the model learns the new target
    # scikit-learn's defaults there: momentum 0.9, no penalty, which would keep the
    # fit off the single point, and a constant rate ("adaptive" would have lowered
    # it to 1e-6 by the end of the first fit, which fits its single point at once)
    model = SigmoidRegressor(
        n_sigmoids=42,
        alpha=0.0,
        learning_rate="constant",
        lr=0.03,
        momentum=0.9,
        random_state=42,
    ).fit([[2]], [4])
    assert model.predict([[2]])[0] == 4.0
    for _ in range(200):
        model.partial_fit([[2]], [1])
    np.testing.assert_allclose(model.predict([[2]]), [1], rtol=1e-4)


@pytest.mark.parametrize("cls", [SigmoidRegressor, ReLUMLPRegressor])
def test_warm_start_after_a_constant_target_learns_the_new_one(cls, regression_data):
    X, y = regression_data
    model = cls(warm_start=True, random_state=0).fit(X, np.full(len(X), 3.0))
    np.testing.assert_array_equal(model.predict(X), 3.0)
    cold = cls(random_state=0).fit(X, y)
    assert model.fit(X, y).score(X, y) > cold.score(X, y) - 0.05


@pytest.mark.parametrize("cls", [SigmoidRegressor, ReLUMLPRegressor])
def test_a_column_constant_in_the_first_chunk_learns_later(cls, regression_data):
    X, y = regression_data
    first = np.column_stack([y[:40], np.full(40, 5.0)])
    model = cls(random_state=0).partial_fit(X[:40], first)
    assert model._y_scale[1] == 0
    before = model.predict(X[:40])
    model.partial_fit(X[:40], first)
    np.testing.assert_array_equal(model.predict(X[:40])[:, 1], 5.0)
    both = np.column_stack([y, 2 * y])
    for _ in range(100):
        model.partial_fit(X, both)
    assert model._y_scale[1] > 0
    assert model.score(X, both) > 0.9
    # when the column gets a scale, the model continues from its predictions
    fresh = cls(random_state=0).partial_fit(X[:40], first)
    np.testing.assert_array_equal(fresh.predict(X[:40]), before)
    fresh.set_params(lr=1e-12).partial_fit(X, both)
    np.testing.assert_allclose(fresh.predict(X[:40]), before, atol=1e-3)


def test_partial_fit_applies_parameters_set_between_calls(case):
    cls, X, y = case
    constant = {"learning_rate": "constant"}  # the rate is lr itself
    model = first_partial_fit(cls(batch_size=40, random_state=0, **constant), X, y)
    assert model.net_.history[-1, "train_batch_count"] == -(-len(X) // 40)
    params = list(model.module_.parameters())
    momentum = [model.net_.optimizer_.state[p]["momentum_buffer"] for p in params]
    model.set_params(batch_size=100, alpha=0.5, lr=0.002, momentum=0.5, shuffle=False)
    model.partial_fit(X, y)
    assert model.net_.history[-1, "train_batch_count"] == -(-len(X) // 100)
    groups = model.net_.optimizer_.param_groups
    assert model.net_.alpha == 0.5
    assert {g["lr"] for g in groups} == {0.002} and {g["momentum"] for g in groups} == {0.5}
    assert model.net_.shuffle is False
    # the momentum learned so far is carried on, not started afresh
    kept = [model.net_.optimizer_.state[p]["momentum_buffer"] for p in params]
    assert all(a is b for a, b in zip(momentum, kept, strict=True))


def test_the_learning_rate_a_schedule_reached_carries_across_partial_fit(case):
    cls, X, y = case
    model = first_partial_fit(cls(learning_rate="invscaling", lr=0.1, random_state=0), X, y)
    for _ in range(2):
        model.partial_fit(X, y)
    assert model.t_ == 3 * len(X)
    expected = 0.1 / (3 * len(X) + 1) ** 0.5  # scikit-learn's rate for the next epoch
    assert model.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(expected)


def test_the_network_shape_cannot_change_when_training_continues(case):
    cls, X, y = case
    shape = "n_sigmoids" if cls is SigmoidRegressor else "hidden_layer_sizes"
    model = first_partial_fit(cls(random_state=0), X, y)
    before = model.predict(X)
    model.set_params(**{shape: 7})
    with pytest.raises(ValueError, match=rf"{shape}=\(?7"):
        model.partial_fit(X, y)
    with pytest.raises(ValueError, match=rf"{shape}=\(?7"):
        model.set_params(warm_start=True).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), before)
    assert len(model.loss_curve_) == 1


def test_partial_fit_keeps_the_momentum_of_a_torch_sgd(case):
    # a model saved before sknn had its own SGD holds a torch.optim.SGD: partial_fit
    # goes on with it and its momentum
    cls, X, y = case
    model = first_partial_fit(cls(random_state=0), X, y)
    twin = first_partial_fit(cls(random_state=0), X, y)
    ours = model.net_.optimizer_
    theirs = torch.optim.SGD(model.module_.parameters(), lr=ours.defaults["lr"])
    theirs.param_groups[0].update(
        {key: value for key, value in ours.param_groups[0].items() if key != "params"}
    )
    theirs.load_state_dict(ours.state_dict())
    model.net_.optimizer_ = theirs
    model.partial_fit(X, y)
    twin.partial_fit(X, y)
    assert model.net_.optimizer_ is theirs
    np.testing.assert_array_equal(model.predict(X), twin.predict(X))
