"""Behaviour shared by both estimators: the scikit-learn API, persistence,
reproducibility, devices and bad input."""

import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sknn import ReLUMLPClassifier, SigmoidRegressor

from .conftest import requires_cuda, same_state

SHARED = ["lr", "momentum", "batch_size", "max_epochs", "shuffle", "device",
          "random_state", "verbose"]  # fmt: skip


def test_shared_parameter_names(case):
    cls, _, _ = case
    params = cls().get_params()
    assert set(SHARED) <= set(params)
    assert params["device"] == "cpu" and params["shuffle"] is True


def test_init_only_stores_and_fit_validates(case):
    cls, X, y = case
    model = cls(lr=-1.0, batch_size=0, device="quantum")  # no error yet
    assert model.get_params()["lr"] == -1.0
    with pytest.raises(InvalidParameterError, match="'lr' parameter"):
        cls(lr=-1.0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'batch_size' parameter"):
        cls(batch_size=0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'momentum' parameter"):
        cls(momentum=1.0).fit(X, y)
    with pytest.raises(ValueError, match="'device' parameter"):
        cls(device="quantum", max_epochs=1).fit(X, y)


def test_trains_with_torch_sgd_through_a_held_skorch_net(case, fast):
    from skorch import NeuralNet

    cls, X, y = case
    model = cls(lr=0.02, momentum=0.5, learning_rate="constant", **fast).fit(X, y)
    assert not isinstance(model, NeuralNet)
    assert isinstance(model.net_, NeuralNet)
    assert isinstance(model.module_, torch.nn.Module)
    assert model.module_ is model.net_.module_
    optimizer = model.net_.optimizer_
    assert isinstance(optimizer, torch.optim.SGD)
    assert optimizer.param_groups[0]["lr"] == 0.02
    assert optimizer.param_groups[0]["momentum"] == 0.5
    assert len(model.net_.history) == model.n_iter_ == 5


def test_fitted_attributes(case, fast):
    cls, X, y = case
    model = cls(**fast)
    assert not hasattr(model, "n_features_in_")
    model.fit(X, y)
    assert model.n_features_in_ == X.shape[1]
    assert not hasattr(model, "feature_names_in_")
    assert model.n_iter_ == 5 and len(model.loss_curve_) == 5
    assert all(isinstance(v, float) and np.isfinite(v) for v in model.loss_curve_)


def test_feature_names_from_pandas(case, fast):
    pd = pytest.importorskip("pandas")
    cls, X, y = case
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = cls(**fast).fit(frame, y)
    assert model.feature_names_in_.tolist() == list(frame.columns)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame[frame.columns[::-1]])
    np.testing.assert_array_equal(model.predict(frame), cls(**fast).fit(X, y).predict(X))


def test_random_state_reproduces_fit_bit_for_bit(case, fast):
    cls, X, y = case
    a = cls(**fast).fit(X, y)
    b = cls(**fast).fit(X, y)
    assert same_state(a.module_.state_dict(), b.module_.state_dict())
    assert a.loss_curve_ == b.loss_curve_
    c = cls(max_epochs=5, random_state=1).fit(X, y)
    assert not same_state(a.module_.state_dict(), c.module_.state_dict())
    d = cls(max_epochs=5, random_state=np.random.RandomState(0)).fit(X, y)
    assert d.n_iter_ == 5


def test_random_state_leaves_global_random_state_alone(case, fast):
    cls, X, y = case
    torch_before = torch.random.get_rng_state()
    numpy_before = np.random.get_state()[1].copy()
    cls(**fast).fit(X, y).predict(X)
    assert torch.equal(torch_before, torch.random.get_rng_state())
    np.testing.assert_array_equal(numpy_before, np.random.get_state()[1])


def test_random_state_none_follows_numpys_global_seed(case):
    cls, X, y = case
    np.random.seed(3)
    a = cls(max_epochs=2).fit(X, y)
    np.random.seed(3)
    b = cls(max_epochs=2).fit(X, y)
    assert same_state(a.module_.state_dict(), b.module_.state_dict())


def test_shuffle_false_is_reproducible_and_differs(case):
    cls, X, y = case
    a = cls(shuffle=False, max_epochs=3, batch_size=16, random_state=0).fit(X, y)
    b = cls(shuffle=True, max_epochs=3, batch_size=16, random_state=0).fit(X, y)
    assert a.loss_curve_ != b.loss_curve_


def test_float64_is_cast_once_to_float32(case, fast):
    cls, X, y = case
    pred64 = cls(**fast).fit(X.astype(np.float64), y).predict(X.astype(np.float64))
    pred32 = cls(**fast).fit(X.astype(np.float32), y).predict(X.astype(np.float32))
    np.testing.assert_array_equal(pred64, pred32)
    assert next(cls(**fast).fit(X, y).module_.parameters()).dtype == torch.float32


def test_clone_and_set_params(case, fast):
    cls, X, y = case
    model = cls(**fast).fit(X, y)
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    assert not hasattr(copy, "net_")
    copy.set_params(lr=0.5, max_epochs=2)
    assert copy.lr == 0.5 and model.lr != 0.5
    assert copy.fit(X, y).n_iter_ == 2


@pytest.mark.parametrize("dump, load", [(pickle.dumps, pickle.loads), ("joblib", "joblib")])
def test_pickle_and_joblib_round_trips_give_identical_predictions(
    case, fast, tmp_path, dump, load
):
    cls, X, y = case
    model = cls(**fast).fit(X, y)
    if dump == "joblib":
        joblib.dump(model, tmp_path / "model.joblib")
        restored = joblib.load(tmp_path / "model.joblib")
    else:
        restored = load(dump(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    assert restored.loss_curve_ == model.loss_curve_
    assert restored.get_params() == model.get_params()


def test_a_rows_prediction_does_not_depend_on_the_other_rows(case):
    cls, X, y = case
    model = cls(max_epochs=20, random_state=0).fit(X, y)
    method = model.predict_proba if hasattr(model, "predict_proba") else model.predict
    together = method(X)
    one_by_one = np.concatenate([method(X[i : i + 1]) for i in range(len(X))])
    # to float32 rounding: a matrix product of fewer rows may round a row apart
    # (torch's CPU kernels block rows by count)
    tolerance = {"rtol": 1e-6, "atol": 1e-6 * np.abs(together).max()}
    np.testing.assert_allclose(one_by_one, together, **tolerance)
    np.testing.assert_allclose(method(X[::-1]), together[::-1], **tolerance)


def test_predict_before_fit(case):
    cls, X, _ = case
    with pytest.raises(NotFittedError):
        cls().predict(X)


@pytest.mark.parametrize("bad", ["nan", "inf", "strings", "empty", "1d"])
def test_bad_input_gets_sklearns_errors(case, bad):
    cls, X, y = case
    X = X.astype(object) if bad == "strings" else X.copy()
    messages = {
        "nan": "Input X contains NaN",
        "inf": "Input X contains infinity",
        "strings": "could not convert string to float",
        "empty": "0 sample",
        "1d": "Expected 2D array, got 1D array instead",
    }
    if bad == "nan":
        X[0, 0] = np.nan
    elif bad == "inf":
        X[1, 1] = np.inf
    elif bad == "strings":
        X[2, 0] = "abc"
    elif bad == "empty":
        X, y = X[:0], y[:0]
    elif bad == "1d":
        X = X[:, 0]
    with pytest.raises(ValueError, match=messages[bad]):
        cls(max_epochs=1).fit(X, y)


def test_nan_in_target_is_refused(case):
    cls, X, y = case
    y = y.astype(float)
    y[0] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        cls(max_epochs=1).fit(X, y)


def test_wrong_feature_count_at_predict(case, fast):
    cls, X, y = case
    model = cls(**fast).fit(X, y)
    with pytest.raises(ValueError, match=f"is expecting {X.shape[1]} features"):
        model.predict(X[:, :-1])


def test_a_failed_refit_loses_nothing(case, fast):
    cls, X, y = case
    model = cls(**fast).fit(X, y)
    before = model.predict(X)
    state = dict(vars(model))
    X_bad = X[:, :2].copy()
    X_bad[0, 0] = np.nan
    with pytest.raises(ValueError):
        model.fit(X_bad, y)
    assert vars(model).keys() == state.keys()
    assert all(vars(model)[k] is v for k, v in state.items())
    np.testing.assert_array_equal(model.predict(X), before)


@pytest.mark.parametrize("batch_size", [16, 1000])
def test_divergence_stops_keeps_the_last_finite_weights_and_names_lr(case, batch_size):
    cls, X, y = case
    X = X * 1e3
    # a constant rate: the rerun below, with fewer epochs, must take the same steps
    settings = {"batch_size": batch_size, "learning_rate": "constant", "random_state": 0}
    model = cls(lr=1e6, max_epochs=50, **settings)
    with pytest.warns(
        RuntimeWarning, match=r"diverged.*lr=1000000.0 is probably too large"
    ):
        model.fit(X, y)
    # as in scikit-learn's MLP, the diverged epoch counts, with its loss
    guard = dict(model.net_.callbacks_)["non_finite_loss_guard"]
    assert model.n_iter_ == guard.diverged_epoch_ < 50
    assert len(model.loss_curve_) == model.n_iter_
    assert np.isfinite(model.loss_curve_[:-1]).all()
    assert not np.isfinite(model.loss_curve_[-1])
    assert model.best_loss_ == min(model.loss_curve_[:-1], default=np.inf)
    assert all(torch.isfinite(p).all() for p in model.module_.parameters())
    # the weights kept are those of the last epoch known to give a finite loss
    kept = guard.kept_epochs_
    assert kept < model.n_iter_
    again = cls(lr=1e6, max_epochs=max(kept, 1), **settings)
    if kept > 0:
        again.set_params(n_iter_no_change=50).fit(X, y)
        assert same_state(again.module_.state_dict(), model.module_.state_dict())


def test_non_finite_outputs_at_predict_are_not_silent(case, fast):
    cls, X, y = case
    model = cls(**fast).fit(X, y)
    with torch.no_grad():
        next(model.module_.parameters())[0, 0] = float("nan")
    with pytest.warns(
        RuntimeWarning, match=f"NaN or infinite for {len(X)} of {len(X)} rows"
    ):
        model.predict(X)


def test_read_only_and_memory_mapped_input(case, fast, tmp_path):
    cls, X, y = case
    expected = cls(**fast).fit(X, y).predict(X)
    X32 = X.astype(np.float32)
    path = tmp_path / "X.npy"
    np.save(path, X32)
    X_map = np.load(path, mmap_mode="r")
    assert not X_map.flags.writeable
    model = cls(**fast).fit(X_map, y)
    np.testing.assert_array_equal(model.predict(X_map), expected)
    X_ro = X.copy()
    X_ro.setflags(write=False)
    np.testing.assert_array_equal(cls(**fast).fit(X_ro, y).predict(X_ro), expected)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present")
def test_cuda_without_cuda_fails_at_fit_not_init(case):
    cls, X, y = case
    model = cls(device="cuda")
    with pytest.raises(ValueError, match="CUDA is not available"):
        model.fit(X, y)


def test_device_auto_and_torch_device(case, fast):
    cls, X, y = case
    model = cls(device="auto", **fast).fit(X, y)
    from sknn._device import resolve_device

    expected = resolve_device("auto").type
    assert next(model.module_.parameters()).device.type == expected
    model = cls(device=torch.device("cpu"), **fast).fit(X, y)
    assert next(model.module_.parameters()).device.type == "cpu"


@requires_cuda
def test_cuda_fit_then_cpu_predict(case, fast):
    cls, X, y = case
    gpu = cls(device="cuda", **fast).fit(X, y)
    assert next(gpu.module_.parameters()).is_cuda
    on_gpu = gpu.predict(X)
    cpu_model = cls(device="cpu", **fast).fit(X, y)
    np.testing.assert_allclose(on_gpu, cpu_model.predict(X), rtol=1e-3, atol=1e-3)
    gpu.set_params(device="cpu")
    np.testing.assert_allclose(gpu.predict(X), on_gpu, rtol=1e-4, atol=1e-4)
    assert next(gpu.module_.parameters()).device.type == "cpu"
    restored = pickle.loads(pickle.dumps(cls(device="cuda", **fast).fit(X, y)))
    np.testing.assert_allclose(restored.predict(X), on_gpu, rtol=1e-5, atol=1e-5)


def test_pipeline_grid_search_in_parallel_then_joblib(tmp_path):
    """The issue's example: a scaled pipeline tuned with GridSearchCV(n_jobs=2)."""
    X, y = load_diabetes(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(),
        SigmoidRegressor(
            n_sigmoids=30,
            lr=0.05,
            batch_size=32,
            max_epochs=20,
            device="cpu",
            random_state=0,
        ),
    )
    grid = {"sigmoidregressor__n_sigmoids": [3, 30], "sigmoidregressor__lr": [0.01, 0.1]}
    search = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_score_ > 0.3
    joblib.dump(search.best_estimator_, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict(X), search.best_estimator_.predict(X))


def test_classifier_grid_search_over_architecture():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), ReLUMLPClassifier(max_epochs=30, random_state=0))
    grid = {"relumlpclassifier__hidden_layer_sizes": [(8,), (16, 16)]}
    search = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X, y)
    assert search.best_score_ > 0.85
    assert search.predict(X[:3]).tolist() == [0, 0, 0]


