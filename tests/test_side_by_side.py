"""Fits trained side by side (one stacked computation) equal their own fits."""

import pickle

import numpy as np
import pytest
import torch
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris, make_multilabel_classification
from sklearn.preprocessing import StandardScaler

from sknn import ReLUMLPClassifier, SigmoidRegressor, _base, _net, _threads
from sknn._base import NotTrainedTogether, side_by_side
from sknn._net import _Stack

# Rounding differs between a batched and a single matrix product, and training
# carries it on; with learning rates that keep training stable, fits agree to
# about 1e-6 and never by more than this.
TOLERANCE = 1e-4


def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def fit_both(estimators, subsets, X, Y, sample_weight=None):
    """Each estimator fitted on its own, and (clones) fitted side by side."""

    def data(rows):
        weights = None if sample_weight is None else sample_weight[rows]
        return X[rows], Y[rows], weights

    alone = []
    for estimator, rows in zip(estimators, subsets, strict=True):
        X_, y_, w_ = data(rows)
        alone.append(clone(estimator).fit(X_, y_, sample_weight=w_))
    together_fits = [clone(estimator) for estimator in estimators]
    with side_by_side() as together:
        for estimator, rows in zip(together_fits, subsets, strict=True):
            X_, y_, w_ = data(rows)
            estimator.fit(X_, y_, sample_weight=w_)
        assert len(together.fits) == len(estimators)  # all were handed over
    assert [error for error, _ in together.train()] == [None] * len(estimators)
    return alone, together_fits


def assert_same_fit(alone, together, X):
    assert together.n_iter_ == alone.n_iter_
    assert together.t_ == alone.t_
    assert together._no_improvement_count == alone._no_improvement_count
    assert together._schedule_epoch == alone._schedule_epoch
    assert together._schedule_height == alone._schedule_height
    if alone.learning_rate != "constant":  # each epoch's rate, by its schedule
        lrs = [net.history[:, "event_lr"] for net in (alone.net_, together.net_)]
        np.testing.assert_allclose(lrs[1], lrs[0], rtol=1e-12)
    np.testing.assert_allclose(together.loss_curve_, alone.loss_curve_, rtol=TOLERANCE)
    if alone.validation_scores_ is None:
        assert together.validation_scores_ is None
        np.testing.assert_allclose(together.best_loss_, alone.best_loss_, rtol=TOLERANCE)
    else:
        np.testing.assert_allclose(
            together.validation_scores_, alone.validation_scores_, atol=TOLERANCE
        )
    for p, q in zip(alone.module_.parameters(), together.module_.parameters(), strict=True):
        np.testing.assert_allclose(q.detach(), p.detach(), rtol=10 * TOLERANCE, atol=1e-5)
    method = "predict_proba" if hasattr(alone, "predict_proba") else "predict"
    np.testing.assert_allclose(
        getattr(together, method)(X),
        getattr(alone, method)(X),
        rtol=10 * TOLERANCE,
        atol=1e-4,
    )


def test_regressors_with_their_own_settings_and_rows(monkeypatch):
    rebuilt = []
    drop = _Stack.drop

    def counted(stack, running):
        rebuilt.append(drop(stack, running))
        return rebuilt[-1]

    monkeypatch.setattr(_Stack, "drop", counted)
    X, y = diabetes()
    estimators = [
        SigmoidRegressor(
            n_sigmoids=8,
            lr=lr,
            momentum=momentum,
            nesterov=nesterov,
            alpha=alpha,
            learning_rate=schedule,
            early_stopping=early,
            random_state=seed,
            batch_size=50,
            max_epochs=40,
            tol=0.01,
            n_iter_no_change=5,
        )
        for lr in (0.01, 0.1)
        for momentum, nesterov in ((0.0, False), (0.9, True), (0.5, False))
        for alpha in (0.0, 0.01)
        for schedule, early in (
            ("constant", False),
            ("invscaling", True),
            ("adaptive", False),
            ("cosine", True),
            ("cosine", False),
        )
        for seed in (0,)
    ]
    folds = [np.arange(0, 400), np.arange(30, 442)]  # rows differ, and their counts
    pairs = [(e, rows) for e in estimators for rows in folds]
    alone, together = fit_both(*zip(*pairs, strict=True), X, y)
    for a, t in zip(alone, together, strict=True):
        assert_same_fit(a, t, X)
    assert {a.n_iter_ for a in alone} != {40}  # some stopped by the rule
    assert any(rebuilt)  # and left the stack, while the others trained on


