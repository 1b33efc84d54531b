"""The estimator base shared by sknn's regressor and classifier.

It turns validated numpy data into tensors on the chosen device, builds the skorch
net that trains the module with mini-batch SGD, and runs the trained module for
prediction. The estimators in ``_regressor.py`` and ``_classifier.py`` only say
which module and loss to use and how targets are encoded.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import math
import threading
import warnings
from contextlib import contextmanager
from contextvars import ContextVar
from numbers import Integral, Real
from typing import Any, NamedTuple

import joblib
import numpy as np
import torch
from scipy import sparse
from sklearn import get_config
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
from skorch.callbacks import LRScheduler, ProgressBar

from ._backprop import SGD, Adam, linear_chain
from ._batching import TensorData, to_tensor
from ._callbacks import (
    CallbackSupportMixin,
    DevScore,
    FitData,
    FitTaskReporter,
    NonFiniteLossGuard,
    StoppingRule,
    StoppingState,
    StopTraining,
)
from ._device import resolve_device
from ._inputs import (
    RESERVED_CALLBACK_NAMES,
    SkorchCallbacks,
    drop_absent_rows,
    float32_weights,
)
from ._net import (
    NetSnapshot,
    TensorNet,
    can_train_side_by_side,
    move_net,
    plan_side_by_side,
    side_by_side_key,
    train_side_by_side,
)
from ._persistence import estimator_state, restore_estimator
from ._threads import limit_threads, most_threads, threads_for

# Rows per forward pass at prediction time: large enough that Python overhead is
# negligible, small enough that each layer's activations fit in the CPU's caches
# and are reused between chunks instead of being allocated afresh (measured:
# predicting 300,000 rows of a (256, 256) network takes 0.41 s in chunks of 4,096
# rows, 0.72 s in chunks of 65,536).
PREDICT_BATCH_SIZE = 4096
# Sparse inputs are densified a chunk at a time, of at most this many values.
PREDICT_DENSE_VALUES = 2**24
# CPU matrix-multiply libraries switch to other kernels for very short matrices,
# and those round float32 differently. Shorter chunks are padded with zero rows to
# this length, so a row's prediction does not depend on how many rows are
# predicted with it (one at a time, or all at once).
MIN_PREDICT_ROWS = 64

# Keys are exactly the strings users may pass as ``optimizer``.
OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    # torch's optimizers, without their first-use import of torch._dynamo
    "sgd": SGD,
    "adam": Adam,
}
LEARNING_RATES = ("constant", "invscaling", "adaptive", "cosine")
# a "cosine" fit whose last rate is at most this share of lr ended as planned
ANNEALED = 0.01


@functools.cache
def _fused_available(optimizer_cls: type, device_type: str) -> bool:
    """Whether this torch has a fused ``optimizer_cls`` for ``device_type`` (one
    kernel per step instead of a few operations per parameter)."""
    try:
        param = torch.zeros(1, device=device_type, requires_grad=True)
        optimizer_cls([param], lr=0.1, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


def _completed_epochs(net: TensorNet) -> list[dict]:
    """The history entries of epochs that ran to the end: with a training loss, or
    with the non-finite loss that stopped a diverging fit."""
    return [
        epoch
        for epoch in net.history
        if "train_loss" in epoch or "train_nonfinite_loss" in epoch
    ]


def _epoch_loss(epoch: dict) -> float:
    """An epoch's training loss, or the non-finite loss that ended a diverged fit."""
    return epoch.get("train_loss", epoch.get("train_nonfinite_loss"))


class _TrainingRun(NamedTuple):
    """One call's prepared training: the net, its data and callbacks, and what
    finishing it needs."""

    net: TensorNet
    data: TensorData
    rule: StoppingRule
    reporter: FitTaskReporter | None
    context: Any
    incremental: bool
    epochs_before: int
    fit_data: FitData

    def release(self) -> None:
        if self.reporter is not None:
            self.reporter.release()  # the fitted net must not hold the data


