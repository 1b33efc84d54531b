"""Sphinx configuration for sknn's documentation."""

import pathlib
import sys

import sknn

sys.path.insert(0, str(pathlib.Path(__file__).parent / "_ext"))

project = "sknn"
author = "the sknn developers"
copyright = "2026, the sknn developers"
release = sknn.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "mathml",  # formulas as MathML, drawn without network (docs/_ext/mathml.py)
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
    # its page of run times loads scripts from CDNs; the docs work offline
    "write_computation_times": False,
}

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

intersphinx_mapping = {}  # built offline: no inventories are fetched

exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
html_math_renderer = "mathml"
# scikit-learn's theme (and that of most of its ecosystem): a wide column for code,
# a layout for phones, and nothing fetched from the network
html_theme = "pydata_sphinx_theme"
html_title = f"sknn {release}"
# no left column: the header links every page, and code gets the width
html_sidebars = {"**": []}
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    # the search as a button: the header's links and it fit on one line
    "navbar_persistent": ["search-button"],
    "header_links_before_dropdown": 5,
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
