"""Turning the ``device`` parameter into a ``torch.device``."""

from __future__ import annotations

import torch

_SUPPORTED_TYPES = ("cpu", "cuda", "mps")
_CPU = torch.device("cpu")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def resolve_device(device: str | torch.device) -> torch.device:
    """Return the ``torch.device`` that ``device`` names, checking it exists here.

    Parameters
    ----------
    device : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"``, a ``torch.device``, or
        ``"auto"`` for CUDA if present, else MPS if present, else the CPU.

    Raises
    ------
    ValueError
        If ``device`` is not a device name, or names a device this machine lacks.
    """
    if isinstance(device, str) and device == "cpu":  # the common case, quickly
        return _CPU
    if isinstance(device, str) and device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"The 'device' parameter must be 'cpu', 'cuda', 'cuda:N', 'mps', 'auto' "
            f"or a torch.device. Got {device!r} instead."
        ) from exc
    if resolved.type not in _SUPPORTED_TYPES:
        raise ValueError(
            f"The 'device' parameter must name a CPU, CUDA or MPS device. "
            f"Got {device!r} instead."
        )
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            built = "with" if torch.backends.cuda.is_built() else "without"
            raise ValueError(
                f"device={device!r} was requested, but CUDA is not available on this "
                f"machine (torch {torch.__version__} was built {built} CUDA support). "
                f"Use device='cpu', or device='auto' to take a GPU only when there is one."
            )
        count = torch.cuda.device_count()
        if resolved.index is not None and resolved.index >= count:
            raise ValueError(
                f"device={device!r} was requested, but this machine has {count} CUDA "
                f"device(s), numbered from 0."
            )
    if resolved.type == "mps" and not _mps_available():
        raise ValueError(
            f"device={device!r} was requested, but MPS (Apple GPU) is not available "
            f"on this machine. Use device='cpu' or device='auto'."
        )
    return resolved
