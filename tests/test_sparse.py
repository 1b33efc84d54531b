"""Sparse inputs: trained on mini-batches densified one at a time."""

import numpy as np
import pytest
from scipy import sparse

from sknn import _base

from .conftest import same_state


@pytest.fixture
def case(case):
    """The shared estimator cases, with mostly-zero inputs."""
    cls, X, y = case
    X = X.copy()
    X[np.abs(X) < 0.8] = 0
    return cls, X, y


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_and_dense_train_the_same_model(case, fmt):
    cls, X, y = case
    dense = cls(max_epochs=20, batch_size=16, random_state=0).fit(X, y)
    X_sparse = sparse.csr_matrix(X).asformat(fmt)
    model = cls(max_epochs=20, batch_size=16, random_state=0).fit(X_sparse, y)
    assert same_state(dense.module_.state_dict(), model.module_.state_dict())
    np.testing.assert_array_equal(model.predict(X_sparse), dense.predict(X))
    np.testing.assert_array_equal(model.predict(X), dense.predict(X_sparse))


def test_sparse_with_a_dev_set(case):
    cls, X, y = case
    dense = cls(early_stopping=True, max_epochs=20, random_state=0).fit(X, y)
    model = cls(early_stopping=True, max_epochs=20, random_state=0).fit(
        sparse.csr_array(X), y
    )
    assert model.validation_scores_ == pytest.approx(dense.validation_scores_)


def test_fit_never_densifies_the_whole_matrix(case, monkeypatch):
    cls, X, y = case
    X_sparse = sparse.csr_matrix(X)

    def refuse(self, *args, **kwargs):
        raise AssertionError("the matrix was densified")

    for kind in (sparse.csr_matrix, sparse.csr_array, sparse.csc_matrix):
        monkeypatch.setattr(kind, "toarray", refuse)
        monkeypatch.setattr(kind, "todense", refuse)
    cls(max_epochs=3, early_stopping=True, random_state=0).fit(X_sparse, y)


def test_predict_densifies_bounded_chunks(case, monkeypatch):
    cls, X, y = case
    model = cls(max_epochs=3, random_state=0).fit(X, y)
    expected = model.predict(X)
    monkeypatch.setattr(_base, "PREDICT_DENSE_VALUES", 64 * X.shape[1])  # 64 rows
    sizes = []
    original = sparse.csr_matrix.toarray

    def record(self, *args, **kwargs):
        sizes.append(self.shape[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sparse.csr_matrix, "toarray", record)
    # to float32 rounding: a matrix product of fewer rows may round a row apart
    # (torch's CPU kernels block rows by count)
    np.testing.assert_allclose(model.predict(sparse.csr_matrix(X)), expected, rtol=1e-6)
    assert max(sizes) == 64 and sum(sizes) == len(X)
