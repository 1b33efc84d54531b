"""sknn.model_selection: scikit-learn's searches, with the networks trained side by
side first."""

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn import model_selection as sk
from sklearn.datasets import load_iris, make_regression
from sklearn.exceptions import FitFailedWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import ReLUMLPClassifier, SigmoidRegressor, _base
from sknn import model_selection as ms
from sknn._net import TensorNet


def regression_search():
    X, y = make_regression(300, 6, noise=10, random_state=0)
    estimator = make_pipeline(
        StandardScaler(), SigmoidRegressor(random_state=0, max_epochs=20, batch_size=64)
    )
    grid = {
        "sigmoidregressor__n_sigmoids": [4, 12],
        "sigmoidregressor__lr": [0.003, 0.03],
        "sigmoidregressor__alpha": [0.0, 0.01],
        "standardscaler__with_mean": [True, False],
    }
    return estimator, grid, X, y


def classification_search():
    X, y = load_iris(return_X_y=True)
    estimator = ReLUMLPClassifier(random_state=0, max_epochs=15)
    grid = {
        "hidden_layer_sizes": [(8,), (8, 8)],
        "lr": [0.01, 0.05],
        "early_stopping": [False, True],
    }
    return estimator, grid, StandardScaler().fit_transform(X), y


def assert_same_search(ours, theirs):
    assert sorted(ours.cv_results_) == sorted(theirs.cv_results_)
    for key, value in theirs.cv_results_.items():
        mine = ours.cv_results_[key]
        assert type(mine) is type(value)
        if key.endswith("_score") and not key.startswith("rank"):
            np.testing.assert_allclose(mine, value, atol=1e-4)
        elif key.startswith("param"):
            assert list(mine) == list(value)
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_index_ == theirs.best_index_


@pytest.mark.parametrize("make", [regression_search, classification_search])
def test_grid_search_is_scikit_learns_with_the_fits_trained_side_by_side(
    make, capsys, monkeypatch
):
    estimator, grid, X, y = make()
    theirs = sk.GridSearchCV(estimator, grid, cv=3, return_train_score=True).fit(X, y)
    trained_alone = []
    partial_fit = TensorNet.partial_fit

    def counted(net, *args, **kwargs):
        trained_alone.append(net)
        return partial_fit(net, *args, **kwargs)

    monkeypatch.setattr(TensorNet, "partial_fit", counted)
    ours = ms.GridSearchCV(estimator, grid, cv=3, return_train_score=True, verbose=1)
    ours.fit(X, y)
    assert len(trained_alone) == 1  # the refit; the search's fits took their results
    fits = len(list(sk.ParameterGrid(grid))) * 3
    assert f"Trained {fits} of {fits} fits side by side" in capsys.readouterr().out
    assert_same_search(ours, theirs)
    np.testing.assert_allclose(
        ours.best_estimator_.predict(X), theirs.best_estimator_.predict(X), rtol=1e-4
    )
    assert (ours.cv_results_["mean_fit_time"] > 0).all()
    assert _base._TRAINED == {}  # nothing left behind


def test_randomized_search_samples_what_it_trained():
    estimator, _, X, y = classification_search()
    space = {"lr": loguniform(1e-3, 1e-1), "alpha": [0.0, 0.1]}
    theirs = sk.RandomizedSearchCV(estimator, space, n_iter=5, cv=3, random_state=0)
    ours = ms.RandomizedSearchCV(estimator, space, n_iter=5, cv=3, random_state=0)
    assert_same_search(ours.fit(X, y), theirs.fit(X, y))
    unseeded = ms.RandomizedSearchCV(estimator, space, n_iter=3, cv=2).fit(X, y)
    assert unseeded.random_state is None
    assert len(unseeded.cv_results_["params"]) == 3


