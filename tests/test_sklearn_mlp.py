"""scikit-learn's own MLP tests (``sklearn/neural_network/tests/test_mlp.py``), ported.

sknn is held to the assertions scikit-learn makes of ``MLPClassifier`` and
``MLPRegressor`` wherever sknn has the behaviour, with the same numbers. Names are
translated: ``MLPClassifier`` is :class:`~sknn.ReLUMLPClassifier`;
``MLPRegressor(hidden_layer_sizes=(k, ...))`` is ``SigmoidRegressor(n_sigmoids=k)``
with scikit-learn's default ``activation="relu"``; ``solver`` is ``optimizer``,
``learning_rate_init`` is ``lr``, ``max_iter`` is ``max_epochs``, and a
``SigmoidRegressor``'s ``coefs_`` are the weights in ``module_.state_dict()``
(the ReLU networks have ``coefs_``). Where a scikit-learn test relies on its defaults
(``solver="adam"``, ``learning_rate_init=0.001``), they are passed explicitly. Where it
uses ``solver="lbfgs"`` only as a means to a fitted model, sknn's default optimizer
(``"sgd"``) fits it instead, with the rest of the test unchanged. sknn's weights are
float32: a tolerance is widened only where a test compares float64 numbers, and says
so.

Ported:

* test_alpha
* test_learning_rate_warmstart
* test_multilabel_classification (its ``partial_fit`` and ``early_stopping`` parts)
* test_partial_fit_classes_error
* test_partial_fit_classification
* test_partial_fit_unseen_classes
* test_partial_fit_regression
* test_partial_fit_errors (its first part)
* test_predict_proba_binary
* test_predict_proba_multiclass
* test_predict_proba_multilabel
* test_shuffle
* test_sparse_matrices
* test_tolerance
* test_verbose_sgd
* test_early_stopping
* test_adaptive_learning_rate
* test_warm_start
* test_warm_start_full_iteration
* test_n_iter_no_change
* test_n_iter_no_change_inf
* test_early_stopping_stratified
* test_mlp_early_stopping_string_labels
* test_mlp_loading_from_joblib_partial_fit
* test_preserve_feature_names
* test_mlp_warm_start_with_early_stopping
* test_mlp_warm_start_no_convergence (``solver`` "sgd" and "adam")
* test_mlp_partial_fit_after_fit
* test_mlp_diverging_loss (with ReLUs and ``lr=10``: sknn has no identity units,
  with which scikit-learn's fit diverges at ``lr=1``)
* test_mlp_sample_weight_with_early_stopping
* test_minimum_input_sample_size

Not ported:

* test_fit: it sets ``coefs_``, ``intercepts_`` and the optimizer's internals by hand
  and checks a worked example of logistic hidden units with a single logistic output;
  sknn's classifier has ReLU hidden units and a softmax output per class.
* test_gradient: a numerical gradient check of lbfgs's loss function (sknn checks its
  gradients in ``test_backprop.py``).
* test_lbfgs_classification, test_lbfgs_regression, test_lbfgs_classification_maxfun,
  test_lbfgs_regression_maxfun: lbfgs and its ``max_fun``; sknn has no lbfgs.
* test_multilabel_classification, its first part: it checks lbfgs's fit.
* test_partial_fit_errors, its second part: lbfgs has no ``partial_fit``.
* test_nonfinite_params: scikit-learn raises on non-finite weights after training;
  sknn keeps the last finite weights and warns, and its float32 inputs cannot hold
  the float64 maximum the test feeds it.
* test_mlp_classifier_dtypes_casting, test_mlp_regressor_dtypes_casting,
  test_mlp_param_dtypes: float64 weights and dtype preservation; sknn's weights are
  float32 whatever the input's dtype.
* test_mlp_warm_start_no_convergence with ``solver="lbfgs"``: no lbfgs.
* test_multioutput_regression: its ``max_iter=200`` and ``tol=1e-2`` are lbfgs's, whose
  tol bounds the relative change of the loss; the stochastic rule reads tol as the
  least improvement of the loss per epoch, so the numbers do not carry over.
* test_mlp_vs_poisson_glm_equivalent: the Poisson loss, identity activation, lbfgs.
"""

