"""sknn's use of torch's threads: one for small work, torch's setting (never more)
for large work, and torch's setting left as it was."""

import threading

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from sknn import ReLUMLPClassifier, SigmoidRegressor, _threads

THREADS_SEEN = []


class RecordThreads(Callback):
    def on_epoch_end(self, net, **kwargs):
        THREADS_SEEN.append(torch.get_num_threads())


class Fail(Callback):
    def on_epoch_end(self, net, **kwargs):
        raise RuntimeError("callback failed")


@pytest.fixture
def two_threads():
    """torch set to two threads for the test, and put back after it."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    THREADS_SEEN.clear()
    yield
    torch.set_num_threads(before)


def test_small_work_runs_on_one_thread_and_leaves_torchs_setting(case, two_threads):
    cls, X, y = case
    model = cls(max_epochs=3, callbacks=[RecordThreads()], random_state=0).fit(X, y)
    assert THREADS_SEEN == [1, 1, 1]
    assert torch.get_num_threads() == 2
    model.predict(X)
    assert torch.get_num_threads() == 2


def test_large_work_keeps_torchs_setting_within_the_cores(case, two_threads, monkeypatch):
    cls, X, y = case
    monkeypatch.setattr(_threads, "SINGLE_THREAD_BELOW", 0)
    cls(max_epochs=2, callbacks=[RecordThreads()], random_state=0).fit(X, y)
    assert THREADS_SEEN == [min(2, _threads.available_cores())] * 2
    assert torch.get_num_threads() == 2


def test_a_limit_the_user_set_holds(case, two_threads, monkeypatch):
    cls, X, y = case
    monkeypatch.setattr(_threads, "SINGLE_THREAD_BELOW", 0)
    torch.set_num_threads(1)
    cls(max_epochs=2, callbacks=[RecordThreads()], random_state=0).fit(X, y)
    assert THREADS_SEEN == [1, 1] and torch.get_num_threads() == 1


def test_a_failed_fit_puts_torchs_setting_back(case, two_threads):
    cls, X, y = case
    with pytest.raises(RuntimeError, match="callback failed"):
        cls(max_epochs=2, callbacks=[Fail()], random_state=0).fit(X, y)
    assert torch.get_num_threads() == 2


def test_fits_in_two_threads_at_once_do_not_interfere(
    regression_data, classification_data, two_threads
):
    jobs = [
        (SigmoidRegressor(max_epochs=30, random_state=0), *regression_data),
        (ReLUMLPClassifier(max_epochs=30, random_state=0), *classification_data),
    ]
    alone = [model.fit(X, y).predict(X) for model, X, y in jobs]
    results = [None, None]
    start = threading.Barrier(2)

    def fit(i):
        model, X, y = jobs[i]
        start.wait()
        for _ in range(3):
            results[i] = model.fit(X, y).predict(X)

    threads = [threading.Thread(target=fit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for together, by_itself in zip(results, alone, strict=True):
        np.testing.assert_array_equal(together, by_itself)
    assert torch.get_num_threads() == 2


def test_a_fit_started_inside_another_puts_each_threads_setting_back(
    classification_data, two_threads
):
    # a fit that starts a fit in another thread, which is still running when the
    # first ends: each thread's setting is back to what it was after its own fit
    # (with OpenMP, each thread has its own)
    X, y = classification_data
    started, seen = threading.Event(), {}

    class Started(Callback):
        def on_epoch_end(self, net, **kwargs):
            started.set()

    class FitInAThread(Callback):
        def on_epoch_end(self, net, **kwargs):
            def work():
                before = torch.get_num_threads()
                model = ReLUMLPClassifier(max_epochs=20, callbacks=[Started()])
                model.fit(X, y)
                seen["worker"] = (before, torch.get_num_threads())

            seen["thread"] = threading.Thread(target=work)
            seen["thread"].start()
            assert started.wait(timeout=30)  # the other fit is under way

    ReLUMLPClassifier(max_epochs=1, callbacks=[FitInAThread()]).fit(X, y)
    assert torch.get_num_threads() == 2
    seen["thread"].join()
    before, after = seen["worker"]
    assert after == before