class SideBySide:
    """The fits handed over within :func:`side_by_side`, trained together by
    :meth:`train`."""

    def __init__(self, only: bool = False) -> None:
        self.only = only
        self.fits: list[tuple[BaseSGDNetwork, _TrainingRun]] = []

    @staticmethod
    def takes(estimator: BaseSGDNetwork, run: _TrainingRun) -> bool:
        """Whether a fit can be trained with others: a new fit (not ``partial_fit``
        or ``warm_start``) with sknn's SGD, printing nothing and without callbacks
        of the user's or scikit-learn's, on dense data."""
        return (
            not run.incremental
            and run.epochs_before == 0
            and run.reporter is None
            and not estimator.callbacks
            and not estimator.verbose
            and estimator.optimizer == "sgd"
            and can_train_side_by_side(run.net, run.data)
        )

    def add(self, estimator: BaseSGDNetwork, run: _TrainingRun) -> None:
        self.fits.append((estimator, run))

    def train(self, quiet: bool = False) -> list:
        """Train the fits handed over, those of one :func:`side_by_side_key` as one
        computation (or a few: :func:`~sknn._net.plan_side_by_side`), and finish
        each: its fitted attributes and warnings as its own ``fit`` sets them.
        Returns, for each fit in the order handed over, the exception that ended it
        (or None) and the warnings its fit raised, which are also raised here
        unless ``quiet``."""
        errors: list[BaseException | None] = [None] * len(self.fits)
        caught: list[list] = [[] for _ in self.fits]
        groups: dict = {}
        for index, (_, run) in enumerate(self.fits):
            groups.setdefault(side_by_side_key(run.net, run.data), []).append(index)
        stacks = []
        for indices in groups.values():
            runs = [self.fits[i][1] for i in indices]
            try:
                plan = plan_side_by_side(
                    [run.net for run in runs], [run.data for run in runs]
                )
            except Exception:  # noqa: BLE001 - planning is an optimisation
                plan = [[k] for k in range(len(indices))]
            stacks.extend([indices[k] for k in stack] for stack in plan)
        for indices in stacks:
            runs = [self.fits[i][1] for i in indices]
            try:
                # each epoch then runs on these threads or on one, as it times them
                with limit_threads(most_threads()):
                    train_side_by_side(
                        [run.net for run in runs], [run.data for run in runs]
                    )
            except Exception as error:  # every fit of the group failed with it
                for i in indices:
                    errors[i] = error
                continue
            finally:
                for run in runs:
                    run.release()
            for i in indices:
                estimator, run = self.fits[i]
                with warnings.catch_warnings(record=True) as caught[i]:
                    warnings.simplefilter("always")
                    try:
                        estimator._finish_training(run)
                    except Exception as error:
                        errors[i] = error
        self.fits = []
        if not quiet:
            for found in caught:
                _warn_again(found)
        return list(zip(errors, caught, strict=True))


def _warn_again(caught: list) -> None:
    for warning in caught:
        warnings.warn_explicit(
            warning.message, warning.category, warning.filename, warning.lineno
        )


# Fits a search trained ahead, until the search's own fit takes them
# (:func:`take_trained`): {fit_key(...): [(fitted estimator, its warnings, a dict
# the search reads, where "taken" is set), ...]} (a grid may hold a fit twice).
_TRAINED: dict = {}
_TRAINED_LOCK = threading.Lock()


@functools.cache
def _param_names(cls: type) -> tuple[str, ...]:
    return tuple(BaseEstimator._get_param_names.__func__(cls))


