import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import LossCurveDisplay, ReLUMLPClassifier, SigmoidRegressor

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_from_estimator_draws_the_loss_of_every_epoch(regression_data):
    X, y = regression_data
    model = SigmoidRegressor(max_epochs=7, random_state=0).fit(X, y)
    display = LossCurveDisplay.from_estimator(model)
    np.testing.assert_array_equal(display.loss_line_.get_xdata(), np.arange(1, 8))
    np.testing.assert_allclose(display.loss_line_.get_ydata(), model.loss_curve_)
    assert display.score_ax_ is None and display.score_line_ is None
    assert display.ax_.get_title() == "SigmoidRegressor"
    assert display.figure_ is display.ax_.figure


def test_dev_scores_and_the_best_epoch(classification_data):
    X, y = classification_data
    pipe = make_pipeline(
        StandardScaler(),
        ReLUMLPClassifier(early_stopping=True, n_iter_no_change=3, random_state=0),
    ).fit(X, y)
    model = pipe[-1]
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(pipe, ax=ax, name="deep")
    assert display.ax_ is ax and ax.get_title() == "deep"
    np.testing.assert_allclose(display.score_line_.get_ydata(), model.validation_scores_)
    best = int(np.argmax(model.validation_scores_)) + 1
    marker = [line for line in ax.lines if line.get_linestyle() == ":"]
    assert marker[0].get_xdata()[0] == best


def test_needs_a_fitted_estimator():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(SigmoidRegressor())


def test_an_estimator_without_a_loss_curve_is_named_as_the_cause():
    """A fitted model that keeps no loss per epoch is not called unfitted."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="LogisticRegression has no loss_curve_"):
        LossCurveDisplay.from_estimator(LogisticRegression(max_iter=500).fit(X, y))


def test_plot_from_numbers():
    display = LossCurveDisplay(
        loss_curve=[3.0, 2.0, 1.5], validation_scores=[0.1, 0.5, 0.4]
    )
    display.plot()
    assert display.score_ax_.get_ylabel() == "dev score"
