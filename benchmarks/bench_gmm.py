"""skmix GaussianMixture vs scikit-learn: time per EM iteration and scoring.

Both libraries fit the same data in the same run, from the same initial
parameters. Time per EM iteration is measured as a difference of two
warm-started fits with ``tol=0`` (``max_iter=n_long`` minus ``max_iter=n_short``,
best of ``--repeats`` for both libraries; 3 iterations for scikit-learn, 10 for
skmix), so initialisation and the final E-step cancel out. The
script prints the ratio sklearn / skmix (higher is better for skmix) and the
fraction of the machine's float64 matmul peak (measured here with a 2000^3
GEMM) that the fused numba pass reaches. A last table times small problems
on the default backend ("auto", NumPy there: see ``AUTO_NUMBA_MIN_WORK``),
20 iterations of difference for both libraries, best of 5 or more.

Usage::

    python benchmarks/bench_gmm.py                # all sizes, numba backend
    python benchmarks/bench_gmm.py --backend cupy # on a GPU
    python benchmarks/bench_gmm.py --quick        # small sizes (smoke test)
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

from skmix.mixture import GaussianMixture

SIZES = [(1_000_000, 8, 8), (200_000, 32, 16), (100_000, 2, 4)]
QUICK_SIZES = [(50_000, 8, 8), (20_000, 16, 4)]
# Below AUTO_NUMBA_MIN_WORK rows x components the default backend is NumPy.
SMALL_SIZES = [(500, 2, 3), (5_000, 4, 3), (10_000, 3, 3)]


def matmul_peak_gflops(n=2000, repeats=5):
    a = np.random.default_rng(0).random((n, n))
    b = a.T.copy()
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(func):
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def _sync(backend):
    if backend == "cupy":
        import cupy

        cupy.cuda.Device().synchronize()


def seconds_per_iteration(make, X, n_short, n_long, repeats, backend=None,
                          fit_params=None):  # fmt: skip
    """Per-iteration EM time from two warm-started fits of different lengths
    (`fit_params`, such as ``sample_weight``, passed to every ``fit``)."""
    fit_params = fit_params or {}

    def run(n_iter):
        model = make(max_iter=1)
        model.fit(X, **fit_params)  # initialisation + 1 iteration, not timed
        model.set_params(warm_start=True, max_iter=n_iter, tol=0.0)
        _sync(backend)
        start = time.perf_counter()
        model.fit(X, **fit_params)
        _sync(backend)
        return time.perf_counter() - start

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        short = min(run(n_short) for _ in range(repeats))
        long = min(run(n_long) for _ in range(repeats))
    return (long - short) / (n_long - n_short)


def _fit_params(n_components, covariance_type):
    """Both libraries' parameters: the same random start."""
    return dict(
        n_components=n_components,
        covariance_type=covariance_type,
        init_params="random_from_data",
        random_state=0,
    )


def em_flops_per_iteration(n_samples, n_features, n_components, covariance_type):
    """Multiply-adds x2 of the fused pass (log-density + second moments)."""
    if covariance_type == "full":
        per_component = n_features * (n_features + 1) + 2 * n_features
        per_component += n_features * (n_features + 1)
    else:
        per_component = 3 * n_features + 4 * n_features
    return n_samples * n_components * per_component


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="numba")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    sizes = QUICK_SIZES if args.quick else SIZES
    peak = matmul_peak_gflops()
    print(f"float64 matmul peak on this machine: {peak:.1f} GFLOP/s")
    header = (
        f"{'N':>9} {'D':>3} {'K':>3} {'cov':>5} | {'sklearn s/it':>12} "
        f"{'skmix s/it':>10} {'ratio':>7} {'%peak':>6}"
    )
    print(header)
    print("-" * len(header))
    rng = np.random.default_rng(0)
    for n_samples, n_features, n_components in sizes:
        centres = rng.standard_normal((n_components, n_features)) * 4
        labels = rng.integers(n_components, size=n_samples)
        X = centres[labels] + rng.standard_normal((n_samples, n_features))
        X_backend = X
        if args.backend == "cupy":
            import cupy

            X_backend = cupy.asarray(X)
        for covariance_type in ("full", "diag"):
            common = _fit_params(n_components, covariance_type)
            sklearn_time = seconds_per_iteration(
                lambda **kw: SklearnGaussianMixture(**common, **kw),  # noqa: B023
                X,
                1,
                4,
                args.repeats,
            )
            skmix_time = seconds_per_iteration(
                lambda **kw: GaussianMixture(**common, backend=args.backend, **kw),  # noqa: B023
                X_backend,
                2,
                12,
                args.repeats,
                args.backend,
            )
            flops = em_flops_per_iteration(
                n_samples, n_features, n_components, covariance_type
            )
            print(
                f"{n_samples:>9} {n_features:>3} {n_components:>3} "
                f"{covariance_type:>5} | {sklearn_time:>12.4f} {skmix_time:>10.4f} "
                f"{sklearn_time / skmix_time:>6.1f}x "
                f"{100 * flops / skmix_time / 1e9 / peak:>5.1f}%"
            )

    print(f"\nsmall problems, backend='auto' (best of {max(args.repeats, 5)})")
    print(header.replace("%peak", "backend"))
    print("-" * len(header))
    for n_samples, n_features, n_components in SMALL_SIZES[: 1 if args.quick else None]:
        X = rng.standard_normal((n_samples, n_features))
        for covariance_type in ("full", "diag"):
            common = _fit_params(n_components, covariance_type)
            times = [
                seconds_per_iteration(make, X, 2, 22, max(args.repeats, 5))
                for make in (
                    lambda **kw: SklearnGaussianMixture(**common, **kw),  # noqa: B023
                    lambda **kw: GaussianMixture(**common, **kw),  # noqa: B023
                )
            ]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                chosen = GaussianMixture(**common, max_iter=1).fit(X).backend_
            print(
                f"{n_samples:>9} {n_features:>3} {n_components:>3} "
                f"{covariance_type:>5} | {times[0]:>12.5f} {times[1]:>10.5f} "
                f"{times[0] / times[1]:>6.2f}x {chosen:>6}"
            )

    # Scoring throughput on the largest size, full covariance.
    n_samples, n_features, n_components = sizes[0]
    X = rng.standard_normal((n_samples, n_features))
    common = dict(n_components=n_components, random_state=0, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = SklearnGaussianMixture(**common).fit(X[:20_000])
        model = GaussianMixture(**common, backend=args.backend).fit(X[:20_000])
    X_backend = X
    if args.backend == "cupy":
        import cupy

        X_backend = cupy.asarray(X)
    model.score_samples(X_backend)  # compile / warm up
    sklearn_rate = n_samples / min(
        _timed(lambda: reference.score_samples(X)) for _ in range(args.repeats + 1)
    )

    def score():
        model.score_samples(X_backend)
        _sync(args.backend)

    skmix_rate = n_samples / min(_timed(score) for _ in range(args.repeats + 1))
    print(
        f"\nscore_samples, full, N={n_samples} D={n_features} K={n_components}: "
        f"sklearn {sklearn_rate / 1e6:.2f} M rows/s, skmix({args.backend}) "
        f"{skmix_rate / 1e6:.2f} M rows/s, ratio {skmix_rate / sklearn_rate:.1f}x"
    )


if __name__ == "__main__":
    main()
