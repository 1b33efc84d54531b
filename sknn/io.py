"""Save and load models in skops's secure format, trusting sknn's estimators.

A pickle (or joblib file) is a program: loading one runs whatever it holds, so
load only pickles you made yourself. `skops <https://skops.readthedocs.io>`_'s
format holds data only, and loads nothing but the types its user trusts. Any
sknn estimator, alone or in a scikit-learn ``Pipeline``, saves in it as plain
data (its weights as numpy arrays), so the only types to trust are sknn's
estimators::

    import sknn.io

    sknn.io.dump(model, "model.skops")
    model = sknn.io.load("model.skops")

which is ``skops.io.dump`` and ``skops.io.load(file, trusted=[...])`` with
sknn's three estimators trusted (:data:`TRUSTED`), with errors that say what is
wrong with a file. Both need skops: ``pip install "sknn[skops]"``.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

# what zipfile, zlib and json raise while skops reads the arrays of a damaged file
# (its schema has been read whole before: any error there means damage)
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    json.JSONDecodeError,
    EOFError,
    UnicodeDecodeError,
    RuntimeError,  # zipfile's "is encrypted"; sknn's own errors are ValueErrors
)

TRUSTED = ("sknn.ReLUMLPClassifier", "sknn.ReLUMLPRegressor", "sknn.SigmoidRegressor")
"""The types :func:`load` trusts besides skops's own defaults (scikit-learn's
estimators, numpy arrays, Python's plain types): sknn's estimators."""


def _skops_io():
    try:
        import skops.io
    except ImportError as exc:
        raise ImportError(
            "sknn.io saves and loads with skops, which is not installed: "
            'pip install "sknn[skops]" (or pip install skops).'
        ) from exc
    return skops.io


def dump(model: Any, file: str | os.PathLike, *, compress: bool = True) -> None:
    """Save ``model`` to ``file`` in skops's format.

    Parameters
    ----------
    model : object
        A fitted or unfitted estimator: one of sknn's, a ``Pipeline`` or another
        scikit-learn estimator holding one, or any object skops can save.
    file : str or path-like
        Where to write; a file that exists is replaced.
    compress : bool, default=True
        Deflate the file's parts: smaller (a tenth of the size for a small
        network, whose history dominates; nine tenths for a large one), a little
        slower to write and read.
    """
    compression = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    _skops_io().dump(model, file, compression=compression)


def load(file: str | os.PathLike, *, trusted: list[str] | tuple[str, ...] = ()) -> Any:
    """Load a model saved by :func:`dump` or ``skops.io.dump``.

    Parameters
    ----------
    file : str or path-like
        The file to read.
    trusted : list of str, default=()
        Types to trust besides sknn's estimators (:data:`TRUSTED`) and those
        skops trusts by default, named as ``skops.io.get_untrusted_types``
        names them. Trust only types you know to be safe.

    Returns
    -------
    model : object
        The model, as it was saved.

    Raises
    ------
    ValueError
        If ``file`` is not a file saved by skops: truncated, corrupted, or
        another kind of file; or if the state of an sknn estimator in it is
        damaged, or comes from a newer sknn.
    skops.io.exceptions.UntrustedTypesFoundException
        If the file holds types that are neither trusted by default nor in
        ``trusted``; nothing is loaded.
    """
    if isinstance(trusted, str):
        raise TypeError(f"trusted must be a list of type names, not the string {trusted!r}")
    sio = _skops_io()
    data = Path(file).read_bytes()
    try:
        if not data:
            raise EOFError("the file is empty")
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # nothing of the file has run: any error means damage
        raise _not_a_model(file, exc) from None
    allowed = set(TRUSTED) | set(trusted)
    refused = sorted(set(untrusted) - allowed)
    if refused:
        from skops.io.exceptions import UntrustedTypesFoundException

        error = UntrustedTypesFoundException(refused)
        error.args = (
            f"{os.fspath(file)!r} holds types that are not trusted: {refused}. "
            f"Loading runs code of these types; if you trust them (and the file's "
            f"source), pass them in trusted=[...].",
        )
        raise error
    try:
        return sio.loads(data, trusted=sorted(allowed))
    except _DAMAGED as exc:
        raise _not_a_model(file, exc) from None


def _not_a_model(file, exc: Exception) -> ValueError:
    return ValueError(
        f"{os.fspath(file)!r} is not a model file saved by sknn.io.dump or "
        f"skops.io.dump: it is truncated, corrupted or another kind of file "
        f"({type(exc).__name__}: {exc})."
    )
