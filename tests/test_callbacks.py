import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import accuracy_score, r2_score
from skorch.callbacks import Callback, LRScheduler

from sknn import ReLUMLPClassifier, SigmoidRegressor
from sknn._batching import TensorData
from sknn._callbacks import DevScore, NonFiniteLossGuard, accuracy, r2, subset_accuracy
from sknn._modules import ReLUMLP
from sknn._net import TensorNet

from .conftest import same_state


def make_net(callbacks, max_epochs=3, lr=0.1):
    return TensorNet(
        ReLUMLP,
        module__n_features=4,
        module__hidden_layer_sizes=(8,),
        module__n_outputs=3,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.SGD,
        lr=lr,
        optimizer__momentum=0.9,
        batch_size=10,
        max_epochs=max_epochs,
        train_split=None,
        callbacks=callbacks,
        verbose=0,
    )


@pytest.fixture
def data():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(40, 4, generator=gen)
    return X, (X[:, 0] > 0).long() + (X[:, 1] > 0).long()


@pytest.mark.parametrize("weighted", [False, True])
def test_scores_match_sklearn(weighted):
    rng = np.random.RandomState(0)
    w = rng.uniform(0, 3, size=30) if weighted else None
    tw = None if w is None else torch.tensor(w)
    logits, labels = rng.randn(30, 3), rng.randint(3, size=30)
    assert accuracy(torch.tensor(logits), torch.tensor(labels), tw) == pytest.approx(
        accuracy_score(labels, logits.argmax(1), sample_weight=w)
    )
    Y = rng.randint(2, size=(30, 4))
    scores = rng.randn(30, 4)
    assert subset_accuracy(torch.tensor(scores), torch.tensor(Y), tw) == pytest.approx(
        accuracy_score(Y, (scores > 0).astype(int), sample_weight=w)
    )
    y, p = rng.randn(30, 2), rng.randn(30, 2)
    assert r2(torch.tensor(p), torch.tensor(y), tw) == pytest.approx(
        r2_score(y, p, sample_weight=w)
    )
    y[:, 1] = 5.0
    for column in (5.0, 5.5):
        p[:, 1] = column
        assert r2(torch.tensor(p), torch.tensor(y), tw) == pytest.approx(
            r2_score(y, p, sample_weight=w)
        )


def test_dev_score_records_loss_and_score_each_epoch_then_lets_go_of_the_data(data):
    X, y = data
    dev = DevScore(X[:10], y[:10], accuracy)
    net = make_net([("dev", dev)]).fit(TensorData(X[10:], y[10:]), None)
    scores = net.history[:, "valid_score"]
    losses = net.history[:, "valid_loss"]
    assert len(scores) == len(losses) == 3
    assert all(0 <= s <= 1 for s in scores) and all(np.isfinite(losses))
    with torch.no_grad():
        expected = accuracy(net.module_(X[:10]), y[:10])
    assert scores[-1] == expected
    assert dev.X is None and dev.y is None  # not carried by the fitted net


def test_guard_keeps_the_initial_weights_when_the_first_batch_is_not_finite(data):
    X, y = data
    guard = NonFiniteLossGuard()
    net = make_net([("guard", guard)])
    net.initialize()
    initial = {k: v.clone() for k, v in net.module_.state_dict().items()}
    bad_X = X.clone()
    bad_X[:] = float("nan")
    net.partial_fit(TensorData(bad_X, y), None)
    assert guard.diverged_epoch_ == 1 and guard.kept_epochs_ == 0
    assert np.isnan(guard.diverged_loss_)
    assert same_state(initial, net.module_.state_dict())
    assert len(net.optimizer_.state) == 0  # momentum from the bad step is gone


def test_guard_keeps_weights_checked_by_a_finite_loss(data):
    """Weights from the start of an epoch count only once a batch of it was finite."""
    X, y = data
    guard = NonFiniteLossGuard()
    net = make_net([("guard", guard)], max_epochs=5, lr=1e38)
    net.fit(TensorData(X * 1e30, y), None)
    assert guard.diverged_epoch_ is not None
    assert guard.kept_epochs_ <= guard.diverged_epoch_ - 1
    assert all(torch.isfinite(p).all() for p in net.module_.parameters())
    with torch.no_grad():
        loss = net.get_loss(net.module_(X[:10] * 1e30), y[:10])
    assert torch.isfinite(loss)


class EpochCounter(Callback):
    def __init__(self, start=0):
        self.start = start

    def initialize(self):
        self.epochs_ = self.start
        return self

    def on_epoch_end(self, net, **kwargs):
        self.epochs_ += 1


@pytest.mark.parametrize("cls", [SigmoidRegressor, ReLUMLPClassifier])
def test_user_callbacks_run_on_copies(cls, regression_data, classification_data):
    X, y = regression_data if cls is SigmoidRegressor else classification_data
    counter = EpochCounter()
    model = cls(max_epochs=4, n_iter_no_change=10, callbacks=[("counter", counter)])
    model.fit(X, y)
    assert dict(model.net_.callbacks_)["counter"].epochs_ == 4
    assert not hasattr(counter, "epochs_")  # the parameter itself is untouched
    twin = clone(model)
    assert twin.callbacks[0][1] is not counter
    model.fit(X, y)  # a refit starts from a fresh copy
    assert dict(model.net_.callbacks_)["counter"].epochs_ == 4
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_user_callbacks_see_the_last_epoch_before_early_stopping(classification_data):
    X, y = classification_data
    model = ReLUMLPClassifier(
        early_stopping=True, n_iter_no_change=2, max_epochs=500, callbacks=[EpochCounter()]
    ).fit(X, y)
    assert model.n_iter_ < 500
    assert dict(model.net_.callbacks_)["EpochCounter"].epochs_ == model.n_iter_


def test_a_skorch_lr_scheduler_as_a_user_callback(regression_data):
    X, y = regression_data
    step = LRScheduler(torch.optim.lr_scheduler.StepLR, step_size=2, gamma=0.5)
    model = SigmoidRegressor(
        lr=0.01,
        learning_rate="constant",  # the user's scheduler sets the rate
        max_epochs=6,
        n_iter_no_change=10,
        callbacks=[step],
    )
    model.fit(X, y)
    np.testing.assert_allclose(
        model.net_.history[:, "event_lr"], [0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025]
    )


def test_verbose_2_shows_a_progress_bar_over_batches(classification_data, capsys):
    X, y = classification_data
    ReLUMLPClassifier(max_epochs=2, batch_size=50, verbose=2).fit(X, y)
    captured = capsys.readouterr()
    assert "0/3 [" in captured.err  # a bar over 3 batches: 150 rows in batches of 50
    assert "train_loss" in captured.out
