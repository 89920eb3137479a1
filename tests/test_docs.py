"""The documentation builds with warnings as errors (without running the gallery)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")
pytest.importorskip("sphinx_gallery")
pytest.importorskip("pydata_sphinx_theme")

ROOT = Path(__file__).parents[1]
GENERATED = ("_build", "gen_modules", "auto_examples", "sg_execution_times.rst")


def test_docs_build_without_warnings(tmp_path):
    # Build from a copy, so that nothing is generated inside the checkout.
    shutil.copytree(
        ROOT / "doc", tmp_path / "doc", ignore=shutil.ignore_patterns(*GENERATED)
    )
    shutil.copytree(ROOT / "examples", tmp_path / "examples",
                    ignore=shutil.ignore_patterns("*.png", "__pycache__"))  # fmt: skip
    env = {**os.environ, "SKMIX_DOCS_OFFLINE": "1"}  # no network in CI
    command = [
        sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
        "-D", "plot_gallery=0", str(tmp_path / "doc"), str(tmp_path / "html"),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-5000:]
    html = tmp_path / "html"
    assert (html / "index.html").exists()
    page = (
        html / "gen_modules" / "skmix.experts.MixtureOfExpertsRegressor.html"
    ).read_text()
    assert "parameter_table" in page and "get_params" in page
    assert (html / "auto_examples" / "quickstart.html").exists()
