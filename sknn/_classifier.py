"""ReLUMLPClassifier: a deep ReLU network with softmax and cross-entropy."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
from scipy import sparse
from scipy.special import expit, log_expit
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._base import BaseSGDNetwork, take_trained
from ._callbacks import FitData, accuracy, subset_accuracy
from ._inputs import check_hidden_layer_sizes
from ._modules import ReLUMLP


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    """The log of the softmax of each row, computed stably (shifted by the row's
    largest logit)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _softmax(logits: np.ndarray) -> np.ndarray:
    """The softmax of each row, computed stably (shifted by the row's largest
    logit)."""
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


class ReLUMLPClassifier(ClassifierMixin, BaseSGDNetwork):
    """Classification with a fully connected ReLU network, trained by mini-batch SGD.

    The network is a chain ``W_k ... ReLU(W_2 ReLU(W_1 x + b_1) + b_2) ... + b_k``
    with one output per class; softmax turns the outputs into class
    probabilities and the loss is the cross-entropy, minimised with
    ``torch.optim.SGD`` on mini-batches. Labels may be of any type (integers,
    strings); ``predict`` returns them as given. A 2-D indicator ``y`` of 0s and
    1s is multilabel classification: one sigmoid output per label, trained with
    binary cross-entropy.

    The inputs are not scaled: put a :class:`~sklearn.preprocessing.StandardScaler`
    before this estimator in a :class:`~sklearn.pipeline.Pipeline`.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int or int, default=(100,)
        Width of each hidden layer, input side first; ``(100, 100)`` is two hidden
        layers of 100 ReLUs. An empty tuple gives multinomial logistic regression.
    class_weight : dict, "balanced" or None, default=None
        Weight of each class in the loss, as ``{label: weight}`` (classes left out
        weigh 1); ``"balanced"`` weighs each class by
        ``n_samples / (n_classes * count)`` (counting rows by their
        ``sample_weight``, if given). The loss of a mini-batch is then the
        weighted mean of its rows' losses; with ``sample_weight`` in ``fit``, a
        row weighs its sample weight times its class weight. Not for multilabel
        ``y``, and not ``"balanced"`` in ``partial_fit``, which sees one chunk at a
        time.
    lr : float, default=0.05
        Learning rate (step size) of SGD.
    optimizer : {"sgd", "adam"}, default="sgd"
        ``"sgd"`` is ``torch.optim.SGD``, the lecture's mini-batch gradient descent;
        ``"adam"`` is ``torch.optim.Adam``.
    momentum : float, default=0.9
        Momentum of SGD, in ``[0, 1)``; 0 is plain SGD as in the lecture. Only used
        with ``optimizer="sgd"``.
    nesterov : bool, default=False
        Use Nesterov's momentum (needs ``optimizer="sgd"`` and ``momentum > 0``).
    alpha : float, default=0.8
        Strength of the L2 penalty on the weights (not the biases), as in
        scikit-learn's MLP: each mini-batch's loss gains ``alpha / 2 * ||W||^2``
        divided by its number of rows, or with ``sample_weight`` by the sum of its
        rows' weights (times their ``class_weight``), so that integer weights act as
        repeated rows; ``loss_curve_`` includes it. 0 turns it off. The default is
        stronger than scikit-learn's 1e-4: it was chosen on real tabular data
        (see the performance page), where a weaker penalty lets the network
        memorise wide one-hot encoded data.
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
    batch_size : int, default=200
        Rows per mini-batch, as scikit-learn's MLP. Larger than the number of rows
        means full-batch gradient descent.
    max_epochs : int, default=200
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
        Hold out ``validation_fraction`` of the training rows (stratified by class) as a dev
        set, score it (accuracy) after every epoch, let that score decide when to
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
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    class_weight_ : ndarray of shape (n_classes,)
        The weight of each class in the loss, from ``class_weight`` (all 1 when it
        is None).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when ``X`` has
        feature names that are all strings.
    n_iter_ : int
        Number of epochs run by the last call to ``fit`` (1 after ``partial_fit``),
        as in scikit-learn's MLP.
    t_ : int
        Number of training rows seen by the optimizer, over all epochs since the
        model was last fitted anew (over ``warm_start`` fits and ``partial_fit``
        calls). Rows of weight 0 are left out of training, so they do not count.
    loss_curve_ : list of float
        Mean cross-entropy over each epoch, for every epoch since the model was
        last fitted anew. The loss of an epoch in which training diverged is NaN
        or infinite (and ends the list).
    best_loss_ : float or None
        Lowest training loss so far (the stopping rule's reference); None with
        ``early_stopping``.
    validation_scores_ : list of float or None
        Accuracy on the dev set after each epoch, with ``early_stopping`` (NaN for
        an epoch run without a dev set, or whose weights diverged); None when no
        epoch since the model was last fitted anew had a dev set.
    best_validation_score_ : float or None
        Highest dev score so far (the stopping rule's reference; the weights kept
        are from that epoch), with ``early_stopping``; -inf when no epoch scored a
        finite value; kept by ``partial_fit`` after such a fit; else None.
    coefs_ : list of ndarray
        The weight matrices, input side first, as scikit-learn's
        ``MLPClassifier`` gives them: ``coefs_[i]`` has shape (n_in, n_out), the
        last (n_last_hidden, ``n_outputs_``). With ``intercepts_``, the network's
        outputs are ``relu(... relu(X @ coefs_[0] + intercepts_[0]) ...) @
        coefs_[-1] + intercepts_[-1]``, and ``predict_proba`` is their
        ``out_activation_``. The network trains two outputs for two classes (a
        softmax); their difference, given here, is scikit-learn's one logistic
        output, with the same probabilities.
    intercepts_ : list of ndarray
        The bias vectors, input side first, as scikit-learn's ``MLPClassifier``
        gives them (the last of shape (``n_outputs_``,)).
    n_layers_ : int
        Number of layers, the input and output layers included, as in
        scikit-learn's MLP.
    n_outputs_ : int
        Number of outputs of ``coefs_[-1]``, as in scikit-learn's
        ``MLPClassifier``: 1 for two classes, else the number of classes (or of
        labels, for multilabel ``y``).
    out_activation_ : str
        ``"logistic"`` for two classes and for multilabel ``y``, ``"softmax"``
        otherwise, as in scikit-learn's ``MLPClassifier``.
    net_ : skorch.NeuralNet
        The skorch net that trained the module; ``net_.history`` has a record per
        epoch (and per-batch records only when a callback acts per batch, such as
        ``verbose=2``'s progress bar).
    module_ : torch.nn.Module
        The fitted :class:`sknn._modules.ReLUMLP`; ``module_.layers`` is the
        ``torch.nn.Sequential`` of linear layers and ReLUs.

    See Also
    --------
    SigmoidRegressor : The lecture's sum of sigmoids for regression.
    ReLUMLPRegressor : The same deep network for regression.
    sklearn.neural_network.MLPClassifier : scikit-learn's multi-layer perceptron.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn import ReLUMLPClassifier
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> labels = y.map({0: "setosa", 1: "versicolor", 2: "virginica"})
    >>> model = make_pipeline(
    ...     StandardScaler(),
    ...     ReLUMLPClassifier(hidden_layer_sizes=(16,), random_state=0),
    ... )
    >>> model.fit(X, labels).score(X, labels) > 0.95
    True
    >>> model.predict(X.iloc[:2]).tolist()
    ['setosa', 'setosa']
    >>> model.predict_proba(X.iloc[:2]).shape
    (2, 3)
    """

    _parameter_constraints: dict = {
        **BaseSGDNetwork._parameter_constraints,
        "hidden_layer_sizes": ["array-like", Integral],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    _module = ReLUMLP

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        class_weight=None,
        *,
        lr=0.05,
        optimizer="sgd",
        momentum=0.9,
        nesterov=False,
        alpha=0.8,
        learning_rate="constant",
        power_t=0.5,
        batch_size=200,
        max_epochs=200,
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
        self.class_weight = class_weight
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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` and the class labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs. Cast once to float32.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, at least two distinct ones; or a 0/1 indicator matrix for
            multilabel classification.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row in the loss (multiplied by its class's
            ``class_weight``): each mini-batch's loss is the weighted mean of its
            rows' losses, and the dev score with ``early_stopping`` is weighted
            too. Rows of weight 0 are left out, as if absent. None weighs rows
            equally.

        Returns
        -------
        self : ReLUMLPClassifier
            The fitted estimator.
        """
        if not hasattr(self, "net_") and take_trained(self, X, y, sample_weight):
            return self  # trained ahead by sknn.model_selection's search
        with self._restore_state_on_error():
            continuing = self.warm_start and hasattr(self, "net_")
            X, y = self._validate_training_data(X, y, reset=not continuing)
            classes = np.arange(y.shape[1]) if y.ndim == 2 else np.unique(y)
            if continuing and (
                (y.ndim == 2) != self._multilabel
                or not np.array_equal(classes, self.classes_)
            ):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in "
                    f"the previous call to fit. Previously got {self.classes_}, `y` has "
                    f"{classes}."
                )
            sample_weight = self._validate_sample_weight(sample_weight, X)
            self._set_classes(classes, y)
            y_encoded = self._encode(y)
            self.class_weight_ = self._weigh_classes(y_encoded, sample_weight)
            return self._fit(
                X,
                y_encoded,
                self._module_kwargs(X),
                stratify=None if self._multilabel else y_encoded,
                fit_data=FitData(X, y, sample_weight),
                sample_weight=self._row_weights(y_encoded, sample_weight),
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on ``X`` and ``y``, continuing from the last call.

        For data that arrives in chunks, or does not fit in memory at once. The
        first call builds the network. Each call applies the parameters as they
        are then (``lr``, ``momentum``, ``alpha``, ``batch_size``, ``shuffle``,
        ``optimizer``, ``learning_rate``, a ``class_weight`` dict...), keeping the
        optimizer's state; the network's shape, the classes and ``random_state``
        are those of the first call. Training never stops early here, but the
        stopping rule keeps count, so that ``learning_rate="adaptive"`` (or
        ``"cosine"``) lowers the rate on plateaus; ``early_stopping=True`` raises a
        ``ValueError``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Its class labels, all among ``classes``; or its 0/1 label indicators.
        classes : array-like of shape (n_classes,), default=None
            Every class that any chunk may hold. Required in the first call (except
            for multilabel ``y``, whose width gives the labels); in later calls it
            may be left out, and if given must be the same classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row of the chunk, as in :meth:`fit`.

        Returns
        -------
        self : ReLUMLPClassifier
            The estimator, trained one more epoch.
        """
        with self._restore_state_on_error():
            first_call = not hasattr(self, "net_")
            X, y = self._validate_training_data(X, y, reset=first_call)
            sample_weight = self._validate_sample_weight(sample_weight, X)
            if first_call:
                self._start_stream(classes, y)
            else:
                self._check_stream(classes, y)
            y_encoded = self._encode(y)
            return self._fit(
                X,
                y_encoded,
                self._module_kwargs(X),
                fit_data=FitData(X, y, sample_weight),
                incremental=True,
                sample_weight=self._row_weights(y_encoded, sample_weight),
            )

    def _start_stream(self, classes, y) -> None:
        """Set the classes and class weights at the first call to ``partial_fit``."""
        if classes is None and y.ndim == 1:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if isinstance(self.class_weight, str):
            raise ValueError(
                "class_weight='balanced' needs all the training data at once, so "
                "partial_fit cannot use it; pass class_weight as a dict."
            )
        labels = np.arange(y.shape[1]) if y.ndim == 2 else np.unique(np.asarray(classes))
        self._set_classes(labels, y)
        self._check_labels(y)
        self.class_weight_ = self._weigh_classes(None, None)

    def _check_stream(self, classes, y) -> None:
        """Check a later chunk of ``partial_fit`` against the classes of the
        first; apply a ``class_weight`` dict set since (``"balanced"`` keeps the
        weights ``fit`` computed)."""
        if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"`classes={np.asarray(classes)!r}` is not the same as on last call "
                f"to partial_fit, was: {self.classes_!r}"
            )
        self._check_labels(y)
        if not isinstance(self.class_weight, str):
            self.class_weight_ = self._weigh_classes(None, None)

    def _check_labels(self, y) -> None:
        """Check that ``y`` fits the classes (or label columns) being learned."""
        if y.ndim == 2 and (not self._multilabel or y.shape[1] != len(self.classes_)):
            fitted = len(self.classes_) if self._multilabel else "1-D class labels"
            raise ValueError(
                f"`y` has {y.shape[1]} label columns, but {type(self).__name__} was "
                f"fitted with {fitted}."
            )
        if y.ndim == 1:
            unseen = np.setdiff1d(np.unique(y), self.classes_)
            if self._multilabel or len(unseen):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`: {np.unique(y)}. "
                    f"`self.classes_` has {self.classes_}."
                )

    def _validate_training_data(self, X, y, reset: bool):
        """Validate ``X`` (as float32) and the labels: 1-D labels, or a 2-D 0/1
        indicator matrix for multilabel classification."""
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=np.float32,
            order="C",
            accept_sparse=("csr", "csc"),
            multi_output=True,
        )
        if sparse.issparse(y):
            y = y.toarray()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # scikit-learn's DataConversionWarning
        check_classification_targets(y)
        is_indicator = (
            type_of_target(y) == "multilabel-indicator" and np.isin(y, (0, 1)).all()
        )
        if y.ndim == 2 and not is_indicator:
            raise ValueError(
                f"{type(self).__name__} takes 1-D class labels, or a 2-D indicator "
                f"matrix of 0s and 1s for multilabel classification; got a "
                f"{type_of_target(y)} target."
            )
        return X, y

    def _set_classes(self, classes: np.ndarray, y: np.ndarray) -> None:
        if len(classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the "
                f"data, but the data contains only one class: {classes[0]!r}."
            )
        self.classes_ = classes
        self._multilabel = y.ndim == 2
        self._label_dtype = y.dtype

    def _encode(self, y) -> np.ndarray:
        if self._multilabel:
            return y.astype(np.float32)
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def _weigh_classes(self, y_encoded, sample_weight) -> np.ndarray:
        """The weight of each class of ``classes_``, from ``class_weight``;
        ``"balanced"`` counts the rows of ``y_encoded`` by their ``sample_weight``."""
        if self.class_weight is None:
            return np.ones(len(self.classes_))
        if self._multilabel:
            raise ValueError("class_weight is not supported for multilabel y.")
        if isinstance(self.class_weight, str):
            # n_samples / (n_classes * count), with weighted counts; a class whose
            # rows all weigh 0 gets 0, as it is not trained on
            counts = np.bincount(
                y_encoded, sample_weight, minlength=len(self.classes_)
            ).astype(np.float64)
            total = counts.sum() / len(self.classes_)
            return np.divide(total, counts, out=np.zeros_like(counts), where=counts > 0)
        # scikit-learn's check and error for labels that are not classes
        compute_class_weight(self.class_weight, classes=self.classes_, y=self.classes_)
        weights = np.array([float(self.class_weight.get(c, 1.0)) for c in self.classes_])
        if not (np.isfinite(weights).all() and (weights >= 0).all()):
            raise ValueError(
                f"class_weight must map labels to finite, non-negative weights; got "
                f"{self.class_weight!r}."
            )
        return weights

    def _row_weights(self, y_encoded, sample_weight) -> np.ndarray | None:
        """Each row's weight in the loss: its ``sample_weight`` times its class's
        weight; None when neither is given (rows weigh the same)."""
        if self.class_weight is None:
            return sample_weight
        weights = self.class_weight_[y_encoded]
        if sample_weight is None:
            return weights
        with np.errstate(over="ignore"):  # an overflow is refused by _fit
            return weights * sample_weight

    def _criterion_class(self) -> type[torch.nn.Module]:
        return torch.nn.BCEWithLogitsLoss if self._multilabel else torch.nn.CrossEntropyLoss

    def _scorer(self):
        return subset_accuracy if self._multilabel else accuracy

    def _module_kwargs(self, X) -> dict:
        return {
            "n_features": X.shape[1],
            "hidden_layer_sizes": check_hidden_layer_sizes(self.hidden_layer_sizes),
            "n_outputs": len(self.classes_),
        }

    def _weights(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """``coefs_`` and ``intercepts_``: for two classes, the last layer as one
        logistic output (a softmax of two outputs is the logistic function of
        their difference)."""
        coefs, intercepts = self._layer_arrays()
        if self._one_logistic_output:
            coefs[-1] = coefs[-1][:, 1:] - coefs[-1][:, :1]
            intercepts[-1] = intercepts[-1][1:] - intercepts[-1][:1]
        return coefs, intercepts

    @property
    def _one_logistic_output(self) -> bool:
        """Whether scikit-learn's MLPClassifier has one output here (two classes)."""
        return not self._multilabel and len(self.classes_) == 2

    @property
    def coefs_(self) -> list[np.ndarray]:
        """The weight matrices, input side first, as scikit-learn's MLP gives them:
        ``coefs_[i]`` of shape (n_in, n_out)."""
        return self._weights()[0]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """The bias vectors, input side first, as scikit-learn's MLP gives them."""
        return self._weights()[1]

    @property
    def n_layers_(self) -> int:
        """Number of layers, the input and output layers included, as in
        scikit-learn's MLP."""
        return len(self._linear_layers()) + 1

    @property
    def n_outputs_(self) -> int:
        """Outputs of ``coefs_[-1]``, as in scikit-learn's MLPClassifier: 1 for
        two classes, else one per class (or label)."""
        check_is_fitted(self, "net_")
        return 1 if self._one_logistic_output else len(self.classes_)

    @property
    def out_activation_(self) -> str:
        """How ``predict_proba`` reads the outputs of ``coefs_[-1]``, as in
        scikit-learn's MLPClassifier."""
        check_is_fitted(self, "net_")
        return "logistic" if self._multilabel or len(self.classes_) == 2 else "softmax"

    def predict_proba(self, X):
        """Class probabilities (softmax of the network's outputs).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class in the order of ``classes_``; rows sum to 1.
        """
        logits = self._forward(X)
        return expit(logits) if self._multilabel else _softmax(logits)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed stably.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class in the order of ``classes_``.
        """
        logits = self._forward(X)
        return log_expit(logits) if self._multilabel else _log_softmax(logits)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The most probable class of each row, as one of the labels in
            ``classes_``.
        """
        check_is_fitted(self, "net_")
        if self._multilabel:
            # a label's probability is above 0.5 exactly when its output is above 0,
            # which no rounding of the sigmoid can change
            return (self._forward(X) > 0).astype(self._label_dtype)
        # softmax keeps the order of the outputs, so the most probable class is the
        # one with the largest output
        return self.classes_[np.argmax(self._forward(X), axis=1)]