import re
import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import (
    load_digits,
    load_iris,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import MinMaxScaler, scale
from sklearn.utils._testing import assert_allclose, assert_almost_equal, assert_array_equal
from sklearn.utils.fixes import CSR_CONTAINERS

from sknn import ReLUMLPClassifier, SigmoidRegressor

X_digits, y_digits = load_digits(n_class=3, return_X_y=True)

X_digits_multi = MinMaxScaler().fit_transform(X_digits[:200])
y_digits_multi = y_digits[:200]

X_digits, y_digits = load_digits(n_class=2, return_X_y=True)

X_digits_binary = MinMaxScaler().fit_transform(X_digits[:200])
y_digits_binary = y_digits[:200]

classification_datasets = [
    (X_digits_multi, y_digits_multi),
    (X_digits_binary, y_digits_binary),
]

X_reg, y_reg = make_regression(
    n_samples=200, n_features=10, bias=20.0, noise=100.0, random_state=7
)
y_reg = scale(y_reg)

iris = load_iris()

X_iris = iris.data
y_iris = iris.target

ESTIMATORS = [ReLUMLPClassifier, SigmoidRegressor]


def mlp(estimator, hidden_layer_sizes=(100,), **params):
    """``MLPClassifier`` or ``MLPRegressor(hidden_layer_sizes, **params)`` in sknn's
    terms: the regressor has one hidden layer (the first), of scikit-learn's default
    ReLU units."""
    if estimator is ReLUMLPClassifier:
        return ReLUMLPClassifier(hidden_layer_sizes=hidden_layer_sizes, **params)
    sizes = np.atleast_1d(hidden_layer_sizes)
    params.setdefault("activation", "relu")
    # scikit-learn's tests assume its defaults where sknn's were chosen on real
    # data: a near-zero penalty (0 here; scikit-learn's 1e-4 is on the target's
    # scale), a constant rate, batches of 200 and 200 epochs
    for name, value in SKLEARN_DEFAULTS.items():
        params.setdefault(name, value)
    return SigmoidRegressor(n_sigmoids=int(sizes[0]), **params)


SKLEARN_DEFAULTS = {
    "alpha": 0.0,
    "learning_rate": "constant",
    "batch_size": 200,
    "max_epochs": 200,
}


def first_layer_weights(model):
    """``coefs_[0]``: the weights of the first layer."""
    if hasattr(model, "coefs_"):
        return model.coefs_[0]
    return next(iter(model.module_.state_dict().values())).numpy()


def test_alpha():
    """scikit-learn's test_alpha: a larger alpha gives weights closer to zero."""
    X = X_digits_binary[:100]
    y = y_digits_binary[:100]

    alpha_vectors = []
    alpha_values = np.arange(2)

    def absolute_sum(x):
        return np.sum(np.abs(x))

    for alpha in alpha_values:
        clf = ReLUMLPClassifier(
            hidden_layer_sizes=10, alpha=alpha, random_state=1, optimizer="adam", lr=0.001
        )
        clf.fit(X, y)
        state = clf.module_.state_dict()
        alpha_vectors.append(
            np.array(
                [
                    absolute_sum(state["layers.0.weight"].numpy()),
                    absolute_sum(state["layers.2.weight"].numpy()),
                ]
            )
        )

    for i in range(len(alpha_values) - 1):
        assert (alpha_vectors[i] > alpha_vectors[i + 1]).all()


def test_learning_rate_warmstart():
    """scikit-learn's test_learning_rate_warmstart: warm_start reuses past solutions."""
    X = [[3, 2], [1, 6], [5, 6], [-2, -4]]
    y = [1, 1, 1, 0]
    for learning_rate in ["invscaling", "constant"]:
        clf = ReLUMLPClassifier(
            optimizer="sgd",
            hidden_layer_sizes=4,
            learning_rate=learning_rate,
            max_epochs=1,
            power_t=0.25,
            warm_start=True,
            lr=0.001,
        )
        clf.fit(X, y)
        prev_eta = clf.net_.optimizer_.param_groups[0]["lr"]
        clf.fit(X, y)
        post_eta = clf.net_.optimizer_.param_groups[0]["lr"]

        if learning_rate == "constant":
            assert prev_eta == post_eta
        elif learning_rate == "invscaling":
            assert clf.lr / pow(8 + 1, clf.power_t) == post_eta


def test_multilabel_classification():
    """scikit-learn's test_multilabel_classification, but for its lbfgs part:
    multilabel classification with partial_fit, and with early stopping."""
    X, y = make_multilabel_classification(
        n_samples=50, random_state=0, return_indicator=True
    )
    # test partial fit method
    clf = ReLUMLPClassifier(
        optimizer="sgd",
        hidden_layer_sizes=50,
        max_epochs=150,
        random_state=0,
        alpha=1e-5,
        lr=0.2,
    )
    for _ in range(100):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3, 4])
    assert clf.score(X, y) > 0.9

    # Make sure early stopping still work now that splitting is stratified by
    # default (it is disabled for multilabel classification)
    clf = ReLUMLPClassifier(early_stopping=True, optimizer="adam", lr=0.001)
    clf.fit(X, y).predict(X)


