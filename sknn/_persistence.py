"""What a saved sknn estimator holds: plain data, rebuilt into torch objects on load.

``pickle``, ``joblib`` and ``skops.io`` all save an estimator through its
``__getstate__``. sknn's gives them the estimator's parameters and fitted
attributes as they are, with the fitted skorch net (``net_``) replaced by
:func:`net_state`: numbers, strings, lists, dicts and numpy arrays (the weights,
the optimizer's momentum, the training history as JSON text), never a callable, a
module or an optimizer, and a checksum of all of it. ``__setstate__`` checks
the state and builds a fresh net from it with :func:`restore_net`, on the CPU (a
fitted model moves to its ``device`` when it next predicts or trains).

So a model saved with ``skops.io`` asks its user to trust nothing but sknn's
estimator classes, and a model fitted on a GPU loads on a machine without one.

Each change to what is saved gets a new ``FORMAT``; every earlier one keeps
loading (``tests/data/format-N`` holds models saved in each). Format 0 is the
state before this module: the skorch net itself, pickled.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import warnings

import numpy as np
import torch
from skorch import NeuralNet

from ._backprop import SGD, Adam
from ._device import resolve_device
from ._net import TensorNet

FORMAT = 1
# the keys of the saved state that hold FORMAT, net_state(net_) in place of net_,
# and the checksum of the whole state
FORMAT_KEY = "_sknn_format"
NET_KEY = "_sknn_net"
CHECKSUM_KEY = "_sknn_checksum"
# the optimizers a saved net may hold (the ``optimizer`` parameter), and the state
# each keeps per parameter: its keys, and whether each has the parameter's shape
# (else it is a number, as Adam's step count)
_OPTIMIZERS = {"sgd": SGD, "adam": Adam}
_OPTIMIZER_STATE = {
    "sgd": {"momentum_buffer": True},
    "adam": {"step": False, "exp_avg": True, "exp_avg_sq": True},
}
# what net_state saves, and of which type
_NET_TYPES = {
    "module": dict,
    "optimizer": str,
    "optimizer_params": dict,
    "lr": float,
    "batch_size": int,
    "max_epochs": int,
    "shuffle": bool,
    "verbose": int,
    "init_seed": int,
    "shuffle_seed": int,
    "alpha": float,
    "weights": dict,
    "optimizer_state": list,
    "learning_rates": list,
    "history": (str, list),
}


class SavedStateError(ValueError):
    """A saved estimator's state that sknn cannot load: it is incomplete,
    corrupted, or written by a newer sknn."""


class _Damaged(Exception):
    """What is wrong with a saved state (said in :class:`SavedStateError`)."""


def _plain(value):
    """``value`` as plain data: numpy scalars and tensors become Python numbers or
    lists, containers are converted item by item, other values are kept."""
    if isinstance(value, (bool, int, float, str, type(None))):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if torch.is_tensor(value):
        return value.detach().cpu().tolist()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(item) for item in value)
    return value


def _array(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


def _optimizer_name(net: TensorNet) -> str:
    for name, cls in _OPTIMIZERS.items():
        # a torch.optim.SGD (of a model saved before sknn had its own) is sknn's SGD
        if issubclass(cls, net.optimizer):
            return name
    raise TypeError(
        f"sknn cannot save a model trained with the optimizer {net.optimizer!r}; "
        f"it saves those of the 'optimizer' parameter ({', '.join(_OPTIMIZERS)})."
    )


def _history_text(history) -> str | list:
    """The history as JSON text (one string, where skops would save each number
    as an object of its own), or as plain data where JSON would not give it back
    as it is (values a callback recorded: tuples, integer keys, NaN)."""
    records = _plain(list(history))
    try:
        text = json.dumps(records)
    except (TypeError, ValueError):
        return records
    return text if json.loads(text) == records else records


def _history_records(history: str | list) -> list:
    if isinstance(history, str):
        try:
            history = json.loads(history)
        except json.JSONDecodeError as exc:
            raise _Damaged(f"its history is not JSON ({exc})") from None
    if not isinstance(history, list) or not all(isinstance(r, dict) for r in history):
        raise _Damaged("its history is not a list of epochs")
    return history


def net_state(net: TensorNet) -> dict:
    """A fitted net as plain data: its settings, weights, the optimizer's state
    (momentum, Adam's moments and steps) and learning rates, and the history."""
    optimizer_state = []
    for param in net.module_.parameters():
        state = net.optimizer_.state.get(param, {})
        optimizer_state.append(
            {
                key: _array(value) if torch.is_tensor(value) else _plain(value)
                for key, value in state.items()
            }
        )
    return {
        "module": _plain(net.get_params_for("module")),
        "optimizer": _optimizer_name(net),
        "optimizer_params": {
            key: _plain(value)
            for key, value in net.get_params_for("optimizer").items()
            if key != "fused"  # chosen for the device the net is rebuilt on
        },
        "lr": float(net.lr),
        "batch_size": int(net.batch_size),
        "max_epochs": int(net.max_epochs),
        "shuffle": bool(net.shuffle),
        "verbose": int(net.verbose),
        "init_seed": int(net.init_seed),
        "shuffle_seed": int(net.shuffle_seed),
        "alpha": float(net.alpha),
        "weights": {
            name: _array(value) for name, value in net.module_.state_dict().items()
        },
        "optimizer_state": optimizer_state,
        "learning_rates": [
            [float(group["lr"]), float(group.get("initial_lr", group["lr"]))]
            for group in net.optimizer_.param_groups
        ],
        "history": _history_text(net.history_),
    }


def _feed(digest, value) -> None:
    """Feed ``value`` to ``digest`` by what it holds, not by how it is stored: a
    number of any type (Python's or numpy's) by its value, a tuple as a list, a
    dict in the order of its keys, an array by its dtype, shape and bytes, and an
    object of another kind (a user's callback) by its type's name only."""
    if isinstance(value, np.ndarray) and not value.dtype.hasobject:
        digest.update(f"a{value.dtype.str}{value.shape}".encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, np.ndarray):
        digest.update(f"o{value.shape}".encode())
        _feed(digest, value.ravel().tolist())
    elif isinstance(value, (bool, np.bool_)):
        digest.update(b"T" if value else b"F")
    elif isinstance(value, numbers.Integral):
        digest.update(f"i{int(value)};".encode())
    elif isinstance(value, numbers.Real):
        digest.update(f"f{float(value)!r};".encode())
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        digest.update(f"s{len(data)}:".encode() + data)
    elif value is None:
        digest.update(b"N")
    elif isinstance(value, (list, tuple)):
        digest.update(f"l{len(value)}[".encode())
        for item in value:
            _feed(digest, item)
        digest.update(b"]")
    elif isinstance(value, dict):
        digest.update(f"d{len(value)}{{".encode())
        for key, item in sorted((_digest(key), item) for key, item in value.items()):
            digest.update(key)
            _feed(digest, item)
        digest.update(b"}")
    else:
        digest.update(f"?{type(value).__module__}.{type(value).__qualname__};".encode())


def _digest(value) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    _feed(digest, value)
    return digest.digest()


def _checksum(state: dict) -> str:
    """A digest of the whole saved state (arrays, numbers, text, the history),
    which tells a damaged file: a pickle has no checksum of its own."""
    return _digest(state).hex()


def _check_net_state(state) -> None:
    if not isinstance(state, dict):
        raise _Damaged(f"its network is a {type(state).__name__}, not a dict")
    missing = [key for key in _NET_TYPES if key not in state]
    if missing:
        raise _Damaged(f"its network lacks {', '.join(missing)}")
    wrong = [
        key
        for key, kind in _NET_TYPES.items()
        if not isinstance(state[key], kind)
        or isinstance(state[key], bool) != (kind is bool)  # a bool is an int too
    ]
    if wrong:
        raise _Damaged(f"its network's {', '.join(wrong)} are not what sknn saves")
    if state["optimizer"] not in _OPTIMIZERS:
        raise _Damaged(f"its optimizer {state['optimizer']!r} is not sknn's")
    for name, value in state["weights"].items():
        if not isinstance(value, np.ndarray) or value.dtype != np.float32:
            raise _Damaged(f"its weights {name!r} are not a float32 array")
    rates = state["learning_rates"]
    if not all(
        isinstance(pair, list)
        and len(pair) == 2
        and all(isinstance(rate, float) for rate in pair)
        for pair in rates
    ):
        raise _Damaged("its learning rates are not pairs of numbers")
    _check_sizes(state["module"], state["weights"])


def _check_sizes(module_kwargs: dict, weights: dict) -> None:
    """Refuse a network larger than its saved weights before it is built (even on
    the meta device, a crafted network of a million layers would take minutes): no
    layer wider than the count of saved weights, no more layers than arrays."""
    total = sum(value.size for value in weights.values())
    for key, value in module_kwargs.items():
        items = value if isinstance(value, (list, tuple)) else [value]
        if len(items) > len(weights):
            raise _Damaged(f"its network's {key} has more layers than it has weights")
        for item in items:
            if isinstance(item, numbers.Integral) and item > max(total, 1):
                raise _Damaged(f"its network's {key}={item} is larger than its weights")


def restore_net(
    state: dict,
    module: type[torch.nn.Module],
    criterion: type[torch.nn.Module],
    fused_available,
) -> TensorNet:
    """The net that :func:`net_state` describes, built on the CPU with ``module``
    and ``criterion`` (the estimator's); ``fused_available(optimizer_cls,
    device_type)`` says whether to ask for torch's fused optimizer kernel.

    Raises
    ------
    _Damaged
        If the state does not describe a network of ``module``'s kind.
    """
    _check_net_state(state)
    optimizer = _OPTIMIZERS[state["optimizer"]]
    optimizer_params = dict(state["optimizer_params"])
    if fused_available(optimizer, "cpu"):
        optimizer_params["fused"] = True
    try:
        # the shapes first, on the meta device: no memory is taken for a network
        # that the saved weights do not fill
        with torch.device("meta"):
            shapes = {
                name: tuple(value.shape)
                for name, value in module(**state["module"]).state_dict().items()
            }
    except Exception as exc:  # whatever the settings make the module say
        raise _Damaged(f"its network cannot be built ({exc})") from exc
    saved = {name: tuple(value.shape) for name, value in state["weights"].items()}
    if shapes != saved:
        name = next(
            (name for name in shapes if saved.get(name) != shapes[name]), next(iter(saved))
        )
        raise _Damaged(
            f"its weights do not fit its network ({name!r}: {saved.get(name)} saved, "
            f"{shapes.get(name)} in the network)"
        )
    net = TensorNet(
        module=module,
        **{f"module__{key}": value for key, value in state["module"].items()},
        criterion=criterion,
        optimizer=optimizer,
        lr=state["lr"],
        **{f"optimizer__{key}": value for key, value in optimizer_params.items()},
        batch_size=state["batch_size"],
        max_epochs=state["max_epochs"],
        shuffle=state["shuffle"],
        init_seed=state["init_seed"],
        shuffle_seed=state["shuffle_seed"],
        alpha=state["alpha"],
        train_split=None,
        callbacks=[],
        device="cpu",
        verbose=state["verbose"],
    ).initialize()
    # copies: skops gives read-only arrays, which torch would share
    net.module_.load_state_dict(
        {name: torch.tensor(value) for name, value in state["weights"].items()}
    )
    _restore_optimizer(net, state)
    net.history_.extend(_history_records(state["history"]))
    return net


def _restore_optimizer(net: TensorNet, state: dict) -> None:
    params = list(net.module_.parameters())
    saved = state["optimizer_state"]
    groups = net.optimizer_.param_groups
    if len(saved) != len(params) or len(state["learning_rates"]) != len(groups):
        raise _Damaged("its optimizer's state does not match its network")
    expected = _OPTIMIZER_STATE[state["optimizer"]]
    for param, param_state in zip(params, saved, strict=True):
        if not isinstance(param_state, dict):
            raise _Damaged("its optimizer's state is not a list of dicts")
        if not param_state:
            continue
        if state["optimizer"] == "adam" and set(param_state) != set(expected):
            raise _Damaged(f"its Adam state has {sorted(param_state)}")
        restored = {}
        for key, value in param_state.items():
            if key not in expected:
                raise _Damaged(f"its optimizer's state has an unknown {key!r}")
            if value is None and state["optimizer"] == "sgd":
                restored[key] = None  # no momentum
                continue
            shape = tuple(param.shape) if expected[key] else ()
            if (
                not isinstance(value, np.ndarray)
                or value.dtype != np.float32
                or value.shape != shape
            ):
                raise _Damaged(
                    f"its optimizer's {key!r} is not a float32 array of shape {shape}"
                )
            restored[key] = torch.tensor(value)
        net.optimizer_.state[param] = restored
    for group, (lr, initial_lr) in zip(groups, state["learning_rates"], strict=True):
        group["lr"], group["initial_lr"] = lr, initial_lr


def estimator_state(state: dict) -> dict:
    """The state that ``__getstate__`` returns, from a copy of the estimator's
    attributes (``state``, changed in place): ``net_`` as :func:`net_state`, a
    numpy dtype as its name, a ``torch.device`` parameter as its name, and the
    checksum of it all."""
    state[FORMAT_KEY] = FORMAT
    net = state.pop("net_", None)
    if net is not None:
        state[NET_KEY] = net_state(net)
    if isinstance(state.get("_label_dtype"), np.dtype):
        state["_label_dtype"] = state["_label_dtype"].str
    if isinstance(state.get("device"), torch.device):
        state["device"] = str(state["device"])
        state["_sknn_torch_device"] = True
    state[CHECKSUM_KEY] = _checksum(state)
    return state


def restore_estimator(estimator, state: dict, fused_available) -> None:
    """Set ``estimator``'s attributes from a state that ``__getstate__`` returned,
    of this format or an earlier one; ``fused_available`` as for
    :func:`restore_net`.

    Raises
    ------
    SavedStateError
        If the state is not one sknn wrote, is damaged, or a newer sknn wrote it.
    """
    name = type(estimator).__name__
    try:
        _restore(estimator, state, fused_available)
    except SavedStateError:
        raise
    except Exception as exc:  # said, with its cause
        detail = str(exc) if isinstance(exc, _Damaged) else f"{type(exc).__name__}: {exc}"
        raise SavedStateError(
            f"This is not a {name} that sknn can load: {detail}. The file is "
            f"truncated or corrupted, or sknn did not write it."
        ) from None


def _restore(estimator, state, fused_available) -> None:
    if not isinstance(state, dict):
        raise _Damaged(f"it is a {type(state).__name__}, not a dict")
    state = dict(state)
    checksum = state.pop(CHECKSUM_KEY, None)
    whole = dict(state)  # what the checksum was made of
    saved_format = state.pop(FORMAT_KEY, 0)
    if (
        not isinstance(saved_format, numbers.Integral)
        or isinstance(saved_format, bool)
        or saved_format < 0
    ):
        raise _Damaged(f"its format {saved_format!r} is not one of sknn's")
    if saved_format > FORMAT:
        raise SavedStateError(
            f"This {type(estimator).__name__} was saved in format {saved_format}, by "
            f"a newer sknn than this one (sknn reads formats up to {FORMAT}). "
            f"Upgrade sknn to load it."
        )
    if saved_format >= 1:
        if checksum != _checksum(whole):
            raise _Damaged("it does not match its checksum")
    elif "net_" in state and not isinstance(state["net_"], NeuralNet):
        raise _Damaged("its net_ is not a skorch net")
    net = state.pop(NET_KEY, None)
    if state.pop("_sknn_torch_device", False):
        state["device"] = torch.device(state["device"])
    if isinstance(state.get("_label_dtype"), str):
        state["_label_dtype"] = np.dtype(state["_label_dtype"])
    estimator.__dict__.update(state)
    if net is not None:
        estimator.net_ = restore_net(
            net, estimator._module, estimator._criterion_class(), fused_available
        )
    if "net_" in estimator.__dict__:
        _fall_back_to_the_cpu(estimator)


def _fall_back_to_the_cpu(estimator) -> None:
    """A fitted model saved with a GPU this machine lacks is loaded to predict on
    the CPU, as skorch's pickles are, and says so. (A device name that is not
    valid anywhere stays, to be refused at fit or predict.)"""
    device = estimator.__dict__.get("device")
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError):
        return  # "auto", or not a device
    if kind not in ("cuda", "mps"):
        return
    try:
        resolve_device(device)
        return
    except ValueError:
        estimator.device = "cpu"
    warnings.warn(
        f"This {type(estimator).__name__} was saved with device={device!r}, which "
        f"this machine lacks; it is loaded with device='cpu'. Set another with "
        f"set_params(device=...).",
        UserWarning,
        stacklevel=4,
    )
