"""sknn's regressors: the lecture's sum of sigmoids (``SigmoidRegressor``) and its
deep ReLU network (``ReLUMLPRegressor``), both trained on the standardized target."""

from __future__ import annotations

import math
import warnings
from numbers import Integral

import numpy as np
import torch
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._backprop import linear_chain
from ._base import BaseSGDNetwork, take_trained
from ._batching import Weighted
from ._callbacks import FitData, r2
from ._inputs import (
    check_hidden_layer_sizes,
    relative_weights,
    weighted_moments,
    widened_scale,
)
from ._modules import ACTIVATIONS, ReLUMLP, SumOfSigmoids


class _TargetScaledRegressor(RegressorMixin, BaseSGDNetwork):
    """A network trained on the standardized target (squared error), predicting
    on the target's own scale: what sknn's regressors share. Subclasses set
    ``_module`` and ``_module_kwargs``."""

    _dev_scorer = staticmethod(r2)
    _criterion = torch.nn.MSELoss

    # The loss is the mean squared error of the standardized target, where always
    # predicting the mean scores 1: a fit that ends 10 times worse diverged.
    _FAR_OFF = 10.0

    def _loss_far_off(self, net, data) -> float | None:
        last = self.loss_curve_[-1] if self.loss_curve_ else None
        if last is None or not np.isfinite(last) or last <= self._FAR_OFF:
            return None
        # The epoch's loss holds the penalty, added by each batch at the weights
        # before its step: judge the fitted weights' own error on the training
        # rows instead (one pass without the penalty, only when the loss is high).
        total = rows = 0.0
        with torch.no_grad():
            for X_batch, y_batch in net.get_iterator(data):
                loss = float(net.get_loss(net.module_(X_batch), y_batch))
                size = (
                    float(y_batch.weight.sum())
                    if isinstance(y_batch, Weighted)
                    else len(X_batch)
                )
                total, rows = total + loss * size, rows + size
        error = total / rows if rows else math.nan
        return error if error > self._FAR_OFF else None

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` and ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs. Cast once to float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets; a 2-D ``y`` fits one output per column, sharing the hidden
            layers.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row: each mini-batch's loss is the weighted
            mean of its rows' squared errors, the target is standardized with
            weighted moments, and the dev score with ``early_stopping`` is a
            weighted R². Rows of weight 0 are left out, as if absent. None weighs
            rows equally.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if not hasattr(self, "net_") and take_trained(self, X, y, sample_weight):
            return self  # trained ahead by sknn.model_selection's search
        with self._restore_state_on_error():
            continuing = self.warm_start and hasattr(self, "net_")
            old_scale = getattr(self, "_y_scale", None)
            X, y, target, sample_weight = self._validate_training_data(
                X, y, sample_weight, continuing
            )
            return self._fit(
                X,
                target,
                self._module_kwargs(X),
                fit_data=FitData(X, y, sample_weight),
                sample_weight=sample_weight,
                prepare=self._rescale_output(old_scale) if continuing else None,
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``X`` and ``y``, continuing from the last call.

        For data that arrives in chunks, or does not fit in memory at once. The
        first call builds the network and standardizes the target with the first
        chunk's mean and scale (a target column constant in that chunk gets its
        scale from the first later chunk in which it varies). Each call applies
        the parameters as they are then (``lr``, ``momentum``, ``alpha``,
        ``batch_size``, ``shuffle``, ``optimizer``, ``learning_rate``...), keeping
        the optimizer's state; the network's shape and ``random_state`` are those
        of the first call. Training never stops early here, but the stopping
        rule keeps count, so that ``learning_rate="adaptive"`` (or ``"cosine"``)
        lowers the rate on plateaus; ``early_stopping=True`` raises a ``ValueError``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Its targets, with as many outputs as in the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row of the chunk, as in :meth:`fit`.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.
        """
        with self._restore_state_on_error():
            continuing = hasattr(self, "net_")
            old_scale = getattr(self, "_y_scale", None)
            X, y, target, sample_weight = self._validate_training_data(
                X, y, sample_weight, continuing
            )
            return self._fit(
                X,
                target,
                self._module_kwargs(X),
                fit_data=FitData(X, y, sample_weight),
                incremental=True,
                sample_weight=sample_weight,
                prepare=self._rescale_output(old_scale) if continuing else None,
            )

    def _validate_training_data(self, X, y, sample_weight, continuing: bool):
        """Validate ``X``, ``y`` and ``sample_weight``; return float32 ``X``, ``y``,
        the standardized target and the weights.

        A new fit sets the target's mean and scale (weighted by ``sample_weight``);
        a continued one reuses them.
        """
        X, y = validate_data(
            self,
            X,
            y,
            reset=not continuing,
            dtype=np.float32,
            order="C",
            accept_sparse=("csr", "csc"),
            multi_output=True,
            y_numeric=True,
        )
        sample_weight = self._validate_sample_weight(sample_weight, X)
        y2d = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if continuing and y2d.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2d.shape[1]} outputs, but {type(self).__name__} was fitted "
                f"with {self.n_outputs_}."
            )
        # The moments count the rows that weigh more than 0, as if the others were
        # absent (weights that are all 0 are refused by _fit).
        rows, weights = y2d, None
        if sample_weight is not None and sample_weight.any():
            kept = sample_weight > 0
            rows, weights = y2d[kept], relative_weights(sample_weight[kept])
        if not continuing:
            # A constant column has scale 0: it trains on zeros and is predicted
            # as its mean exactly, until later data (partial_fit, warm_start)
            # gives it a scale.
            self._y_mean, self._y_scale = weighted_moments(rows, weights)
            self._y_is_1d = y.ndim == 1
            self.n_outputs_ = y2d.shape[1]
        else:
            scale = widened_scale(self._y_scale, self._y_mean, rows, weights)
            if not np.array_equal(scale, self._y_scale) and self.best_loss_ is not None:
                # the loss is now measured on another scale: the stopping rule's
                # reference starts afresh
                self._no_improvement_count, self.best_loss_ = 0, np.inf
            self._y_scale = scale
        divisor = np.where(self._y_scale > 0, self._y_scale, 1.0)
        with np.errstate(over="ignore"):
            target = (y2d - self._y_mean) / divisor
        if not np.isfinite(target).all():
            raise ValueError(
                "y is too large: its distance from the target mean the model was "
                "fitted with overflows float64. Rescale y."
            )
        return X, y, target.astype(np.float32), sample_weight

    def _rescale_output(self, old_scale: np.ndarray):
        """A ``prepare`` step for :meth:`_fit`: where a target column that had
        scale 0 gets one, zero that column's output weights and bias (and their
        optimizer state), so that predictions are unchanged when training
        continues on the new scale (they were the column's mean exactly)."""
        widened = np.flatnonzero((old_scale == 0) & (self._y_scale > 0))

        def prepare(net, continuing: bool) -> None:
            if not continuing or not len(widened):
                return
            output = linear_chain(net.module_)[-1]  # the layer of the outputs
            rows = torch.as_tensor(widened, device=output.bias.device)
            with torch.no_grad():
                for param in (output.weight, output.bias):
                    param.index_fill_(0, rows, 0.0)
                    for value in net.optimizer_.state.get(param, {}).values():
                        if torch.is_tensor(value) and value.shape == param.shape:
                            value.index_fill_(0, rows, 0.0)

        return prepare

    def predict(self, X):
        """Predict targets for ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions on the scale of the training target, 1-D when the
            training target was 1-D.
        """
        outputs = self._forward(X)  # warns itself if these are not finite
        with np.errstate(over="ignore", invalid="ignore"):
            y_pred = outputs * self._y_scale + self._y_mean
        if not np.isfinite(y_pred).all() and np.isfinite(outputs).all():
            warnings.warn(
                "Some predictions overflow float64: the target's scale is too large "
                "for these inputs. Rescale y.",
                RuntimeWarning,
                stacklevel=2,
            )
        return y_pred.ravel() if self._y_is_1d else y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class SigmoidRegressor(_TargetScaledRegressor):
    """Regression with a sum of sigmoids, trained by mini-batch SGD.

    The model is the lecture's

    .. math:: y = b + \\sum_{i=1}^{n} c_i \\, \\mathrm{act}(b_i + \\sum_j w_{ij} x_j)

    with ``n = n_sigmoids`` and ``act`` the sigmoid (or a hard sigmoid, or ReLU). Its
    parameters (``W``, the biases ``b_i``, the heights ``c_i`` and the constant
    ``b``) are fitted by minimising the mean squared error (plus an L2 penalty on
    the weights, ``alpha``) with ``torch.optim.SGD`` on mini-batches.

    The target is standardized internally (to zero mean and unit variance per
    output) and predictions are returned on the target's own scale, so targets in
    the hundreds or thousands work without scaling them first. The inputs are
    not scaled: put a :class:`~sklearn.preprocessing.StandardScaler` before this
    estimator in a :class:`~sklearn.pipeline.Pipeline`.

    Parameters
    ----------
    n_sigmoids : int, default=30
        Number of sigmoids in the sum (the lecture's ``i = 1..n``).
    activation : {"sigmoid", "hard_sigmoid", "relu"}, default="sigmoid"
        The function applied to each ``b_i + sum_j w_ij x_j``. ``"hard_sigmoid"``
        is flat, a ramp, then flat (``torch.nn.Hardsigmoid``); ``"relu"`` is
        ``max(0, z)``.
    lr : float, default=0.06
        Learning rate (step size) of SGD, where training starts with the default
        ``learning_rate="cosine"``. The stable rate
        shrinks as ``n_sigmoids`` grows (the output's step adds up over the
        sigmoids): with a few hundred sigmoids, lower it.
    optimizer : {"sgd", "adam"}, default="sgd"
        ``"sgd"`` is ``torch.optim.SGD``, the lecture's mini-batch gradient descent;
        ``"adam"`` is ``torch.optim.Adam``.
    momentum : float, default=0.95
        Momentum of SGD, in ``[0, 1)``; 0 is plain SGD as in the lecture. Only used
        with ``optimizer="sgd"``. scikit-learn's MLP uses 0.9; with the cosine
        rate, 0.95 reaches a better fit within ``max_epochs`` on real data (over
        13 seeds, 0.0018 behind the best model on average, against 0.0033 with
        0.9 at the same ``lr`` and 0.0020 with 0.9 at ``lr=0.1``).
    nesterov : bool, default=False
        Use Nesterov's momentum (needs ``optimizer="sgd"`` and ``momentum > 0``).
    alpha : float, default=0.3
        Strength of the L2 penalty on the weights (not the biases), as in
        scikit-learn's MLP: each mini-batch's loss gains ``alpha / 2 * ||W||^2``
        divided by its number of rows, or with ``sample_weight`` by the sum of its
        rows' weights, so that integer weights act as repeated rows;
        ``loss_curve_`` includes it. The loss it is added to is the mean squared
        error of the standardized target, where scikit-learn's ``MLPRegressor``
        takes half the squared error on the target's own scale: the same
        ``alpha`` is not the same strength.
    learning_rate : {"constant", "invscaling", "adaptive", "cosine"}, default="cosine"
        How the learning rate of SGD changes between epochs, as in scikit-learn's
        MLP (and, as there, not used with ``optimizer="adam"``):
        ``"constant"`` keeps ``lr``; ``"invscaling"`` uses
        ``lr / (t_ + 1) ** power_t`` for each epoch, ``t_`` the training rows seen
        before it; ``"adaptive"`` divides it by 5 each time the stopping rule
        (see ``n_iter_no_change``) would stop training, and stops once it is at
        most 1e-6. ``"cosine"`` (sknn's; scikit-learn has no such schedule)
        lowers it along half a cosine, ``lr * (1 + cos(pi * t / max_epochs)) / 2``
        in epoch ``t`` (from 0) of a ``fit``, to ``lr * (1 - cos(pi /
        max_epochs)) / 2`` in the last (under 1% of ``lr`` from 16 epochs on),
        and divides that curve by 5 where ``"adaptive"`` divides the rate; a fit
        whose rate ends at most 1% of ``lr`` has ended as its schedule planned and
        gives no ``ConvergenceWarning``. Schedules go on over ``partial_fit``
        calls: ``"cosine"`` counts their epochs on from those of the last ``fit``
        and, past ``max_epochs``, keeps the rate of the last one. The rate of each
        epoch is in ``net_.history[:, "event_lr"]`` (with a schedule). The
        default is ``"cosine"``, where scikit-learn's MLP has ``"constant"``:
        with a constant rate, training stopped on the first noisy plateau of the
        training loss on real data, and a rate that falls to about 0 by the last
        epoch lets the weights settle where ``"adaptive"`` left them moving (over
        13 seeds of the real data, 0.0018 behind the best model on average,
        against 0.030 with ``"adaptive"`` at the same ``lr``, batches and epochs).
    power_t : float, default=0.5
        Exponent of ``"invscaling"``; only used with ``optimizer="sgd"``.
    batch_size : int, default=64
        Rows per mini-batch, as scikit-learn's MLP. Larger than the number of rows
        means full-batch gradient descent. The default is about a third of
        scikit-learn's 200, so that a few hundred rows make several steps an
        epoch: on the real data, 80 epochs of batches of 64 (``lr=0.06``) fit
        better than 100 epochs of batches of 100 (``lr=0.04``) in the same time
        (over 13 seeds, 0.0018 behind the best model on average against 0.0043;
        Hitters' 263 rows 0.005 behind against 0.021).
    max_epochs : int, default=80
        Number of passes over the training data; with ``learning_rate="cosine"``,
        also the length of its curve.
    shuffle : bool, default=True
        Reorder the training rows at every epoch (when there is more than one
        mini-batch: the order of a single batch would change only rounding).
    warm_start : bool, default=False
        When fitted already, ``fit`` continues from the fitted weights (with a fresh
        optimizer) instead of starting anew, as scikit-learn's MLP does:
        ``loss_curve_``, ``t_`` and the stopping rule's count and best loss (or dev
        score) go on from the last fit, and ``n_iter_`` counts this fit's epochs.
        The network's shape cannot change.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows as a dev
        set, score it (R²) after every epoch, let that score decide when to
        stop (see ``n_iter_no_change``), and keep the weights of the epoch with the
        best dev score. When False, the training loss decides. Not for
        ``partial_fit``, which raises a ``ValueError``.
    validation_fraction : float, default=0.1
        Share of the training rows held out as the dev set, in (0, 1). Only used
        when ``early_stopping`` is True; a dev set of fewer than 2 rows raises a
        ``ValueError``.
    tol : float, default=1e-4
        An epoch makes progress when its training loss is below the lowest so far
        (``best_loss_``) by more than ``tol``; with ``early_stopping``, when its dev
        score is at least the highest so far (``best_validation_score_``) plus
        ``tol``.
    n_iter_no_change : int or np.inf, default=20
        Training stops once more than ``n_iter_no_change`` consecutive epochs made
        no progress (scikit-learn's MLP rule: with ``n_iter_no_change=10``, the
        11th such epoch is the last); with ``learning_rate="adaptive"`` or
        ``"cosine"``, the rate is divided by 5 instead. ``np.inf`` never stops
        before ``max_epochs``. The default is 20, where scikit-learn's MLP has 10:
        the loss of a few hundred rows in small batches wobbles, and 10 epochs
        without progress cut the cosine's rate early in a fit that was still
        learning (over 13 seeds of the real data, 0.0018 behind the best model on
        average, against 0.0020 with 10).
    device : str or torch.device, default="cpu"
        Where training and prediction run: ``"cpu"``, ``"cuda"``, ``"cuda:N"``,
        ``"mps"``, a ``torch.device``, or ``"auto"`` (CUDA if present, then MPS,
        then the CPU). A device that is absent raises a ``ValueError`` at ``fit``
        or ``predict``. Changing it with ``set_params`` after fitting moves the
        model at the next ``predict``.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights and the order of mini-batches. An int makes
        ``fit`` reproducible bit for bit on the CPU without touching torch's or
        numpy's global random state. ``None`` draws the seeds from numpy's
        global random state, as scikit-learn does.
    verbose : int or bool, default=0
        1 prints a line per epoch: the training loss, the dev loss and score (with
        ``early_stopping``), the learning rate (with a schedule) and the seconds
        taken; 2 also shows a progress bar over each epoch's mini-batches.
    callbacks : list of skorch callbacks or None, default=None
        Extra `skorch callbacks <https://skorch.readthedocs.io/en/stable/callbacks.html>`_
        (checkpoints, learning-rate schedulers, loggers...), as instances or
        ``(name, callback)`` pairs. Each ``fit`` trains with deep copies of them,
        so clones and refits never share their state; the copies used by the
        last fit are in ``net_.callbacks_`` (not saved: a model loaded from a
        file has skorch's default callbacks there until it trains again).

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when ``X`` has
        feature names that are all strings.
    n_outputs_ : int
        Number of regression targets.
    n_iter_ : int
        Number of epochs run by the last call to ``fit`` (1 after ``partial_fit``),
        as in scikit-learn's MLP.
    t_ : int
        Number of training rows seen by the optimizer, over all epochs since the
        model was last fitted anew (over ``warm_start`` fits and ``partial_fit``
        calls). Rows of weight 0 are left out of training, so they do not count.
    loss_curve_ : list of float
        Mean squared error of the standardized target over each epoch (1.0 is the
        error of always predicting the mean), plus the L2 penalty of ``alpha``,
        for every epoch since the model was last fitted anew. The loss of an
        epoch in which training diverged is NaN or infinite (and ends the list).
    best_loss_ : float or None
        Lowest training loss so far (the stopping rule's reference); None with
        ``early_stopping``.
    validation_scores_ : list of float or None
        R² of the dev set after each epoch, with ``early_stopping`` (NaN for an
        epoch run without a dev set, or whose weights diverged); None when no epoch
        since the model was last fitted anew had a dev set.
    best_validation_score_ : float or None
        Highest dev score so far (the stopping rule's reference; the weights kept
        are from that epoch), with ``early_stopping``; -inf when no epoch scored a
        finite value; kept by ``partial_fit`` after such a fit; else None.
    net_ : skorch.NeuralNet
        The skorch net that trained the module; ``net_.history`` has a record per
        epoch (and per-batch records only when a callback acts per batch, such as
        ``verbose=2``'s progress bar).
    weights_ : ndarray of shape (n_sigmoids, n_features)
        The lecture's ``W``: row ``i`` holds the ``w_ij`` of sigmoid ``i``.
    biases_ : ndarray of shape (n_sigmoids,)
        The lecture's :math:`\\vec b`: the bias ``b_i`` of each sigmoid.
    heights_ : ndarray of shape (n_sigmoids,) or (n_sigmoids, n_outputs)
        The lecture's ``c``: the height ``c_i`` of each sigmoid, on the scale of the
        target (one column per output for a 2-D target).
    constant_ : float or ndarray of shape (n_outputs,)
        The lecture's constant ``b``, on the scale of the target. With the three
        attributes above, ``predict(X)`` is
        ``constant_ + act(X @ weights_.T + biases_) @ heights_``.
    module_ : torch.nn.Module
        The fitted :class:`sknn._modules.SumOfSigmoids`: ``module_.hidden`` holds
        ``W`` and the ``b_i``, ``module_.output`` the ``c_i`` and ``b`` (for the
        standardized target).

    See Also
    --------
    ReLUMLPRegressor : A deep ReLU network for regression.
    ReLUMLPClassifier : A deep ReLU network for classification.
    sklearn.neural_network.MLPRegressor : scikit-learn's multi-layer perceptron.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn import SigmoidRegressor
    >>> X, y = make_regression(
    ...     n_samples=200, n_features=4, noise=5.0, random_state=0
    ... )
    >>> model = make_pipeline(
    ...     StandardScaler(),
    ...     SigmoidRegressor(n_sigmoids=20, max_epochs=50, random_state=0),
    ... )
    >>> model.fit(X, y).score(X, y) > 0.95
    True
    >>> model.predict(X[:3]).shape
    (3,)

    The fitted function in the lecture's notation, :math:`y = b + c^T
    \\sigma(\\vec b + W x)`, and the share of each sigmoid in a prediction:

    >>> regressor = model[-1]
    >>> regressor.weights_.shape, regressor.biases_.shape
    ((20, 4), (20,))
    >>> regressor.heights_.shape
    (20,)
    >>> X_scaled = model[0].transform(X[:3])
    >>> parts = regressor.sigmoid_contributions(X_scaled)
    >>> parts.shape
    (3, 20)
    >>> total = regressor.constant_ + parts.sum(axis=1)
    >>> bool(np.allclose(total, model.predict(X[:3])))
    True
    """

    _parameter_constraints: dict = {
        **BaseSGDNetwork._parameter_constraints,
        "n_sigmoids": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
    }

    _module = SumOfSigmoids

    def __init__(
        self,
        n_sigmoids=30,
        activation="sigmoid",
        *,
        lr=0.06,
        optimizer="sgd",
        momentum=0.95,
        nesterov=False,
        alpha=0.3,
        learning_rate="cosine",
        power_t=0.5,
        batch_size=64,
        max_epochs=80,
        shuffle=True,
        warm_start=False,
        early_stopping=False,
        validation_fraction=0.1,
        tol=1e-4,
        n_iter_no_change=20,
        device="cpu",
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.n_sigmoids = n_sigmoids
        self.activation = activation
        self.lr = lr
        self.optimizer = optimizer
        self.momentum = momentum
        self.nesterov = nesterov
        self.alpha = alpha
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    def _module_kwargs(self, X) -> dict:
        return {
            "n_features": X.shape[1],
            "n_sigmoids": self.n_sigmoids,
            "n_outputs": self.n_outputs_,
            "activation": self.activation,
        }

    def _parameter(self, layer: str, name: str) -> np.ndarray:
        check_is_fitted(self)
        tensor = getattr(getattr(self.net_.module_, layer), name)
        return tensor.detach().cpu().numpy().astype(np.float64)

    @property
    def weights_(self) -> np.ndarray:
        """The lecture's ``W``, shape (n_sigmoids, n_features)."""
        return self._parameter("hidden", "weight")

    @property
    def biases_(self) -> np.ndarray:
        """The lecture's :math:`\\vec b`, shape (n_sigmoids,)."""
        return self._parameter("hidden", "bias")

    @property
    def heights_(self) -> np.ndarray:
        """The lecture's ``c`` on the target's scale, shape (n_sigmoids,), or
        (n_sigmoids, n_outputs) for a 2-D target."""
        heights = self._parameter("output", "weight").T * self._y_scale
        return heights[:, 0] if self._y_is_1d else heights

    @property
    def constant_(self):
        """The lecture's constant ``b`` on the target's scale: a float, or one per
        output for a 2-D target."""
        constant = self._parameter("output", "bias") * self._y_scale + self._y_mean
        return float(constant[0]) if self._y_is_1d else constant

    def sigmoid_contributions(self, X) -> np.ndarray:
        """Each sigmoid's term :math:`c_i \\, \\mathrm{act}(b_i + w_i \\cdot x)` of the
        prediction for each row of ``X``.

        ``constant_ + sigmoid_contributions(X).sum(axis=1)`` equals ``predict(X)``
        (up to float32 rounding): this is the "sum of sigmoids", term by term.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        contributions : ndarray of shape (n_samples, n_sigmoids) or \
(n_samples, n_sigmoids, n_outputs)
            The term of sigmoid ``i`` for each row (and output, for a 2-D target),
            on the target's scale.
        """
        activations = self._forward(
            X, through=lambda module, x: module.activation(module.hidden(x))
        )
        heights = self.heights_
        if heights.ndim == 1:
            return activations * heights
        return activations[:, :, np.newaxis] * heights


class ReLUMLPRegressor(_TargetScaledRegressor):
    """Regression with a deep ReLU network, trained by mini-batch SGD.

    The lecture's deep network, :math:`\\hat y = W_k \\cdots \\mathrm{ReLU}(W_1 x +
    b_1) \\cdots + b_k`, with a squared-error loss: what scikit-learn's
    :class:`~sklearn.neural_network.MLPRegressor` is (with ReLU, its default
    activation), trained by ``torch.optim.SGD`` on mini-batches, under sknn's
    parameter names (see Notes for the mapping).

    Choose it over :class:`SigmoidRegressor` when one hidden layer of sigmoids
    is not enough: several layers (``hidden_layer_sizes=(64, 64)``) can build a
    function from features of features. :class:`SigmoidRegressor` is the
    lecture's one hidden layer, whose terms can be read off
    (``sigmoid_contributions``).

    The target is standardized internally (to zero mean and unit variance per
    output) and predictions are returned on the target's own scale, so targets in
    the hundreds or thousands work without scaling them first. The inputs are
    not scaled: put a :class:`~sklearn.preprocessing.StandardScaler` before this
    estimator in a :class:`~sklearn.pipeline.Pipeline`.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int or int, default=(100,)
        Width of each hidden layer, input side first; ``(100, 100)`` is two hidden
        layers of 100 ReLUs. An empty tuple gives linear regression.
    lr : float, default=0.004
        Learning rate (step size) of SGD, at a constant rate by default.
        (``SigmoidRegressor``'s 0.06, and even 0.01, are too large for a ReLU
        network on small real data sets.)
    optimizer : {"sgd", "adam"}, default="sgd"
        ``"sgd"`` is ``torch.optim.SGD``, the lecture's mini-batch gradient descent;
        ``"adam"`` is ``torch.optim.Adam``.
    momentum : float, default=0.9
        Momentum of SGD, in ``[0, 1)``; 0 is plain SGD as in the lecture. Only used
        with ``optimizer="sgd"``.
    nesterov : bool, default=False
        Use Nesterov's momentum (needs ``optimizer="sgd"`` and ``momentum > 0``).
    alpha : float, default=1.0
        Strength of the L2 penalty on the weights (not the biases), as in
        scikit-learn's MLP: each mini-batch's loss gains ``alpha / 2 * ||W||^2``
        divided by its number of rows, or with ``sample_weight`` by the sum of its
        rows' weights, so that integer weights act as repeated rows;
        ``loss_curve_`` includes it. The loss it is added to is the mean squared
        error of the standardized target, where scikit-learn's ``MLPRegressor``
        takes half the squared error on the target's own scale: the same
        ``alpha`` is not the same strength. The default 1.0 (with ``lr=0.004``)
        was chosen on the 9 real regression data sets of ``python -m benchmarks
        --section realdata``, with ``python -m benchmarks._sweep
        deep-regression``: without a penalty the network overfits them.
    learning_rate : {"constant", "invscaling", "adaptive", "cosine"}, default="constant"
        How the learning rate of SGD changes between epochs, as in scikit-learn's
        MLP (and, as there, not used with ``optimizer="adam"``):
        ``"constant"`` keeps ``lr``; ``"invscaling"`` uses
        ``lr / (t_ + 1) ** power_t`` for each epoch, ``t_`` the training rows seen
        before it; ``"adaptive"`` divides it by 5 each time the stopping rule
        (see ``n_iter_no_change``) would stop training, and stops once it is at
        most 1e-6. ``"cosine"`` (sknn's; scikit-learn has no such schedule)
        lowers it along half a cosine, ``lr * (1 + cos(pi * t / max_epochs)) / 2``
        in epoch ``t`` (from 0) of a ``fit``, to ``lr * (1 - cos(pi /
        max_epochs)) / 2`` in the last (under 1% of ``lr`` from 16 epochs on),
        and divides that curve by 5 where ``"adaptive"`` divides the rate; a fit
        whose rate ends at most 1% of ``lr`` has ended as its schedule planned and
        gives no ``ConvergenceWarning``. Schedules go on over ``partial_fit``
        calls: ``"cosine"`` counts their epochs on from those of the last ``fit``
        and, past ``max_epochs``, keeps the rate of the last one. The rate of each
        epoch is in ``net_.history[:, "event_lr"]`` (with a schedule).
    power_t : float, default=0.5
        Exponent of ``"invscaling"``; only used with ``optimizer="sgd"``.
    batch_size : int, default=64
        Rows per mini-batch, as scikit-learn's MLP. Larger than the number of rows
        means full-batch gradient descent. The default is about a third of
        scikit-learn's 200, so that a few hundred rows make several steps an
        epoch: on the real data, 100 epochs of batches of 64 (``lr=0.004``) fit
        better than 200 epochs of batches of 200 (``lr=0.003``) in about the
        same time (over 13 seeds, 0.0033 behind the best model on average,
        against 0.0059).
    max_epochs : int, default=100
        Number of passes over the training data; with ``learning_rate="cosine"``,
        also the length of its curve.
    shuffle : bool, default=True
        Reorder the training rows at every epoch (when there is more than one
        mini-batch: the order of a single batch would change only rounding).
    warm_start : bool, default=False
        When fitted already, ``fit`` continues from the fitted weights (with a fresh
        optimizer) instead of starting anew, as scikit-learn's MLP does:
        ``loss_curve_``, ``t_`` and the stopping rule's count and best loss (or dev
        score) go on from the last fit, and ``n_iter_`` counts this fit's epochs.
        The network's shape cannot change.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows as a dev
        set, score it (R²) after every epoch, let that score decide when to
        stop (see ``n_iter_no_change``), and keep the weights of the epoch with the
        best dev score. When False, the training loss decides. Not for
        ``partial_fit``, which raises a ``ValueError``.
    validation_fraction : float, default=0.1
        Share of the training rows held out as the dev set, in (0, 1). Only used
        when ``early_stopping`` is True; a dev set of fewer than 2 rows raises a
        ``ValueError``.
    tol : float, default=1e-4
        An epoch makes progress when its training loss is below the lowest so far
        (``best_loss_``) by more than ``tol``; with ``early_stopping``, when its dev
        score is at least the highest so far (``best_validation_score_``) plus
        ``tol``.
    n_iter_no_change : int or np.inf, default=10
        Training stops once more than ``n_iter_no_change`` consecutive epochs made
        no progress (scikit-learn's MLP rule: with ``n_iter_no_change=10``, the
        11th such epoch is the last). ``np.inf`` never stops before
        ``max_epochs``.
    device : str or torch.device, default="cpu"
        Where training and prediction run: ``"cpu"``, ``"cuda"``, ``"cuda:N"``,
        ``"mps"``, a ``torch.device``, or ``"auto"`` (CUDA if present, then MPS,
        then the CPU). A device that is absent raises a ``ValueError`` at ``fit``
        or ``predict``. Changing it with ``set_params`` after fitting moves the
        model at the next ``predict``.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights and the order of mini-batches. An int makes
        ``fit`` reproducible bit for bit on the CPU without touching torch's or
        numpy's global random state. ``None`` draws the seeds from numpy's
        global random state, as scikit-learn does.
    verbose : int or bool, default=0
        1 prints a line per epoch: the training loss, the dev loss and score (with
        ``early_stopping``), the learning rate (with a schedule) and the seconds
        taken; 2 also shows a progress bar over each epoch's mini-batches.
    callbacks : list of skorch callbacks or None, default=None
        Extra `skorch callbacks <https://skorch.readthedocs.io/en/stable/callbacks.html>`_
        (checkpoints, learning-rate schedulers, loggers...), as instances or
        ``(name, callback)`` pairs. Each ``fit`` trains with deep copies of them,
        so clones and refits never share their state; the copies used by the
        last fit are in ``net_.callbacks_`` (not saved: a model loaded from a
        file has skorch's default callbacks there until it trains again).

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when ``X`` has
        feature names that are all strings.
    n_outputs_ : int
        Number of regression targets.
    n_iter_ : int
        Number of epochs run by the last call to ``fit`` (1 after ``partial_fit``),
        as in scikit-learn's MLP.
    t_ : int
        Number of training rows seen by the optimizer, over all epochs since the
        model was last fitted anew (over ``warm_start`` fits and ``partial_fit``
        calls). Rows of weight 0 are left out of training, so they do not count.
    loss_curve_ : list of float
        Mean squared error of the standardized target over each epoch (1.0 is the
        error of always predicting the mean), plus the L2 penalty of ``alpha``,
        for every epoch since the model was last fitted anew. The loss of an
        epoch in which training diverged is NaN or infinite (and ends the list).
    best_loss_ : float or None
        Lowest training loss so far (the stopping rule's reference); None with
        ``early_stopping``.
    validation_scores_ : list of float or None
        R² of the dev set after each epoch, with ``early_stopping`` (NaN for an
        epoch run without a dev set, or whose weights diverged); None when no epoch
        since the model was last fitted anew had a dev set.
    best_validation_score_ : float or None
        Highest dev score so far (the stopping rule's reference; the weights kept
        are from that epoch), with ``early_stopping``; -inf when no epoch scored a
        finite value; kept by ``partial_fit`` after such a fit; else None.
    net_ : skorch.NeuralNet
        The skorch net that trained the module; ``net_.history`` has a record per
        epoch (and per-batch records only when a callback acts per batch, such as
        ``verbose=2``'s progress bar).
    coefs_ : list of ndarray
        The weight matrices, input side first: ``coefs_[i]`` has shape
        (n_in, n_out). With ``intercepts_``, ``predict(X)`` is
        ``relu(... relu(X @ coefs_[0] + intercepts_[0]) ...) @ coefs_[-1] +
        intercepts_[-1]``, as in scikit-learn's MLP: the last layer is on the
        target's scale.
    intercepts_ : list of ndarray
        The bias vector of each layer, input side first.
    n_layers_ : int
        Number of layers, the input and output layers included.
    module_ : torch.nn.Module
        The fitted :class:`sknn._modules.ReLUMLP`: ``module_.layers`` holds the
        linear layers and their ReLUs, input side first (the last layer's
        outputs are for the standardized target).

    Notes
    -----
    Porting from scikit-learn's ``MLPRegressor``: ``max_iter`` is
    ``max_epochs``, ``learning_rate_init`` is ``lr``, ``solver`` is
    ``optimizer`` (``"sgd"`` or ``"adam"``; no ``"lbfgs"``), and
    ``nesterovs_momentum`` is ``nesterov`` (False by default here).
    ``batch_size`` is an int (64 by default; ``"auto"`` is 200 on 200 rows or
    more), and ``max_epochs`` is 100 where ``max_iter`` is 200. ``alpha``
    penalizes the loss of the standardized target, so its default is 1.0, not
    1e-4, and ``loss_curve_`` is on that scale. A target of
    shape ``(n, 1)`` gives predictions of shape ``(n, 1)``, as scikit-learn's
    linear models do (``MLPRegressor`` ravels them, with a warning). The
    fitted weights are in ``coefs_`` and ``intercepts_``, as in
    ``MLPRegressor`` (on the target's scale), and in ``module_``.

    See Also
    --------
    SigmoidRegressor : The lecture's sum of sigmoids, one hidden layer.
    ReLUMLPClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : scikit-learn's multi-layer perceptron.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn import ReLUMLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = make_pipeline(
    ...     StandardScaler(), ReLUMLPRegressor((32, 32), random_state=0)
    ... )
    >>> model.fit(X, y).score(X, y) > 0.5
    True
    >>> model.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        **BaseSGDNetwork._parameter_constraints,
        "hidden_layer_sizes": ["array-like", Integral],
    }

    _module = ReLUMLP

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        *,
        lr=0.004,
        optimizer="sgd",
        momentum=0.9,
        nesterov=False,
        alpha=1.0,
        learning_rate="constant",
        power_t=0.5,
        batch_size=64,
        max_epochs=100,
        shuffle=True,
        warm_start=False,
        early_stopping=False,
        validation_fraction=0.1,
        tol=1e-4,
        n_iter_no_change=10,
        device="cpu",
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.lr = lr
        self.optimizer = optimizer
        self.momentum = momentum
        self.nesterov = nesterov
        self.alpha = alpha
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    def _module_kwargs(self, X) -> dict:
        return {
            "n_features": X.shape[1],
            "hidden_layer_sizes": check_hidden_layer_sizes(self.hidden_layer_sizes),
            "n_outputs": self.n_outputs_,
        }

    @property
    def coefs_(self) -> list[np.ndarray]:
        """The weight matrices, input side first, as scikit-learn's MLP gives them:
        ``coefs_[i]`` of shape (n_in, n_out), the last on the target's scale."""
        coefs, _ = self._layer_arrays()
        coefs[-1] = coefs[-1] * self._y_scale
        return coefs

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """The bias vectors, input side first, as scikit-learn's MLP gives them;
        the last on the target's scale (with its mean)."""
        _, intercepts = self._layer_arrays()
        intercepts[-1] = intercepts[-1] * self._y_scale + self._y_mean
        return intercepts

    @property
    def n_layers_(self) -> int:
        """Number of layers, the input and output layers included, as in
        scikit-learn's MLP."""
        return len(self._linear_layers()) + 1