def test_verbose_prints_one_row_per_epoch_and_silent_prints_nothing(case, capsys):
    cls, X, y = case
    cls(max_epochs=3, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""
    cls(max_epochs=3, verbose=1, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out
    rows = [line.split()[0] for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert rows == ["1", "2", "3"]
    assert "\x1b[" not in out  # no color codes when printing to a file or a log


def test_verbose_colors_new_bests_on_a_terminal(case, capsys, monkeypatch):
    cls, X, y = case
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    cls(max_epochs=3, verbose=1, random_state=0).fit(X, y)
    assert "\x1b[" in capsys.readouterr().out


def test_predictions_are_the_modules_outputs_bit_for_bit(case, fast):
    # prediction runs sknn's modules layer by layer, without nn.Module's call
    # machinery; the numbers are the module's own
    cls, X, y = case
    model = cls(**fast).fit(X, y)
    X32 = np.ascontiguousarray(X[:100], dtype=np.float32)
    with torch.no_grad():
        expected = model.module_(torch.from_numpy(X32)).numpy().astype(np.float64)
    np.testing.assert_array_equal(model._forward(X32), expected)
    np.testing.assert_array_equal(model._forward(X[:100]), expected)  # float64 input
    np.testing.assert_array_equal(model._forward(X32.tolist()), expected)


@pytest.mark.parametrize("bad", [np.nan, np.inf, 1e39])
def test_the_quick_prediction_path_gives_sklearns_errors(case, fast, bad):
    cls, X, y = case
    model = cls(**fast).fit(X, y)
    X_bad = X.copy()
    X_bad[3, 1] = bad
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        model.predict(X_bad)
