"""The estimator base shared by sknn's regressor and classifier.

It turns validated numpy data into tensors on the chosen device, builds the skorch
net that trains the module with mini-batch SGD, and runs the trained module for
prediction. The estimators in ``_regressor.py`` and ``_classifier.py`` only say
which module and loss to use and how targets are encoded.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ._batching import TensorData, to_tensor
from ._device import resolve_device
from ._net import NonFiniteLossError, StopOnNonFiniteLoss, TensorNet

# Rows per forward pass at prediction time: large enough that Python overhead is
# negligible, small enough that activations of wide layers stay modest in memory.
PREDICT_BATCH_SIZE = 65_536
# CPU matrix-multiply libraries switch to other kernels for very short matrices,
# and those round float32 differently. Shorter chunks are padded with zero rows to
# this length, so a row's prediction does not depend on how many rows are
# predicted with it (one at a time, or all at once).
MIN_PREDICT_ROWS = 64


class BaseSGDNetwork(BaseEstimator):
    """Fit a torch module by mini-batch SGD through skorch; predict with it.

    Subclasses set ``_module`` (a module class of ``sknn._modules``), ``_criterion``
    (a torch loss class) and call :meth:`_fit` with float32 inputs and encoded
    targets.
    """

    _parameter_constraints: dict = {
        "lr": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    _module: type[torch.nn.Module]
    _criterion: type[torch.nn.Module]

    @property
    def module_(self) -> torch.nn.Module:
        """The fitted torch module (held by the skorch net ``net_``)."""
        return self.net_.module_

    @contextmanager
    def _restore_state_on_error(self):
        """If fitting fails, put every attribute back as it was before ``fit``."""
        saved = self.__dict__.copy()
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    def _seeds(self) -> tuple[int, int]:
        rng = check_random_state(self.random_state)
        init_seed, shuffle_seed = rng.randint(np.iinfo(np.int32).max, size=2)
        return int(init_seed), int(shuffle_seed)

    def _build_net(self, module_kwargs: dict, device: torch.device) -> TensorNet:
        init_seed, shuffle_seed = self._seeds()
        return TensorNet(
            module=self._module,
            **{f"module__{key}": value for key, value in module_kwargs.items()},
            criterion=self._criterion,
            optimizer=torch.optim.SGD,
            lr=self.lr,
            optimizer__momentum=self.momentum,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            shuffle=self.shuffle,
            init_seed=init_seed,
            shuffle_seed=shuffle_seed,
            train_split=None,
            callbacks=[("stop_on_non_finite_loss", StopOnNonFiniteLoss())],
            device=device,
            verbose=self.verbose,
        )

    def _fit(self, X: np.ndarray, y: np.ndarray, module_kwargs: dict):
        """Train a fresh module on validated float32 ``X`` and encoded ``y``."""
        device = resolve_device(self.device)
        net = self._build_net(module_kwargs, device)
        data = TensorData(to_tensor(X, device), to_tensor(y, device))
        try:
            net.fit(data, None)
        except NonFiniteLossError as exc:
            raise ValueError(
                f"Training diverged: {exc}. The learning rate lr={self.lr} is "
                f"probably too large for this data; try a smaller one."
            ) from None
        losses = [epoch["train_loss"] for epoch in net.history if "train_loss" in epoch]
        if len(losses) < self.max_epochs:
            # skorch ends the loop quietly on KeyboardInterrupt; say so.
            warnings.warn(
                f"Training was interrupted after {len(losses)} of {self.max_epochs} "
                f"epochs; the model keeps the weights learned so far.",
                UserWarning,
                stacklevel=3,
            )
        self.net_ = net
        self.n_iter_ = len(losses)
        self.loss_curve_ = losses
        return self

    def _forward(self, X) -> np.ndarray:
        """Validate ``X`` and return the module's outputs as float64, shape (n, k)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float32, order="C")
        device = resolve_device(self.device)
        module = self.net_.module_.to(device)
        module.eval()
        outputs = []
        with torch.inference_mode():
            for start in range(0, len(X), PREDICT_BATCH_SIZE):
                chunk = X[start : start + PREDICT_BATCH_SIZE]
                rows = len(chunk)
                if rows < MIN_PREDICT_ROWS:
                    chunk = np.concatenate(
                        [chunk, np.zeros((MIN_PREDICT_ROWS - rows, X.shape[1]), X.dtype)]
                    )
                outputs.append(module(to_tensor(chunk, device))[:rows].cpu())
        return torch.cat(outputs).numpy().astype(np.float64)