def _fingerprint(value) -> str:
    """A digest of a fit's data: of a numpy array's dtype, shape and bytes (fast),
    else joblib's hash of the object (values, types, column names)."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        digest = hashlib.blake2b(repr((value.dtype.str, value.shape)).encode())
        digest.update(np.ascontiguousarray(value).view(np.uint8).data)
        return digest.hexdigest()
    return joblib.hash(value)


def fit_key(estimator: BaseSGDNetwork, X, y, sample_weight) -> tuple | None:
    """What identifies a fit: the estimator's class and parameters, and its data
    (values, types, column names); None for sparse data (never trained ahead)."""
    if sparse.issparse(X):
        return None
    # joblib's hash, not repr: a clone's random_state=RandomState(0) is a copy with
    # the same state at another address
    params = joblib.hash(sorted(estimator.get_params(deep=False).items()))
    data = tuple(_fingerprint(value) for value in (X, y, sample_weight))
    return (type(estimator), params, data)


def take_trained(estimator: BaseSGDNetwork, X, y, sample_weight) -> bool:
    """If a search trained this fit ahead, give ``estimator`` its fitted state and
    raise the warnings its fit raised; return whether it did."""
    if not _TRAINED:
        return False
    try:
        key = fit_key(estimator, X, y, sample_weight)
    except Exception:  # noqa: BLE001 - data that cannot be fingerprinted: fit it
        return False
    with _TRAINED_LOCK:
        trained = _TRAINED.get(key)
        if not trained:
            return False
        fitted, caught, record = trained.pop(0)
        if not trained:
            del _TRAINED[key]
    estimator.__dict__.update(fitted.__dict__)
    record["taken"] = True
    _warn_again(caught)
    return True


_SIDE_BY_SIDE: ContextVar[SideBySide | None] = ContextVar("sknn_side_by_side", default=None)


class NotTrainedTogether(Exception):
    """Raised by a ``fit`` within ``side_by_side(only=True)`` that cannot be
    trained with others, instead of training it."""


@contextmanager
def side_by_side(only: bool = False):
    """Within this context, the ``fit`` of an sknn estimator that can be trained
    with others returns without training; the :class:`SideBySide` yielded trains
    them all when its ``train`` is called (after the ``with`` block)::

        with side_by_side() as together:
            for estimator in estimators:
                estimator.fit(X, y)
        results = together.train()

    Other fits train at once, or with ``only`` raise :class:`NotTrainedTogether`.
    """
    together = SideBySide(only)
    token = _SIDE_BY_SIDE.set(together)
    try:
        yield together
    finally:
        _SIDE_BY_SIDE.reset(token)


class BaseSGDNetwork(CallbackSupportMixin, BaseEstimator):
    """Fit a torch module by mini-batch SGD through skorch; predict with it.

    Subclasses set ``_module`` (a module class of ``sknn._modules``), ``_criterion``
    (a torch loss class) and ``_dev_scorer`` (a score of ``sknn._callbacks``), or
    override :meth:`_criterion_class` and :meth:`_scorer` to choose by the data; and
    call :meth:`_fit` with float32 inputs, encoded targets and optional row weights.

    With scikit-learn 1.9 or later, scikit-learn's callbacks (``set_callbacks``,
    ``sklearn.callback``) see each fit as a task with one subtask per epoch.
    """

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """scikit-learn's list of the constructor's parameters, read from its
        signature once per class (``get_params`` and ``clone`` ask for it at every
        call, and a search clones every candidate on every fold)."""
        return list(_param_names(cls))

    _parameter_constraints: dict = {
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterov": ["boolean"],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "learning_rate": [StrOptions(set(LEARNING_RATES))],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "warm_start": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [SkorchCallbacks(), None],
    }

    _module: type[torch.nn.Module]
    _criterion: type[torch.nn.Module]
    _dev_scorer: staticmethod

    @property
    def module_(self) -> torch.nn.Module:
        """The fitted torch module (held by the skorch net ``net_``)."""
        return self.net_.module_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def __getstate__(self):
        """The state that pickle, joblib and ``skops.io`` save: the parameters and
        fitted attributes as plain data (numbers, strings, lists, dicts, numpy
        arrays), the fitted network as its weights, optimizer state and history
        (see :mod:`sknn._persistence`)."""
        # a copy: scikit-learn's (Python's) __getstate__ gives the __dict__ itself
        return estimator_state(dict(super().__getstate__()))

    def __copy__(self):
        # as Python's copy would without __getstate__: the attributes, shared
        copied = type(self).__new__(type(self))
        copied.__dict__.update(self.__dict__)
        return copied

    def __deepcopy__(self, memo):
        # the attributes copied as they are (the net with its callbacks), not
        # through the saved state that __getstate__ gives
        copied = type(self).__new__(type(self))
        memo[id(self)] = copied
        for key, value in self.__dict__.items():
            copied.__dict__[key] = copy.deepcopy(value, memo)
        return copied

    def __setstate__(self, state):
        """Restore a saved state (of this sknn or an earlier one), rebuilding the
        fitted network on the CPU; a state that is damaged or from a newer sknn
        is refused with a ``ValueError`` that says so."""
        restore_estimator(self, state, _fused_available)

    def _criterion_class(self) -> type[torch.nn.Module]:
        """The loss to train with (a subclass may choose by the data it is fitting)."""
        return self._criterion

    def _scorer(self):
        """The dev-set score (a subclass may choose by the data it is fitting)."""
        return self._dev_scorer

    @contextmanager
    def _restore_state_on_error(self):
        """If fitting fails, put every attribute back as it was before ``fit``, but
        for scikit-learn's bookkeeping of the callbacks it must still tear down."""
        saved = self.__dict__.copy()
        try:
            yield
        except BaseException:
            callback_state = {
                key: value
                for key, value in self.__dict__.items()
                if key in ("_callback_fit_ctx", "_skl_callbacks_to_teardown")
            }
            self.__dict__.clear()
            self.__dict__.update(saved)
            self.__dict__.update(callback_state)
            raise

    @staticmethod
    def _validate_sample_weight(sample_weight, X) -> np.ndarray | None:
        """``sample_weight`` as float64, checked: one finite, non-negative weight
        per row of ``X``. None stays None (rows weigh the same)."""
        if sample_weight is None:
            return None
        return _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )

    def _seeds(self) -> tuple[int, int, int]:
        """Seeds of the initial weights, the batch order and the dev split."""
        rng = check_random_state(self.random_state)
        return tuple(int(seed) for seed in rng.randint(np.iinfo(np.int32).max, size=3))

    def _training_callbacks(
        self,
        dev: DevScore | None,
        rule: StoppingRule,
        n_train: int,
        batch_size: int,
        reporter: FitTaskReporter | None = None,
    ) -> list:
        """The skorch callbacks of a fit, in the order they run after each epoch:
        the dev-set scorer, scikit-learn's stopping rule and learning-rate
        schedules (``rule``), the guard against a non-finite loss, the progress bar
        (``verbose >= 2``), copies of the user's ``callbacks``, the ``reporter`` to
        scikit-learn's callbacks, and last the end of training when the rule says
        so, so that every other callback sees the last epoch."""
        callbacks: list = [] if dev is None else [("dev_score", dev)]
        callbacks.append(("stopping_rule", rule))
        callbacks.append(("non_finite_loss_guard", NonFiniteLossGuard()))
        if self.verbose >= 2:
            batches = math.ceil(n_train / batch_size)
            callbacks.append(("progress_bar", ProgressBar(batches_per_epoch=batches)))
        # copies, so that fitting never changes the estimator's parameters
        callbacks += copy.deepcopy(self.callbacks or [])
        if reporter is not None:
            callbacks.append(("sklearn_callbacks", reporter))
        return [*callbacks, ("stop_training", StopTraining(rule))]

    def _check_callbacks(self) -> None:
        """Refuse a callback name sknn or skorch uses; warn of a skorch
        ``LRScheduler`` beside a schedule of sknn's."""
        for item in self.callbacks or []:
            if isinstance(item, tuple) and item[0] in RESERVED_CALLBACK_NAMES:
                raise ValueError(
                    f"The callback name {item[0]!r} in callbacks is taken by one of "
                    f"sknn's or skorch's own callbacks "
                    f"({', '.join(RESERVED_CALLBACK_NAMES)}); give yours another name."
                )
            callback = item[1] if isinstance(item, tuple) else item
            if self._schedule != "constant" and isinstance(callback, LRScheduler):
                warnings.warn(
                    f"callbacks hold a skorch LRScheduler, which sets the learning "
                    f"rate, as learning_rate={self.learning_rate!r} does too; set "
                    f"learning_rate='constant' to leave the rate to the scheduler.",
                    UserWarning,
                    stacklevel=5,
                )

    def _optimizer_params(self, device: torch.device) -> dict:
        """Keyword arguments of the torch optimizer, prefixed for skorch."""
        params = {"momentum": self.momentum, "nesterov": self.nesterov}
        params = params if self.optimizer == "sgd" else {}
        if _fused_available(OPTIMIZERS[self.optimizer], device.type):
            params["fused"] = True
        return {f"optimizer__{key}": value for key, value in params.items()}

    def _build_net(
        self,
        module_kwargs: dict,
        device: torch.device,
        seeds: tuple,
    ) -> TensorNet:
        init_seed, shuffle_seed, _ = seeds
        return TensorNet(
            module=self._module,
            **{f"module__{key}": value for key, value in module_kwargs.items()},
            criterion=self._criterion_class(),
            optimizer=OPTIMIZERS[self.optimizer],
            lr=self.lr,
            **self._optimizer_params(device),
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            shuffle=self.shuffle,
            init_seed=init_seed,
            shuffle_seed=shuffle_seed,
            train_split=None,
            callbacks=[],  # set for each call by _fit
            device=device,
            verbose=self.verbose,
        )

    def _fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        module_kwargs: dict,
        stratify=None,
        *,
        fit_data: FitData,
        incremental: bool = False,
        sample_weight: np.ndarray | None = None,
        prepare=None,
    ):
        """Train on validated float32 ``X`` and encoded ``y``.

        ``fit_data`` is what scikit-learn's callbacks are shown: ``X``, the targets
        as the user gave them and the user's sample weights.

        With ``sample_weight``, each mini-batch's loss is the weighted mean of its
        rows' losses; rows of weight 0 are left out, as if absent.

        A fresh module, or with ``warm_start`` the fitted one (with a new optimizer,
        as scikit-learn's MLP does); with ``incremental`` (``partial_fit``), one
        epoch that continues the fitted module and optimizer, with the parameters
        as they are now. With ``early_stopping`` (not in ``partial_fit``), a
        ``validation_fraction`` of the rows, stratified by ``stratify`` when given,
        is held out as a dev set. ``prepare(net, continuing)``, if given, adjusts
        the net before training. A call that fails leaves the fitted net as it was.
        """
        self._check_training_parameters(incremental)
        device = resolve_device(self.device)
        seeds = self._seeds()
        X, y, sample_weight, stratify = drop_absent_rows(X, y, sample_weight, stratify)
        weights, peak = (
            (None, 1.0) if sample_weight is None else float32_weights(sample_weight)
        )
        dev = None
        if self.early_stopping:
            X, y, weights, dev = self._hold_out_dev_set(
                X, y, weights, stratify, seeds[2], device
            )
        batch_size = min(self.batch_size, X.shape[0])
        weights = None if weights is None else to_tensor(weights, device)
        fitted = getattr(self, "net_", None)
        continuing = fitted is not None and (incremental or self.warm_start)
        if continuing:
            self._check_same_network(fitted, module_kwargs)
        snapshot = None
        if incremental and fitted is not None:
            net, snapshot = fitted, NetSnapshot(fitted)
        else:
            net = self._build_net(module_kwargs, device, seeds).initialize()
            if continuing:  # warm_start: the fitted weights, a copy of the history
                net.module_.load_state_dict(fitted.module_.state_dict())
                net.history_ = copy.deepcopy(fitted.history_)
        try:
            if snapshot is not None:
                move_net(net, device)
                self._update_net(net, device)
            if prepare is not None:
                prepare(net, continuing)
            # the penalty is divided by the batch's sum of the user's row weights
            net.alpha = self.alpha / peak
            per_row = net.predictor()[2]
            with limit_threads(threads_for(per_row * batch_size)):
                self._train(
                    net,
                    TensorData(to_tensor(X, device), to_tensor(y, device), weights),
                    dev,
                    incremental=incremental,
                    continuing=continuing,
                    batch_size=batch_size,
                    fit_data=fit_data,
                )
        except BaseException:
            if snapshot is not None:
                snapshot.restore()
            raise
        return self

    def _check_training_parameters(self, incremental: bool) -> None:
        if incremental and hasattr(self, "net_"):
            # scikit-learn's _fit_context validates only the first partial_fit;
            # sknn applies parameters set since, so they are checked too
            self._validate_params()
        if self.nesterov and (self.optimizer != "sgd" or self.momentum == 0):
            raise ValueError(
                "nesterov=True needs optimizer='sgd' and a momentum above 0; got "
                f"optimizer={self.optimizer!r} and momentum={self.momentum}."
            )
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        self._check_callbacks()

    def _hold_out_dev_set(self, X, y, weights, stratify, seed: int, device):
        """Split off ``validation_fraction`` of the rows as a dev set, as
        scikit-learn's MLP does; returns the training part and a
        :class:`DevScore` of the dev part."""
        arrays = (X, y) if weights is None else (X, y, weights)
        split = train_test_split(
            *arrays,
            test_size=self.validation_fraction,
            random_state=seed,
            stratify=stratify,
        )
        X, X_dev, y, y_dev = split[:4]
        weights, dev_weights = split[4:] or (None, None)
        if X_dev.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or "
                "the size of your dataset."
            )
        dev = DevScore(
            to_tensor(X_dev, device),
            to_tensor(y_dev, device),
            self._scorer(),
            None if dev_weights is None else to_tensor(dev_weights, device),
        )
        return X, y, weights, dev

    def _check_same_network(self, net: TensorNet, module_kwargs: dict) -> None:
        """Refuse to continue a fitted network whose shape the parameters changed."""
        fitted = net.get_params_for("module")
        changed = [
            f"{key}={value!r} (fitted with {fitted[key]!r})"
            for key, value in module_kwargs.items()
            if key in fitted
            and key not in ("n_features", "n_outputs")
            and fitted[key] != value
        ]
        if changed:
            raise ValueError(
                f"partial_fit and warm_start continue the fitted network, whose shape "
                f"cannot change, but {', '.join(changed)}. Fit a new model "
                f"(warm_start=False) to change it."
            )

    def _update_net(self, net: TensorNet, device: torch.device) -> None:
        """Apply the parameters set since the last call to a fitted net that
        ``partial_fit`` continues, keeping its optimizer's state (momentum) and the
        learning rate its schedule reached unless ``lr`` itself was changed."""
        net.batch_size, net.shuffle, net.verbose = (
            self.batch_size,
            self.shuffle,
            self.verbose,
        )
        old = net.optimizer_
        lr = old.param_groups[0]["lr"]
        if old.param_groups[0].get("initial_lr", self.lr) != self.lr:
            lr = self.lr  # set by the user since the last call
        wanted = self._optimizer_params(device)
        current = {
            key: value for key, value in vars(net).items() if key.startswith("optimizer__")
        }
        # a torch.optim.SGD (of a model saved before sknn had its own) is sknn's SGD
        same_kind = issubclass(OPTIMIZERS[self.optimizer], type(old))
        if not same_kind or current != wanted:
            for key in current:
                delattr(net, key)
            for key, value in wanted.items():
                setattr(net, key, value)
            net.optimizer, net.lr = OPTIMIZERS[self.optimizer], self.lr
            net.initialize_optimizer()
            if same_kind:  # keep its state
                for param, state in old.state.items():
                    net.optimizer_.state[param] = state
        for group in net.optimizer_.param_groups:
            group["lr"], group["initial_lr"] = lr, self.lr

    def _stopping_state(self, continuing: bool, incremental: bool) -> StoppingState:
        """Where scikit-learn's stopping rule starts: afresh, or where the last
        call left it (its count, best loss or dev score, samples seen). The
        ``"cosine"`` schedule goes on over ``partial_fit`` calls; a ``fit`` (with
        ``warm_start`` too: a fresh optimizer) starts its cycle again."""
        if not continuing:
            return StoppingState()
        same_watch = (self.best_loss_ is None) == bool(self.early_stopping)
        schedule = (
            (getattr(self, "_schedule_epoch", 0), getattr(self, "_schedule_height", 1.0))
            if incremental
            else (0, 1.0)
        )
        return StoppingState(
            self._no_improvement_count if same_watch else 0,
            math.inf if self.best_loss_ is None else self.best_loss_,
            -math.inf
            if self.best_validation_score_ is None
            else self.best_validation_score_,
            self.t_,
            *schedule,
        )

    def _train(
        self,
        net: TensorNet,
        data: TensorData,
        dev: DevScore | None,
        *,
        incremental: bool,
        continuing: bool,
        batch_size: int,
        fit_data: FitData,
    ) -> None:
        """Run the epochs of one call on the prepared ``net``; set the fitted
        attributes. Within :func:`side_by_side`, a fit that can be trained with
        others is handed over instead, and finished when they are trained."""
        run = self._start_training(
            net,
            data,
            dev,
            incremental=incremental,
            continuing=continuing,
            batch_size=batch_size,
            fit_data=fit_data,
        )
        together = _SIDE_BY_SIDE.get()
        if together is not None and together.takes(self, run):
            together.add(self, run)
            return
        if together is not None and together.only:
            run.release()
            raise NotTrainedTogether("this fit cannot be trained side by side")
        try:
            net.partial_fit(data, None)
        finally:
            run.release()
        self._finish_training(run)

    def _start_training(
        self,
        net: TensorNet,
        data: TensorData,
        dev: DevScore | None,
        *,
        incremental: bool,
        continuing: bool,
        batch_size: int,
        fit_data: FitData,
    ) -> _TrainingRun:
        """Set up the callbacks of one call's epochs: the stopping rule, the dev
        score, the guard, and the reports to scikit-learn's callbacks."""
        n_train = len(data)
        net.max_epochs = 1 if incremental else self.max_epochs
        context = reporter = None
        if hasattr(self, "_init_callback_context"):  # scikit-learn >= 1.9
            context = self._init_callback_context(max_subtasks=net.max_epochs)
            context.call_on_fit_task_begin(estimator=self, **fit_data.hook_kwargs)
            if getattr(self, "_skl_callbacks", None):  # epochs are their subtasks
                reporter = FitTaskReporter(context, self, fit_data)
        rule = StoppingRule(
            self._stopping_state(continuing, incremental),
            n_train,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            learning_rate=self._schedule,
            power_t=self.power_t,
            dev=dev is not None,
            can_stop=not incremental,
            period=self.max_epochs,
            verbose=bool(self.verbose),
        )
        net.callbacks = self._training_callbacks(dev, rule, n_train, batch_size, reporter)
        net.initialize_callbacks()
        for group in net.optimizer_.param_groups:  # schedules start from here
            group.setdefault("initial_lr", group["lr"])
        epochs_before = len(_completed_epochs(net))
        return _TrainingRun(
            net, data, rule, reporter, context, incremental, epochs_before, fit_data
        )

    def _finish_training(self, run: _TrainingRun) -> None:
        """Set the fitted attributes from a run whose epochs are over."""
        self._record_training(
            run.net, run.rule, run.incremental, run.epochs_before, run.data
        )
        if run.context is not None:
            run.context.call_on_fit_task_end(
                estimator=self, **run.fit_data.hook_kwargs, reconstruction_attributes={}
            )

    def _record_training(
        self,
        net: TensorNet,
        rule: StoppingRule,
        incremental: bool,
        epochs_before: int,
        data: TensorData,
    ) -> None:
        """Set the fitted attributes as scikit-learn's MLP does: ``n_iter_`` counts
        the epochs of this call, ``loss_curve_`` (and ``validation_scores_``) all
        epochs since the model was last fitted anew; say how training ended."""
        epochs = _completed_epochs(net)
        self.net_ = net
        self.n_iter_ = len(epochs) - epochs_before
        self.t_ = rule.state_.samples_seen
        self.loss_curve_ = [_epoch_loss(epoch) for epoch in epochs]
        self._no_improvement_count = rule.state_.no_improvement_count
        self._schedule_epoch = rule.state_.schedule_epoch
        self._schedule_height = rule.state_.schedule_height
        has_scores = any("valid_score" in epoch for epoch in epochs)
        # NaN for the epochs run without a dev set (by partial_fit)
        scores = [epoch.get("valid_score", math.nan) for epoch in epochs]
        if self.early_stopping:
            self.best_loss_ = None
            self.best_validation_score_ = rule.state_.best_score
        else:
            self.best_loss_ = rule.state_.best_loss
            if not has_scores:
                self.best_validation_score_ = None
        self.validation_scores_ = scores if has_scores else None
        far = None if incremental else self._loss_far_off(net, data)
        self._warn_how_training_ended(dict(net.callbacks_), self.n_iter_, incremental, far)

    def _loss_far_off(self, net: TensorNet, data: TensorData) -> float | None:
        """The fitted model's training error (without the penalty), where it says
        that a finite fit diverged; else None. Only a loss with a known scale can
        say so (the regressors')."""
        return None

    def _warn_how_training_ended(
        self, callbacks: dict, epochs_run: int, incremental: bool, far: float | None
    ) -> None:
        guard = callbacks["non_finite_loss_guard"]
        rule = callbacks["stopping_rule"]
        reporter = callbacks.get("sklearn_callbacks")
        epochs_asked = 1 if incremental else self.max_epochs
        if far is not None and guard.diverged_epoch_ is None:
            warnings.warn(
                f"Training diverged: the fitted model's error on the training rows "
                f"(without the penalty) is {far:.4g}, {far:.0f} times the error of "
                f"always predicting the mean. "
                f"The learning rate lr={self.lr} is probably too large for this data "
                f"and network; try a smaller one.",
                RuntimeWarning,
                stacklevel=7,
            )
        if guard.diverged_epoch_ is not None:
            kept = (
                "the weights of its best dev score"
                if self.early_stopping and np.isfinite(self.best_validation_score_)
                else f"its weights after epoch {guard.kept_epochs_} (0: the initial "
                f"weights), the last that gave a finite loss"
            )
            warnings.warn(
                f"Training diverged: the training loss became {guard.diverged_loss_} in "
                f"epoch {guard.diverged_epoch_}, so training stopped. The model keeps "
                f"{kept}. The learning rate lr={self.lr} is probably too large for "
                f"this data; try a smaller one.",
                RuntimeWarning,
                stacklevel=7,
            )
        elif rule.stop_:
            return  # converged by the tol / n_iter_no_change rule
        elif reporter is not None and reporter.stopped_:
            return  # a scikit-learn callback asked to stop
        elif epochs_run < epochs_asked:
            # skorch ends the loop quietly on KeyboardInterrupt; say so.
            warnings.warn(
                f"Training was interrupted after {epochs_run} of {epochs_asked} "
                f"epochs; the model keeps the weights learned so far.",
                UserWarning,
                stacklevel=7,
            )
        elif not incremental and not self._annealed():
            watched = "dev score" if self.early_stopping else "training loss"
            warnings.warn(
                f"Training stopped at max_epochs={self.max_epochs} before more than "
                f"n_iter_no_change={self.n_iter_no_change} epochs in a row failed to "
                f"improve the best {watched} by tol={self.tol}. Raise max_epochs (or "
                f"lr) to train to convergence.{self._last_epochs(epochs_run)}",
                ConvergenceWarning,
                stacklevel=7,
            )

    @property
    def _schedule(self) -> str:
        """The learning-rate schedule in effect: as in scikit-learn, the schedules
        are SGD's; Adam keeps its rate (``"constant"``)."""
        return self.learning_rate if self.optimizer == "sgd" else "constant"

    def _annealed(self) -> bool:
        """Whether the ``"cosine"`` schedule brought the rate down to at most
        :data:`ANNEALED` of ``lr`` by ``max_epochs`` (from 16 epochs on): the end
        it planned, not a failure to converge."""
        rate = self.net_.optimizer_.param_groups[0]["lr"]
        return self._schedule == "cosine" and rate <= ANNEALED * self.lr

    def _last_epochs(self, epochs_run: int) -> str:
        """What the last epochs of an unconverged fit did, for its warning: how
        far the watched value moved over the last ``n_iter_no_change`` epochs (a
        loss that barely moves is near its end; a dev score that falls says more
        epochs would overfit), and the rate a schedule reached."""
        dev = self.early_stopping and self.validation_scores_ is not None
        values = self.validation_scores_ if dev else self.loss_curve_
        span = int(min(self.n_iter_no_change, epochs_run - 1))
        if span < 1 or len(values) <= span:
            return ""
        first, last = float(values[-span - 1]), float(values[-1])
        if not (np.isfinite(first) and np.isfinite(last)):
            return ""
        if dev:
            text = (
                f" Over the last {span} epoch{'s' * (span > 1)} the dev score went "
                f"from {first:.4g} to {last:.4g} (best "
                f"{self.best_validation_score_:.4g})."
            )
        else:
            change = (first - last) / abs(first) if first else 0.0
            text = (
                f" Over the last {span} epoch{'s' * (span > 1)} the training loss "
                f"went from {first:.4g} to {last:.4g} ({-change:+.2%})."
            )
        if self._schedule != "constant":
            rate = self.net_.optimizer_.param_groups[0]["lr"]
            if rate != self.lr:
                text += f" The {self.learning_rate} rate went from lr={self.lr} to "
                text += f"{rate:.3g}."
            else:
                text += f" The {self.learning_rate} rate is still lr={self.lr}."
        return text

    def _prediction_input(self, X):
        """``X`` as float32, validated as scikit-learn's ``validate_data`` does; a
        float array of the fitted width (from a model fitted without feature names)
        goes a shorter way to the same result, and on to scikit-learn's own checks
        for their errors when it is not finite."""
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in (np.float32, np.float64)
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
        ):
            with np.errstate(over="ignore"):  # refused below, in scikit-learn's words
                X32 = np.ascontiguousarray(X, dtype=np.float32)
            if get_config()["assume_finite"] or np.isfinite(X32).all():
                return X32
        return validate_data(
            self, X, reset=False, dtype=np.float32, order="C", accept_sparse=("csr", "csc")
        )

    def _linear_layers(self) -> list:
        """The fitted network's linear layers (their ``weight`` and ``bias``),
        input side first."""
        check_is_fitted(self, "net_")
        return linear_chain(self.net_.module_)

    def _layer_arrays(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The linear layers' weights, transposed to (n_in, n_out), and biases, as
        float64, input side first: scikit-learn's MLP's ``coefs_`` and
        ``intercepts_`` of the network's own outputs."""
        layers = self._linear_layers()
        coefs = [
            layer.weight.detach().cpu().numpy().astype(np.float64).T for layer in layers
        ]
        intercepts = [
            layer.bias.detach().cpu().numpy().astype(np.float64) for layer in layers
        ]
        return coefs, intercepts

    def _forward(self, X, through=None) -> np.ndarray:
        """Validate ``X`` and return the module's outputs as float64, shape (n, k);
        or what ``through(module, X_chunk)`` returns, if given."""
        check_is_fitted(self, "net_")
        X = self._prediction_input(X)
        is_sparse = sparse.issparse(X)
        step = PREDICT_BATCH_SIZE
        if is_sparse:
            X = X.tocsr()
            step = max(MIN_PREDICT_ROWS, min(step, PREDICT_DENSE_VALUES // X.shape[1]))
        device = resolve_device(self.device)
        module = self.net_.module_
        first, forward, per_row = self.net_.predictor()
        if first.device != device:
            module.to(device)
        if module.training:
            module.eval()
        outputs = []
        rows_per_pass = min(step, max(MIN_PREDICT_ROWS, X.shape[0]))
        threads = threads_for(per_row * rows_per_pass)
        with torch.inference_mode(), limit_threads(threads):
            for start in range(0, X.shape[0], step):
                chunk = X[start : start + step]
                chunk = chunk.toarray() if is_sparse else chunk
                rows = len(chunk)
                if rows < MIN_PREDICT_ROWS:
                    chunk = np.concatenate(
                        [chunk, np.zeros((MIN_PREDICT_ROWS - rows, X.shape[1]), X.dtype)]
                    )
                chunk = to_tensor(chunk, device)
                output = forward(chunk) if through is None else through(module, chunk)
                outputs.append(output[:rows].cpu())
        outputs = (outputs[0] if len(outputs) == 1 else torch.cat(outputs)).numpy()
        outputs = outputs.astype(np.float64)
        if not np.isfinite(outputs).all():
            bad_rows = int((~np.isfinite(outputs)).any(axis=1).sum())
            warnings.warn(
                f"The network's outputs are NaN or infinite for {bad_rows} of "
                f"{len(outputs)} rows: these inputs are far outside the training "
                f"data's range, or training diverged (lr={self.lr}).",
                RuntimeWarning,
                stacklevel=3,
            )
        return outputs
