"""Saving and loading: pickle, joblib and skops hold sknn's estimators as plain data
(weights as numpy arrays, the history as text), which loads bit-identically, goes
on training exactly where it stopped, and is refused clearly when damaged."""

import io
import json
import pathlib
import pickle
import pickletools
import tempfile
import time
import warnings
import zipfile

import joblib
import numpy as np
import pytest
import torch
from sklearn.compose import make_column_transformer
from sklearn.datasets import load_diabetes, load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import sknn.io
from sknn import ReLUMLPClassifier, ReLUMLPRegressor, SigmoidRegressor
from sknn._persistence import _checksum
from sknn.model_selection import GridSearchCV

from .conftest import requires_cuda

skops_io = pytest.importorskip("skops.io")

DATA = pathlib.Path(__file__).parent / "data"
TRUSTED = {
    SigmoidRegressor: ["sknn.SigmoidRegressor"],
    ReLUMLPRegressor: ["sknn.ReLUMLPRegressor"],
    ReLUMLPClassifier: ["sknn.ReLUMLPClassifier"],
}


def _skops(model):
    return skops_io.loads(skops_io.dumps(model), trusted=sknn.io.TRUSTED)


def _sknn_io(model):
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "model.skops"
        sknn.io.dump(model, path)
        return sknn.io.load(path)


def _joblib(model):
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


ROUND_TRIPS = {
    "pickle": lambda model: pickle.loads(pickle.dumps(model)),
    "joblib": _joblib,
    "skops": _skops,
    "sknn.io": _sknn_io,
}


def outputs(model, X):
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)


def fitted(cls, X, y, **params):
    params = {"max_epochs": 5, "random_state": 0, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**params).fit(X, y)


def variants():
    """Fitted models of every kind a user saves: ``(id, model, X)``."""
    X_reg, y_reg = load_diabetes(return_X_y=True)
    X_cls, y_cls = load_iris(return_X_y=True)
    words = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y_cls]
    multilabel = np.stack([y_cls == 0, y_cls == 2], axis=1).astype(int)
    two_targets = np.stack([y_reg, -y_reg], axis=1)
    return [
        ("regressor", fitted(SigmoidRegressor, X_reg, y_reg), X_reg),
        ("two-targets", fitted(SigmoidRegressor, X_reg, two_targets), X_reg),
        ("adam", fitted(SigmoidRegressor, X_reg, y_reg, optimizer="adam"), X_reg),
        (
            "deep-regressor",
            fitted(ReLUMLPRegressor, X_reg, two_targets, hidden_layer_sizes=(8, 4)),
            X_reg,
        ),
        ("classifier", fitted(ReLUMLPClassifier, X_cls, y_cls), X_cls),
        ("word-labels", fitted(ReLUMLPClassifier, X_cls, words), X_cls),
        ("multilabel", fitted(ReLUMLPClassifier, X_cls, multilabel), X_cls),
        (
            "early-stopping",
            fitted(ReLUMLPClassifier, X_cls, y_cls, early_stopping=True),
            X_cls,
        ),
        (
            "adaptive",
            fitted(ReLUMLPClassifier, X_cls, y_cls, learning_rate="adaptive", tol=1.0),
            X_cls,
        ),
        (
            "torch-device",
            fitted(SigmoidRegressor, X_reg, y_reg, device=torch.device("cpu")),
            X_reg,
        ),
    ]


VARIANTS = variants()


