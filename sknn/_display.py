"""LossCurveDisplay: the training loss and dev scores of a fit, epoch by epoch."""

from __future__ import annotations

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_is_fitted


class LossCurveDisplay:
    """The training loss per epoch and, when there was a dev set, the dev score.

    Follows scikit-learn's Display convention: build it with :meth:`from_estimator`
    (which also plots), or from the numbers and then call :meth:`plot`. The dev
    scores, if any, use a second y-axis on the right, and a dotted line marks the
    epoch with the best dev score (whose weights ``early_stopping`` keeps).
    matplotlib is needed to plot (``pip install "sknn[plot]"``).

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss of each epoch.
    validation_scores : array-like of shape (n_epochs,) or None, default=None
        Dev-set score of each epoch.
    estimator_name : str or None, default=None
        Name shown in the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the training loss.
    score_ax_ : matplotlib Axes or None
        Twin axes with the dev scores, or None without them.
    figure_ : matplotlib Figure
        Figure holding the axes.
    loss_line_ : matplotlib Line2D
        The training-loss curve.
    score_line_ : matplotlib Line2D or None
        The dev-score curve, or None without dev scores.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against training-set size.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sknn import LossCurveDisplay, ReLUMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = ReLUMLPClassifier(
    ...     early_stopping=True, max_epochs=30, random_state=0
    ... )
    >>> display = LossCurveDisplay.from_estimator(model.fit(X, y))
    >>> len(display.loss_line_.get_xdata()) == model.n_iter_
    True
    >>> display.score_ax_.get_ylabel()
    'dev score'
    """

    def __init__(self, *, loss_curve, validation_scores=None, estimator_name=None):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None):
        """Plot the loss curve of a fitted sknn estimator.

        Parameters
        ----------
        estimator : an sknn estimator, or a Pipeline that ends with one
            A fitted estimator, or a fitted pipeline that ends with one.
        ax : matplotlib Axes or None, default=None
            Axes to draw on; a new figure when None.
        name : str or None, default=None
            Title; the estimator's class name when None.

        Returns
        -------
        display : LossCurveDisplay
            The display, with its matplotlib objects as attributes.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        model = estimator[-1] if hasattr(estimator, "steps") else estimator
        check_is_fitted(model)
        if not hasattr(model, "loss_curve_"):
            raise ValueError(
                f"{type(model).__name__} has no loss_curve_: LossCurveDisplay draws "
                f"the training loss per epoch of a fitted estimator that records it "
                f"(sknn's estimators; scikit-learn's MLP trained by SGD or Adam)."
            )
        display = cls(
            loss_curve=model.loss_curve_,
            validation_scores=getattr(model, "validation_scores_", None),
            estimator_name=type(model).__name__ if name is None else name,
        )
        return display.plot(ax=ax)

    def plot(self, ax=None, *, name=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Axes to draw on; a new figure when None.
        name : str or None, default=None
            Title; ``estimator_name`` when None.

        Returns
        -------
        display : LossCurveDisplay
            This display, with ``ax_``, ``figure_`` and the lines set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        epochs = np.arange(1, len(self.loss_curve) + 1)
        (self.loss_line_,) = ax.plot(
            epochs, self.loss_curve, color="C0", label="train loss"
        )
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        title = self.estimator_name if name is None else name
        if title:
            ax.set_title(title)
        self.score_ax_ = self.score_line_ = None
        scores = self.validation_scores
        if scores is not None and np.isfinite(scores).any():
            self.score_ax_ = ax.twinx()
            (self.score_line_,) = self.score_ax_.plot(
                epochs, scores, color="C1", label="dev score"
            )
            self.score_ax_.set_ylabel("dev score")
            best = int(np.nanargmax(scores)) + 1
            ax.axvline(best, color="C1", linestyle=":", label=f"best dev epoch ({best})")
            handles = [self.loss_line_, self.score_line_, ax.lines[-1]]
            ax.legend(handles=handles, loc="center right")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
