"""Collection rules: modules that need optional GPU packages are skipped when
those packages are absent (their tests live in tests/ and carry the gpu mark)."""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("cupy") is None:
    collect_ignore.append("skmix/_backend/_cupy.py")
