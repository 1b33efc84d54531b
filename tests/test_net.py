"""The training engine: skorch's loop over tensors on the device."""

import pickle

import numpy as np
import pytest
import torch
import torch.utils.data
from skorch.callbacks import Callback

from sknn import ReLUMLPClassifier, SigmoidRegressor, _batching
from sknn._batching import MiniBatches, TensorData
from sknn._modules import ReLUMLP
from sknn._net import TensorNet


def test_fit_never_builds_a_dataloader(monkeypatch, classification_data, fast):
    def refuse(*args, **kwargs):
        raise AssertionError("a DataLoader was built")

    monkeypatch.setattr(torch.utils.data.DataLoader, "__init__", refuse)
    X, y = classification_data
    ReLUMLPClassifier(**fast).fit(X, y).predict(X)


def test_iterator_slices_tensors_on_the_device(classification_data):
    X, y = classification_data
    net = TensorNet(
        ReLUMLP,
        module__n_features=X.shape[1],
        module__hidden_layer_sizes=(4,),
        module__n_outputs=3,
        criterion=torch.nn.CrossEntropyLoss,
        batch_size=1000,
        train_split=None,
    ).initialize()
    data = TensorData(torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y))
    iterator = net.get_iterator(data, training=True)
    assert isinstance(iterator, MiniBatches)
    assert iterator.batch_size == len(X)  # clipped to the data
    assert not net.get_iterator(data, training=False).shuffle


def test_one_batch_of_all_rows_is_not_reordered(case):
    # the order of the rows of a single batch would change only rounding
    cls, X, y = case
    common = dict(batch_size=len(X), max_epochs=5, random_state=0)
    shuffled = cls(shuffle=True, **common).fit(X, y)
    in_order = cls(shuffle=False, **common).fit(X, y)
    assert shuffled.loss_curve_ == in_order.loss_curve_
    pairs = zip(shuffled.module_.parameters(), in_order.module_.parameters(), strict=True)
    assert all(torch.equal(p, q) for p, q in pairs)
    two_batches = cls(shuffle=True, **{**common, "batch_size": len(X) - 1}).fit(X, y)
    assert (
        two_batches.loss_curve_
        != cls(shuffle=False, **{**common, "batch_size": len(X) - 1}).fit(X, y).loss_curve_
    )


def test_weights_match_the_seed_not_the_global_generator(classification_data):
    X, y = classification_data
    torch.manual_seed(0)
    a = ReLUMLPClassifier(max_epochs=1, random_state=5).fit(X, y)
    torch.manual_seed(1)
    b = ReLUMLPClassifier(max_epochs=1, random_state=5).fit(X, y)
    for p, q in zip(a.module_.parameters(), b.module_.parameters(), strict=True):
        assert torch.equal(p, q)


def test_keyboard_interrupt_stops_cleanly_and_warns(monkeypatch, regression_data):
    X, y = regression_data
    batches_seen = 0
    original = _batching.MiniBatches.__iter__

    def interrupt_in_third_epoch(self):
        nonlocal batches_seen
        for batch in original(self):
            batches_seen += 1
            if batches_seen == 2 * len(self) + 1:
                raise KeyboardInterrupt
            yield batch

    monkeypatch.setattr(_batching.MiniBatches, "__iter__", interrupt_in_third_epoch)
    model = SigmoidRegressor(max_epochs=10, batch_size=32, random_state=0)
    with pytest.warns(UserWarning, match="interrupted after 2 of 10 epochs"):
        model.fit(X, y)
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 2
    assert np.isfinite(model.predict(X)).all()
    monkeypatch.undo()
    assert model.set_params(max_epochs=3).fit(X, y).n_iter_ == 3


class CountBatches(Callback):
    """A callback that acts per batch, so the net runs skorch's per-batch loop."""

    def on_train_begin(self, net, **kwargs):
        self.batches = 0

    def on_batch_end(self, net, **kwargs):
        self.batches += 1


@pytest.mark.parametrize("weighted", [False, True])
def test_the_plain_epoch_loop_equals_skorchs_per_batch_loop(case, weighted):
    """The loop without per-batch callbacks (gradients by hand) trains as skorch's
    own loop (autograd), to float32 rounding."""
    cls, X, y = case
    sample_weight = np.linspace(0.5, 2.0, len(X)) if weighted else None
    plain = cls(max_epochs=4, batch_size=16, random_state=0)
    plain.fit(X, y, sample_weight=sample_weight)
    counter = CountBatches()
    per_batch = cls(max_epochs=4, batch_size=16, random_state=0, callbacks=[counter])
    per_batch.fit(X, y, sample_weight=sample_weight)
    assert dict(per_batch.net_.callbacks_)["CountBatches"].batches == 4 * -(-len(X) // 16)
    np.testing.assert_allclose(plain.loss_curve_, per_batch.loss_curve_, rtol=1e-5)
    if cls is not ReLUMLPClassifier:
        np.testing.assert_allclose(plain.predict(X), per_batch.predict(X), rtol=1e-4)
    else:
        np.testing.assert_allclose(
            plain.predict_proba(X), per_batch.predict_proba(X), atol=1e-5
        )


def test_the_plain_loop_keeps_no_record_per_batch(classification_data):
    """The history grows by one record per epoch, not one per mini-batch, so a
    pickled model does not grow with the number of batches."""
    X, y = classification_data
    sizes = {}
    for batch_size in (150, 2):
        model = ReLUMLPClassifier(max_epochs=3, batch_size=batch_size, random_state=0)
        model.fit(X, y)
        assert all(epoch["batches"] == [] for epoch in model.net_.history)
        assert model.net_.history[-1, "train_batch_count"] == -(-len(X) // batch_size)
        sizes[batch_size] = len(pickle.dumps(model))
    # (a per-batch record would add some 75 batches x 3 epochs x 50 bytes; the
    # counts of batches, 75 and 1, differ by a digit in each epoch's record)
    assert sizes[2] - sizes[150] < 100


def test_no_host_synchronisation_per_batch(monkeypatch, classification_data):
    """Losses stay on the device during an epoch: no ``.item()`` or ``.tolist()``
    per mini-batch (each would wait for a GPU), one ``.tolist()`` per epoch."""
    X, y = classification_data
    calls = {"item": 0, "tolist": 0}
    for name in calls:
        original = getattr(torch.Tensor, name)

        def counting(self, *args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counting)
    model = ReLUMLPClassifier(max_epochs=3, batch_size=5, tol=0.0, random_state=0)
    model.fit(X, y)  # 30 batches per epoch
    assert calls["item"] == 0
    assert calls["tolist"] == 3


def test_step_hooks_registered_between_calls_run(classification_data):
    X, y = classification_data
    model = ReLUMLPClassifier(batch_size=50, random_state=0)
    model.partial_fit(X, y, classes=np.unique(y))
    calls = []
    handle = model.net_.optimizer_.register_step_post_hook(lambda *args: calls.append(1))
    model.partial_fit(X, y)
    handle.remove()
    assert len(calls) == 3  # one per mini-batch


def test_callback_hooks_set_on_the_instance_run(classification_data):
    X, y = classification_data
    epochs = []

    class SetsItsHook(Callback):
        def initialize(self):
            self.on_epoch_end = lambda net, **kwargs: epochs.append(len(net.history))
            return self

    ReLUMLPClassifier(max_epochs=3, callbacks=[SetsItsHook()], random_state=0).fit(X, y)
    assert epochs == [1, 2, 3]
