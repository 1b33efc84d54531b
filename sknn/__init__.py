"""sknn: scikit-learn compatible neural networks on PyTorch.

Three estimators, trained by mini-batch SGD through skorch:

* :class:`SigmoidRegressor`: the lecture's sum of sigmoids for regression;
* :class:`ReLUMLPClassifier`: a deep ReLU network with softmax and cross-entropy;
* :class:`ReLUMLPRegressor`: the same deep network for regression (squared error);

and :class:`LossCurveDisplay`, which draws the loss and dev scores of a fit.
"""

from importlib.metadata import PackageNotFoundError, version

from ._classifier import ReLUMLPClassifier
from ._display import LossCurveDisplay
from ._regressor import ReLUMLPRegressor, SigmoidRegressor

try:
    __version__ = version("sknn")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

# Saved models (pickle, joblib, skops) name the classes by their public path, which
# stays when the private modules change, and which skops asks users to trust.
for _public in (ReLUMLPClassifier, ReLUMLPRegressor, SigmoidRegressor, LossCurveDisplay):
    _public.__module__ = __name__
del _public

__all__ = [
    "LossCurveDisplay",
    "ReLUMLPClassifier",
    "ReLUMLPRegressor",
    "SigmoidRegressor",
    "__version__",
]
