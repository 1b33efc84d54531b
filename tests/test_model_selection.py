"""sknn.model_selection: scikit-learn's searches, with the networks trained side by
side first."""

import re

import numpy as np
import pytest
import sklearn
from joblib import parallel_config
from scipy import sparse
from scipy.stats import loguniform
from sklearn import model_selection as sk
from sklearn.base import clone
from sklearn.datasets import load_iris, make_multilabel_classification, make_regression
from sklearn.exceptions import FitFailedWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import ReLUMLPClassifier, ReLUMLPRegressor, SigmoidRegressor, _base
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


def deep_regression_search():
    X, y = make_regression(300, 6, noise=10, random_state=0)
    y = np.c_[y, np.sin(y / 50)]  # two outputs
    estimator = make_pipeline(
        StandardScaler(), ReLUMLPRegressor(random_state=0, max_epochs=20, batch_size=64)
    )
    grid = {
        "relumlpregressor__hidden_layer_sizes": [(8,), (16,), (8, 8)],
        "relumlpregressor__lr": [0.003, 0.03],
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


def count_fits_trained_alone(monkeypatch) -> list:
    """The nets trained by a fit of their own (not side by side) from now on."""
    trained_alone = []
    partial_fit = TensorNet.partial_fit

    def counted(net, *args, **kwargs):
        trained_alone.append(net)
        return partial_fit(net, *args, **kwargs)

    monkeypatch.setattr(TensorNet, "partial_fit", counted)
    return trained_alone


@pytest.mark.parametrize(
    "make", [regression_search, deep_regression_search, classification_search]
)
def test_grid_search_is_scikit_learns_with_the_fits_trained_side_by_side(
    make, capsys, monkeypatch
):
    estimator, grid, X, y = make()
    theirs = sk.GridSearchCV(estimator, grid, cv=3, return_train_score=True).fit(X, y)
    trained_alone = count_fits_trained_alone(monkeypatch)
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
    out = capsys.readouterr().out
    assert "Trained 2 of 8 fits side by side" in out
    # the candidates with a fit not trained together: adam's, and lr=-1 (fails)
    assert (
        "Candidates trained one fit at a time: {'lr': 0.01, 'optimizer': 'adam'}, "
        "{'lr': -1.0, 'optimizer': 'sgd'}, {'lr': -1.0, 'optimizer': 'adam'}." in out
    )
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


def trained_together(capsys) -> tuple[int, int]:
    """The fits trained side by side and all fits, as ``verbose`` reported them
    (None: it said why it trained none)."""
    out = capsys.readouterr().out
    found = re.search(r"Trained (\d+) of (\d+) fits side by side", out)
    if found is None:
        assert re.search(r"Trained no fits side by side \(.+\)", out)
        return 0, None
    return int(found[1]), int(found[2])


@pytest.mark.parametrize("in_pipeline", [False, True])
def test_sample_weights_are_trained_together(in_pipeline, capsys):
    estimator, grid, X, y = regression_search()
    weight = np.random.RandomState(0).randint(0, 4, len(y)).astype(float)
    if in_pipeline:
        params = {"sigmoidregressor__sample_weight": weight}
        grid = {key: grid[key] for key in list(grid)[:2]}
    else:
        estimator = estimator[-1]
        params = {"sample_weight": weight}
        grid = {key.split("__")[1]: value for key, value in list(grid.items())[:2]}
    theirs = sk.GridSearchCV(estimator, grid, cv=3).fit(X, y, **params)
    ours = ms.GridSearchCV(estimator, grid, cv=3, verbose=1).fit(X, y, **params)
    assert trained_together(capsys) == (12, 12)
    assert_same_search(ours, theirs)
    # the weights change what is learnt: unweighted fits are other fits
    unweighted = ms.GridSearchCV(estimator, grid, cv=3).fit(X, y)
    assert not np.allclose(
        unweighted.cv_results_["mean_test_score"], ours.cv_results_["mean_test_score"]
    )


def test_routed_fit_parameters_go_through_scikit_learns_path(capsys):
    estimator, grid, X, y = regression_search()
    estimator = estimator[-1]
    weight = np.random.RandomState(0).rand(len(y))
    grid = {"lr": [0.003, 0.03]}
    with sklearn.config_context(enable_metadata_routing=True):
        estimator.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
        theirs = sk.GridSearchCV(estimator, grid, cv=2).fit(X, y, sample_weight=weight)
        ours = ms.GridSearchCV(estimator, grid, cv=2, verbose=1)
        ours.fit(X, y, sample_weight=weight)
    assert trained_together(capsys) == (0, None)
    assert_same_search(ours, theirs)


@pytest.mark.parametrize("target", ["multi-output", "multilabel", "sparse"])
def test_other_targets_and_inputs_match_scikit_learns_search(target, capsys):
    if target == "multi-output":
        X, Y = make_regression(200, 5, n_targets=3, noise=5, random_state=0)
        estimator = SigmoidRegressor(max_epochs=15, random_state=0)
        grid = {"n_sigmoids": [3, 9], "alpha": [0.0, 0.01]}
    else:
        X, Y = make_multilabel_classification(200, 8, n_classes=3, random_state=0)
        X = X.astype(float)
        estimator = ReLUMLPClassifier(max_epochs=15, random_state=0)
        grid = {"hidden_layer_sizes": [(4,), (12,)], "lr": [0.01, 0.1]}
    if target == "sparse":
        X, Y = sparse.csr_matrix(X), Y[:, 0]
    theirs = sk.GridSearchCV(estimator, grid, cv=3).fit(X, Y)
    ours = ms.GridSearchCV(estimator, grid, cv=3, verbose=1).fit(X, Y)
    expected = (0, None) if target == "sparse" else (12, 12)  # sparse: one by one
    assert trained_together(capsys) == expected
    assert_same_search(ours, theirs)


def test_a_search_on_a_dask_cluster(capsys):
    distributed = pytest.importorskip("distributed")
    joblib = pytest.importorskip("joblib")
    estimator, grid, X, y = classification_search()
    theirs = sk.GridSearchCV(estimator, grid, cv=3).fit(X, y)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None, processes=True
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
            ours = ms.GridSearchCV(estimator, grid, cv=3, n_jobs=2, verbose=1).fit(X, y)
        threads = client.run(lambda: __import__("torch").get_num_threads())
    assert "in 2 parallel jobs" in capsys.readouterr().out
    assert len(tasks.data) >= 2  # the fits were trained on the cluster's workers
    assert len(threads) == 2
    assert_same_search(ours, theirs)
    assert _base._TRAINED == {}


@pytest.mark.parametrize(
    "params",
    [
        {"cv": "five"},
        {"n_jobs": "two"},
        {"scoring": "no such score"},
        {"scoring": ["accuracy", "f1_macro"], "refit": "no such metric"},
        {"param_grid": {"lr": 0.1}},
        {"param_grid": {"no_such_parameter": [1]}},
        {"error_score": "raise", "X": "with NaN"},
        {"error_score": "raise", "X": "a row short"},
    ],
    ids=lambda params: "-".join(map(str, params)),
)
def test_bad_input_is_refused_as_scikit_learn_refuses_it(params):
    estimator, _, X, y = classification_search()
    params = {"param_grid": {"lr": [0.01, 0.1]}, **params}
    data = params.pop("X", None)
    if data == "with NaN":
        X = np.where(X > 1.5, np.nan, X)
    elif data == "a row short":
        X = X[:-1]
    errors = []
    for search in (sk.GridSearchCV, ms.GridSearchCV):
        with pytest.raises(Exception) as caught:
            search(estimator, **params).fit(X, y)
        errors.append((type(caught.value), str(caught.value)))
    assert errors[0] == errors[1]
    assert _base._TRAINED == {}


def test_several_metrics_callable_scoring_and_refit():
    estimator, grid, X, y = regression_search()
    grid = {key: grid[key] for key in list(grid)[:2]}

    def neg_max_error(model, X, y):
        return -np.abs(model.predict(X) - y).max()

    def simplest_within_a_tenth(results):
        scores = results["mean_test_r2"]
        return int(np.flatnonzero(scores >= scores.max() - 0.1)[0])

    for scoring, refit in (
        ({"r2": "r2", "max": neg_max_error}, simplest_within_a_tenth),
        ({"r2": "r2", "max": neg_max_error}, "max"),
        (neg_max_error, True),
    ):
        kwargs = dict(cv=3, scoring=scoring, refit=refit, return_train_score=True)
        theirs = sk.GridSearchCV(estimator, grid, **kwargs).fit(X, y)
        ours = ms.GridSearchCV(estimator, grid, **kwargs).fit(X, y)
        assert_same_search(ours, theirs)
        assert ours.n_splits_ == theirs.n_splits_ == 3
        if isinstance(scoring, dict):
            assert set(ours.scorer_) == set(theirs.scorer_) == {"r2", "max"}
        assert hasattr(ours, "best_score_") == hasattr(theirs, "best_score_")
        if hasattr(theirs, "best_score_"):  # not with a callable refit
            np.testing.assert_allclose(ours.best_score_, theirs.best_score_, atol=1e-4)


def test_every_fit_trained_ahead_is_taken(monkeypatch):
    """Fits trained ahead are used, never trained again: a fit the grid holds twice,
    a random_state that is a RandomState (cloned with its state, at a new address),
    and n_jobs=None under an outer joblib setting of two jobs."""
    estimator, _, X, y = classification_search()
    trained_alone = count_fits_trained_alone(monkeypatch)
    # the records of the fits trained ahead (kept by the search only during fit)
    records = []
    train_ahead = ms.GridSearchCV._train_ahead

    def recording(search, *args):
        train_ahead(search, *args)
        records.append(search._ahead)

    monkeypatch.setattr(ms.GridSearchCV, "_train_ahead", recording)
    grid = [{"lr": [0.01, 0.05, 0.01]}, {"lr": [0.05]}]  # 0.01 and 0.05 twice
    theirs = sk.GridSearchCV(estimator, grid, cv=3).fit(X, y)
    trained_alone.clear()
    ours = ms.GridSearchCV(estimator, grid, cv=3).fit(X, y)
    assert len(trained_alone) == 1  # the refit
    assert len(records[-1]) == 12 and all(r["taken"] for r in records[-1].values())
    assert not hasattr(ours, "_ahead")
    assert_same_search(ours, theirs)
    assert (ours.cv_results_["mean_fit_time"] > 0).all()

    seeded = clone(estimator).set_params(random_state=np.random.RandomState(0))
    trained_alone.clear()
    ms.GridSearchCV(seeded, {"lr": [0.01, 0.05]}, cv=3).fit(X, y)
    assert len(trained_alone) == 1

    trained_alone.clear()
    with parallel_config(n_jobs=2):
        ours = ms.GridSearchCV(estimator, {"lr": [0.01, 0.05]}, cv=3).fit(X, y)
    assert len(trained_alone) == 1
    # taken in this process (a worker process would take a copy of the record)
    assert len(records[-1]) == 6 and all(r["taken"] for r in records[-1].values())
    assert _base._TRAINED == {}
