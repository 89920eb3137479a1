"""Sphinx configuration.

Build (warnings are errors, as ``tests/test_docs.py`` does)::

    sphinx-build -W --keep-going -b html doc doc/_build/html

``-D plot_gallery=0`` skips running the examples. Intersphinx links to
scikit-learn, NumPy, SciPy, pandas, statsmodels and Dask need their
inventories from the web: when those sites cannot be reached (or with
``SKMIX_DOCS_OFFLINE=1``) the build leaves intersphinx out instead of warning,
and names of those projects render as plain text.
"""

import os
import re
import socket
import sys

import skmix

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

project = "skmix"
author = "skmix developers"
copyright = "skmix developers"
release = version = skmix.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# API reference: one page per public object; classes list and render their
# methods (doc/_templates/autosummary/class.rst), __init__ is not repeated.
autosummary_generate = True
autodoc_default_options = {"member-order": "groupwise"}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = True
numpydoc_xref_aliases = {
    "DataFrame": "pandas.DataFrame",
    "Series": "pandas.Series",
    "ndarray": "numpy.ndarray",
    "Generator": "numpy.random.Generator",
    "RandomState": "numpy.random.RandomState",
    "estimator": "sklearn.base.BaseEstimator",
    "GaussianMixture": "skmix.mixture.GaussianMixture",
}
numpydoc_xref_ignore = {
    "of", "or", "and", "shape", "optional", "default", "like",
    "n_samples", "n_features", "n_components", "n_subjects", "n_waves",
    "n_classes", "n_targets", "n_tasks", "n_dims", "K", "d", "None", "True",
    "False", "int", "float", "str", "bool", "dict", "list", "tuple", "callable",
    "object", "sparse", "matrix", "instance", "pandas", "numpy", "mapping",
    "function", "name", "names", "array", "scalar",
    "positive", "non-negative", "{", "}", "'auto'", "'default'", "ignored",
}  # fmt: skip

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "scipy": ("https://docs.scipy.org/doc/scipy/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
    "pandas": ("https://pandas.pydata.org/docs/", None),
    "statsmodels": ("https://www.statsmodels.org/stable/", None),
    "dask": ("https://docs.dask.org/en/stable/", None),
    "matplotlib": ("https://matplotlib.org/stable/", None),
}
intersphinx_timeout = 10

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/",
    # quickstart first, then one story per family in this order.
    "within_subsection_order": "_gallery_order.ExampleOrder",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("skmix",),
    "reference_url": {"skmix": None},
    "remove_config_comments": True,
    "download_all_examples": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"skmix {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "r_users": [], "preprocessing": []}
html_static_path = ["_static"]
html_css_files = ["skmix.css"]


def _inventories_reachable(timeout=3.0):
    """Whether the intersphinx hosts answer (a TCP connection to one of them)."""
    if os.environ.get("SKMIX_DOCS_OFFLINE", "") not in ("", "0"):
        return False
    for host in ("docs.python.org", "numpy.org"):
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
        except OSError:
            continue
        return True
    return False


def _drop_intersphinx_when_offline(app, config):
    if config.intersphinx_mapping and not _inventories_reachable():
        from sphinx.util import logging

        logging.getLogger(__name__).info(
            "skmix docs: intersphinx inventories unreachable, building without them"
        )
        config.intersphinx_mapping = {}
        # numpydoc links "array_like", "sequence"... to the NumPy and Python
        # glossaries; without their inventories those stay plain words.
        offline_terms = {
            "iterable",
            "sequence",
            "generator",
            "array-like",
            "array_like",
        }
        config.numpydoc_xref_aliases = {
            **config.numpydoc_xref_aliases,
            **{term: term for term in offline_terms},
        }
        config.numpydoc_xref_ignore = set(config.numpydoc_xref_ignore) | offline_terms


# Methods inherited from scikit-learn (get_params, score, set_*_request...)
# carry scikit-learn's own :ref: labels and :term: glossary entries; without
# its inventory they stay unresolved. Those (and only those) render as text.
_ROLE = re.compile(r":(?:ref|term):`(?:[^`<]*<)?([^`<>]+)>?`")
_SKLEARN_LABELS = set()


def _collect_sklearn_labels(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", "") or ""
    if module.startswith("sklearn."):
        labels = _ROLE.findall("\n".join(lines))
        _SKLEARN_LABELS.update(label.strip().lower() for label in labels)


def _sklearn_label_as_text(app, env, node, contnode):
    target = str(node.get("reftarget", "")).strip().lower()
    if node.get("reftype") in ("ref", "term") and target in _SKLEARN_LABELS:
        return contnode
    return None


def setup(app):
    app.connect("config-inited", _drop_intersphinx_when_offline, priority=100)
    app.connect("autodoc-process-docstring", _collect_sklearn_labels)
    app.connect("missing-reference", _sklearn_label_as_text, priority=900)