def test_weighted_multi_output_regressors_and_full_batches():
    X, y = diabetes()
    Y = np.c_[y, y**2 / 100]
    weight = np.random.RandomState(0).randint(0, 3, len(y)).astype(float)
    estimators = [
        SigmoidRegressor(
            n_sigmoids=5, lr=lr, batch_size=batch, random_state=1, max_epochs=25
        )
        for lr in (0.01, 0.05)
        for batch in (64, 1000)  # 1000: one batch of each fit's rows, of its own size
    ]
    folds = [np.arange(0, 300), np.arange(100, 442)]
    pairs = [(e, rows) for e in estimators for rows in folds]
    alone, together = fit_both(*zip(*pairs, strict=True), X, Y, sample_weight=weight)
    for a, t in zip(alone, together, strict=True):
        assert_same_fit(a, t, X)


def test_classifiers_with_class_weights_penalties_and_dev_sets():
    X, y = iris()
    estimators = [
        ReLUMLPClassifier(
            hidden,
            lr=0.05,
            alpha=alpha,
            early_stopping=early,
            class_weight=class_weight,
            random_state=seed,
            batch_size=32,
            max_epochs=25,
        )
        for hidden in ((16,), (8, 8))
        for alpha in (0.0, 0.1)
        for early in (False, True)
        for class_weight in (None, "balanced")
        for seed in (0, 3)
    ]
    folds = [np.arange(0, 150, 2), np.arange(0, 120)]
    pairs = [(e, rows) for e in estimators for rows in folds]
    alone, together = fit_both(*zip(*pairs, strict=True), X, y)
    for a, t in zip(alone, together, strict=True):
        assert_same_fit(a, t, X)


def test_multilabel_classifiers():
    X, Y = make_multilabel_classification(300, 10, n_classes=4, random_state=0)
    estimators = [
        ReLUMLPClassifier((16,), lr=lr, early_stopping=early, random_state=0, max_epochs=20)
        for lr in (0.01, 0.1)
        for early in (False, True)
    ]
    pairs = [(e, rows) for e in estimators for rows in (np.arange(300), np.arange(50, 300))]
    alone, together = fit_both(*zip(*pairs, strict=True), X.astype(float), Y)
    for a, t in zip(alone, together, strict=True):
        assert_same_fit(a, t, X.astype(float))


def stacks_trained(monkeypatch) -> list[int]:
    """The number of nets in each stack trained from now on."""
    sizes = []
    train = _net.train_side_by_side

    def counted(nets, datas):
        sizes.append(len(nets))
        return train(nets, datas)

    monkeypatch.setattr(_base, "train_side_by_side", counted)
    return sizes


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_networks_of_other_widths_are_padded_into_one_stack(kind, monkeypatch):
    monkeypatch.setitem(_net.STEP_COST, "cpu", 10**12)  # always worth one stack
    sizes = stacks_trained(monkeypatch)
    if kind == "regressor":
        X, y = diabetes()
        estimators = [
            SigmoidRegressor(
                n_sigmoids=n,
                activation=activation,
                lr=0.05,
                alpha=alpha,
                random_state=0,
                max_epochs=15,
                batch_size=64,
            )
            for n in (2, 7, 20)
            for activation in ("sigmoid", "relu")
            for alpha in (0.0, 0.01)
        ]
    else:
        X, y = iris()
        estimators = [
            ReLUMLPClassifier(
                hidden,
                lr=0.05,
                alpha=0.1,
                momentum=momentum,
                early_stopping=True,
                random_state=1,
                max_epochs=15,
            )
            for hidden in ((3, 9), (12, 4), (16, 16))
            for momentum in (0.0, 0.9)
        ]
    folds = [np.arange(0, len(y), 2), np.arange(0, len(y) - 20)]
    pairs = [(e, rows) for e in estimators for rows in folds]
    alone, together = fit_both(*zip(*pairs, strict=True), X, y)
    for a, t in zip(alone, together, strict=True):
        assert_same_fit(a, t, X)
        for p, q in zip(a.module_.parameters(), t.module_.parameters(), strict=True):
            assert p.shape == q.shape and q.is_contiguous()
    # one stack per activation: the widths share it
    assert sorted(sizes) == ([12, 12] if kind == "regressor" else [12])


