"""scikit-learn's own estimator checks, over every sknn estimator at its defaults."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn import ReLUMLPClassifier, SigmoidRegressor


@parametrize_with_checks([SigmoidRegressor(), ReLUMLPClassifier()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
