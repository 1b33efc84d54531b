"""scikit-learn's own callbacks (sklearn.callback, scikit-learn 1.9 and later) see
each fit as a task with one subtask per epoch, also inside Pipeline and GridSearchCV."""

import warnings

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from sknn import ReLUMLPClassifier, SigmoidRegressor

sklearn_callback = pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9")


class Recorder:
    """A scikit-learn fit callback that records the tasks it sees and can ask to
    stop after ``stop_after`` epochs."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.events = []

    def setup(self, estimator, context):
        self.events.append(("setup", type(estimator).__name__, context.task_name))

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None):
        self.events.append(("begin", type(estimator).__name__, context.task_name))

    def on_fit_task_end(
        self, estimator, context, *, X=None, y=None, metadata=None, fitted_estimator=None
    ):
        self.events.append(("end", type(estimator).__name__, context.task_name))
        epochs = sum(event[:1] + event[2:] == ("end", "epoch") for event in self.events)
        return context.task_name == "epoch" and epochs == self.stop_after

    def teardown(self, estimator, context):
        self.events.append(("teardown", type(estimator).__name__, context.task_name))

    def count(self, kind, task):
        return sum(event[0] == kind and event[2] == task for event in self.events)


class PropagatedRecorder(Recorder):
    max_propagation_depth = None


def test_scoring_monitor_scores_every_epoch(case):
    cls, X, y = case
    name = "accuracy" if cls is ReLUMLPClassifier else "r2"  # the estimator's score
    monitor = sklearn_callback.ScoringMonitor(scoring=name)
    model = cls(max_epochs=4, random_state=0).set_callbacks(monitor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert [row["task_id"] for row in epochs] == [0, 1, 2, 3]
    # each epoch is scored with that epoch's weights; the last are the fitted ones
    assert epochs[-1][name] == pytest.approx(model.score(X, y))
    assert len({row[name] for row in epochs}) > 1
    # the fitted model keeps no reference to the training data
    reporter = dict(model.net_.callbacks_)["sklearn_callbacks"]
    assert reporter.data is None and reporter.estimator is None


def test_a_callback_can_stop_training_quietly(case):
    cls, X, y = case
    recorder = Recorder(stop_after=3)
    model = cls(max_epochs=50, random_state=0).set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither "interrupted" nor ConvergenceWarning
        model.fit(X, y)
    assert model.n_iter_ == 3
    assert recorder.count("begin", "epoch") == recorder.count("end", "epoch") == 3
    assert recorder.count("setup", "fit") == recorder.count("teardown", "fit") == 1


def test_partial_fit_is_a_task_of_one_epoch(classification_data):
    X, y = classification_data
    recorder = Recorder()
    model = ReLUMLPClassifier(random_state=0).set_callbacks(recorder)
    for _ in range(2):
        model.partial_fit(X, y, classes=np.unique(y))
    assert recorder.count("end", "fit") == 2
    assert recorder.count("end", "epoch") == 2


def test_teardown_runs_when_fit_fails(regression_data):
    class Fail(Callback):
        def on_epoch_end(self, net, **kwargs):
            raise RuntimeError("failed in epoch")

    X, y = regression_data
    recorder = Recorder()
    model = SigmoidRegressor(callbacks=[Fail()]).set_callbacks(recorder)
    with pytest.raises(RuntimeError, match="failed in epoch"):
        model.fit(X, y)
    assert recorder.count("teardown", "fit") == 1
    assert not hasattr(model, "net_")  # the failed fit left nothing behind


def test_callbacks_reach_the_epochs_through_pipeline_and_grid_search(
    classification_data,
):
    X, y = classification_data
    recorder = PropagatedRecorder()
    pipe = make_pipeline(StandardScaler(), ReLUMLPClassifier(max_epochs=3, random_state=0))
    search = GridSearchCV(pipe, {"relumlpclassifier__lr": [0.01, 0.1]}, cv=2)
    search.set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    fits = 2 * 2 + 1  # candidates x splits, and the refit
    epoch_ends = [e for e in recorder.events if e[0] == "end" and e[2] == "epoch"]
    assert epoch_ends == [("end", "ReLUMLPClassifier", "epoch")] * (3 * fits)


def test_progress_bar_through_a_pipeline(classification_data, capsys):
    pytest.importorskip("rich")
    X, y = classification_data
    pipe = make_pipeline(StandardScaler(), ReLUMLPClassifier(max_epochs=3, random_state=0))
    pipe.set_callbacks(sklearn_callback.ProgressBar(max_propagation_depth=None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe.fit(X, y)
    assert "ReLUMLPClassifier - fit" in capsys.readouterr().out
