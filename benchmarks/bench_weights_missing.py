"""GaussianMixture's sample weights and missing values (FIML): cost and accuracy.

Prints, each against its anchor measured in the same run:

1. seconds per EM iteration with frequency weights (integers 1-4) against
   without, full covariance, at (1e6, 8, 8) (goal: at most 1.2x);
2. seconds per EM iteration with 10% of the values missing completely at
   random (``missing='fiml'``) against the complete data, same size (goal: at
   most 3x), and the one-time cost of grouping the rows by missingness
   pattern;
3. end to end on 1e5 x 8, K = 4, 10% MCAR: ``GaussianMixture(missing='fiml')``
   against scikit-learn's ``IterativeImputer`` or ``SimpleImputer`` (mean)
   followed by scikit-learn's ``GaussianMixture``;
4. parameter recovery on a known 3-component mixture (d = 5, correlated
   features, n = 2000) with 10% and 30% MCAR, over ``--reps`` replications:
   FIML, mean imputation, iterative imputation and the complete-data fit
   (the data before deletion), as errors of the means, covariances and
   weights against the truth, components matched to the true ones by the
   Hungarian algorithm on the means.

Timings 1-2 are differences of two warm-started fits with ``tol=0``
(``bench_gmm.seconds_per_iteration``), all started from the same fitted
parameters (``weights_init``, ``means_init``, ``precisions_init``), so the
initialisation, the input checks and the pattern grouping cancel out. In 1-3
Numba's first compilation happens in an untimed fit. MCAR deletes each value
independently; a row that would lose all of its values is drawn again, so
every row keeps at least one.

Usage::

    python benchmarks/bench_weights_missing.py                  # numba
    python benchmarks/bench_weights_missing.py --backend numba numpy
    python benchmarks/bench_weights_missing.py --quick          # smoke test
"""

import argparse
import os
import platform
import textwrap
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numba
import numpy as np
import sklearn
from bench_gmm import _sync, matmul_peak_gflops, seconds_per_iteration
from scipy.optimize import linear_sum_assignment
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, SimpleImputer
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
from threadpoolctl import threadpool_info

import skmix
from skmix._backend import resolve_backend
from skmix._core._missing import MissingPatterns
from skmix.mixture import GaussianMixture

ITERATION_SIZE, QUICK_ITERATION_SIZE = (1_000_000, 8, 8), (50_000, 8, 8)
END_TO_END_SIZE, QUICK_END_TO_END_SIZE = (100_000, 8, 4), (20_000, 8, 4)
MISSING_RATE = 0.10
RECOVERY_RATES = (0.10, 0.30)
RECOVERY_ROWS = 2000
RECOVERY_STARTS = 5
#: (n_short, n_long) of the iteration timings per backend: the NumPy E-step
#: is an order of magnitude slower, so it gets fewer iterations (and 1 repeat).
ITERATIONS = {"numba": (2, 12), "cupy": (2, 12), "numpy": (1, 4)}


@dataclass(frozen=True)
class Mixture:
    weights: np.ndarray  # (K,)
    means: np.ndarray  # (K, d)
    covariances: np.ndarray  # (K, d, d)

    def sample(self, n_samples, rng):
        labels = rng.choice(self.weights.size, size=n_samples, p=self.weights)
        factors = np.linalg.cholesky(self.covariances)
        noise = rng.standard_normal((n_samples, self.means.shape[1]))
        return self.means[labels] + np.einsum("nij,nj->ni", factors[labels], noise)


def random_mixture(n_features, n_components, seed=0):
    """Means 4 sd apart on average, random correlated covariances."""
    rng = np.random.default_rng(seed)
    means = rng.standard_normal((n_components, n_features)) * 4
    loadings = rng.standard_normal((n_components, n_features, n_features))
    covariances = loadings @ np.swapaxes(loadings, 1, 2) / n_features
    covariances += 0.2 * np.eye(n_features)
    weights = rng.uniform(1, 2, n_components)
    return Mixture(weights / weights.sum(), means, covariances)


def _ar1(rho, scales):
    index = np.arange(len(scales))
    scales = np.asarray(scales, dtype=float)
    return scales[:, None] * rho ** np.abs(index[:, None] - index) * scales


