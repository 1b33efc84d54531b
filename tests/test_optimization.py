"""Optimizers, momentum, the L2 penalty and learning-rate schedules."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning


def test_adam(case):
    cls, X, y = case
    model = cls(optimizer="adam", lr=0.01, max_epochs=100, random_state=0).fit(X, y)
    assert isinstance(model.net_.optimizer_, torch.optim.Adam)
    assert model.net_.optimizer_.param_groups[0]["lr"] == 0.01
    assert model.score(X, y) > 0.8


def test_sgd_momentum_and_nesterov_reach_the_optimizer(case, fast):
    cls, X, y = case
    model = cls(momentum=0.5, nesterov=True, **fast).fit(X, y)
    group = model.net_.optimizer_.param_groups[0]
    assert isinstance(model.net_.optimizer_, torch.optim.SGD)
    assert group["momentum"] == 0.5 and group["nesterov"] is True
    plain = cls(momentum=0.5, **fast).fit(X, y)
    assert plain.loss_curve_ != model.loss_curve_


@pytest.mark.parametrize("settings", [{"momentum": 0.0}, {"optimizer": "adam"}])
def test_nesterov_needs_sgd_with_momentum(case, settings):
    cls, X, y = case
    with pytest.raises(ValueError, match="nesterov=True needs"):
        cls(nesterov=True, **settings).fit(X, y)


def test_alpha_penalizes_weights_not_biases(case):
    cls, X, y = case
    kwargs = {"max_epochs": 30, "batch_size": 40, "random_state": 0}
    free = cls(alpha=0.0, **kwargs).fit(X, y)
    held = cls(alpha=1.0, **kwargs).fit(X, y)

    def norms(model, kind):
        return sum(
            float((p.detach() ** 2).sum())
            for n, p in model.module_.named_parameters()
            if n.endswith(kind)
        )

    assert norms(held, "weight") < norms(free, "weight")
    # the biases are not penalized: with only the penalty acting (lr so small that
    # the loss barely moves them), the weights shrink and the biases do not
    start = cls(alpha=0.0, max_epochs=1, lr=1e-9, momentum=0.0, random_state=0).fit(X, y)
    decayed = cls(alpha=1e6, max_epochs=1, lr=1e-9, momentum=0.0, random_state=0).fit(X, y)
    assert norms(decayed, "weight") < norms(start, "weight")
    assert norms(decayed, "bias") == pytest.approx(norms(start, "bias"), rel=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_alpha_is_sklearns_penalty_in_the_loss(case, weighted):
    # scikit-learn's MLP adds alpha / 2 * ||W||^2 / (rows, or sum of sample weights)
    # to each batch's loss, and loss_curve_ includes it
    cls, X, y = case
    weights = np.linspace(0.5, 3.0, len(X)) if weighted else None
    kwargs = {"max_epochs": 1, "lr": 1e-12, "momentum": 0.0, "random_state": 0}
    plain = cls(alpha=0.0, batch_size=len(X), **kwargs).fit(X, y, sample_weight=weights)
    squares = sum(
        float((p.detach().double() ** 2).sum())
        for n, p in plain.module_.named_parameters()
        if n.endswith("weight")
    )
    total = len(X) if weights is None else weights.sum()
    held = cls(alpha=3.0, batch_size=len(X), **kwargs).fit(X, y, sample_weight=weights)
    expected = plain.loss_curve_[0] + 0.5 * 3.0 * squares / total
    assert held.loss_curve_[0] == pytest.approx(expected, rel=1e-5)


def test_invscaling_follows_sklearns_formula(case):
    cls, X, y = case
    model = cls(
        learning_rate="invscaling", lr=0.1, power_t=0.5, max_epochs=4, random_state=0
    )
    model.fit(X, y)
    lrs = model.net_.history[:, "event_lr"]
    n = len(X)
    expected = [0.1 / (epoch * n + 1) ** 0.5 for epoch in range(4)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-6)


def test_adaptive_divides_by_5_on_plateaus_and_stops_below_1e_6(case, recwarn):
    cls, X, y = case
    model = cls(
        learning_rate="adaptive",
        lr=0.01,
        tol=1e-2,
        n_iter_no_change=2,
        max_epochs=2000,
        random_state=0,
    ).fit(X, y)
    lrs = model.net_.history[:, "event_lr"]
    assert lrs[0] == pytest.approx(0.01)
    ratios = {round(b / a, 6) for a, b in zip(lrs, lrs[1:], strict=False)}
    assert ratios <= {1.0, 0.2}
    assert model.net_.optimizer_.param_groups[0]["lr"] < 1e-6
    assert model.n_iter_ < 2000
    assert not [w for w in recwarn if issubclass(w.category, ConvergenceWarning)]


def test_adaptive_with_a_dev_set_watches_the_dev_score(case):
    cls, X, y = case
    model = cls(
        learning_rate="adaptive",
        early_stopping=True,
        n_iter_no_change=2,
        max_epochs=2000,
        random_state=0,
    ).fit(X, y)
    assert dict(model.net_.callbacks_)["stopping_rule"].dev
    assert len(model.validation_scores_) == model.n_iter_
    # scikit-learn's rule on the dev scores: a division after n_iter_no_change + 1
    # epochs without progress, which sets the count back to 0
    best, count, divisions = -np.inf, 0, []
    for epoch, score in enumerate(model.validation_scores_):
        count = count + 1 if score < best + model.tol else 0
        best = max(best, score)
        if count > 2:
            divisions.append(epoch)
            count = 0
    # the last time, the rate was at most 1e-6, so training stopped instead
    lrs = model.net_.history[:, "event_lr"]
    assert list(np.flatnonzero(np.diff(lrs) < 0)) == divisions[:-1]
    assert divisions[-1] == model.n_iter_ - 1 and lrs[-1] <= 1e-6


def cosine(lr, epochs, period, heights=None):
    """The rates of the "cosine" schedule over ``epochs``, with ``heights`` (a
    share of ``lr`` per epoch; 1 without plateaus); past ``period`` epochs, the
    rate of the last."""
    heights = np.ones(epochs) if heights is None else np.asarray(heights)
    t = np.minimum(np.arange(epochs), period - 1)
    return lr * heights * (1 + np.cos(np.pi * t / period)) / 2


def test_cosine_falls_along_half_a_cosine_to_about_0(case, recwarn):
    cls, X, y = case
    model = cls(
        learning_rate="cosine",
        lr=0.1,
        n_iter_no_change=np.inf,
        max_epochs=16,
        random_state=0,
    ).fit(X, y)
    lrs = model.net_.history[:, "event_lr"]
    np.testing.assert_allclose(lrs, cosine(0.1, 16, 16), rtol=1e-12)
    assert lrs[0] == 0.1 and lrs[-1] < 0.1 * 0.01
    # the schedule ran its course: no ConvergenceWarning
    assert not [w for w in recwarn if issubclass(w.category, ConvergenceWarning)]


def test_cosine_divides_its_curve_by_5_on_plateaus_and_stops_below_1e_6(case, recwarn):
    cls, X, y = case
    # every epoch after the first fails a tolerance of 1e9: with n_iter_no_change=1,
    # a plateau ends every second epoch from the third on
    plateaus = {"tol": 1e9, "n_iter_no_change": 1, "random_state": 0}
    model = cls(learning_rate="cosine", lr=0.01, max_epochs=6, **plateaus).fit(X, y)
    heights = [1, 1, 1, 0.2, 0.2, 0.04]
    lrs = model.net_.history[:, "event_lr"]
    np.testing.assert_allclose(lrs, cosine(0.01, 6, 6, heights), rtol=1e-12)
    # as "adaptive": a plateau at a rate of at most 1e-6 ends training, no warning
    model = cls(learning_rate="cosine", lr=0.01, max_epochs=2000, **plateaus).fit(X, y)
    lrs = model.net_.history[:, "event_lr"]
    assert model.n_iter_ < 20 and lrs[-1] <= 1e-6 < lrs[-3]
    assert not [w for w in recwarn if issubclass(w.category, ConvergenceWarning)]


def test_cosine_goes_on_over_partial_fit_and_keeps_its_last_rate(case):
    cls, X, y = case
    model = cls(learning_rate="cosine", lr=0.1, max_epochs=4, n_iter_no_change=np.inf)
    first = {"classes": np.unique(y)} if is_classifier(model) else {}
    model.partial_fit(X, y, **first)
    for _ in range(5):
        model.partial_fit(X, y)
    lrs = model.net_.history[:, "event_lr"]
    np.testing.assert_allclose(lrs, cosine(0.1, 6, 4), rtol=1e-12)
    # a new lr rescales the curve where it is
    model.set_params(lr=0.01).partial_fit(X, y)
    assert model.net_.history[-1, "event_lr"] == pytest.approx(cosine(0.01, 7, 4)[-1])
    # plateaus go on dividing it, as they do in fit (training never stops here)
    # no call makes progress by 1e9: scikit-learn's count, carried over, goes on
    count, height, heights = model._no_improvement_count, 1.0, []
    model.set_params(tol=1e9, n_iter_no_change=1)
    for _ in range(3):
        model.partial_fit(X, y)
        heights.append(height)
        count += 1
        if count > 1:
            count, height = 0, height / 5
    assert heights != [1.0] * 3
    last = cosine(0.01, 10, 4)[-1]
    np.testing.assert_allclose(
        model.net_.history[-3:, "event_lr"], [last * h for h in heights], rtol=1e-12
    )


def test_partial_fit_after_a_cosine_fit_goes_on_at_its_last_rate(case):
    # not back at lr, which would undo the settled weights
    cls, X, y = case
    model = cls(learning_rate="cosine", lr=0.1, max_epochs=20, n_iter_no_change=np.inf)
    model.fit(X, y).partial_fit(X, y)
    lrs = model.net_.history[:, "event_lr"]
    np.testing.assert_allclose(lrs, cosine(0.1, 21, 20), rtol=1e-12)
    assert lrs[-1] == lrs[-2] < 0.1 * 0.01


def test_an_lr_scheduler_callback_with_a_schedule_warns(case):
    from skorch.callbacks import LRScheduler

    cls, X, y = case
    step = LRScheduler(torch.optim.lr_scheduler.StepLR, step_size=2, gamma=0.5)
    with pytest.warns(UserWarning, match="LRScheduler.*learning_rate='cosine'"):
        cls(learning_rate="cosine", max_epochs=2, callbacks=[step]).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)  # 2 epochs, on purpose
        cls(learning_rate="constant", max_epochs=2, callbacks=[step]).fit(X, y)


def test_cosine_with_warm_start_starts_its_curve_again(case):
    # each fit has its max_epochs, and a fresh optimizer (as scikit-learn's MLP)
    cls, X, y = case
    model = cls(
        learning_rate="cosine",
        lr=0.1,
        max_epochs=5,
        n_iter_no_change=np.inf,
        warm_start=True,
        random_state=0,
    )
    model.fit(X, y).set_params(max_epochs=3).fit(X, y)
    lrs = model.net_.history[:, "event_lr"]
    np.testing.assert_allclose(lrs, [*cosine(0.1, 5, 5), *cosine(0.1, 3, 3)], rtol=1e-12)


@pytest.mark.parametrize("schedule", ["invscaling", "adaptive", "cosine"])
def test_scheduled_models_pickle(case, schedule):
    cls, X, y = case
    model = cls(learning_rate=schedule, max_epochs=3, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"optimizer": "rmsprop"}, "'optimizer' parameter"),
        ({"learning_rate": "cyclic"}, "'learning_rate' parameter"),
        ({"alpha": -1.0}, "'alpha' parameter"),
        ({"power_t": -0.5}, "'power_t' parameter"),
    ],
)
def test_bad_optimization_parameters(case, bad, match):
    cls, X, y = case
    with pytest.raises(ValueError, match=match):
        cls(**bad).fit(X, y)


@pytest.mark.parametrize("schedule", ["invscaling", "adaptive", "cosine"])
def test_schedules_are_sgds_as_in_sklearn(case, schedule):
    # scikit-learn's MLP uses learning_rate with solver="sgd" only; Adam keeps its
    # rate and stops when the rule says so
    cls, X, y = case
    kwargs = {"learning_rate": schedule, "tol": 1e9, "n_iter_no_change": 1}
    model = cls(optimizer="adam", lr=0.01, random_state=0, **kwargs).fit(X, y)
    assert model.n_iter_ == 3
    assert {g["lr"] for g in model.net_.optimizer_.param_groups} == {0.01}
