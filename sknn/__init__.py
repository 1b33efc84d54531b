"""sknn: scikit-learn compatible neural networks on PyTorch.

Two estimators, trained by mini-batch SGD through skorch:

* :class:`SigmoidRegressor`: the lecture's sum of sigmoids for regression;
* :class:`ReLUMLPClassifier`: a deep ReLU network with softmax and cross-entropy;

and :class:`LossCurveDisplay`, which draws the loss and dev scores of a fit.
"""

from importlib.metadata import PackageNotFoundError, version

from ._classifier import ReLUMLPClassifier
from ._display import LossCurveDisplay
from ._regressor import SigmoidRegressor

try:
    __version__ = version("sknn")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["LossCurveDisplay", "ReLUMLPClassifier", "SigmoidRegressor", "__version__"]
