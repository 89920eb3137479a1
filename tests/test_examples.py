"""Every example runs to completion (with a non-interactive matplotlib)."""

import runpy
from pathlib import Path

import matplotlib
import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_example_runs(path, capsys):
    matplotlib.use("Agg")
    runpy.run_path(str(path), run_name="__main__")
    assert path.with_suffix(".png").exists()
