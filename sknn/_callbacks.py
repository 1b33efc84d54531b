"""skorch callbacks that sknn adds to the training loop, and the dev-set scores.

* :class:`DevScore` scores the dev (validation) set at the end of every epoch;
* :class:`NonFiniteLossGuard` stops training at the first NaN or infinite loss and
  puts back the weights of the last epoch whose loss was finite;
* :class:`StoppingRule` is scikit-learn's MLP rule for stopping and for its
  learning-rate schedules, and :class:`StopTraining` ends training when it says so;
* :class:`EpochLog` prints ``verbose=1``'s line per epoch.
"""

from __future__ import annotations

import math
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
    """The mean of ``values`` over rows (dim 0), weighted by ``weight`` if given,
    in float64 (as scikit-learn's scores: a float32 mean would report 0.99444443
    for 179 of 180 rows)."""
    values = values.double()
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
    output, target = output.double(), target.double()
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

    The history gets ``valid_loss`` (the training criterion) and ``valid_score``;
    a score that is not finite (the weights diverged) is recorded as NaN, as
    scikit-learn's MLP does.
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
        # outputs of diverged weights score NaN, not whatever argmax makes of them
        finite = bool(torch.isfinite(output).all())
        score = self.scorer(output, self.y, self.weight) if finite else math.nan
        net.history.record("valid_loss", loss)
        net.history.record("valid_score", score if math.isfinite(score) else math.nan)

    def on_train_end(self, net, **kwargs):
        self.X = self.y = self.weight = None


def _copy_all(targets: list[torch.Tensor], sources: list[torch.Tensor]) -> None:
    """Copy each source into its target, in one call where torch can."""
    if hasattr(torch, "_foreach_copy_"):
        torch._foreach_copy_(targets, sources)
        return
    for target, source in zip(targets, sources, strict=True):
        target.copy_(source)


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
        # Two copies of the weights, written in turn: (epochs trained, slot) of the
        # one known to give a finite loss, and of the start of this epoch.
        self._copies = [None, None]
        self._checked = None
        self._start = None
        self._weights = list(net.module_.parameters())

    def _params(self, net) -> list[torch.Tensor]:
        # their data read at each use: training side by side moves it
        return [weight.data for weight in self._weights]

    def on_epoch_begin(self, net, **kwargs):
        slot = 0 if self._checked is None else 1 - self._checked[1]
        if self._copies[slot] is None:
            self._copies[slot] = [param.clone() for param in self._params(net)]
        else:
            _copy_all(self._copies[slot], self._params(net))
        self._start = (len(net.history) - 1, slot)

    def on_epoch_end(self, net, **kwargs):
        epoch = net.history[-1]
        first_bad = epoch.get("train_nonfinite_batch")
        if first_bad is None or first_bad > 0:
            self._checked = self._start  # the epoch's first batch had a finite loss
        if first_bad is None:
            return
        self.diverged_epoch_ = len(net.history)
        self.diverged_loss_ = epoch["train_nonfinite_loss"]
        self.kept_epochs_, slot = self._checked or self._start
        for param, saved in zip(self._params(net), self._copies[slot], strict=True):
            param.copy_(saved)  # detached views of the weights
        net.optimizer_.state.clear()
        raise KeyboardInterrupt  # skorch's way to end the training loop

    def on_train_end(self, net, **kwargs):
        self._copies = [None, None]
        self._checked = self._start = self._weights = None


_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


class EpochLog(PrintLog):
    """skorch's table of one line per epoch, with its colors (a new best value)
    only when printing to a terminal, so that logs and files get plain text."""

    def format_row(self, row, key, color):
        text = super().format_row(row, key, color)
        if isinstance(text, str) and not sys.stdout.isatty():
            return _ANSI_CODE.sub("", text)
        return text


# scikit-learn's "adaptive" rate: divided by 5 on a plateau, until at most 1e-6.
ADAPTIVE_DIVISOR = 5.0
ADAPTIVE_MIN_LR = 1e-6


def _copy_weights(module: torch.nn.Module) -> dict:
    return {key: value.detach().clone() for key, value in module.state_dict().items()}


class StoppingState(NamedTuple):
    """What scikit-learn's stopping rule carries from one call of ``fit`` (with
    ``warm_start``) or ``partial_fit`` to the next."""

    no_improvement_count: int = 0
    best_loss: float = math.inf
    best_score: float = -math.inf
    samples_seen: int = 0
    # the ``"cosine"`` schedule's epochs so far, and its height (a share of ``lr``:
    # plateaus divide it by 5)
    schedule_epoch: int = 0
    schedule_height: float = 1.0