def test_narrow_networks_are_not_padded_when_it_costs_more(monkeypatch):
    sizes = stacks_trained(monkeypatch)
    X, y = diabetes()
    estimators = [
        SigmoidRegressor(n_sigmoids=n, batch_size=200, random_state=0, max_epochs=2)
        for n in (2, 400)
    ]
    fit_both(estimators, [np.arange(len(y))] * 2, X, y)
    assert sizes == [1, 1]


def test_a_stack_larger_than_memory_allows_is_split(monkeypatch):
    X, y = diabetes()
    estimators = [
        SigmoidRegressor(n_sigmoids=6, lr=lr, random_state=0, max_epochs=10)
        for lr in (0.01, 0.02, 0.05, 0.1, 0.2)
    ]
    estimate = _net._bytes_per_net
    measured = []

    def measure(nets, datas):
        measured.append(estimate(nets, datas))
        # a net needs at least its epoch's rows of X and y, and its parameters
        rows = max(data.X.nbytes + data.y.nbytes for data in datas)
        params = sum(p.numel() * 4 for p in nets[0].module_.parameters())
        assert measured[-1] > rows + 3 * params
        return measured[-1]

    # room for two of these nets at a time
    monkeypatch.setattr(_net, "_bytes_per_net", measure)
    monkeypatch.setattr(_net, "_free_memory", lambda device: 2.5 * measured[0] / 0.25)
    monkeypatch.setattr(_net, "MEMORY_SHARE", 0.25)
    with side_by_side() as together:  # measure a stack of these nets once
        for estimator in estimators[:1]:
            clone(estimator).fit(X, y)
        measure(*zip(*[(run.net, run.data) for _, run in together.fits], strict=True))
    together.fits.clear()
    sizes = stacks_trained(monkeypatch)
    alone, together = fit_both(estimators, [np.arange(len(y))] * 5, X, y)
    assert sizes == [2, 2, 1]
    for a, t in zip(alone, together, strict=True):
        assert_same_fit(a, t, X)


# torch's setting at or above the threads sknn may use (the cores, here two)
@pytest.mark.parametrize("torch_threads", [2, 3])
def test_epochs_try_one_thread_and_all_and_keep_the_faster(torch_threads, monkeypatch):
    X, y = diabetes()
    chosen, during = [], []
    record = _net._ThreadChoice.record
    step = _net.stacked_loss_and_grads

    def recorded(choice, threads, seconds):
        chosen.append(threads)
        # one thread looks faster: the epochs after the first two keep to it
        return record(choice, threads, seconds * (10 if threads > 1 else 1))

    def counted(*args):
        during.append(torch.get_num_threads())
        return step(*args)

    monkeypatch.setattr(_net._ThreadChoice, "record", recorded)
    monkeypatch.setattr(_net, "stacked_loss_and_grads", counted)
    monkeypatch.setattr(_threads, "available_cores", lambda: 2)
    before = torch.get_num_threads()
    torch.set_num_threads(torch_threads)
    try:
        estimators = [
            SigmoidRegressor(lr=lr, random_state=0, max_epochs=20, n_iter_no_change=99)
            for lr in (0.01, 0.1)
        ]
        fit_both(estimators, [np.arange(len(y))] * 2, X, y)
        assert torch.get_num_threads() == torch_threads  # put back
    finally:
        torch.set_num_threads(before)
    assert chosen[:2] == [2, 1]
    assert chosen[2:16] == [1] * 14 and chosen[16] == 2  # tried again
    steps = len(during) // len(chosen)  # the mini-batches of an epoch
    assert during == [threads for threads in chosen for _ in range(steps)]


