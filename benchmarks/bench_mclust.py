"""mclust's structures and ``Mclust(X)``: skmix against its anchors, in one run.

Prints, each as a ratio against the anchor measured in the same run:

1. seconds per EM iteration of every covariance structure at (1e6, 8, 8),
   relative to VVV's (goal: at most 1.5x);
2. the diagonal structures at (2e5, 32, 16) against scikit-learn's ``diag``
   (goal: at least 10x);
3. the default selector grid (14 structures x 1..9 components, hierarchical
   start) on the 1e4 x 5 set of ``tests/data/mclust/timing.csv`` against
   ``Mclust(X)`` run by Rscript on the same file (skipped without R; goal: at
   least 5x), both picking the same model;
4. the hierarchical start on 2000 rows (goal: under 1 s, after compilation).

Usage::

    python benchmarks/bench_mclust.py           # everything
    python benchmarks/bench_mclust.py --quick   # smaller sizes, no R
"""

import argparse
import shutil
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from bench_gmm import seconds_per_iteration  # the same timing, run as a script
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

from skmix._core import MCLUST_MODEL_NAMES, hierarchical_partitions
from skmix.mixture import GaussianMixture, GaussianMixtureSelector

TIMING_DATA = Path(__file__).parents[1] / "tests" / "data" / "mclust" / "timing.csv"
# Best of several runs on each side: on a shared machine single runs of the
# grid varied by 25%.
SELECTOR_REPEATS, MCLUST_REPEATS = 3, 2


def blobs(n_samples, n_features, n_components, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_components, n_features)) * 4
    scales = rng.uniform(0.5, 2.0, size=(n_components, n_features))
    labels = rng.integers(n_components, size=n_samples)
    return centres[labels] + scales[labels] * rng.standard_normal(
        (n_samples, n_features)
    )


def structures_against_vvv(n_samples, n_features, n_components):
    X = blobs(n_samples, n_features, n_components)
    print(f"\n1. EM iteration per structure at ({n_samples}, {n_features}, "
          f"{n_components}), relative to VVV (goal <= 1.5x)")  # fmt: skip
    times = {}
    for name in MCLUST_MODEL_NAMES:
        times[name] = seconds_per_iteration(
            lambda name=name, **kw: GaussianMixture(
                n_components,
                covariance_type=name,
                init_params="random_from_data",
                random_state=0,
                **kw,
            ),  # fmt: skip
            X, 2, 8, 2,
        )  # fmt: skip
    for name, seconds in times.items():
        print(f"   {name}  {seconds:8.4f} s/it  {seconds / times['VVV']:5.2f}x VVV")


def diagonal_against_sklearn(n_samples, n_features, n_components):
    X = blobs(n_samples, n_features, n_components)
    print(f"\n2. diagonal structures at ({n_samples}, {n_features}, {n_components}) "
          "against scikit-learn's diag (goal >= 10x)")  # fmt: skip
    common = dict(init_params="random_from_data", random_state=0)
    sklearn = seconds_per_iteration(
        lambda **kw: SklearnGaussianMixture(
            n_components, covariance_type="diag", **common, **kw
        ),
        X, 1, 5, 3,
    )  # fmt: skip
    print(f"   scikit-learn diag  {sklearn:8.4f} s/it")
    for name in ("EII", "VII", "EEI", "VEI", "EVI", "VVI"):
        ours = seconds_per_iteration(
            lambda name=name, **kw: GaussianMixture(
                n_components, covariance_type=name, **common, **kw
            ),
            X, 2, 12, 3,
        )  # fmt: skip
        print(f"   {name}  {ours:8.4f} s/it  {sklearn / ours:5.1f}x scikit-learn")


MCLUST_SCRIPT = """
library(mclust)
X <- as.matrix(read.csv("{path}")[, 1:5])
set.seed(3)
elapsed <- Inf
for (i in seq_len({repeats}))
  elapsed <- min(elapsed, system.time(fit <- Mclust(X))[["elapsed"]])
cat(elapsed, fit$modelName, fit$G, fit$bic, "\\n")
"""


def selector_against_mclust(quick):
    X = pd.read_csv(TIMING_DATA).to_numpy()[:, :5]
    if quick:
        X = X[:2000]
    print(f"\n3. default selector grid on {X.shape[0]} x {X.shape[1]} against "
          "Mclust(X) (goal >= 5x)")  # fmt: skip
    GaussianMixtureSelector(random_state=0).fit(X[:300])  # compile, load caches
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for _ in range(SELECTOR_REPEATS):
            start = time.perf_counter()
            selector = GaussianMixtureSelector(random_state=0).fit(X)
            times.append(time.perf_counter() - start)
    ours = min(times)
    best = selector.best_params_
    name = f"{best['covariance_type']},{best['n_components']}"
    runs = ", ".join(f"{t:.2f}" for t in times)
    print(f"   skmix   {ours:7.2f} s  {name}  BIC {-selector.best_criterion_:.2f}  "
          f"(best of {SELECTOR_REPEATS}: {runs})")  # fmt: skip
    if quick or shutil.which("Rscript") is None:
        print("   Mclust  skipped (no Rscript, or --quick)")
        return
    script = MCLUST_SCRIPT.format(path=TIMING_DATA, repeats=MCLUST_REPEATS)
    output = subprocess.run(
        ["Rscript", "-e", script], capture_output=True, text=True, check=True
    ).stdout.split()
    elapsed, model, n_components, value = output[:4]
    print(f"   Mclust  {float(elapsed):7.2f} s  {model},{n_components}  BIC "
          f"{float(value):.2f}  (best of {MCLUST_REPEATS})")  # fmt: skip
    print(f"   ratio   {float(elapsed) / ours:7.1f}x")


def hierarchical_start():
    X = blobs(2000, 5, 4)
    hierarchical_partitions(X[:100], range(1, 10))  # compile
    start = time.perf_counter()
    hierarchical_partitions(X, range(1, 10))
    seconds = time.perf_counter() - start
    print(f"\n4. hierarchical start, 2000 x 5, K = 1..9: {seconds:.3f} s (goal < 1 s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        structures_against_vvv(50_000, 8, 8)
        diagonal_against_sklearn(20_000, 32, 16)
    else:
        structures_against_vvv(1_000_000, 8, 8)
        diagonal_against_sklearn(200_000, 32, 16)
    selector_against_mclust(args.quick)
    hierarchical_start()


if __name__ == "__main__":
    main()
