"""The ``sknn`` command line (also ``python -m sknn``).

``sknn demo`` walks through the lecture on data that ships with scikit-learn; see
:func:`sknn._demo.run_demo`. Bad options get a one-line error and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, without the usage text."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sknn",
        description="scikit-learn compatible neural networks on PyTorch.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="walk through the lecture on built-in data sets",
        description=(
            "Tune SigmoidRegressor on load_diabetes with sknn's GridSearchCV (timed "
            "against scikit-learn's on the same grid), train a shallow "
            "and a deep ReLUMLPClassifier on load_digits, compare both with "
            "scikit-learn's MLP, save the best models and figures, and reload them."
        ),
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the saved models and figures (default: a new folder "
        "sknn-demo-<date>-<time> under the current one)",
    )
    demo.add_argument(
        "--device",
        default="cpu",
        help="where to train: cpu, cuda, cuda:N, mps or auto (default: cpu)",
    )
    demo.add_argument(
        "--quick",
        action="store_true",
        help="a smaller grid and fewer epochs: about 10 seconds instead of 20",
    )
    return parser


def _output_folder(out: Path | None) -> Path:
    if out is None:
        out = Path.cwd() / datetime.now().strftime("sknn-demo-%Y%m%d-%H%M%S")
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


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
        out = _output_folder(args.out)
    except (ValueError, OSError) as exc:
        print(f"sknn: error: {exc}", file=sys.stderr)
        return 2
    run_demo(out, device=str(device), quick=args.quick)
    return 0
