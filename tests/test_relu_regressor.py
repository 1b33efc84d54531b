"""ReLUMLPRegressor: the deep ReLU network for regression (what the shared tests of
conftest's ``case`` do not say about it)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.preprocessing import StandardScaler

from sknn import ReLUMLPRegressor
from sknn._modules import ReLUMLP


@pytest.fixture
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_no_hidden_layer_is_linear_regression(diabetes):
    X, y = diabetes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # full-batch gradient descent to the least-squares solution
        model = ReLUMLPRegressor(
            (),
            alpha=0.0,
            lr=0.1,
            batch_size=len(X),
            max_epochs=2000,
            n_iter_no_change=np.inf,
            random_state=0,
        ).fit(X, y)
    linear = LinearRegression().fit(X, y)
    assert model.score(X, y) == pytest.approx(linear.score(X, y), abs=1e-4)
    np.testing.assert_allclose(model.predict(X), linear.predict(X), atol=1.0)


def test_layers_and_outputs_on_the_targets_scale(diabetes):
    X, y = diabetes
    Y = np.c_[y, 1000 + 10 * y]
    model = ReLUMLPRegressor((16, 8), max_epochs=50, random_state=0).fit(X, Y)
    assert isinstance(model.module_, ReLUMLP)
    widths = [layer.weight.shape for layer in model.module_.layers[::2]]
    assert widths == [(16, 10), (8, 16), (2, 8)]
    assert model.n_outputs_ == 2 and model.predict(X).shape == (len(X), 2)
    # each column on its own scale: the second about 10 times the first, plus 1000
    predicted = model.predict(X)
    assert np.corrcoef(predicted[:, 0], predicted[:, 1])[0, 1] > 0.95
    assert 1500 < predicted[:, 1].mean() < 3500
    assert model.score(X, Y) > 0.4


def test_hidden_layer_sizes_are_checked(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="positive integers"):
        ReLUMLPRegressor((8, 0)).fit(X, y)
    model = ReLUMLPRegressor(8, max_epochs=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="cannot change"):
        model.set_params(warm_start=True, hidden_layer_sizes=(16,)).fit(X, y)


def test_coefs_and_intercepts_are_scikit_learns(diabetes):
    """coefs_ and intercepts_ give the network as scikit-learn's MLPRegressor
    does, on the target's scale: its forward pass is predict."""
    from sklearn.neural_network import MLPRegressor

    X, y = diabetes
    Y = np.c_[y, 3 * y + 100]
    model = ReLUMLPRegressor((16, 8), max_epochs=20, random_state=0).fit(X, Y)
    theirs = MLPRegressor(hidden_layer_sizes=(16, 8), max_iter=5, random_state=0)
    theirs.fit(X, Y)
    shapes = [
        (c.shape, i.shape) for c, i in zip(model.coefs_, model.intercepts_, strict=True)
    ]
    assert shapes == [
        (c.shape, i.shape) for c, i in zip(theirs.coefs_, theirs.intercepts_, strict=True)
    ]
    assert model.n_layers_ == theirs.n_layers_ == 4
    hidden = X
    for coef, intercept in zip(model.coefs_[:-1], model.intercepts_[:-1], strict=True):
        hidden = np.maximum(hidden @ coef + intercept, 0)
    outputs = hidden @ model.coefs_[-1] + model.intercepts_[-1]
    np.testing.assert_allclose(outputs, model.predict(X), rtol=1e-4, atol=1e-3)