def test_partial_fit_classes_error():
    """scikit-learn's test_partial_fit_classes_error: passing other classes to
    partial_fit raises an error."""
    X = [[3, 2]]
    y = [0]
    clf = ReLUMLPClassifier(optimizer="sgd", lr=0.001)
    clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError):
        clf.partial_fit(X, y, classes=[1, 2])


def test_partial_fit_classification():
    """scikit-learn's test_partial_fit_classification: partial_fit gives the same
    results as fit for binary and multi-class classification."""
    for X, y in classification_datasets:
        clf = ReLUMLPClassifier(
            optimizer="sgd",
            max_epochs=100,
            random_state=1,
            tol=0,
            alpha=1e-5,
            lr=0.2,
        )
        clf.fit(X, y)
        pred1 = clf.predict(X)
        clf = ReLUMLPClassifier(optimizer="sgd", random_state=1, alpha=1e-5, lr=0.2)
        for _ in range(100):
            clf.partial_fit(X, y, classes=np.unique(y))
        pred2 = clf.predict(X)
        assert_array_equal(pred1, pred2)
        assert clf.score(X, y) > 0.95


def test_partial_fit_unseen_classes():
    """scikit-learn's test_partial_fit_unseen_classes (bug 6994): labels in partial_fit."""
    clf = ReLUMLPClassifier(random_state=0, optimizer="adam", lr=0.001)
    clf.partial_fit([[1], [2], [3]], ["a", "b", "c"], classes=["a", "b", "c", "d"])
    clf.partial_fit([[4]], ["d"])
    assert clf.score([[1], [2], [3], [4]], ["a", "b", "c", "d"]) > 0


def test_partial_fit_regression():
    """scikit-learn's test_partial_fit_regression: partial_fit gives the same results
    as fit for regression."""
    X = X_reg
    y = y_reg

    for momentum in [0, 0.9]:
        reg = mlp(
            SigmoidRegressor,
            optimizer="sgd",
            max_epochs=100,
            random_state=1,
            lr=0.01,
            batch_size=X.shape[0],
            momentum=momentum,
        )
        reg.fit(X, y)
        pred1 = reg.predict(X)
        reg = mlp(
            SigmoidRegressor,
            optimizer="sgd",
            lr=0.01,
            random_state=1,
            batch_size=X.shape[0],
            momentum=momentum,
        )
        for _ in range(100):
            reg.partial_fit(X, y)

        pred2 = reg.predict(X)
        # Both sum each epoch's batch in a shuffled order, which differs between fit
        # and partial_fit (as in scikit-learn); float32 weights round those sums
        # differently by about 1e-7 where scikit-learn's float64 ones differ by about
        # 1e-16, so scikit-learn's float64 rtol=1e-7 becomes a float32 tolerance.
        assert_allclose(pred1, pred2, rtol=1e-5, atol=1e-5)
        score = reg.score(X, y)
        assert score > 0.65


def test_partial_fit_errors():
    """scikit-learn's test_partial_fit_errors, but for lbfgs: labels outside
    ``classes`` are refused."""
    X = [[3, 2], [1, 6]]
    y = [1, 0]

    # no classes passed
    with pytest.raises(ValueError):
        ReLUMLPClassifier(optimizer="sgd", lr=0.001).partial_fit(X, y, classes=[2])


