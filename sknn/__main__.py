"""``python -m sknn``: the same as the ``sknn`` command."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
