"""Sphinx configuration for sknn's documentation."""

import sknn

project = "sknn"
author = "the sknn developers"
copyright = "2026, the sknn developers"
release = sknn.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

# The examples run at every build (about a minute on two CPU cores) and their
# figures go into the gallery; an example that fails fails the build.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "show_memory": False,
    "matplotlib_animations": False,
}

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

intersphinx_mapping = {}  # built offline: no inventories are fetched

exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
html_theme = "alabaster"
html_title = f"sknn {release}"
