"""The estimator base shared by sknn's regressor and classifier.

It turns validated numpy data into tensors on the chosen device, builds the skorch
net that trains the module with mini-batch SGD, and runs the trained module for
prediction. The estimators in ``_regressor.py`` and ``_classifier.py`` only say
which module and loss to use and how targets are encoded.
"""

from __future__ import annotations

import copy
import functools
import math
import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping, LRScheduler, ProgressBar
from torch.optim.lr_scheduler import LambdaLR, ReduceLROnPlateau

from ._batching import TensorData, to_tensor
from ._callbacks import (
    CallbackSupportMixin,
    DevScore,
    FitData,
    FitTaskReporter,
    InvScaling,
    NonFiniteLossGuard,
    StopWhenLRBelow,
)
from ._device import resolve_device
from ._net import TensorNet

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
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
}
LEARNING_RATES = ("constant", "invscaling", "adaptive")
# "adaptive" divides the learning rate by 5 on a plateau and stops below this.
ADAPTIVE_FACTOR = 0.2
ADAPTIVE_MIN_LR = 1e-6


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
    """The history entries of epochs that ran to the end (with a training loss)."""
    return [epoch for epoch in net.history if "train_loss" in epoch]


def _move_net(net: TensorNet, device: torch.device) -> None:
    """Move a fitted net's module and optimizer state (momentum) to ``device``."""
    net.module_.to(device)  # in place: the optimizer keeps the same parameters
    for state in net.optimizer_.state.values():
        for key, value in state.items():
            if torch.is_tensor(value):
                state[key] = value.to(device)
    net.device = device