def test_a_diverging_fit_stops_alone_and_warns():
    X, y = diabetes()
    estimators = [
        SigmoidRegressor(n_sigmoids=8, lr=lr, random_state=0, max_epochs=20)
        for lr in (0.01, 1e6)
    ]
    fits = [clone(e) for e in estimators]
    with side_by_side() as together:
        for estimator in fits:
            estimator.fit(X, y)
    with pytest.warns(RuntimeWarning, match="Training diverged"):
        together.train()
    stable, diverged = fits
    assert not np.isfinite(diverged.loss_curve_[-1])
    assert np.isfinite(diverged.predict(X)).all()  # the last finite weights
    assert_same_fit(clone(estimators[0]).fit(X, y), stable, X)


def test_fitted_models_are_independent_and_continue():
    X, y = diabetes()
    fits = [
        SigmoidRegressor(n_sigmoids=4, lr=lr, max_epochs=5, random_state=0)
        for lr in (0.01, 0.02)
    ]
    with side_by_side() as together:
        for estimator in fits:
            estimator.fit(X, y)
    together.train()
    storages = {
        p.untyped_storage().data_ptr() for e in fits for p in e.module_.parameters()
    }
    assert len(storages) == sum(len(list(e.module_.parameters())) for e in fits)
    before = fits[1].predict(X)
    with torch.no_grad():
        fits[0].module_.hidden.weight.add_(1.0)
    np.testing.assert_array_equal(fits[1].predict(X), before)
    # momentum kept as a fit's own, so training continues as it would
    reference = SigmoidRegressor(n_sigmoids=4, lr=0.02, max_epochs=5, random_state=0).fit(
        X, y
    )
    for param in reference.module_.parameters():
        buffer = reference.net_.optimizer_.state[param]["momentum_buffer"]
        assert buffer is not None
    reference.partial_fit(X, y)
    again = pickle.loads(pickle.dumps(fits[1])).partial_fit(X, y)
    np.testing.assert_allclose(again.predict(X), reference.predict(X), rtol=1e-4)


@pytest.mark.parametrize(
    "estimator, data",
    [
        (SigmoidRegressor(optimizer="adam", max_epochs=2), "dense"),
        (SigmoidRegressor(verbose=1, max_epochs=2), "dense"),
        (SigmoidRegressor(max_epochs=2), "sparse"),
    ],
    ids=["adam", "verbose", "sparse"],
)
def test_other_fits_train_at_once(estimator, data, capsys):
    X, y = diabetes()
    X = sparse.csr_matrix(X) if data == "sparse" else X
    with side_by_side() as together:
        estimator.fit(X, y)
    assert together.fits == []
    assert estimator.n_iter_ == 2
    with side_by_side(only=True), pytest.raises(NotTrainedTogether):
        clone(estimator).fit(X, y)


def test_the_threads_an_epoch_runs_on_do_not_change_the_result(monkeypatch):
    """Each network's batched product is computed by one thread, so a stack trains
    to the same bits whichever number of threads its epochs chose."""
    X, y = iris()
    estimators = [
        ReLUMLPClassifier((64,), lr=lr, alpha=0.1, random_state=0, max_epochs=6)
        for lr in (0.01, 0.1)
    ] * 3
    before = torch.get_num_threads()
    weights = []
    try:
        torch.set_num_threads(2)
        for threads in (1, 2):
            monkeypatch.setattr(_net._ThreadChoice, "next", lambda _, n=threads: n)
            _, together = fit_both(estimators, [np.arange(len(y))] * 6, X, y)
            weights.append(
                [p.detach().clone() for e in together for p in e.module_.parameters()]
            )
    finally:
        torch.set_num_threads(before)
    for one, two in zip(*weights, strict=True):
        assert torch.equal(one, two)