@pytest.mark.parametrize("name, model, X", VARIANTS, ids=[v[0] for v in VARIANTS])
@pytest.mark.parametrize("round_trip", ROUND_TRIPS, ids=list(ROUND_TRIPS))
def test_a_loaded_model_is_the_saved_one(name, model, X, round_trip):
    loaded = ROUND_TRIPS[round_trip](model)
    np.testing.assert_array_equal(outputs(loaded, X), outputs(model, X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.predict(X).dtype == model.predict(X).dtype
    assert loaded.get_params() == model.get_params()
    assert type(loaded.get_params()["device"]) is type(model.device)
    for attribute in ("loss_curve_", "n_iter_", "t_", "best_loss_", "n_features_in_"):
        assert getattr(loaded, attribute) == getattr(model, attribute)
    np.testing.assert_equal(loaded.validation_scores_, model.validation_scores_)
    if hasattr(model, "classes_"):
        np.testing.assert_array_equal(loaded.classes_, model.classes_)
        assert loaded.classes_.dtype == model.classes_.dtype
    assert list(loaded.net_.history) == list(model.net_.history)


@pytest.mark.parametrize("name, model, X", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_skops_asks_to_trust_nothing_but_sknns_estimators(name, model, X):
    untrusted = skops_io.get_untrusted_types(data=skops_io.dumps(model))
    assert untrusted == TRUSTED[type(model)]


def _plain_types(value, seen: set) -> None:
    seen.add(type(value))
    if isinstance(value, dict):
        for item in value.values():
            _plain_types(item, seen)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _plain_types(item, seen)


@pytest.mark.parametrize("name, model, X", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_the_saved_state_is_plain_data(name, model, X):
    seen: set = set()
    _plain_types(model.__getstate__(), seen)
    plain = {dict, list, tuple, str, int, float, bool, type(None), np.ndarray}
    assert seen <= plain, seen - plain
    # nor does a pickle name any class of torch, skorch or sknn's internals
    names = [
        arg
        for op, arg, _ in pickletools.genops(pickle.dumps(model))
        if op.name in ("GLOBAL", "SHORT_BINUNICODE", "BINUNICODE") and isinstance(arg, str)
    ]
    assert not [n for n in names if n.startswith(("torch", "skorch", "sknn._"))]


def test_pipelines_and_searches_save_with_skops():
    """The issue's pipeline (a scaler and a one-hot encoder in a ColumnTransformer)
    and a search's best estimator trust only sknn's estimator."""
    X, y = load_iris(return_X_y=True)
    colour = np.array(["red", "green", "blue"], dtype=object)[np.arange(len(X)) % 3]
    frame = np.column_stack([X, colour]).astype(object)
    columns = make_column_transformer(
        (StandardScaler(), [0, 1, 2, 3]), (OneHotEncoder(), [4])
    )
    pipe = make_pipeline(columns, ReLUMLPClassifier(max_epochs=5, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe.fit(frame, y)
        search = GridSearchCV(
            make_pipeline(StandardScaler(), ReLUMLPClassifier(max_epochs=5)),
            {"relumlpclassifier__alpha": [0.0, 0.1]},
            cv=2,
        ).fit(X, y)
    for model, data in ((pipe, frame), (search.best_estimator_, X)):
        saved = skops_io.dumps(model)
        assert skops_io.get_untrusted_types(data=saved) == ["sknn.ReLUMLPClassifier"]
        loaded = skops_io.loads(saved, trusted=["sknn.ReLUMLPClassifier"])
        np.testing.assert_array_equal(loaded.predict_proba(data), model.predict_proba(data))


@pytest.mark.parametrize("cls", [SigmoidRegressor, ReLUMLPClassifier])
def test_an_unfitted_model_saves_and_stays_unfitted(cls):
    model = cls(hidden_layer_sizes=(3, 4)) if cls is ReLUMLPClassifier else cls(lr=0.3)
    saved = skops_io.dumps(model)
    assert skops_io.get_untrusted_types(data=saved) == TRUSTED[cls]
    loaded = skops_io.loads(saved, trusted=TRUSTED[cls])
    assert loaded.get_params() == model.get_params()
    assert not hasattr(loaded, "net_")


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"optimizer": "adam"},
        {"learning_rate": "adaptive", "tol": 10.0},
        {"learning_rate": "cosine", "tol": 10.0, "n_iter_no_change": 1},
    ],
    ids=["sgd", "adam", "adaptive", "cosine"],
)
@pytest.mark.parametrize("round_trip", ROUND_TRIPS, ids=list(ROUND_TRIPS))
def test_a_loaded_model_goes_on_training_exactly_as_the_saved_one(case, params, round_trip):
    """The optimizer's state (momentum, Adam's moments, the schedule's learning
    rate) is saved: partial_fit and warm_start continue bit for bit."""
    cls, X, y = case
    model = fitted(cls, X, y, **params)
    loaded = ROUND_TRIPS[round_trip](model)
    schedule = ("_schedule_epoch", "_schedule_height")
    assert [getattr(loaded, a) for a in schedule] == [getattr(model, a) for a in schedule]
    for each in (model, loaded):
        each.partial_fit(X, y).partial_fit(X, y)
    np.testing.assert_array_equal(outputs(loaded, X), outputs(model, X))
    assert loaded.loss_curve_ == model.loss_curve_ and loaded.t_ == model.t_
    loaded = ROUND_TRIPS[round_trip](model)
    for each in (model, loaded):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            each.set_params(warm_start=True, max_epochs=3).fit(X, y)
    np.testing.assert_array_equal(outputs(loaded, X), outputs(model, X))
    assert loaded.loss_curve_ == model.loss_curve_


SAVED = sorted(p for p in DATA.glob("format-*/*") if p.suffix in (".joblib", ".skops"))


@pytest.mark.parametrize("path", SAVED, ids=[f"{p.parent.name}/{p.name}" for p in SAVED])
def test_models_saved_by_earlier_versions_still_load(path):
    """Each format of saved state keeps loading, to the same predictions; format
    0 is the skorch net that sknn pickled before it had a format of its own."""
    expected = json.loads((path.parent / "expected.json").read_text())[path.stem]
    if path.suffix == ".skops":
        model = sknn.io.load(path)
    else:
        model = joblib.load(path)
    X, y = (
        load_iris(return_X_y=True)
        if path.stem == "classifier"
        else load_diabetes(return_X_y=True)
    )
    got = outputs(model, X[::10])
    np.testing.assert_array_equal(got, np.asarray(expected["outputs"]))
    assert model.loss_curve_ == expected["loss_curve_"]
    assert model.n_iter_ == expected["n_iter_"]
    # it goes on training, and saves in today's format
    model.partial_fit(X, y)
    assert model.n_iter_ == 1 and len(model.loss_curve_) == len(expected["loss_curve_"]) + 1
    again = _skops(model)
    np.testing.assert_array_equal(outputs(again, X), outputs(model, X))


def test_every_format_has_saved_models():
    from sknn._persistence import FORMAT

    for number in range(FORMAT + 1):
        folder = DATA / f"format-{number}"
        kinds = (".joblib", ".skops") if number else (".joblib",)
        for name in ("classifier", "regressor"):
            for kind in kinds:
                assert (folder / f"{name}{kind}").exists(), f"{name}{kind} in {folder}"
        assert (folder / "expected.json").exists()


def test_a_model_saved_on_a_gpu_loads_on_a_machine_without_one(monkeypatch, case):
    cls, X, y = case
    model = fitted(cls, X, y)
    expected = outputs(model, X)
    model.device = "cuda"  # as if fitted there (the weights are the same)
    saved = skops_io.dumps(model)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="device='cuda', which this machine lacks"):
        loaded = skops_io.loads(saved, trusted=TRUSTED[cls])
    assert loaded.device == "cpu"
    np.testing.assert_array_equal(outputs(loaded, X), expected)


@requires_cuda
def test_a_model_fitted_on_a_gpu_predicts_the_same_on_the_cpu_after_loading(case):
    cls, X, y = case
    gpu = fitted(cls, X, y, device="cuda")
    loaded = _skops(gpu)
    assert next(loaded.module_.parameters()).device.type == "cpu"  # until used
    on_cpu = outputs(gpu.set_params(device="cpu"), X)
    np.testing.assert_array_equal(outputs(loaded.set_params(device="cpu"), X), on_cpu)


# Damaged and foreign files


@pytest.fixture
def model():
    X, y = load_iris(return_X_y=True)
    return fitted(ReLUMLPClassifier, X, y, hidden_layer_sizes=(8,))


def test_sknn_io_refuses_files_that_are_not_models(model, tmp_path):
    path = tmp_path / "model.skops"
    sknn.io.dump(model, path)
    data = path.read_bytes()
    damaged = {
        "empty": b"",
        "text": b"weights,0.1,0.2\n",
        "pickle": pickle.dumps(model),
        **{f"cut at {part} of 4": data[: len(data) * part // 4] for part in (1, 2, 3)},
    }
    # bytes of the stored content (a zip's headers also hold bytes nothing checks)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        member = max(archive.infolist(), key=lambda info: info.compress_size)
    start = member.header_offset + 30 + len(member.filename) + len(member.extra)
    rng = np.random.default_rng(0)
    for i, at in enumerate(rng.integers(start, start + member.compress_size, 20)):
        flipped = bytearray(data)
        flipped[at] ^= 0xFF
        damaged[f"flipped {i}"] = bytes(flipped)
    for name, content in damaged.items():
        bad = tmp_path / f"{name}.skops"
        bad.write_bytes(content)
        with pytest.raises(ValueError, match="is not a model file saved by sknn.io.dump"):
            sknn.io.load(bad)


def test_sknn_io_loads_only_trusted_types(tmp_path):
    from skops.io.exceptions import UntrustedTypesFoundException
    from skorch.callbacks import EpochTimer

    X, y = load_iris(return_X_y=True)
    model = ReLUMLPClassifier(max_epochs=2, callbacks=[("timer", EpochTimer())])
    path = tmp_path / "model.skops"
    sknn.io.dump(model.fit(X, y), path)
    with pytest.raises(UntrustedTypesFoundException, match="EpochTimer"):
        sknn.io.load(path)
    loaded = sknn.io.load(path, trusted=["skorch.callbacks.logging.EpochTimer"])
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_damaged_pickle_is_refused_by_pickle_or_by_the_weights_checksum(model):
    data = pickle.dumps(model)
    with pytest.raises(pickle.UnpicklingError, match="truncated"):
        pickle.loads(data[: len(data) // 2])
    weights = model.module_.layers[0].weight.detach().numpy().tobytes()
    at = data.index(weights) + 10
    flipped = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]
    with pytest.raises(ValueError, match="does not match its checksum"):
        pickle.loads(flipped)


def _damage(state: dict, how: str) -> dict:
    net = state["_sknn_net"]
    first = next(iter(net["weights"]))
    momentum = net["optimizer_state"][0]
    damages = {
        "lost key": lambda: net.pop("weights"),
        "wrong shape": lambda: net["weights"].update({first: net["weights"][first][:-1]}),
        "huge network": lambda: net["module"].update(n_features=10**12),
        "a million layers": lambda: net["module"].update(hidden_layer_sizes=(1,) * 10**6),
        "not a history": lambda: net.update(history="[{"),
        "a history of numbers": lambda: net.update(history=[1, 2]),
        "not a number": lambda: net.update(lr="0.1"),
        "bad learning rates": lambda: net.update(learning_rates=[5]),
        "unknown optimizer": lambda: net.update(optimizer="lbfgs"),
        "momentum of another shape": lambda: momentum.update(
            momentum_buffer=np.zeros(3, np.float32)
        ),
        "float64 momentum": lambda: momentum.update(
            momentum_buffer=momentum["momentum_buffer"].astype(np.float64)
        ),
        "unknown optimizer state": lambda: momentum.update(
            exp_avg=momentum.pop("momentum_buffer")
        ),
        "not a dtype": lambda: state.update(_label_dtype="garbage"),
        "not a device": lambda: state.update(device="garbage", _sknn_torch_device=True),
        "a format that is a bool": lambda: state.update(_sknn_format=True),
    }
    damages[how]()
    # as a crafted file would: the checksum made anew, to get past it
    rest = {key: value for key, value in state.items() if key != "_sknn_checksum"}
    state["_sknn_checksum"] = _checksum(rest)
    return state


DAMAGES = {
    "lost key": "lacks weights",
    "wrong shape": "weights do not fit its network ('layers.0.weight': (7, 4) saved",
    "huge network": "n_features=1000000000000 is larger than its weights",
    "a million layers": "hidden_layer_sizes has more layers than it has weights",
    "not a history": "history is not JSON",
    "a history of numbers": "history is not a list of epochs",
    "not a number": "lr are not what sknn saves",
    "bad learning rates": "learning rates are not pairs of numbers",
    "unknown optimizer": "optimizer 'lbfgs' is not sknn's",
    "momentum of another shape": "'momentum_buffer' is not a float32 array of shape (8, 4)",
    "float64 momentum": "'momentum_buffer' is not a float32 array of shape (8, 4)",
    "unknown optimizer state": "unknown 'exp_avg'",
    "not a dtype": "data type 'garbage' not understood",
    "not a device": "RuntimeError",
    "a format that is a bool": "format True is not one of sknn's",
}


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_state_is_refused_with_what_is_wrong(model, how):
    state = _damage(pickle.loads(pickle.dumps(model.__getstate__())), how)
    blank = ReLUMLPClassifier.__new__(ReLUMLPClassifier)
    start = time.perf_counter()
    with pytest.raises(ValueError, match="not a ReLUMLPClassifier that sknn can load") as e:
        blank.__setstate__(state)
    assert DAMAGES[how] in str(e.value)
    assert time.perf_counter() - start < 5  # nothing built for a crafted size


@pytest.mark.parametrize(
    "damage",
    [
        lambda state: state.update(classes_=state["classes_"][::-1].copy()),
        lambda state: state.update(t_=state["t_"] + 1),
        lambda state: state.update(loss_curve_=[*state["loss_curve_"][:-1], 0.5]),
        lambda state: state["_sknn_net"].update(
            history=state["_sknn_net"]["history"].replace("1", "2", 1)
        ),
        lambda state: state["_sknn_net"].update(lr=0.5),
    ],
    ids=["classes_", "t_", "loss_curve_", "history", "lr"],
)
def test_any_damage_to_the_state_is_refused_by_the_checksum(model, damage):
    state = pickle.loads(pickle.dumps(model.__getstate__()))
    damage(state)
    blank = ReLUMLPClassifier.__new__(ReLUMLPClassifier)
    with pytest.raises(ValueError, match="does not match its checksum"):
        blank.__setstate__(state)


def test_adam_state_must_be_whole():
    X, y = load_iris(return_X_y=True)
    model = fitted(ReLUMLPClassifier, X, y, optimizer="adam", hidden_layer_sizes=(8,))
    state = model.__getstate__()
    del state["_sknn_net"]["optimizer_state"][0]["step"]
    state["_sknn_checksum"] = _checksum(
        {key: value for key, value in state.items() if key != "_sknn_checksum"}
    )
    blank = ReLUMLPClassifier.__new__(ReLUMLPClassifier)
    with pytest.raises(ValueError, match=r"Adam state has \['exp_avg', 'exp_avg_sq'\]"):
        blank.__setstate__(state)


def test_a_pickle_whose_net_is_not_a_net_is_refused(model):
    state = {
        key: value for key, value in vars(model).items() if not key.startswith("_sknn")
    }
    state["net_"] = {"module_": "x"}  # format 0: the net itself was pickled
    blank = ReLUMLPClassifier.__new__(ReLUMLPClassifier)
    with pytest.raises(ValueError, match="its net_ is not a skorch net"):
        blank.__setstate__(state)


def test_a_model_whose_weights_are_not_finite_saves_and_loads(model):
    """Training can end on an overflowing step; such a model is kept as it is."""
    with torch.no_grad():
        model.module_.layers[0].weight[0, 0] = float("inf")
    loaded = _skops(model)
    assert torch.isinf(loaded.module_.layers[0].weight[0, 0])


def test_loading_leaves_a_device_name_it_does_not_know_and_unfitted_models(
    monkeypatch,
):
    """Only a fitted model's missing GPU is replaced by the CPU: a misspelt device
    is refused at fit as before, whether or not the model went through a pickle
    (as in a search's workers)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for device in ("gpu", "cuda"):
        model = pickle.loads(pickle.dumps(ReLUMLPClassifier(device=device)))
        assert model.device == device
        with pytest.raises(ValueError, match="device"):
            model.fit(*load_iris(return_X_y=True))


def test_copies_keep_the_net_as_it_is(model):
    import copy

    shallow, deep = copy.copy(model), copy.deepcopy(model)
    assert shallow.net_ is model.net_
    assert deep.net_ is not model.net_
    names = [name for name, _ in model.net_.callbacks_]
    assert [name for name, _ in deep.net_.callbacks_] == names
    assert "stopping_rule" in names
    X, _ = load_iris(return_X_y=True)
    np.testing.assert_array_equal(deep.predict_proba(X), model.predict_proba(X))


def test_a_whole_search_saves_with_skops():
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = GridSearchCV(
            ReLUMLPClassifier(max_epochs=5, random_state=0), {"alpha": [0.0, 0.1]}, cv=2
        ).fit(X, y)
    saved = skops_io.dumps(search)
    loaded = skops_io.loads(saved, trusted=skops_io.get_untrusted_types(data=saved))
    np.testing.assert_array_equal(loaded.predict_proba(X), search.predict_proba(X))


def test_sknn_io_refuses_a_string_of_trusted_types(model, tmp_path):
    sknn.io.dump(model, tmp_path / "model.skops")
    with pytest.raises(TypeError, match="list of type names"):
        sknn.io.load(tmp_path / "model.skops", trusted="sknn.ReLUMLPClassifier")


def test_sknn_io_refuses_a_file_damaged_anywhere(model, tmp_path):
    """A flipped bit in any part of the zip, headers included, is refused with
    sknn's message, or loads the same model (bits nothing reads)."""
    path = tmp_path / "model.skops"
    sknn.io.dump(model, path)
    data = path.read_bytes()
    X, _ = load_iris(return_X_y=True)
    rng = np.random.default_rng(1)
    for at in rng.integers(0, len(data), 60):
        flipped = bytearray(data)
        flipped[at] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(flipped))
        try:
            loaded = sknn.io.load(path)
        except ValueError as error:
            assert "is not a model file saved by sknn.io.dump" in str(error)
        else:
            np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_state_from_a_newer_sknn_says_to_upgrade(model):
    state = model.__getstate__()
    state["_sknn_format"] += 1
    blank = ReLUMLPClassifier.__new__(ReLUMLPClassifier)
    with pytest.raises(ValueError, match="by a newer sknn .* Upgrade sknn"):
        blank.__setstate__(state)


def test_saving_leaves_the_model_as_it_was(model):
    before = dict(vars(model))
    model.__getstate__()
    pickle.dumps(model)
    assert vars(model).keys() == before.keys()
    assert all(vars(model)[key] is value for key, value in before.items())