class BaseSGDNetwork(CallbackSupportMixin, BaseEstimator):
    """Fit a torch module by mini-batch SGD through skorch; predict with it.

    Subclasses set ``_module`` (a module class of ``sknn._modules``), ``_criterion``
    (a torch loss class) and ``_dev_scorer`` (a score of ``sknn._callbacks``), or
    override :meth:`_criterion_class` and :meth:`_scorer` to choose by the data; and
    call :meth:`_fit` with float32 inputs, encoded targets and optional row weights.

    With scikit-learn 1.9 or later, scikit-learn's callbacks (``set_callbacks``,
    ``sklearn.callback``) see each fit as a task with one subtask per epoch.
    """

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
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
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
        n_train: int,
        batch_size: int,
        incremental: bool = False,
        reporter: FitTaskReporter | None = None,
    ) -> list:
        """The skorch callbacks of a fit, in the order they run after each epoch:
        the guard against a non-finite loss, the dev-set scorer, the learning-rate
        schedule, the progress bar (``verbose >= 2``), copies of the user's
        ``callbacks``, the ``reporter`` to scikit-learn's callbacks, and last the
        rules that end training: no progress by ``tol`` (or, with ``"adaptive"``, a
        learning rate lowered too far). ``partial_fit`` (``incremental``) runs one
        epoch, without stopping rules or dev set."""
        callbacks: list = [("non_finite_loss_guard", NonFiniteLossGuard())]
        if dev is not None:
            callbacks.append(("dev_score", dev))
        watched, lower_is_better = (
            ("train_loss", True) if dev is None else ("valid_score", False)
        )
        if self.learning_rate == "invscaling":
            schedule = InvScaling(n_train, self.power_t)
            callbacks.append(("lr_scheduler", LRScheduler(LambdaLR, lr_lambda=schedule)))
        elif self.learning_rate == "adaptive" and not incremental:
            plateau = LRScheduler(
                ReduceLROnPlateau,
                monitor=watched,
                mode="min" if lower_is_better else "max",
                factor=ADAPTIVE_FACTOR,
                patience=self.n_iter_no_change,
                threshold=self.tol,
                threshold_mode="abs",
            )
            callbacks.append(("lr_scheduler", plateau))
        if self.verbose >= 2:
            batches = math.ceil(n_train / batch_size)
            callbacks.append(("progress_bar", ProgressBar(batches_per_epoch=batches)))
        # copies, so that fitting never changes the estimator's parameters
        callbacks += copy.deepcopy(self.callbacks or [])
        if reporter is not None:
            callbacks.append(("sklearn_callbacks", reporter))
        if incremental:
            return callbacks
        patience = self.n_iter_no_change
        if self.learning_rate == "adaptive":
            callbacks.append(("stop_when_lr_below", StopWhenLRBelow(ADAPTIVE_MIN_LR)))
            patience = self.max_epochs + 1  # plateaus lower the rate instead of stopping
        stopper = EarlyStopping(
            monitor=watched,
            lower_is_better=lower_is_better,
            patience=patience,
            threshold=self.tol,
            threshold_mode="abs",
            load_best=dev is not None,
        )
        return [*callbacks, ("early_stopping", stopper)]

    def _optimizer_params(self, batch_size: int, device: torch.device) -> dict:
        """Keyword arguments of the torch optimizer, prefixed for skorch."""
        params = {"momentum": self.momentum, "nesterov": self.nesterov}
        params = params if self.optimizer == "sgd" else {}
        if _fused_available(OPTIMIZERS[self.optimizer], device.type):
            params["fused"] = True
        if self.alpha > 0:
            # scikit-learn's penalty alpha / 2 * ||W||^2 / batch_size, on weights only
            params["param_groups"] = [
                ("*weight", {"weight_decay": self.alpha / batch_size})
            ]
        return {f"optimizer__{key}": value for key, value in params.items()}

    def _build_net(
        self,
        module_kwargs: dict,
        device: torch.device,
        seeds: tuple,
        batch_size: int,
    ) -> TensorNet:
        init_seed, shuffle_seed, _ = seeds
        return TensorNet(
            module=self._module,
            **{f"module__{key}": value for key, value in module_kwargs.items()},
            criterion=self._criterion_class(),
            optimizer=OPTIMIZERS[self.optimizer],
            lr=self.lr,
            **self._optimizer_params(batch_size, device),
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
    ):
        """Train on validated float32 ``X`` and encoded ``y``.

        ``fit_data`` is what scikit-learn's callbacks are shown: ``X``, the targets
        as the user gave them and the user's sample weights.

        With ``sample_weight``, each mini-batch's loss is the weighted mean of its
        rows' losses; rows of weight 0 are left out, as if absent.

        A fresh module, or with ``warm_start`` the fitted one (with a new optimizer,
        as scikit-learn's MLP does); with ``incremental`` (``partial_fit``), one
        epoch that continues the fitted module and optimizer. With
        ``early_stopping`` (not in ``partial_fit``), a ``validation_fraction`` of
        the rows, stratified by ``stratify`` when given, is held out as a dev set.
        """
        if self.nesterov and (self.optimizer != "sgd" or self.momentum == 0):
            raise ValueError(
                "nesterov=True needs optimizer='sgd' and a momentum above 0; got "
                f"optimizer={self.optimizer!r} and momentum={self.momentum}."
            )
        device = resolve_device(self.device)
        seeds = self._seeds()
        if sample_weight is not None and not sample_weight.all():
            if not sample_weight.any():
                raise ValueError(
                    "Every row has weight 0 (from sample_weight, or class_weight), so "
                    "there is nothing to train on; give some rows a positive weight."
                )
            kept = sample_weight > 0
            X, y, sample_weight = X[kept], y[kept], sample_weight[kept]
            stratify = None if stratify is None else stratify[kept]
        weights = None if sample_weight is None else sample_weight.astype(np.float32)
        dev = None
        if self.early_stopping and not incremental:
            arrays = (X, y) if weights is None else (X, y, weights)
            split = train_test_split(
                *arrays,
                test_size=self.validation_fraction,
                random_state=seeds[2],
                stratify=stratify,
            )
            X, X_dev, y, y_dev = split[:4]
            weights, dev_weights = split[4:] or (None, None)
            dev = DevScore(
                to_tensor(X_dev, device),
                to_tensor(y_dev, device),
                self._scorer(),
                None if dev_weights is None else to_tensor(dev_weights, device),
            )
        n_train = X.shape[0]
        batch_size = min(self.batch_size, n_train)
        fitted = getattr(self, "net_", None)
        if incremental and fitted is not None:
            net = fitted
            _move_net(net, device)
        else:
            net = self._build_net(module_kwargs, device, seeds, batch_size).initialize()
            if fitted is not None and self.warm_start:
                net.module_.load_state_dict(fitted.module_.state_dict())
                net.history_ = fitted.history_
        net.max_epochs = 1 if incremental else self.max_epochs
        context = reporter = None
        if hasattr(self, "_init_callback_context"):  # scikit-learn >= 1.9
            context = self._init_callback_context(max_subtasks=net.max_epochs)
            context.call_on_fit_task_begin(estimator=self, **fit_data.hook_kwargs)
            reporter = FitTaskReporter(context, self, fit_data)
        net.callbacks = self._training_callbacks(
            dev, n_train, batch_size, incremental, reporter
        )
        net.initialize_callbacks()
        for group in net.optimizer_.param_groups:  # schedules resume from here
            group.setdefault("initial_lr", group["lr"])
        epochs_before = len(_completed_epochs(net))
        weights = None if weights is None else to_tensor(weights, device)
        try:
            net.partial_fit(
                TensorData(to_tensor(X, device), to_tensor(y, device), weights), None
            )
        finally:
            if reporter is not None:
                reporter.release()  # the fitted net must not hold the data
        self._record_training(net, incremental, epochs_before)
        if context is not None:
            context.call_on_fit_task_end(
                estimator=self, **fit_data.hook_kwargs, reconstruction_attributes={}
            )
        return self

    def _record_training(
        self, net: TensorNet, incremental: bool, epochs_before: int
    ) -> None:
        """Set the fitted attributes from the net's history (all epochs run, over
        warm starts and ``partial_fit`` calls); say how training ended."""
        epochs = _completed_epochs(net)
        self.net_ = net
        self.n_iter_ = len(epochs)
        self.loss_curve_ = [epoch["train_loss"] for epoch in epochs]
        if self.early_stopping and not incremental:
            # NaN for epochs run without a dev set (by partial_fit)
            self.validation_scores_ = [epoch.get("valid_score", np.nan) for epoch in epochs]
            self.best_validation_score_ = float(np.nanmax(self.validation_scores_))
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = min(self.loss_curve_, default=None)
        self._warn_how_training_ended(dict(net.callbacks_), self.n_iter_ - epochs_before)

    def _warn_how_training_ended(self, callbacks: dict, epochs_run: int) -> None:
        guard = callbacks["non_finite_loss_guard"]
        stopper = callbacks.get("early_stopping")
        lr_floor = callbacks.get("stop_when_lr_below")
        reporter = callbacks.get("sklearn_callbacks")
        epochs_asked = self.max_epochs if stopper is not None else 1
        if guard.diverged_epoch_ is not None:
            warnings.warn(
                f"Training diverged: the training loss became {guard.diverged_loss_} in "
                f"epoch {guard.diverged_epoch_}, so training stopped. The model keeps "
                f"its weights after epoch {guard.kept_epochs_} (0: the initial weights), "
                f"the last that gave a finite loss. The learning rate lr={self.lr} is "
                f"probably too large for this data; try a smaller one.",
                RuntimeWarning,
                stacklevel=6,
            )
        elif stopper is not None and stopper.misses_ >= stopper.patience:
            return  # converged by the tol / n_iter_no_change rule
        elif lr_floor is not None and lr_floor.stopped_:
            return  # "adaptive" lowered the learning rate to its floor
        elif reporter is not None and reporter.stopped_:
            return  # a scikit-learn callback asked to stop
        elif epochs_run < epochs_asked:
            # skorch ends the loop quietly on KeyboardInterrupt; say so.
            warnings.warn(
                f"Training was interrupted after {epochs_run} of {epochs_asked} "
                f"epochs; the model keeps the weights learned so far.",
                UserWarning,
                stacklevel=6,
            )
        elif stopper is not None:
            watched = "dev score" if self.early_stopping else "training loss"
            warnings.warn(
                f"Training stopped at max_epochs={self.max_epochs} before the {watched} "
                f"stopped improving by tol={self.tol} for n_iter_no_change="
                f"{self.n_iter_no_change} epochs. Raise max_epochs (or lr) to train "
                f"to convergence.",
                ConvergenceWarning,
                stacklevel=6,
            )

    def _forward(self, X, through=None) -> np.ndarray:
        """Validate ``X`` and return the module's outputs as float64, shape (n, k);
        or what ``through(module, X_chunk)`` returns, if given."""
        check_is_fitted(self)
        X = validate_data(
            self, X, reset=False, dtype=np.float32, order="C", accept_sparse=("csr", "csc")
        )
        is_sparse = sparse.issparse(X)
        step = PREDICT_BATCH_SIZE
        if is_sparse:
            X = X.tocsr()
            step = max(MIN_PREDICT_ROWS, min(step, PREDICT_DENSE_VALUES // X.shape[1]))
        device = resolve_device(self.device)
        module = self.net_.module_.to(device)
        module.eval()
        outputs = []
        with torch.inference_mode():
            for start in range(0, X.shape[0], step):
                chunk = X[start : start + step]
                chunk = chunk.toarray() if is_sparse else chunk
                rows = len(chunk)
                if rows < MIN_PREDICT_ROWS:
                    chunk = np.concatenate(
                        [chunk, np.zeros((MIN_PREDICT_ROWS - rows, X.shape[1]), X.dtype)]
                    )
                chunk = to_tensor(chunk, device)
                output = module(chunk) if through is None else through(module, chunk)
                outputs.append(output[:rows].cpu())
        outputs = torch.cat(outputs).numpy().astype(np.float64)
        bad_rows = int((~np.isfinite(outputs)).any(axis=1).sum())
        if bad_rows:
            warnings.warn(
                f"The network's outputs are NaN or infinite for {bad_rows} of "
                f"{len(outputs)} rows: these inputs are far outside the training data's "
                f"range, or training diverged (lr={self.lr}).",
                RuntimeWarning,
                stacklevel=3,
            )
        return outputs
