"""sknn.onnx: skl2onnx converts sknn estimators, alone and in pipelines, and
onnxruntime predicts what sknn predicts."""

import numpy as np
import pytest
import torch
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_iris, make_multilabel_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sknn import ReLUMLPClassifier, ReLUMLPRegressor, SigmoidRegressor

pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")

from skl2onnx import to_onnx  # noqa: E402

import sknn.onnx  # noqa: E402, F401 - registers the converters


def run(model, X, **options):
    """The ONNX graph of ``model`` run by onnxruntime on ``X``: its outputs."""
    onx = to_onnx(model, X[:1].astype(np.float32), **options)
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X.astype(np.float32)})


def with_a_category(X):
    """``X`` with a last column of 4 categories, one-hot encoded in the pipeline."""
    return np.c_[X, np.arange(len(X)) % 4]


def preprocessing(X):
    numeric = list(range(X.shape[1] - 1))
    return ColumnTransformer(
        [
            ("numeric", StandardScaler(), numeric),
            ("category", OneHotEncoder(), [X.shape[1] - 1]),
        ]
    )


REGRESSORS = {
    "sigmoid": lambda: SigmoidRegressor(activation="sigmoid"),
    "hard_sigmoid": lambda: SigmoidRegressor(activation="hard_sigmoid"),
    "relu": lambda: SigmoidRegressor(activation="relu"),
    "deep ReLU": lambda: ReLUMLPRegressor(hidden_layer_sizes=(16, 8)),
}


@pytest.mark.parametrize("regressor", REGRESSORS)
@pytest.mark.parametrize("outputs", [1, 2])
def test_regression_pipelines(regressor, outputs):
    X, y = load_diabetes(return_X_y=True)
    X = with_a_category(X)
    Y = y if outputs == 1 else np.c_[y, y / 100 + X[:, 2]]
    estimator = REGRESSORS[regressor]().set_params(max_epochs=30, random_state=0)
    model = make_pipeline(preprocessing(X), estimator).fit(X, Y)
    (predicted,) = run(model, X)
    assert predicted.shape == (len(X), outputs)
    expected = model.predict(X).reshape(len(X), outputs)  # on the target's scale
    for column in range(outputs):  # each to 1e-5 of its own scale
        scale = np.abs(expected[:, column]).max()
        np.testing.assert_allclose(
            predicted[:, column], expected[:, column], atol=1e-5 * scale
        )


@pytest.mark.parametrize("labels", ["binary integers", "strings"])
def test_classification_pipelines(labels):
    X, y = load_iris(return_X_y=True)
    X = with_a_category(X)
    y = (
        (y > 0).astype(int) * 7
        if labels == "binary integers"
        else np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    )
    model = make_pipeline(
        preprocessing(X), ReLUMLPClassifier((16, 8), max_epochs=30, random_state=0)
    ).fit(X, y)
    label, proba = run(model, X, options={"zipmap": False})
    np.testing.assert_array_equal(label, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)
    # skl2onnx's nocl option: the labels are the indices of classes_
    index, _ = run(model, X, options={"zipmap": False, "nocl": True})
    np.testing.assert_array_equal(model[-1].classes_[index], model.predict(X))
    # skl2onnx's default: the probabilities as one {label: probability} per row
    _, rows = run(model, X)
    classes = model[-1].classes_
    assert [list(row) for row in rows[:1]] == [list(classes)]
    np.testing.assert_allclose(
        [[row[c] for c in classes] for row in rows], model.predict_proba(X), atol=1e-5
    )


def test_multilabel_classifier():
    X, Y = make_multilabel_classification(300, 8, n_classes=4, random_state=0)
    model = ReLUMLPClassifier(max_epochs=40, random_state=0).fit(X, Y)
    label, proba = run(model, X.astype(float), options={"zipmap": False})
    np.testing.assert_array_equal(label, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)
    # an output a hair above 0: its label is on, in sknn and in the graph alike
    with torch.no_grad():
        model.module_.layers[-1].bias[:] = torch.tensor([1e-9, 1e-8, -1e-9, 0.0])
        model.module_.layers[-1].weight.zero_()
    label, _ = run(model, X[:3].astype(float), options={"zipmap": False})
    np.testing.assert_array_equal(model.predict(X[:3]), [[1, 1, 0, 0]] * 3)
    np.testing.assert_array_equal(label, model.predict(X[:3]))
