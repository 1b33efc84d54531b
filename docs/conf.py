"""Sphinx configuration for sknn's documentation."""

import sknn

project = "sknn"
author = "the sknn developers"
copyright = "2026, the sknn developers"
release = sknn.__version__
version = release

extensions = ["sphinx.ext.autodoc", "sphinx.ext.intersphinx", "numpydoc"]

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

intersphinx_mapping = {}  # built offline: no inventories are fetched

exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = f"sknn {release}"
