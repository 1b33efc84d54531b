"""skorch callbacks that sknn adds to the training loop, and the dev-set scores.

* :class:`DevScore` scores the dev (validation) set at the end of every epoch;
* :class:`NonFiniteLossGuard` stops training at the first NaN or infinite loss and
  puts back the weights of the last epoch whose loss was finite;
* :class:`EpochLog` prints ``verbose=1``'s line per epoch.

Stopping on a score that no longer improves is skorch's own ``EarlyStopping``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from skorch.callbacks import Callback, PrintLog

from ._batching import Weighted, slice_rows

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9 has no sklearn.callback

    class CallbackSupportMixin:
        """Stands in for scikit-learn's mixin where scikit-learn has no callbacks."""


# Rows per forward pass when scoring the dev set.
_SCORE_BATCH_SIZE = 4096


def _mean(values: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    """The mean of ``values`` over rows (dim 0), weighted by ``weight`` if given."""
    if weight is None:
        return values.mean(dim=0)
    weight = weight.reshape(-1, *[1] * (values.dim() - 1))
    return (values * weight).sum(dim=0) / weight.sum()


def accuracy(
    output: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None
) -> float:
    """Fraction of rows (or of the row weights) whose highest output is the target
    class."""
    return _mean((output.argmax(dim=1) == target).float(), weight).item()


def subset_accuracy(
    output: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None
) -> float:
    """Fraction of rows (or of the row weights) whose every label is right
    (scikit-learn's multilabel accuracy); a label is predicted when its output
    (logit) is above 0."""
    return _mean(((output > 0) == (target > 0.5)).all(dim=1).float(), weight).item()


def r2(
    output: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None
) -> float:
    """Coefficient of determination, averaged over the outputs (columns), with
    rows weighted by ``weight`` if given.

    A constant target column scores 1.0 if predicted exactly and 0.0 otherwise, as
    :func:`sklearn.metrics.r2_score` does.
    """
    residual = _mean((target - output) ** 2, weight)
    total = _mean((target - _mean(target, weight)) ** 2, weight)
    constant = total == 0
    scores = 1 - residual / torch.where(constant, torch.ones_like(total), total)
    scores = torch.where(constant, (residual == 0).to(scores.dtype), scores)
    return scores.mean().item()


class DevScore(Callback):
    """Record the dev set's loss and score in the history after every epoch.

    Parameters
    ----------
    X, y : torch.Tensor
        The dev set, on the net's device. Released when training ends, so a fitted
        net does not carry it.
    scorer : callable
        ``scorer(output, y, weight) -> float``, higher is better (:func:`accuracy`,
        :func:`r2`).
    weight : torch.Tensor or None, default=None
        Weight of each dev row in the loss and the score.

    The history gets ``valid_loss`` (the training criterion) and ``valid_score``.
    """

    def __init__(
        self,
        X: torch.Tensor,
        y: torch.Tensor,
        scorer: Callable[..., float],
        weight: torch.Tensor | None = None,
    ) -> None:
        self.X = X
        self.y = y
        self.scorer = scorer
        self.weight = weight

    def on_epoch_end(self, net, **kwargs):
        net.module_.eval()
        with torch.no_grad():
            output = torch.cat(
                [
                    net.module_(slice_rows(self.X, start, start + _SCORE_BATCH_SIZE))
                    for start in range(0, len(self.X), _SCORE_BATCH_SIZE)
                ]
            )
            target = self.y if self.weight is None else Weighted(self.y, self.weight)
            loss = net.get_loss(output, target).item()
        net.history.record("valid_loss", loss)
        net.history.record("valid_score", self.scorer(output, self.y, self.weight))

    def on_train_end(self, net, **kwargs):
        self.X = self.y = self.weight = None


class NonFiniteLossGuard(Callback):
    """Stop training at the first NaN or infinite loss, keeping the last weights
    that gave a finite loss.

    The weights are copied at the start of every epoch. The copy is known to give a
    finite loss once the epoch's first mini-batch has one. At the end of an epoch
    in which a batch loss was not finite (``train_nonfinite_batch`` in the history,
    recorded by :class:`~sknn._net.TensorNet`), the latest such copy is put back
    (the start of this epoch, or else of the one before), the optimizer's state
    (momentum) is cleared, and training stops.

    Attributes
    ----------
    diverged_epoch_ : int or None
        The epoch in which the loss stopped being finite, if it did.
    diverged_loss_ : float or None
        That loss.
    kept_epochs_ : int or None
        How many epochs of training the kept weights hold (0: the initial weights).
    """

    def on_train_begin(self, net, **kwargs):
        self.diverged_epoch_ = None
        self.diverged_loss_ = None
        self.kept_epochs_ = None
        self._checked = None  # (epochs trained, weights), known to give a finite loss
        self._start = None  # (epochs trained, weights) at the start of this epoch

    def on_epoch_begin(self, net, **kwargs):
        weights = {
            key: value.detach().clone() for key, value in net.module_.state_dict().items()
        }
        self._start = (len(net.history) - 1, weights)

    def on_epoch_end(self, net, **kwargs):
        epoch = net.history[-1]
        first_bad = epoch.get("train_nonfinite_batch")
        if first_bad is None or first_bad > 0:
            self._checked = self._start  # the epoch's first batch had a finite loss
        if first_bad is None:
            return
        self.diverged_epoch_ = len(net.history)
        self.diverged_loss_ = epoch["train_nonfinite_loss"]
        self.kept_epochs_, weights = self._checked or self._start
        net.module_.load_state_dict(weights)
        net.optimizer_.state.clear()
        raise KeyboardInterrupt  # skorch's way to end the training loop

    def on_train_end(self, net, **kwargs):
        self._checked = self._start = None


_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


class EpochLog(PrintLog):
    """skorch's table of one line per epoch, with its colors (a new best value)
    only when printing to a terminal, so that logs and files get plain text."""

    def format_row(self, row, key, color):
        text = super().format_row(row, key, color)
        if isinstance(text, str) and not sys.stdout.isatty():
            return _ANSI_CODE.sub("", text)
        return text


class InvScaling:
    """Learning-rate factor ``1 / (samples_seen + 1) ** power_t``, stepped each epoch.

    scikit-learn's ``learning_rate="invscaling"``, as a ``lr_lambda`` for
    :class:`torch.optim.lr_scheduler.LambdaLR` (a class, so that it pickles).
    """

    def __init__(self, n_samples: int, power_t: float) -> None:
        self.n_samples = n_samples
        self.power_t = power_t

    def __call__(self, epoch: int) -> float:
        return 1.0 / (epoch * self.n_samples + 1) ** self.power_t


class StopWhenLRBelow(Callback):
    """Stop training once the learning rate has been lowered below ``min_lr``.

    Ends scikit-learn's ``learning_rate="adaptive"`` schedule, whose plateaus lower
    the learning rate instead of stopping.

    Attributes
    ----------
    stopped_ : bool
        Whether this callback ended training.
    """

    def __init__(self, min_lr: float = 1e-6) -> None:
        self.min_lr = min_lr

    def on_train_begin(self, net, **kwargs):
        self.stopped_ = False

    def on_epoch_end(self, net, **kwargs):
        if net.optimizer_.param_groups[0]["lr"] < self.min_lr:
            self.stopped_ = True
            raise KeyboardInterrupt  # skorch's way to end the training loop


class FitData(NamedTuple):
    """What scikit-learn's callbacks see of a fit: the inputs, the targets as given
    (labels, unscaled values) and the sample weights."""

    X: Any
    y: Any
    sample_weight: Any = None

    @property
    def hook_kwargs(self) -> dict:
        metadata = (
            {} if self.sample_weight is None else {"sample_weight": self.sample_weight}
        )
        return {"X": self.X, "y": self.y, "metadata": metadata}


class FitTaskReporter(Callback):
    """Report each epoch to scikit-learn's callbacks as a subtask of the fit.

    At the start of an epoch it opens a subtask of the fit's
    ``sklearn.callback.CallbackContext``; at its end it closes it, handing the
    callbacks an estimator that predicts with the weights of that epoch (what
    ``ScoringMonitor`` scores). A callback that asks to stop ends training.

    Parameters
    ----------
    context : sklearn.callback.CallbackContext
        The fit's root context.
    estimator : BaseSGDNetwork
        The estimator being fitted.
    data : FitData
        The data handed to the hooks.

    Attributes
    ----------
    stopped_ : bool
        Whether a scikit-learn callback ended training.
    """

    def __init__(self, context, estimator, data: FitData) -> None:
        self.context = context
        self.estimator = estimator
        self.data = data

    def on_train_begin(self, net, **kwargs):
        self.stopped_ = False
        self._epoch = None

    def on_epoch_begin(self, net, **kwargs):
        self._epoch = self.context.subcontext(task_name="epoch")
        self._epoch.call_on_fit_task_begin(
            estimator=self.estimator, **self.data.hook_kwargs
        )

    def on_epoch_end(self, net, **kwargs):
        epoch, self._epoch = self._epoch, None
        stop = epoch.call_on_fit_task_end(
            estimator=self.estimator,
            **self.data.hook_kwargs,
            reconstruction_attributes=lambda: {"net_": net},
        )
        if stop:
            self.stopped_ = True
            raise KeyboardInterrupt  # skorch's way to end the training loop

    def on_train_end(self, net, **kwargs):
        if self._epoch is not None:  # an epoch cut short: end its task, empty
            self._epoch.call_on_fit_task_end(estimator=self.estimator)
            self._epoch = None

    def release(self):
        """Let go of the estimator, its data and the context once the fit is over."""
        self.context = self.estimator = self.data = self._epoch = None