def test_predict_proba_binary():
    """scikit-learn's test_predict_proba_binary: predict_proba for two classes."""
    X = X_digits_binary[:50]
    y = y_digits_binary[:50]

    clf = ReLUMLPClassifier(
        hidden_layer_sizes=5, random_state=1, optimizer="adam", lr=0.001
    )
    clf.fit(X, y)
    y_proba = clf.predict_proba(X)
    y_log_proba = clf.predict_log_proba(X)

    (n_samples, n_classes) = y.shape[0], 2

    proba_max = y_proba.argmax(axis=1)
    proba_log_max = y_log_proba.argmax(axis=1)

    assert y_proba.shape == (n_samples, n_classes)
    assert_array_equal(proba_max, proba_log_max)
    assert_allclose(y_log_proba, np.log(y_proba))

    assert roc_auc_score(y, y_proba[:, 1]) == 1.0


def test_predict_proba_multiclass():
    """scikit-learn's test_predict_proba_multiclass: predict_proba for many classes."""
    X = X_digits_multi[:10]
    y = y_digits_multi[:10]

    clf = ReLUMLPClassifier(hidden_layer_sizes=5, optimizer="adam", lr=0.001)
    clf.fit(X, y)
    y_proba = clf.predict_proba(X)
    y_log_proba = clf.predict_log_proba(X)

    (n_samples, n_classes) = y.shape[0], np.unique(y).size

    proba_max = y_proba.argmax(axis=1)
    proba_log_max = y_log_proba.argmax(axis=1)

    assert y_proba.shape == (n_samples, n_classes)
    assert_array_equal(proba_max, proba_log_max)
    assert_allclose(y_log_proba, np.log(y_proba))


def test_predict_proba_multilabel():
    """scikit-learn's test_predict_proba_multilabel (lbfgs there): multilabel
    probabilities are not a softmax, so they need not sum to 1."""
    X, Y = make_multilabel_classification(
        n_samples=50, random_state=0, return_indicator=True
    )
    n_samples, n_classes = Y.shape

    # scikit-learn's default penalty: its test fits the training rows exactly
    clf = ReLUMLPClassifier(hidden_layer_sizes=30, alpha=1e-4, random_state=0)
    clf.fit(X, Y)
    y_proba = clf.predict_proba(X)

    assert y_proba.shape == (n_samples, n_classes)
    assert_array_equal(y_proba > 0.5, Y)

    y_log_proba = clf.predict_log_proba(X)
    proba_max = y_proba.argmax(axis=1)
    proba_log_max = y_log_proba.argmax(axis=1)

    assert (y_proba.sum(1) - 1).dot(y_proba.sum(1) - 1) > 1e-10
    assert_array_equal(proba_max, proba_log_max)
    assert_allclose(y_log_proba, np.log(y_proba))


def test_shuffle():
    """scikit-learn's test_shuffle: the shuffle parameter changes training."""
    X, y = make_regression(n_samples=50, n_features=5, n_targets=1, random_state=0)

    def regressor(shuffle):
        return mlp(
            SigmoidRegressor,
            1,
            max_epochs=1,
            batch_size=1,
            random_state=0,
            shuffle=shuffle,
            optimizer="adam",
            lr=0.001,
        )

    # The coefficients will be identical if both do or do not shuffle
    for shuffle in [True, False]:
        reg1 = regressor(shuffle)
        reg2 = regressor(shuffle)
        reg1.fit(X, y)
        reg2.fit(X, y)

        assert np.array_equal(first_layer_weights(reg1), first_layer_weights(reg2))

    # The coefficients will be slightly different if shuffle=True
    reg1 = regressor(True)
    reg2 = regressor(False)
    reg1.fit(X, y)
    reg2.fit(X, y)

    assert not np.array_equal(first_layer_weights(reg1), first_layer_weights(reg2))


@pytest.mark.parametrize("csr_container", CSR_CONTAINERS)
def test_sparse_matrices(csr_container):
    """scikit-learn's test_sparse_matrices (lbfgs there): sparse and dense inputs give
    the same results."""
    X = X_digits_binary[:50]
    y = y_digits_binary[:50]
    X_sparse = csr_container(X)
    clf = ReLUMLPClassifier(hidden_layer_sizes=15, random_state=1)
    clf.fit(X, y)
    pred1 = clf.predict(X)
    clf.fit(X_sparse, y)
    pred2 = clf.predict(X_sparse)
    assert_almost_equal(pred1, pred2)
    pred1 = clf.predict(X)
    pred2 = clf.predict(X_sparse)
    assert_array_equal(pred1, pred2)