#: Part 4's truth: well separated (Mahalanobis distances 10-21 between the
#: means) but with strongly correlated features within each component, so
#: the conditional expectation of a missing value differs from its mean.
RECOVERY_TRUTH = Mixture(
    np.array([0.5, 0.3, 0.2]),
    np.array([[0, 0, 0, 0, 0], [4, -3, 4, -3, 4], [-4, 4, 0, -4, 4]], dtype=float),
    np.stack(
        [
            _ar1(0.8, [1.0] * 5),
            _ar1(0.6, [1.5, 1.2, 1.0, 1.2, 1.5]),
            _ar1(-0.7, [0.8] * 5),
        ]
    ),  # fmt: skip
)


def mcar(X, rate, rng):
    """`X` with each value NaN with probability `rate`, independently; rows
    that would lose every value are drawn again."""
    mask = rng.uniform(size=X.shape) < rate
    while (empty := mask.all(axis=1)).any():
        mask[empty] = rng.uniform(size=(int(empty.sum()), X.shape[1])) < rate
    return np.where(mask, np.nan, X), mask


def on_device(X, backend):
    if backend == "cupy":
        import cupy

        return cupy.asarray(X)
    return X


def machine_header():
    blas = [
        f"{pool['internal_api']} {pool['num_threads']} threads"
        for pool in threadpool_info()
        if pool["user_api"] == "blas"
    ]
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next(
                line.split(":", 1)[1].strip()
                for line in cpuinfo
                if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    print(f"{cpu}, {os.cpu_count()} logical cores; Numba {numba.get_num_threads()} "
          f"threads; BLAS: {', '.join(blas) or 'none found'}")  # fmt: skip
    print(f"float64 matmul peak on this machine: {matmul_peak_gflops():.1f} GFLOP/s")
    print(f"skmix {skmix.__version__}, scikit-learn {sklearn.__version__}, "
          f"numpy {np.__version__}, numba {numba.__version__}, "
          f"{time.strftime('%Y-%m-%d')}")  # fmt: skip


def heading(text):
    print()
    print(textwrap.fill(text, width=88, subsequent_indent="   "))


@contextmanager
def _quiet():
    """Silence the expected ConvergenceWarnings (tol=0 never converges;
    IterativeImputer's own stopping rule)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


# ---------------------------------------------------------------- parts 1, 2
def em_seconds(X, n_components, init, backend, timing, missing="error",
               fit_params=None):  # fmt: skip
    """Seconds per EM iteration from the start `init`; `timing` is
    (n_short, n_long, repeats) of ``seconds_per_iteration``."""
    return seconds_per_iteration(
        lambda **kw: GaussianMixture(
            n_components, backend=backend, missing=missing, **init, **kw
        ),
        on_device(X, backend), *timing, backend, fit_params,
    )  # fmt: skip


def iteration_costs(size, backends, repeats):
    n_samples, n_features, n_components = size
    rng = np.random.default_rng(0)
    X = random_mixture(n_features, n_components).sample(n_samples, rng)
    sample_weight = rng.integers(1, 5, size=n_samples).astype(np.float64)
    X_missing, mask = mcar(X, MISSING_RATE, rng)
    with _quiet():
        start = GaussianMixture(n_components, max_iter=5, random_state=0).fit(
            X[:50_000]
        )
    init = dict(
        weights_init=start.weights_, means_init=start.means_,
        precisions_init=start.precisions_,
    )  # fmt: skip
    results = {}
    for backend in backends:
        n_short, n_long = ITERATIONS[backend]
        timing = (n_short, n_long, 1 if backend == "numpy" else repeats)
        plain = em_seconds(X, n_components, init, backend, timing)
        weighted = em_seconds(X, n_components, init, backend, timing,
                              fit_params={"sample_weight": sample_weight})  # fmt: skip
        missing = em_seconds(X_missing, n_components, init, backend, timing, "fiml")
        resolved = resolve_backend(backend)
        X_device = on_device(X_missing, backend)
        grouping = []
        for _ in range(3):
            begin = time.perf_counter()
            MissingPatterns.from_rows(X_device, resolved.xp)
            _sync(backend)
            grouping.append(time.perf_counter() - begin)
        results[backend] = plain, weighted, missing, min(grouping)
    incomplete = mask[mask.any(axis=1)]
    return (
        results,
        1 - incomplete.shape[0] / n_samples,
        len(np.unique(incomplete, axis=0)),
    )


def print_iteration_costs(size, results, complete, n_patterns):
    n_samples, n_features, n_components = size
    where = f"({n_samples}, {n_features}, {n_components}), full covariance"
    heading(f"1. EM iteration with sample_weight (integers 1-4) against without, "
          f"{where} (goal <= 1.2x)")  # fmt: skip
    header = f"   {'backend':<8} {'plain s/it':>10} {'weighted s/it':>13} {'ratio':>7}"
    print(header + "\n   " + "-" * (len(header) - 3))
    for backend, (plain, weighted, _, _) in results.items():
        print(f"   {backend:<8} {plain:>10.4f} {weighted:>13.4f} "
              f"{weighted / plain:>6.2f}x")  # fmt: skip
    heading(f"2. EM iteration with {MISSING_RATE:.0%} MCAR (missing='fiml') against "
          f"the complete data, {where} (goal <= 3x); {complete:.1%} of the rows "
          f"complete, {n_patterns} patterns with NaN")  # fmt: skip
    header = (
        f"   {'backend':<8} {'complete s/it':>13} {'MCAR s/it':>10} {'ratio':>7}"
        f" | {'grouping s':>10} {'= MCAR its':>10}"
    )
    print(header + "\n   " + "-" * (len(header) - 3))
    for backend, (plain, _, missing, grouping) in results.items():
        print(f"   {backend:<8} {plain:>13.4f} {missing:>10.4f} "
              f"{missing / plain:>6.2f}x | {grouping:>10.4f} "
              f"{grouping / missing:>9.2f}x")  # fmt: skip


# ---------------------------------------------------------------- part 3
def end_to_end(size, backend):
    n_samples, n_features, n_components = size
    rng = np.random.default_rng(1)
    X = random_mixture(n_features, n_components, seed=1).sample(n_samples, rng)
    X_missing, _ = mcar(X, MISSING_RATE, rng)
    heading(f"3. end to end, {n_samples} x {n_features}, K = {n_components}, "
          f"{MISSING_RATE:.0%} MCAR, default tol and k-means starts, "
          "random_state=0")  # fmt: skip

    def ours():
        model = GaussianMixture(
            n_components, missing="fiml", random_state=0, backend=backend
        )
        return model.fit(on_device(X_missing, backend)), None

    def pipeline(imputer):
        def run():
            begin = time.perf_counter()
            X_filled = imputer.fit_transform(X_missing)
            seconds = time.perf_counter() - begin
            model = SklearnGaussianMixture(n_components, random_state=0)
            return model.fit(X_filled), seconds

        return run

    with _quiet():
        GaussianMixture(n_components, missing="fiml", backend=backend).fit(
            on_device(X_missing[:2000], backend)
        )  # compile, not timed
        runs = {
            f"skmix FIML ({backend})": ours,
            "IterativeImputer + sklearn": pipeline(IterativeImputer(random_state=0)),
            "SimpleImputer(mean) + sklearn": pipeline(SimpleImputer()),
        }
        timings = {}
        for name, run in runs.items():
            begin = time.perf_counter()
            model, impute_seconds = run()
            timings[name] = (time.perf_counter() - begin, impute_seconds, model.n_iter_)
    header = (
        f"   {'method':<30} {'impute s':>8} {'total s':>8} {'EM its':>6} {'/ skmix':>8}"
    )
    print(header + "\n   " + "-" * (len(header) - 3))
    reference = timings[f"skmix FIML ({backend})"][0]
    for name, (total, impute_seconds, n_iter) in timings.items():
        impute = "-" if impute_seconds is None else f"{impute_seconds:.3f}"
        print(f"   {name:<30} {impute:>8} {total:>8.3f} {n_iter:>6} "
              f"{total / reference:>7.2f}x")  # fmt: skip


# ---------------------------------------------------------------- part 4
def recovery_errors(truth, model):
    """Mean absolute error of the means and weights, mean relative Frobenius
    error of the covariances, components matched to the true ones on the
    means; and whether a true mean is farther than 1 from its match."""
    cost = np.linalg.norm(truth.means[:, None] - model.means_[None], axis=2)
    _, match = linear_sum_assignment(cost)
    covariances = model.covariances_[match]
    relative = np.linalg.norm(covariances - truth.covariances, axis=(1, 2))
    relative /= np.linalg.norm(truth.covariances, axis=(1, 2))
    return (
        np.abs(model.means_[match] - truth.means).mean(),
        relative.mean(),
        np.abs(model.weights_[match] - truth.weights).mean(),
        cost[np.arange(len(match)), match].max() > 1.0,
    )


def recovery_fits(X, X_missing, n_components, seed, backend):
    """Model and imputed rows (None without) of each method on one data set."""
    common = dict(n_init=RECOVERY_STARTS, random_state=seed)
    fiml = GaussianMixture(n_components, missing="fiml", backend=backend, **common).fit(
        X_missing
    )
    fits = {
        "complete data (sklearn)": (
            SklearnGaussianMixture(n_components, **common).fit(X),
            None,
        ),
        "skmix FIML": (fiml, fiml.impute(X_missing)),
    }
    for name, imputer in (
        ("mean imputation + sklearn", SimpleImputer()),
        ("IterativeImputer + sklearn", IterativeImputer(random_state=seed)),
    ):
        X_filled = imputer.fit_transform(X_missing)
        model = SklearnGaussianMixture(n_components, **common).fit(X_filled)
        fits[name] = model, X_filled
    return fits


def recovery(n_reps, backend):
    truth = RECOVERY_TRUTH
    n_components = truth.weights.size
    heading(f"4. parameter recovery: {n_components} components, d = "
          f"{truth.means.shape[1]}, n = {RECOVERY_ROWS}, {n_reps} replications "
          f"(seeds 0..{n_reps - 1}), n_init={RECOVERY_STARTS} k-means starts "
          "for every fit; means over the replications of the MAE of the means, "
          "the relative Frobenius error of the covariances, the MAE of the "
          "weights and the RMSE of the imputed values; 'missed': replications "
          "with a true mean farther than 1 from its match")  # fmt: skip
    errors = {}  # (rate, method) -> one row of errors per replication
    with _quiet():
        for seed in range(n_reps):
            rng = np.random.default_rng([4, seed])
            X = truth.sample(RECOVERY_ROWS, rng)
            for rate in RECOVERY_RATES:
                X_missing, mask = mcar(X, rate, rng)
                fits = recovery_fits(X, X_missing, n_components, seed, backend)
                for name, (model, X_filled) in fits.items():
                    rmse = np.nan
                    if X_filled is not None:
                        rmse = np.sqrt(np.mean((X_filled[mask] - X[mask]) ** 2))
                    row = (*recovery_errors(truth, model), rmse)
                    errors.setdefault((rate, name), []).append(row)
    header = (
        f"   {'MCAR':>4}  {'method':<27} {'means MAE':>9} {'cov rel':>8} "
        f"{'weights MAE':>11} {'impute RMSE':>11} {'missed':>6}"
    )
    print(header + "\n   " + "-" * (len(header) - 3))
    for (rate, name), rows in errors.items():
        means, covariances, weights, missed, rmse = np.mean(rows, axis=0)
        rmse = "-" if np.isnan(rmse) else f"{rmse:.3f}"
        missed = round(missed * len(rows))
        print(f"   {rate:>4.0%}  {name:<27} {means:>9.4f} {covariances:>8.4f} "
              f"{weights:>11.4f} {rmse:>11} {missed:>6}")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", nargs="+", default=["numba"],
        choices=["numba", "numpy", "cupy"],
        help="backends of parts 1-2 (the first also runs parts 3-4)",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--reps", type=int, help="replications of part 4 (default 20, --quick 3)"
    )
    args = parser.parse_args()
    reps = args.reps or (3 if args.quick else 20)

    machine_header()
    size = QUICK_ITERATION_SIZE if args.quick else ITERATION_SIZE
    print_iteration_costs(size, *iteration_costs(size, args.backend, args.repeats))
    end_to_end(QUICK_END_TO_END_SIZE if args.quick else END_TO_END_SIZE,
               args.backend[0])  # fmt: skip
    recovery(reps, args.backend[0])


if __name__ == "__main__":
    main()
