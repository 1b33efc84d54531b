"""Out of the box, sknn trains at least as well as scikit-learn's MLP at its defaults.

Scores are pooled over 5-fold cross-validation (one out-of-fold prediction per row),
so ties are exact ties in the number of rows predicted right.
"""

import warnings

import pytest
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import ReLUMLPClassifier, ReLUMLPRegressor, SigmoidRegressor


def pooled_cv_score(estimator, X, y, cv, metric):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe = make_pipeline(StandardScaler(), estimator)
        return metric(y, cross_val_predict(pipe, X, y, cv=cv))


@pytest.mark.parametrize("loader", [load_iris, load_wine, load_breast_cancer, load_digits])
def test_classifier_defaults_match_or_beat_mlpclassifier(loader):
    X, y = loader(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    ours = pooled_cv_score(ReLUMLPClassifier(random_state=0), X, y, cv, accuracy_score)
    theirs = pooled_cv_score(MLPClassifier(random_state=0), X, y, cv, accuracy_score)
    assert ours >= theirs, (ours, theirs)


def test_multilabel_defaults_match_or_beat_mlpclassifier():
    X, Y = make_multilabel_classification(
        n_samples=200, n_features=8, n_classes=4, random_state=0
    )
    cv = KFold(5, shuffle=True, random_state=0)
    ours = pooled_cv_score(ReLUMLPClassifier(random_state=0), X, Y, cv, accuracy_score)
    theirs = pooled_cv_score(MLPClassifier(random_state=0), X, Y, cv, accuracy_score)
    assert ours >= theirs, (ours, theirs)


@pytest.mark.parametrize("cls", [SigmoidRegressor, ReLUMLPRegressor])
def test_regressor_defaults_beat_mlpregressor_on_an_unscaled_target(cls):
    X, y = load_diabetes(return_X_y=True)  # y is in the hundreds and is not scaled
    cv = KFold(5, shuffle=True, random_state=0)
    ours = pooled_cv_score(cls(random_state=0), X, y, cv, r2_score)
    theirs = pooled_cv_score(MLPRegressor(random_state=0), X, y, cv, r2_score)
    assert ours >= theirs, (ours, theirs)
    assert ours > 0.45  # about what a linear model reaches on this data
