import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs

from sknn import ReLUMLPClassifier
from sknn._modules import ReLUMLP


@pytest.fixture
def blobs():
    X, y = make_blobs(n_samples=120, centers=3, cluster_std=0.8, random_state=0)
    return X, y


@pytest.mark.parametrize(
    "labels",
    [
        np.array([5, 7, 9]),
        np.array(["cat", "dog", "emu"]),
        np.array(["cat", "dog", "emu"], dtype=object),
        np.array([-1.0, 0.0, 2.0]),
    ],
)
def test_predict_speaks_the_users_labels(blobs, labels):
    X, y = blobs
    y_named = labels[y]
    model = ReLUMLPClassifier(random_state=0).fit(X, y_named)
    np.testing.assert_array_equal(model.classes_, np.sort(labels))
    pred = model.predict(X)
    assert set(pred) <= set(labels)
    assert (pred == y_named).mean() > 0.95


def test_binary_labels(blobs):
    X, y = blobs
    keep = y < 2
    y_binary = np.where(y[keep] == 0, 5, 7)
    model = ReLUMLPClassifier(random_state=0).fit(X[keep], y_binary)
    assert model.classes_.tolist() == [5, 7]
    proba = model.predict_proba(X[keep])
    assert proba.shape == (keep.sum(), 2)
    assert model.score(X[keep], y_binary) > 0.95


def test_predict_proba_rows_sum_to_one_and_match_predict(blobs):
    X, y = blobs
    model = ReLUMLPClassifier(max_epochs=20, random_state=0).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_array_equal(model.classes_[proba.argmax(axis=1)], model.predict(X))
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X)), proba, rtol=1e-10)


@pytest.mark.parametrize(
    "sizes, widths", [((100,), [100]), ((16, 8, 4), [16, 8, 4]), (5, [5])]
)
def test_hidden_layer_sizes_shape_the_network(blobs, sizes, widths):
    X, y = blobs
    model = ReLUMLPClassifier(hidden_layer_sizes=sizes, max_epochs=2, random_state=0)
    model.fit(X, y)
    assert isinstance(model.module_, ReLUMLP)
    linears = [m for m in model.module_.layers if type(m).__name__ == "Linear"]
    assert [m.out_features for m in linears] == [*widths, 3]


@pytest.mark.parametrize("sizes", [(0,), (10, -1), ("a",), (2.5,)])
def test_bad_hidden_layer_sizes(blobs, sizes):
    X, y = blobs
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        ReLUMLPClassifier(hidden_layer_sizes=sizes).fit(X, y)


def test_one_class_is_refused(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="only one class"):
        ReLUMLPClassifier().fit(X, np.zeros(len(X)))


def test_continuous_targets_are_refused(blobs):
    """Floats that are not whole numbers are a regression target, as scikit-learn says."""
    X, _ = blobs
    with pytest.raises(ValueError, match="Unknown label type"):
        ReLUMLPClassifier().fit(X, np.linspace(0, 1, len(X)))


def test_loss_curve_is_the_cross_entropy(blobs):
    X, y = blobs
    model = ReLUMLPClassifier(max_epochs=40, n_iter_no_change=40, random_state=0).fit(X, y)
    assert len(model.loss_curve_) == model.n_iter_ == 40
    assert model.loss_curve_[0] > model.loss_curve_[-1]
    assert model.loss_curve_[0] < 2 * np.log(3)  # starts near chance


@pytest.fixture
def multilabel():
    from sklearn.datasets import make_multilabel_classification
    from sklearn.preprocessing import StandardScaler

    X, Y = make_multilabel_classification(
        n_samples=200, n_features=8, n_classes=4, random_state=0
    )
    return StandardScaler().fit_transform(X), Y


def test_multilabel_predicts_indicator_rows(multilabel):
    X, Y = multilabel
    model = ReLUMLPClassifier(random_state=0).fit(X, Y)
    pred = model.predict(X)
    assert pred.shape == Y.shape and pred.dtype == Y.dtype
    assert set(np.unique(pred)) <= {0, 1}
    assert model.classes_.tolist() == [0, 1, 2, 3]
    proba = model.predict_proba(X)
    assert proba.shape == Y.shape and ((proba >= 0) & (proba <= 1)).all()
    assert not np.allclose(proba.sum(axis=1), 1.0)  # labels are independent
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(Y.dtype))
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X)), proba, rtol=1e-10)
    assert type(model.net_.criterion_) is torch.nn.BCEWithLogitsLoss
    assert model.score(X, Y) > 0.5  # subset accuracy: all 4 labels of a row right
    assert (pred == Y).mean() > 0.8  # per-label accuracy


def test_multilabel_early_stopping_scores_subset_accuracy(multilabel):
    X, Y = multilabel
    model = ReLUMLPClassifier(early_stopping=True, max_epochs=50, random_state=0).fit(X, Y)
    assert 0 <= model.best_validation_score_ <= 1
    assert len(model.validation_scores_) == model.n_iter_


def test_multilabel_partial_fit_takes_its_labels_from_y(multilabel):
    X, Y = multilabel
    model = ReLUMLPClassifier(random_state=0).partial_fit(X, Y)
    model.partial_fit(X, Y)
    assert len(model.loss_curve_) == 2 and model.predict(X).shape == Y.shape
    with pytest.raises(ValueError, match="label columns"):
        model.partial_fit(X, Y[:, :3])
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        model.partial_fit(X, Y[:, 0])


def test_multiclass_multioutput_is_refused(multilabel):
    X, Y = multilabel
    for not_zeros_and_ones in (Y * 2, Y + Y[:, ::-1]):
        with pytest.raises(ValueError, match="indicator"):
            ReLUMLPClassifier().fit(X, not_zeros_and_ones)


