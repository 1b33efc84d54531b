"""Bigger than one machine: data larger than memory streamed through
``partial_fit`` by dask-ml's ``Incremental``. (A search on a Dask cluster is in
``test_model_selection.py``.)"""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

from sknn import ReLUMLPClassifier

da = pytest.importorskip("dask.array")
wrappers = pytest.importorskip("dask_ml.wrappers")


def test_data_larger_than_memory_streams_through_partial_fit(monkeypatch):
    chunks = []  # the first value of each chunk partial_fit was given
    partial_fit = ReLUMLPClassifier.partial_fit

    def recorded(model, X, y, **kwargs):
        chunks.append(float(X[0, 0]))
        return partial_fit(model, X, y, **kwargs)

    monkeypatch.setattr(ReLUMLPClassifier, "partial_fit", recorded)
    X, y = make_classification(12_000, 20, n_informative=10, n_classes=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    X_train, y_train = (
        da.from_array(X[:10_000], chunks=1_000),
        da.from_array(y[:10_000], chunks=1_000),
    )
    model = wrappers.Incremental(
        ReLUMLPClassifier((32,), lr=0.05, batch_size=100, random_state=0),
        shuffle_blocks=True,
        random_state=np.random.RandomState(0),  # a new order of chunks each pass
    )
    for _ in range(3):  # three passes over the stream, each chunk an epoch of its own
        model.partial_fit(X_train, y_train, classes=[0, 1, 2])
    fitted = model.estimator_
    assert fitted.t_ == 30_000  # every row of every pass, as scikit-learn counts
    assert len(fitted.loss_curve_) == 30  # one epoch per chunk and pass
    assert model.score(da.from_array(X[10_000:]), da.from_array(y[10_000:])) > 0.8
    np.testing.assert_array_equal(fitted.classes_, [0, 1, 2])
    passes = [chunks[k : k + 10] for k in range(0, 30, 10)]
    assert all(sorted(p) == sorted(passes[0]) for p in passes)  # every chunk, once
    assert len({tuple(p) for p in passes}) == 3  # in a new order each pass
