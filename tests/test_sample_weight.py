"""sample_weight in fit and partial_fit: a weighted loss in which a row of weight 0
counts as absent and a row of weight k as k copies of it."""

import numpy as np
import pytest
import sklearn.utils.estimator_checks as estimator_checks
from scipy import sparse
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._testing import assert_allclose_dense_sparse

from sknn import ReLUMLPClassifier, ReLUMLPRegressor, SigmoidRegressor


@pytest.fixture
def weights(case):
    _, X, _ = case
    rng = np.random.default_rng(0)
    sw = rng.integers(0, 4, size=len(X)).astype(float)
    return sw


@pytest.mark.parametrize("to_sparse", [False, True], ids=["dense", "sparse"])
def test_zero_weight_rows_are_as_if_absent(case, weights, to_sparse):
    """Bit for bit: the same weights, batches and target scaling as without them."""
    cls, X, y = case
    kept = weights > 0
    X_fit = sparse.csr_matrix(X) if to_sparse else X
    weighted = cls(max_epochs=5, batch_size=16, random_state=0)
    weighted.fit(X_fit, y, sample_weight=weights)
    subset = cls(max_epochs=5, batch_size=16, random_state=0)
    subset.fit(X_fit[kept], y[kept], sample_weight=weights[kept])
    np.testing.assert_array_equal(weighted.predict(X), subset.predict(X))
    assert weighted.loss_curve_ == subset.loss_curve_


@pytest.mark.parametrize("to_sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("cls", [SigmoidRegressor, ReLUMLPRegressor, ReLUMLPClassifier])
def test_integer_weights_equal_repeated_rows(cls, to_sparse, monkeypatch):
    """scikit-learn's own check, at float32 precision.

    ``check_sample_weight_equivalence_on_*_data`` fits once with integer weights and
    once on rows repeated that many times, in full batches, and compares the
    predictions at rtol=1e-7: a float64 tolerance. Here both fits sum the same
    float32 numbers in another order, so they agree to about 1e-6; the check runs
    unchanged with rtol=1e-5.
    """

    def float32_allclose(actual, desired, **kwargs):
        assert_allclose_dense_sparse(actual, desired, rtol=1e-5, atol=1e-8, **kwargs)

    monkeypatch.setattr(estimator_checks, "assert_allclose_dense_sparse", float32_allclose)
    check = (
        estimator_checks.check_sample_weight_equivalence_on_sparse_data
        if to_sparse
        else estimator_checks.check_sample_weight_equivalence_on_dense_data
    )
    # 50 epochs in both fits: rounding could move the epoch on which the stopping
    # rule ends one of them, and over hundreds of epochs at the classifier's
    # default penalty the two fits' rounding differences grow from 1e-8 to 1e-5
    check(cls.__name__, cls(max_epochs=50, n_iter_no_change=np.inf))


def test_weights_pull_the_fit_towards_heavy_rows(regression_data):
    """Rows weighted 100 are fitted better than when all rows weigh the same."""
    X, y = regression_data
    y = y + 200 * (X[:, 0] > 0)  # a jump that the heavy rows (X0 > 0.5) must fit
    heavy = X[:, 0] > 0.5
    sw = np.where(heavy, 100.0, 1.0)
    plain = SigmoidRegressor(n_sigmoids=5, random_state=0).fit(X, y)
    weighted = SigmoidRegressor(n_sigmoids=5, random_state=0)
    weighted.fit(X, y, sample_weight=sw)
    error = lambda model: np.mean((model.predict(X[heavy]) - y[heavy]) ** 2)  # noqa: E731
    assert error(weighted) < 0.5 * error(plain)


def test_weighted_dev_score(case, weights):
    """With early_stopping the dev rows of weight 0 are left out of the dev score."""
    cls, X, y = case
    model = cls(early_stopping=True, max_epochs=3, random_state=0)
    model.fit(X, y, sample_weight=weights)
    subset = cls(early_stopping=True, max_epochs=3, random_state=0)
    kept = weights > 0
    subset.fit(X[kept], y[kept], sample_weight=weights[kept])
    assert model.validation_scores_ == subset.validation_scores_


def test_partial_fit_with_weights(case, weights):
    cls, X, y = case
    extra = {"classes": np.unique(y)} if cls is ReLUMLPClassifier else {}
    kept = weights > 0
    chunked = cls(random_state=0)
    absent = cls(random_state=0)
    for rows in (slice(0, 60), slice(60, None)):
        chunked.partial_fit(X[rows], y[rows], sample_weight=weights[rows], **extra)
        keep = kept[rows]
        absent.partial_fit(
            X[rows][keep], y[rows][keep], sample_weight=weights[rows][keep], **extra
        )
    assert len(chunked.loss_curve_) == 2
    np.testing.assert_array_equal(chunked.predict(X), absent.predict(X))


def test_pipeline_routes_sample_weight(case, weights):
    cls, X, y = case
    pipe = make_pipeline(StandardScaler(), cls(max_epochs=3, random_state=0))
    step = pipe.steps[-1][0]
    pipe.fit(X, y, **{f"{step}__sample_weight": weights})
    alone = cls(max_epochs=3, random_state=0)
    alone.fit(StandardScaler().fit_transform(X), y, sample_weight=weights)
    np.testing.assert_array_equal(
        pipe[-1].predict(pipe[0].transform(X)),
        alone.predict(StandardScaler().fit_transform(X)),
    )


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda n: -np.ones(n), "Negative values in data passed to `sample_weight`"),
        (lambda n: np.ones(n - 1), r"sample_weight.shape == \(\d+,\), expected"),
        (lambda n: np.full(n, np.nan), "NaN"),
        (lambda n: np.zeros(n), "non-zero|weight 0"),
    ],
    ids=["negative", "length", "nan", "all-zero"],
)
def test_bad_weights_are_refused_and_lose_nothing(case, bad, message):
    cls, X, y = case
    model = cls(max_epochs=2, random_state=0).fit(X, y)
    before = model.predict(X)
    with pytest.raises(ValueError, match=message):
        model.fit(X, y, sample_weight=bad(len(X)))
    np.testing.assert_array_equal(model.predict(X), before)


@pytest.mark.parametrize("cls", [SigmoidRegressor, ReLUMLPRegressor])
def test_unit_weights_train_as_no_weights_with_a_penalty(cls, regression_data):
    X, y = regression_data
    plain = cls(alpha=0.3, max_epochs=20, random_state=0).fit(X, y)
    weighted = cls(alpha=0.3, max_epochs=20, random_state=0)
    weighted.fit(X, y, sample_weight=np.ones(len(y)))
    assert weighted.loss_curve_ == plain.loss_curve_
    np.testing.assert_array_equal(weighted.predict(X), plain.predict(X))