def test_class_weight_dict_by_label_tilts_predictions(blobs):
    X, y = blobs
    labels = np.array(["ant", "bee", "cat"])[y]
    plain = ReLUMLPClassifier(max_epochs=20, random_state=0).fit(X, labels)
    heavy = ReLUMLPClassifier(class_weight={"cat": 50.0}, max_epochs=20, random_state=0)
    heavy.fit(X, labels)
    assert heavy.class_weight_.tolist() == [1.0, 1.0, 50.0]  # labels left out weigh 1
    assert plain.class_weight_.tolist() == [1.0, 1.0, 1.0]
    assert (heavy.predict(X) == "cat").sum() >= (plain.predict(X) == "cat").sum()


def test_class_weight_balanced(blobs):
    from sklearn.utils.class_weight import compute_class_weight

    X, y = blobs
    keep = np.r_[np.flatnonzero(y == 0)[:10], np.flatnonzero(y > 0)]
    model = ReLUMLPClassifier(class_weight="balanced", max_epochs=5, random_state=0)
    model.fit(X[keep], y[keep])
    expected = compute_class_weight("balanced", classes=np.arange(3), y=y[keep])
    np.testing.assert_allclose(model.class_weight_, expected, rtol=1e-12)
    assert expected[0] > 1 > expected[1]


def test_class_weight_equals_the_same_sample_weight(blobs):
    """A class weight is a sample weight on each row of the class; with both, they
    multiply, and 'balanced' counts rows by their sample weight."""
    X, y = blobs
    rng = np.random.default_rng(0)
    sw = rng.integers(1, 4, size=len(y)).astype(float)
    by_class = ReLUMLPClassifier(
        class_weight={0: 3.0, 2: 0.5}, max_epochs=5, random_state=0
    )
    by_class.fit(X, y, sample_weight=sw)
    by_row = ReLUMLPClassifier(max_epochs=5, random_state=0)
    by_row.fit(X, y, sample_weight=sw * np.array([3.0, 1.0, 0.5])[y])
    np.testing.assert_array_equal(by_class.predict_proba(X), by_row.predict_proba(X))

    balanced = ReLUMLPClassifier(class_weight="balanced", max_epochs=1).fit(X, y, sw)
    counts = np.bincount(y, weights=sw)
    np.testing.assert_allclose(balanced.class_weight_, sw.sum() / (3 * counts))


def test_class_weight_limits(blobs, multilabel):
    X, y = blobs
    with pytest.raises(ValueError, match="balanced"):
        ReLUMLPClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])
    model = ReLUMLPClassifier(class_weight={0: 2.0}, random_state=0)
    model.partial_fit(X, y, classes=[0, 1, 2])
    assert model.class_weight_.tolist() == [2.0, 1.0, 1.0]
    X_multi, Y = multilabel
    with pytest.raises(ValueError, match="multilabel"):
        ReLUMLPClassifier(class_weight={0: 2.0}).fit(X_multi, Y)
    with pytest.raises(ValueError, match="'class_weight' parameter"):
        ReLUMLPClassifier(class_weight="even").fit(X, y)
    with pytest.raises(ValueError, match="non-negative"):
        ReLUMLPClassifier(class_weight={0: -1.0}).fit(X, y)
    with pytest.raises(ValueError, match="weight 0"):
        ReLUMLPClassifier(class_weight={0: 0.0, 1: 0.0, 2: 0.0}).fit(X, y)


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_coefs_and_intercepts_are_scikit_learns(blobs, multilabel, task):
    """coefs_, intercepts_, n_layers_, n_outputs_ and out_activation_ are
    MLPClassifier's: the same shapes and meaning, and their forward pass through
    out_activation_ is predict_proba (for two classes, one logistic output)."""
    import warnings

    from scipy.special import expit, softmax
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = multilabel if task == "multilabel" else blobs
    if task == "binary":
        y = np.where(y == 0, "a", "b")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ReLUMLPClassifier((16, 8), max_epochs=20, random_state=0).fit(X, y)
        theirs = MLPClassifier((16, 8), max_iter=5, random_state=0).fit(X, y)
    for name in ["coefs_", "intercepts_"]:
        ours = [array.shape for array in getattr(model, name)]
        assert ours == [array.shape for array in getattr(theirs, name)]
        assert all(array.dtype == np.float64 for array in getattr(model, name))
    assert model.n_layers_ == theirs.n_layers_ == 4
    assert (
        model.n_outputs_ == theirs.n_outputs_ == {"binary": 1, "multilabel": 4}.get(task, 3)
    )
    assert model.out_activation_ == theirs.out_activation_
    hidden = X
    for coef, intercept in zip(model.coefs_[:-1], model.intercepts_[:-1], strict=True):
        hidden = np.maximum(hidden @ coef + intercept, 0)
    outputs = hidden @ model.coefs_[-1] + model.intercepts_[-1]
    if model.out_activation_ == "softmax":
        proba = softmax(outputs, axis=1)
    elif task == "binary":
        proba = np.c_[1 - expit(outputs), expit(outputs)]
    else:
        proba = expit(outputs)
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-5)


def test_fitted_weights_need_a_fitted_model():
    from sklearn.exceptions import NotFittedError

    for name in ["coefs_", "intercepts_", "n_layers_", "n_outputs_", "out_activation_"]:
        assert not hasattr(ReLUMLPClassifier(), name)
        with pytest.raises(NotFittedError):
            getattr(ReLUMLPClassifier(), name)
