"""skmix vs scikit-learn cold start: import time and first fit in fresh processes.

Every measurement runs in a new Python process. skmix compiles its Numba
kernels on the first fit and caches them on disk; the script points
``NUMBA_CACHE_DIR`` at an empty temporary directory, so a first fit there pays
the compilation (as after a fresh install) and a second process with the same
directory loads the cache ("warm"). Times are the best of ``--repeats`` runs,
a fresh cache directory for each cold run. The script prints the ratio
sklearn / skmix (higher is better for skmix).

At 5000 x 4 x 3 the default backend ("auto") runs on NumPy, below
``AUTO_NUMBA_MIN_WORK`` rows x components, where compiling would cost more
than the fit; the ``backend="numba"`` row shows what the compilation costs.

Usage::

    python benchmarks/bench_cold_start.py             # 7 imports, 3 fits each
    python benchmarks/bench_cold_start.py --repeats 1 # quick
"""

import argparse
import os
import subprocess
import sys
import tempfile

N_SAMPLES, N_FEATURES, N_COMPONENTS = 5000, 4, 3
CASES = [
    ("float64", "full", "auto"),
    ("float32", "full", "auto"),
    ("float64", "diag", "auto"),
    ("float64", "full", "numba"),
]

IMPORT = """
import time
start = time.perf_counter()
import {module}
print(time.perf_counter() - start)
"""

FIT = """
import time
import numpy as np
from {module} import GaussianMixture
X = np.random.default_rng(0).standard_normal(({n}, {d})).astype("{dtype}")
model = GaussianMixture({k}, covariance_type="{cov}", random_state=0{backend})
start = time.perf_counter()
model.fit(X)
print(time.perf_counter() - start)
"""


def run_output(code, cache_dir):
    """Run `code` in a fresh interpreter; return what it prints."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(result.stderr)
    return result.stdout.strip()


def run_seconds(code, cache_dir):
    return float(run_output(code, cache_dir).split()[-1])


def import_seconds(repeats):
    """Best import time of sklearn.mixture and skmix.mixture, interleaved."""
    times = {"sklearn.mixture": [], "skmix.mixture": []}
    with tempfile.TemporaryDirectory() as cache_dir:
        for _ in range(repeats):
            for module, runs in times.items():
                runs.append(run_seconds(IMPORT.format(module=module), cache_dir))
    return {module: min(runs) for module, runs in times.items()}


def fit_seconds(module, dtype, covariance_type, repeats, backend="auto"):
    """Best first-fit time with an empty cache, and in a second process."""
    code = FIT.format(
        backend="" if backend == "auto" else f", backend={backend!r}",
        module=module,
        n=N_SAMPLES,
        d=N_FEATURES,
        k=N_COMPONENTS,
        dtype=dtype,
        cov=covariance_type,
    )
    cold, warm = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache_dir:
            cold.append(run_seconds(code, cache_dir))
            warm.append(run_seconds(code, cache_dir))
    return min(cold), min(warm)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--import-repeats", type=int, default=7)
    args = parser.parse_args()

    # `python -c` puts the working directory first on sys.path: from a
    # checkout's root, the checkout is what gets measured.
    with tempfile.TemporaryDirectory() as cache_dir:
        location = run_output("import skmix; print(skmix.__file__)", cache_dir)
    print(f"skmix from {location}")
    imports = import_seconds(args.import_repeats)
    sklearn_import, skmix_import = imports["sklearn.mixture"], imports["skmix.mixture"]
    print(
        f"import, best of {args.import_repeats}: sklearn.mixture "
        f"{sklearn_import:.3f} s, skmix.mixture {skmix_import:.3f} s, "
        f"difference {skmix_import - sklearn_import:+.3f} s, "
        f"ratio {sklearn_import / skmix_import:.2f}x"
    )
    print(
        f"\nfirst fit of GaussianMixture({N_COMPONENTS}) on {N_SAMPLES}x"
        f"{N_FEATURES} in a fresh process, best of {args.repeats}"
    )
    header = (
        f"{'dtype':>7} {'cov':>5} {'backend':>7} | {'sklearn s':>9} "
        f"{'skmix cold s':>12} {'ratio':>7} {'skmix warm s':>12} {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    for dtype, covariance_type, backend in CASES:
        # scikit-learn has no cache: both of its processes are first fits.
        sklearn_time = min(
            fit_seconds("sklearn.mixture", dtype, covariance_type, args.repeats)
        )
        cold, warm = fit_seconds(
            "skmix.mixture", dtype, covariance_type, args.repeats, backend
        )
        print(
            f"{dtype:>7} {covariance_type:>5} {backend:>7} | {sklearn_time:>9.3f} "
            f"{cold:>12.3f} {sklearn_time / cold:>6.2f}x "
            f"{warm:>12.3f} {sklearn_time / warm:>6.2f}x"
        )


if __name__ == "__main__":
    main()
