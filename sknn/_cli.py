"""The ``sknn`` command line (also ``python -m sknn``).

``sknn demo`` walks through the lecture on data that ships with scikit-learn; see
:func:`sknn._demo.run_demo`. Bad options get a one-line error and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path


class _VersionAction(argparse.Action):
    """``--version``: the versions of sknn and of what it runs on."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(_version())
        parser.exit(0)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, without the usage text."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sknn",
        description="scikit-learn compatible neural networks on PyTorch.",
    )
    parser.add_argument(
        "--version", action=_VersionAction, help="print the versions and exit"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="walk through the lecture on built-in data sets",
        description=(
            "Tune SigmoidRegressor on load_diabetes with sknn's GridSearchCV (timed "
            "against scikit-learn's on the same grid); score it, tuned in each fold "
            "and at its defaults, and a shallow and a deep ReLUMLPClassifier on "
            "load_digits, by cross-validation (mean and spread over the folds) next "
            "to a linear model, gradient boosting and scikit-learn's MLP; save the "
            "best models and "
            "figures, and reload them. About 30 seconds on two CPU cores."
        ),
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=None,
        help="a new or empty folder for the saved models and figures (default: a "
        "new folder sknn-demo-<date>-<time> under the current one); its parent "
        "must exist",
    )
    demo.add_argument(
        "--force",
        action="store_true",
        help="write into --out even if it holds files (those of the same names are "
        "replaced)",
    )
    demo.add_argument(
        "--device",
        default="cpu",
        help="where to train: cpu, cuda, cuda:N, mps or auto (default: cpu)",
    )
    demo.add_argument(
        "--quick",
        action="store_true",
        help="a smaller grid, fewer epochs and folds, and scikit-learn's search not "
        "timed: about 10 seconds",
    )
    return parser


def _version() -> str:
    import sklearn
    import skorch
    import torch

    from . import __version__

    return (
        f"sknn {__version__} (torch {torch.__version__}, scikit-learn "
        f"{sklearn.__version__}, skorch {skorch.__version__})"
    )


def _output_folder(out: Path | None, force: bool) -> Path:
    """The folder to write to: a new one (only its last part is created, and that
    is said), an empty one, or with ``force`` one that holds files."""
    if out is None:
        out = Path.cwd() / datetime.now().strftime("sknn-demo-%Y%m%d-%H%M%S")
    out = out.expanduser()
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder")
    if out.is_symlink() and not out.exists():
        raise ValueError(f"--out {out} is a link to a folder that does not exist")
    if out.exists():
        if any(out.iterdir()) and not force:
            raise ValueError(
                f"--out {out} is not empty; the demo would replace its files of the "
                f"same names. Give a new or empty folder, or add --force"
            )
        if not os.access(out, os.W_OK | os.X_OK):
            raise ValueError(f"--out {out}: this user cannot write in that folder")
        return out
    if out.parent.exists() and not out.parent.is_dir():
        raise ValueError(f"--out {out}: {out.parent} is a file, not a folder")
    if not out.parent.is_dir():
        raise ValueError(
            f"--out {out}: its parent folder {out.parent} does not exist; create it "
            f"first (the demo creates only the last folder of the path)"
        )
    out.mkdir()
    print(f"Created the folder {out} for the demo's models and figures.")
    return out


def _device_line(asked: str, device) -> str:
    """Which device the demo trains on, and why when ``auto`` chose it."""
    import torch

    line = f"Training on {device}"
    if asked == "auto":
        if device.type == "cuda":
            why = f"the CUDA GPU {torch.cuda.get_device_name(device)}"
        elif device.type == "mps":
            why = "Apple's GPU, through MPS"
        else:
            why = "torch sees no CUDA or MPS device"
        line += f" (--device auto: {why})"
    return line + "."


def main(argv: list[str] | None = None) -> int:
    """Run the ``sknn`` command with ``argv`` (default: ``sys.argv[1:]``).

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after the program name.

    Returns
    -------
    status : int
        0 on success, 2 for bad options.

    Examples
    --------
    >>> from sknn._cli import main
    >>> main(["demo", "--device", "floppy"])
    2
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    from ._demo import run_demo
    from ._device import resolve_device

    try:
        device = resolve_device(args.device)
        out = _output_folder(args.out, args.force)
    except (ValueError, OSError) as exc:
        print(f"sknn: error: {exc}", file=sys.stderr)
        return 2
    print(_device_line(args.device, device))
    run_demo(out, device=str(device), quick=args.quick)
    return 0
