"""Sphinx configuration (build with: sphinx-build -b html doc doc/_build/html)."""

import skmix

project = "skmix"
author = "skmix developers"
release = skmix.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
numpydoc_show_class_members = False
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/",
}
exclude_patterns = ["_build"]
html_theme = "alabaster"
