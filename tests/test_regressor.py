import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import SigmoidRegressor
from sknn._modules import SumOfSigmoids


def test_learns_a_smooth_curve_on_its_own_scale():
    rng = np.random.RandomState(0)
    x = rng.uniform(-3, 3, size=(400, 1))
    y = 1000 + 300 * np.sin(2 * x[:, 0])  # far from zero mean and unit variance
    # a noiseless curve: no penalty (the default alpha is for noisy data)
    regressor = SigmoidRegressor(alpha=0.0, batch_size=32, max_epochs=500, random_state=0)
    model = make_pipeline(StandardScaler(), regressor)
    model.fit(x, y)
    grid = np.linspace(-2.5, 2.5, 50)[:, None]
    assert model.score(grid, 1000 + 300 * np.sin(2 * grid[:, 0])) > 0.95


@pytest.mark.parametrize("activation", ["sigmoid", "hard_sigmoid", "relu"])
def test_every_activation_fits(activation, regression_data):
    X, y = regression_data
    model = SigmoidRegressor(activation=activation, max_epochs=100, random_state=0)
    assert model.fit(X, y).score(X, y) > 0.9
    assert type(model.module_.activation).__name__.lower() == activation.replace("_", "")


def test_module_has_n_sigmoids(regression_data, fast):
    X, y = regression_data
    model = SigmoidRegressor(n_sigmoids=7, **fast).fit(X, y)
    assert isinstance(model.module_, SumOfSigmoids)
    assert model.module_.hidden.weight.shape == (7, X.shape[1])
    assert model.module_.output.weight.shape == (1, 7)


def test_1d_target_gives_1d_predictions(regression_data, fast):
    X, y = regression_data
    model = SigmoidRegressor(**fast).fit(X, y)
    assert model.predict(X).shape == (len(X),)
    assert model.predict(X).dtype == np.float64
    assert model.n_outputs_ == 1


def test_2d_target_gives_multi_output_predictions(regression_data):
    X, y = regression_data
    Y = np.column_stack([y, -2 * y + 500, np.full_like(y, 3.0)])
    model = SigmoidRegressor(max_epochs=100, random_state=0).fit(X, Y)
    pred = model.predict(X)
    assert pred.shape == Y.shape and model.n_outputs_ == 3
    assert model.score(X, Y) > 0.9  # R^2 averaged over the outputs
    np.testing.assert_array_equal(pred[:, 2], 3.0)  # a constant column is predicted as is
    column = SigmoidRegressor(max_epochs=5, random_state=0).fit(X, y[:, None])
    assert column.predict(X).shape == (len(X), 1)


def test_loss_curve_is_the_standardized_mse(regression_data):
    X, y = regression_data
    model = SigmoidRegressor(
        alpha=0.0, max_epochs=30, n_iter_no_change=30, random_state=0
    ).fit(X, y)  # without a penalty, the loss is the standardized error alone
    assert len(model.loss_curve_) == model.n_iter_ == 30
    assert model.loss_curve_[0] > model.loss_curve_[-1]
    assert model.loss_curve_[0] < 3  # not in units of y squared
    # the last epoch's loss is close to 1 - R^2 on the training data
    assert abs(model.loss_curve_[-1] - (1 - model.score(X, y))) < 0.05


def test_integer_targets_are_treated_as_numbers(fast):
    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.arange(20)
    pred_int = SigmoidRegressor(**fast).fit(X, y).predict(X)
    pred_float = SigmoidRegressor(**fast).fit(X, y.astype(float)).predict(X)
    np.testing.assert_array_equal(pred_int, pred_float)


@pytest.mark.parametrize("activation", ["sigmoid", "hard_sigmoid", "relu"])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_lecture_notation_rebuilds_the_predictions(regression_data, activation, n_outputs):
    """y = b + c^T act(b_vec + W x), on the target's own scale, term by term."""
    from scipy.special import expit

    X, y = regression_data
    y = y + 300 if n_outputs == 1 else np.column_stack([y + 300, 2 * y])
    model = SigmoidRegressor(n_sigmoids=7, activation=activation, max_epochs=5)
    model.fit(X, y)
    act = {
        "sigmoid": expit,
        "hard_sigmoid": lambda z: np.clip(z / 6 + 0.5, 0, 1),
        "relu": lambda z: np.maximum(z, 0),
    }[activation]
    W, b_vec, c, b = model.weights_, model.biases_, model.heights_, model.constant_
    assert W.shape == (7, X.shape[1]) and b_vec.shape == (7,)
    assert c.shape == ((7,) if n_outputs == 1 else (7, 2))
    by_hand = b + act(X @ W.T + b_vec) @ c
    np.testing.assert_allclose(by_hand, model.predict(X), rtol=1e-5, atol=1e-3)
    parts = model.sigmoid_contributions(X)
    assert parts.shape == ((len(X), 7) if n_outputs == 1 else (len(X), 7, 2))
    np.testing.assert_allclose(
        b + parts.sum(axis=1), model.predict(X), rtol=1e-5, atol=1e-3
    )


def test_lecture_notation_needs_a_fitted_model():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        _ = SigmoidRegressor().weights_
    with pytest.raises(NotFittedError):
        SigmoidRegressor().sigmoid_contributions(np.zeros((2, 3)))


def test_a_finite_but_diverged_fit_warns(regression_data, recwarn):
    # with 300 sigmoids, lr=0.06 is too large: the output's step adds up over
    # the sigmoids, and the loss ends far above that of predicting the mean
    X, y = regression_data
    with pytest.warns(RuntimeWarning, match="Training diverged: .* lr=0.06"):
        model = SigmoidRegressor(n_sigmoids=300, random_state=0).fit(X, y)
    assert np.isfinite(model.loss_curve_[-1]) and model.loss_curve_[-1] > 10
    # also where the weights' penalty grew far larger than the error, and with
    # large sample weights (which scale the penalty down)
    with pytest.warns(RuntimeWarning, match="Training diverged"):
        SigmoidRegressor(n_sigmoids=300, random_state=0).fit(X[40:], y[40:])
    with pytest.warns(RuntimeWarning, match="Training diverged"):
        SigmoidRegressor(n_sigmoids=300, random_state=0).fit(
            X, y, sample_weight=np.full(120, 100.0)
        )
    recwarn.clear()
    SigmoidRegressor(n_sigmoids=300, lr=0.003, random_state=0).fit(X, y)
    # the penalty of 2000 sigmoids makes the loss large, not the error: no warning
    wide = SigmoidRegressor(
        n_sigmoids=2000, lr=5e-4, learning_rate="constant", max_epochs=20, random_state=0
    )
    assert wide.fit(X, y).loss_curve_[-1] > 10 and wide.score(X, y) > 0.9
    # nor a strong penalty, which the batches add at the weights before each step
    # (over batches of 64 and 56 rows)
    for held in [
        SigmoidRegressor(alpha=1e4, lr=1e-9, momentum=0.0, max_epochs=1, random_state=0),
        SigmoidRegressor(alpha=100, max_epochs=1, random_state=0),
    ]:
        assert held.fit(X, y).loss_curve_[-1] > 20
    # nor weights that scale the penalty: small weights do not raise the error
    SigmoidRegressor(max_epochs=5, random_state=0).fit(
        X, y, sample_weight=np.full(120, 1e-3)
    )
    # partial_fit's chunks are scaled by the first one's target: not judged
    streamed = SigmoidRegressor(n_sigmoids=300, random_state=0)
    for _ in range(20):
        streamed.partial_fit(X, y)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