def test_fits_that_cannot_be_trained_together_run_as_in_scikit_learn(capsys):
    estimator, _, X, y = classification_search()
    grid = {"optimizer": ["sgd", "adam"], "lr": [0.01, -1.0]}  # adam alone, -1 fails
    with pytest.warns(FitFailedWarning):
        theirs = sk.GridSearchCV(estimator, grid, cv=2).fit(X, y)
    with pytest.warns(FitFailedWarning):
        ours = ms.GridSearchCV(estimator, grid, cv=2, verbose=1).fit(X, y)
    assert "Trained 2 of 8 fits side by side" in capsys.readouterr().out
    assert np.isnan(ours.cv_results_["mean_test_score"]).sum() == 2
    assert_same_search(ours, theirs)


def test_parallel_search_uses_the_fits_trained_ahead():
    estimator, grid, X, y = regression_search()
    theirs = sk.GridSearchCV(estimator, grid, cv=2).fit(X, y)
    ours = ms.GridSearchCV(estimator, grid, cv=2, n_jobs=2).fit(X, y)
    assert_same_search(ours, theirs)
    assert _base._TRAINED == {}


def test_labels_and_frames_of_any_type():
    pd = pytest.importorskip("pandas")
    X, y = load_iris(return_X_y=True)
    frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    labels = pd.Series(np.array(["setosa", "versicolor", "virginica"], dtype=object)[y])
    estimator = make_pipeline(
        StandardScaler(), ReLUMLPClassifier(random_state=0, max_epochs=8)
    )
    grid = {"relumlpclassifier__lr": [0.01, 0.05]}
    theirs = sk.GridSearchCV(estimator, grid, cv=3).fit(frame, labels)
    ours = ms.GridSearchCV(estimator, grid, cv=3).fit(frame, labels)
    assert_same_search(ours, theirs)
    assert list(ours.best_estimator_.feature_names_in_) == ["sl", "sw", "pl", "pw"]
    assert _base._TRAINED == {}
    # the same values in another container are another fit
    model = ReLUMLPClassifier()
    assert _base.fit_key(model, frame, labels, None) != _base.fit_key(
        model, X, labels, None
    )


def test_splitters_draw_the_folds_the_search_draws():
    estimator, grid, X, y = classification_search()
    grid = {"lr": grid["lr"]}

    def holding_its_random_state():
        return sk.KFold(3, shuffle=True, random_state=np.random.RandomState(0))

    theirs = sk.GridSearchCV(estimator, grid, cv=holding_its_random_state()).fit(X, y)
    ours = ms.GridSearchCV(estimator, grid, cv=holding_its_random_state()).fit(X, y)
    assert_same_search(ours, theirs)
    # drawing from numpy's global random state, left as scikit-learn's search leaves it
    np.random.seed(1)
    theirs = sk.GridSearchCV(estimator, grid, cv=sk.KFold(3, shuffle=True)).fit(X, y)
    after = np.random.get_state()[1].copy()
    np.random.seed(1)
    ours = ms.GridSearchCV(estimator, grid, cv=sk.KFold(3, shuffle=True)).fit(X, y)
    np.testing.assert_array_equal(np.random.get_state()[1], after)
    assert_same_search(ours, theirs)
    # an iterable of splits, which can be read once
    splits = list(sk.KFold(3).split(X))
    theirs = sk.GridSearchCV(estimator, grid, cv=iter(splits)).fit(X, y)
    ours = ms.GridSearchCV(estimator, grid, cv=iter(splits)).fit(X, y)
    assert_same_search(ours, theirs)


def test_callbacks_of_the_search_see_every_fit():
    pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9")

    class Count:
        max_propagation_depth = None

        def __init__(self):
            self.begun = 0

        def setup(self, estimator, context):
            pass

        def teardown(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context, **kwargs):
            self.begun += isinstance(estimator, ReLUMLPClassifier)

        def on_fit_task_end(self, estimator, context, **kwargs):
            pass

    estimator, _, X, y = classification_search()
    counts = []
    for search in (sk.GridSearchCV, ms.GridSearchCV):
        count = Count()
        search(estimator, {"lr": [0.01, 0.05]}, cv=3).set_callbacks(count).fit(X, y)
        counts.append(count.begun)
    assert counts[0] == counts[1] > 6
