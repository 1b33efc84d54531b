"""sknn: scikit-learn compatible neural networks on PyTorch.

Two estimators, trained by mini-batch SGD through skorch:

* :class:`SigmoidRegressor`: the lecture's sum of sigmoids for regression;
* :class:`ReLUMLPClassifier`: a deep ReLU network with softmax and cross-entropy.
"""

from importlib.metadata import PackageNotFoundError, version

from ._classifier import ReLUMLPClassifier
from ._regressor import SigmoidRegressor

try:
    __version__ = version("sknn")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["ReLUMLPClassifier", "SigmoidRegressor", "__version__"]