def test_tolerance():
    """scikit-learn's test_tolerance: tol ends training once it has converged."""
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    clf = ReLUMLPClassifier(tol=0.5, max_epochs=3000, optimizer="sgd", lr=0.001)
    clf.fit(X, y)
    assert clf.max_epochs > clf.n_iter_


def test_verbose_sgd(capsys):
    """scikit-learn's test_verbose_sgd: verbose prints the epochs of fit and
    partial_fit (a line per "Iteration" in scikit-learn, a row per "epoch" in sknn)."""
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    clf = ReLUMLPClassifier(
        optimizer="sgd", max_epochs=2, verbose=10, hidden_layer_sizes=2, lr=0.001
    )

    clf.fit(X, y)
    clf.partial_fit(X, y)

    out, _ = capsys.readouterr()
    assert "epoch" in out


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_early_stopping(estimator):
    """scikit-learn's test_early_stopping: the dev-set scores and the best one."""
    X = X_digits_binary[:100]
    y = y_digits_binary[:100]
    tol = 0.2
    model = mlp(
        estimator, tol=tol, max_epochs=3000, optimizer="sgd", early_stopping=True, lr=0.001
    )
    model.fit(X, y)
    assert model.max_epochs > model.n_iter_

    assert model.best_loss_ is None
    assert isinstance(model.validation_scores_, list)

    valid_scores = model.validation_scores_
    best_valid_score = model.best_validation_score_
    assert max(valid_scores) == best_valid_score
    assert best_valid_score + tol > valid_scores[-2]
    assert best_valid_score + tol > valid_scores[-1]

    # check that the attributes `validation_scores_` and `best_validation_score_`
    # are set to None when `early_stopping=False`
    model = mlp(
        estimator, tol=tol, max_epochs=3000, optimizer="sgd", early_stopping=False, lr=0.001
    )
    model.fit(X, y)
    assert model.validation_scores_ is None
    assert model.best_validation_score_ is None
    assert model.best_loss_ is not None


def test_adaptive_learning_rate():
    """scikit-learn's test_adaptive_learning_rate: the adaptive rate falls below 1e-6
    and training stops."""
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    clf = ReLUMLPClassifier(
        tol=0.5, max_epochs=3000, optimizer="sgd", learning_rate="adaptive", lr=0.001
    )
    clf.fit(X, y)
    assert clf.max_epochs > clf.n_iter_
    assert 1e-6 > clf.net_.optimizer_.param_groups[0]["lr"]


