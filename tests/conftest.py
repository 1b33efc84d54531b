import pytest
import torch
from sklearn.datasets import make_classification, make_regression

from sknn import ReLUMLPClassifier, ReLUMLPRegressor, SigmoidRegressor

requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.fixture
def regression_data():
    X, y = make_regression(n_samples=120, n_features=5, noise=1.0, random_state=0)
    return X, y


@pytest.fixture
def classification_data():
    X, y = make_classification(
        n_samples=150, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X, y


@pytest.fixture
def fast():
    """Keyword arguments for a quick, reproducible fit."""
    return {"max_epochs": 5, "random_state": 0}


def same_state(a: dict, b: dict) -> bool:
    return all(torch.equal(a[key], b[key]) for key in a) and a.keys() == b.keys()


@pytest.fixture(
    params=[SigmoidRegressor, ReLUMLPRegressor, ReLUMLPClassifier],
    ids=lambda cls: cls.__name__,
)
def case(request, regression_data, classification_data):
    """Each estimator class with data of its kind: ``(cls, X, y)``."""
    cls = request.param
    regressor = cls is not ReLUMLPClassifier
    X, y = regression_data if regressor else classification_data
    return cls, X, y