class StoppingRule(Callback):
    """scikit-learn's MLP rule for when to stop, and its learning-rate schedules.

    After every epoch, as ``MLPClassifier`` / ``MLPRegressor`` do with
    ``solver="sgd"``: without a dev set, the epoch counts as no improvement when
    its training loss is above ``best_loss - tol``, where ``best_loss`` is the
    lowest loss so far; with one, when its dev score is below
    ``best_score + tol``, where ``best_score`` is the highest so far (and the
    weights of that epoch are kept). An improvement sets the count back to 0.
    Once the count exceeds ``n_iter_no_change``, training stops; with
    ``learning_rate="adaptive"`` the learning rate is divided by 5 and the count
    set back to 0 instead, until the rate is at most 1e-6. ``"invscaling"`` sets
    the rate of the next epoch to ``lr / (samples_seen + 1) ** power_t``.
    ``"cosine"`` sets the rate of epoch ``t`` (from 0; past ``period - 1``, the
    rate stays that of epoch ``period - 1``) to
    ``lr * height * (1 + cos(pi * t / period)) / 2``, and a plateau divides
    ``height`` by 5 (as ``"adaptive"`` divides the rate).

    Parameters
    ----------
    state : StoppingState
        Where the count, the references and the samples seen start from.
    n_train : int
        Training rows per epoch.
    tol, n_iter_no_change, learning_rate, power_t
        As the estimators' parameters.
    period : int, default=1
        Epochs over which the ``"cosine"`` schedule falls (``max_epochs``).
    dev : bool
        Whether a dev set is scored (``valid_score`` in the history).
    can_stop : bool
        False in ``partial_fit``: the rule keeps count (and lowers an adaptive or
        cosine rate) but never ends training.
    verbose : bool, default=False
        Print scikit-learn's message when the rule acts.

    Attributes
    ----------
    state_ : StoppingState
        The rule's state after the last epoch.
    stop_ : bool
        Whether the rule asks to stop (:class:`StopTraining` acts on it).
    best_weights_ : dict or None
        With a dev set, the module's weights at the best dev score of this fit.
    """

    def __init__(
        self,
        state: StoppingState,
        n_train: int,
        *,
        tol: float,
        n_iter_no_change: float,
        learning_rate: str,
        power_t: float,
        dev: bool,
        can_stop: bool,
        period: int = 1,
        verbose: bool = False,
    ) -> None:
        self.state = state
        self.n_train = n_train
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.period = period
        self.dev = dev
        self.can_stop = can_stop
        self.verbose = verbose

    def on_train_begin(self, net, **kwargs):
        self.state_ = self.state
        self.stop_ = False
        self.best_weights_ = None
        if self.dev and self.state.best_score > -math.inf:
            # a warm start: the weights it starts from hold the best score so far
            self.best_weights_ = _copy_weights(net.module_)

    def on_epoch_begin(self, net, **kwargs):
        if self.learning_rate == "cosine":
            t = min(self.state_.schedule_epoch, self.period - 1)
            share = self.state_.schedule_height * (1 + math.cos(math.pi * t / self.period))
            for group in net.optimizer_.param_groups:
                group["lr"] = group["initial_lr"] * share / 2
        if self.learning_rate != "constant":
            net.history.record("event_lr", net.optimizer_.param_groups[0]["lr"])

    def on_epoch_end(self, net, **kwargs):
        epoch = net.history[-1]
        count, best_loss, best_score, seen, schedule_epoch, height = self.state_
        seen += self.n_train
        schedule_epoch += 1
        if self.dev:
            score = epoch.get("valid_score", math.nan)
            if "train_nonfinite_loss" in epoch:  # diverged: its weights are dropped
                score = math.nan
                net.history.record("valid_score", score)
            count = count + 1 if score < best_score + self.tol else 0
            if score > best_score:
                best_score = score
                self.best_weights_ = _copy_weights(net.module_)
        else:
            loss = epoch.get("train_loss", epoch.get("train_nonfinite_loss", math.nan))
            count = count + 1 if loss > best_loss - self.tol else 0
            best_loss = min(best_loss, loss) if loss == loss else best_loss
        groups = net.optimizer_.param_groups
        if self.learning_rate == "invscaling":
            for group in groups:
                group["lr"] = group["initial_lr"] / (seen + 1) ** self.power_t
        if count > self.n_iter_no_change:
            watched = "Validation score" if self.dev else "Training loss"
            message = (
                f"{watched} did not improve more than tol={self.tol:f} for "
                f"{self.n_iter_no_change} consecutive epochs."
            )
            lowers = self.learning_rate in ("adaptive", "cosine")
            if lowers and groups[0]["lr"] > ADAPTIVE_MIN_LR:
                for group in groups:
                    group["lr"] /= ADAPTIVE_DIVISOR
                height /= ADAPTIVE_DIVISOR
                count = 0
                if self.learning_rate == "cosine":
                    message += " Dividing the cosine schedule's learning rate by 5."
                else:
                    message += f" Setting learning rate to {groups[0]['lr']:f}"
            else:
                self.stop_ = self.can_stop
                if lowers:
                    message += " Learning rate too small."
                message += " Stopping." if self.can_stop else ""
            if self.verbose:
                print(message)
        self.state_ = StoppingState(
            count, best_loss, best_score, seen, schedule_epoch, height
        )

    def on_train_end(self, net, **kwargs):
        if self.best_weights_ is not None:  # the weights of the best dev score
            net.module_.load_state_dict(self.best_weights_)
            self.best_weights_ = None


class StopTraining(Callback):
    """End training after an epoch at which :class:`StoppingRule` says to stop.

    It runs after every other callback, so that they all see the last epoch.
    """

    def __init__(self, rule: StoppingRule) -> None:
        self.rule = rule

    def on_epoch_end(self, net, **kwargs):
        if self.rule.stop_:
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