def test_warm_start():
    """scikit-learn's test_warm_start (lbfgs there): warm_start refuses other classes."""
    X = X_iris
    y = y_iris

    y_2classes = np.array([0] * 75 + [1] * 75)
    y_3classes = np.array([0] * 40 + [1] * 40 + [2] * 70)
    y_3classes_alt = np.array([0] * 50 + [1] * 50 + [3] * 50)
    y_4classes = np.array([0] * 37 + [1] * 37 + [2] * 38 + [3] * 38)
    y_5classes = np.array([0] * 30 + [1] * 30 + [2] * 30 + [3] * 30 + [4] * 30)

    # No error raised
    clf = ReLUMLPClassifier(
        hidden_layer_sizes=2, warm_start=True, random_state=42, tol=1e-2
    ).fit(X, y)
    clf.fit(X, y)
    clf.fit(X, y_3classes)

    for y_i in (y_2classes, y_3classes_alt, y_4classes, y_5classes):
        clf = ReLUMLPClassifier(
            hidden_layer_sizes=2,
            warm_start=True,
            random_state=42,
            tol=1e-2,
        ).fit(X, y)
        message = (
            "warm_start can only be used where `y` has the same "
            "classes as in the previous call to fit."
            f" Previously got [0 1 2], `y` has {np.unique(y_i)}"
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            clf.fit(X, y_i)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_warm_start_full_iteration(estimator):
    """scikit-learn's test_warm_start_full_iteration (issue 16812): a warm-started
    fit runs max_epochs epochs."""
    X, y = X_iris, y_iris
    max_epochs = 3
    model = mlp(
        estimator, 2, optimizer="sgd", warm_start=True, max_epochs=max_epochs, lr=0.001
    )
    model.fit(X, y)
    assert max_epochs == model.n_iter_
    model.fit(X, y)
    assert max_epochs == model.n_iter_


def test_n_iter_no_change():
    """scikit-learn's test_n_iter_no_change: training stops once the loss has not
    improved by tol for more than n_iter_no_change epochs."""
    X = X_digits_binary[:100]
    y = y_digits_binary[:100]
    tol = 0.01
    max_epochs = 3000

    # test multiple n_iter_no_change
    for n_iter_no_change in [2, 5, 10, 50, 100]:
        clf = ReLUMLPClassifier(
            tol=tol,
            max_epochs=max_epochs,
            optimizer="sgd",
            n_iter_no_change=n_iter_no_change,
            lr=0.001,
        )
        clf.fit(X, y)

        # validate n_iter_no_change
        assert clf._no_improvement_count == n_iter_no_change + 1
        assert max_epochs > clf.n_iter_


def test_n_iter_no_change_inf():
    """scikit-learn's test_n_iter_no_change_inf: n_iter_no_change=np.inf trains for
    max_epochs."""
    X = X_digits_binary[:100]
    y = y_digits_binary[:100]

    # set a ridiculous tolerance
    # this should always trigger _update_no_improvement_count()
    tol = 1e9

    # fit
    n_iter_no_change = np.inf
    max_epochs = 3000
    clf = ReLUMLPClassifier(
        tol=tol,
        max_epochs=max_epochs,
        optimizer="sgd",
        n_iter_no_change=n_iter_no_change,
        lr=0.001,
    )
    clf.fit(X, y)

    # validate n_iter_no_change doesn't cause early stopping
    assert clf.n_iter_ == max_epochs

    # validate _update_no_improvement_count() was always triggered
    assert clf._no_improvement_count == clf.n_iter_ - 1


def test_early_stopping_stratified():
    """scikit-learn's test_early_stopping_stratified: the dev set is split stratified.

    The message is scikit-learn's stratified split's. Recent releases also name the
    rare classes: scikit-learn's MLP by its internal encoding, ``'True'``; sknn by
    the class's index in ``classes_``, 1. Older releases word it in the singular and
    name none.
    """
    X = [[1, 2], [2, 3], [3, 4], [4, 5]]
    y = [0, 0, 0, 1]

    clf = ReLUMLPClassifier(early_stopping=True, optimizer="adam", lr=0.001)
    with pytest.raises(
        ValueError, match=r"The least populated class(es)? in y ha(s|ve) only 1 member"
    ) as error:
        clf.fit(X, y)
    if "Classes with too few members" in str(error.value):
        assert re.search(r"Classes with too few members are: \[1\]", str(error.value))


def test_mlp_early_stopping_string_labels():
    """scikit-learn's test_mlp_early_stopping_string_labels (issue 33760): labels may
    be strings with early_stopping=True."""
    X, y = make_classification(
        n_samples=200,
        n_features=10,
        n_classes=3,
        n_informative=5,
        random_state=42,
    )
    labels = np.array(["class_a", "class_b", "class_c"], dtype=object)
    y = labels[y]

    clf = ReLUMLPClassifier(
        early_stopping=True, max_epochs=50, random_state=42, optimizer="adam", lr=0.001
    )
    clf.fit(X, y)

    assert clf.validation_scores_ is not None
    assert len(clf.validation_scores_) == clf.n_iter_
    assert np.isfinite(clf.validation_scores_).all()


def test_mlp_loading_from_joblib_partial_fit(tmp_path):
    """scikit-learn's test_mlp_loading_from_joblib_partial_fit (issue 19626): a model
    loaded with joblib goes on learning with partial_fit."""
    pre_trained_estimator = mlp(
        SigmoidRegressor,
        (42,),
        random_state=42,
        lr=0.01,
        max_epochs=200,
        optimizer="adam",
    )
    features, target = [[2]], [4]

    # Fit on x=2, y=4
    pre_trained_estimator.fit(features, target)

    # dump and load model
    pickled_file = tmp_path / "mlp.pkl"
    joblib.dump(pre_trained_estimator, pickled_file)
    load_estimator = joblib.load(pickled_file)

    # Train for a more epochs on point x=2, y=1
    fine_tune_features, fine_tune_target = [[2]], [1]

    for _ in range(200):
        load_estimator.partial_fit(fine_tune_features, fine_tune_target)

    # finetuned model learned the new target
    predicted_value = load_estimator.predict(fine_tune_features)
    assert_allclose(predicted_value, fine_tune_target, rtol=1e-4)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_preserve_feature_names(estimator):
    """scikit-learn's test_preserve_feature_names (issue 24846): feature names are kept
    when early stopping holds out a dev set."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)

    X = pd.DataFrame(data=rng.randn(10, 2), columns=["colname_a", "colname_b"])
    y = pd.Series(data=np.full(10, 1), name="colname_y")
    if estimator is ReLUMLPClassifier:
        # sknn's classifier refuses a single class (as LogisticRegression does),
        # so the classifier's case has two, one in the dev set of two rows
        y = pd.Series(data=np.tile([0, 1], 5), name="colname_y")

    model = mlp(
        estimator, early_stopping=True, validation_fraction=0.2, optimizer="adam", lr=0.001
    )

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model.fit(X, y)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_mlp_warm_start_with_early_stopping(estimator):
    """scikit-learn's test_mlp_warm_start_with_early_stopping: early stopping works
    with warm_start."""
    model = mlp(
        estimator,
        max_epochs=10,
        random_state=0,
        warm_start=True,
        early_stopping=True,
        optimizer="adam",
        lr=0.001,
    )
    model.fit(X_iris, y_iris)
    n_validation_scores = len(model.validation_scores_)
    model.set_params(max_epochs=20)
    model.fit(X_iris, y_iris)
    assert len(model.validation_scores_) > n_validation_scores


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_mlp_warm_start_no_convergence(estimator, optimizer):
    """scikit-learn's test_mlp_warm_start_no_convergence (issue 24764): a warm-started
    fit stops at max_epochs."""
    model = mlp(
        estimator,
        optimizer=optimizer,
        warm_start=True,
        early_stopping=False,
        max_epochs=10,
        n_iter_no_change=np.inf,
        random_state=0,
        lr=0.001,
    )

    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 10

    model.set_params(max_epochs=20)
    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 20


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_mlp_partial_fit_after_fit(estimator):
    """scikit-learn's test_mlp_partial_fit_after_fit (issue 25693): partial_fit after
    a fit with early_stopping=True raises a clear error."""
    model = mlp(
        estimator, early_stopping=True, random_state=0, optimizer="adam", lr=0.001
    ).fit(X_iris, y_iris)

    msg = "partial_fit does not support early_stopping=True"
    with pytest.raises(ValueError, match=msg):
        model.partial_fit(X_iris, y_iris)


def test_mlp_sample_weight_with_early_stopping():
    """scikit-learn's test_mlp_sample_weight_with_early_stopping: unit sample weights
    train as no sample weights when a dev set is split off."""
    X, y = make_regression(
        n_samples=100,
        n_features=2,
        n_informative=2,
        random_state=42,
    )
    sw = np.ones_like(y)
    params = dict(
        optimizer="adam",
        early_stopping=True,
        tol=1e-2,
        lr=0.01,
        batch_size=10,
        random_state=42,
    )
    m1 = mlp(SigmoidRegressor, 10, **params)
    m1.fit(X, y, sample_weight=sw)

    m2 = mlp(SigmoidRegressor, 10, **params).fit(X, y, sample_weight=None)
    assert_allclose(m1.predict(X), m2.predict(X))


def test_minimum_input_sample_size():
    """scikit-learn's test_minimum_input_sample_size: a dev set too small is refused."""
    X, y = make_regression(n_samples=2, n_features=5, random_state=0)
    model = SigmoidRegressor(early_stopping=True, random_state=0, activation="relu")
    with pytest.raises(ValueError, match="The validation set is too small"):
        model.fit(X, y)


def test_mlp_diverging_loss():
    """scikit-learn's test_mlp_diverging_loss (issue 29504): a diverging fit with
    early stopping raises nothing, and its last dev score is NaN, a float. sknn has no
    identity units, so ReLUs with ``lr=10`` make it diverge."""
    model = SigmoidRegressor(
        n_sigmoids=100,
        activation="relu",
        alpha=0.0001,
        learning_rate="constant",
        lr=10,
        shuffle=True,
        max_epochs=20,
        early_stopping=True,
        n_iter_no_change=10,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_iris, y_iris)

    assert str(model.validation_scores_[-1]) == str(np.nan)
    assert isinstance(model.validation_scores_[-1], float)
