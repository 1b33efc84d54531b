"""pytest: the doctests of sknn's modules skip the ONNX exporter when skl2onnx is
not installed (``pip install ".[test]"`` installs it)."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("skl2onnx") is None:
    collect_ignore.append("sknn/onnx.py")
