"""The bootstrap LRT (Mplus TECH14) for mixtures of regressions: speed, size
under H0 and class choice (issue 17).

1. ``speed``: :func:`~skmix.model_selection.bootstrap_lrt` with 100 draws,
   2 against 3 classes, on flexmix's NPreg (200 rows, Poisson counts on
   ``x``, ``tests/data/flexmix/npreg.csv``), the estimator's defaults
   (``n_init=10``, ``tol=1e-10``; ``--tol`` to change it) and warm starts
   from the fitted models (goal: under 60 s on 2 cores).
2. ``size``: the share of p-values of 2 against 3 classes at or below 0.05
   over replications of data simulated from a 2-class Poisson mixture of
   regressions (NPreg's design), with its Monte Carlo standard error
   (goal: 0.05).
3. ``selection``: :func:`~skmix.model_selection.compare_classes` over
   1..3 classes on 2-class data, the share of replications where BIC and
   the bootstrap LRT (sequential rule) pick 2 (goal: at least 0.9 of 50).

Usage::

    python benchmarks/bench_blrt.py speed [--tol 1e-8] [--n-jobs 1]
    python benchmarks/bench_blrt.py size --replications 100 --draws 39
    python benchmarks/bench_blrt.py selection --replications 50 --draws 19
"""

import argparse
import math
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from skmix.experts import MixtureOfExpertsRegressor
from skmix.model_selection import bootstrap_lrt, compare_classes

NPREG = Path(__file__).parents[1] / "tests" / "data" / "flexmix" / "npreg.csv"


def experts(**params):
    """Poisson experts on x, class shares without covariates (flexmix's
    ``flexmix(yp ~ x, k, model = FLXMRglm(family = "poisson"))``)."""
    return MixtureOfExpertsRegressor(family="poisson", gating_features=None, **params)


def simulate(seed, n=200):
    """NPreg's Poisson design: x ~ U(0, 10), two classes of n / 2 rows,
    log-means 2 - 0.2 x and 1 + 0.1 x."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    second = np.arange(n) >= n // 2
    log_mean = np.where(second, 1.0 + 0.1 * x, 2.0 - 0.2 * x)
    return x[:, None], rng.poisson(np.exp(log_mean))


def speed(args):
    frame = pd.read_csv(NPREG)
    X, y = frame[["x"]].to_numpy(), frame["yp"].to_numpy()
    fit_params = {"groups": frame["id1"].to_numpy()} if args.groups else None
    start = time.perf_counter()
    result = bootstrap_lrt(
        experts(tol=args.tol), X, 2, args.draws, y=y, fit_params=fit_params,
        bootstrap_init=args.init, random_state=0, n_jobs=args.n_jobs,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    print(result.summary())
    row = result.table.iloc[0]
    print(
        f"\nspeed: {args.draws} draws, 2 vs 3 classes on NPreg "
        f"({len(y)} rows{', grouped by id1' if args.groups else ''}), "
        f"tol={args.tol:g}, bootstrap_init={args.init!r}, n_jobs={args.n_jobs}: "
        f"{seconds:.1f} s "
        f"(goal < 60 s); LRTS {row['lrts']:.3f}, p = {row['p_value']:.3f}, "
        f"{row['n_negative']} negative, {row['n_not_converged']} unconverged, "
        f"{row['n_failed']} redrawn"
    )


def size(args):
    estimator = experts(n_init=args.n_init, n_final=2, tol=args.tol)
    p_values, start = [], time.perf_counter()
    for replication in range(args.replications):
        X, y = simulate(1000 + replication)
        result = bootstrap_lrt(
            estimator, X, 2, args.draws, y=y, random_state=replication,
            n_jobs=args.n_jobs,
        )  # fmt: skip
        p_values.append(float(result.table["p_value"].iloc[0]))
        if (replication + 1) % 10 == 0:
            print(f"  {replication + 1} replications, share of p <= 0.05 "
                  f"{np.mean(np.array(p_values) <= 0.05):.3f}, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
    p_values = np.array(p_values)
    share = float(np.mean(p_values <= 0.05))
    se = math.sqrt(share * (1 - share) / len(p_values))
    quantiles = np.quantile(p_values, [0.1, 0.25, 0.5, 0.75, 0.9]).round(3)
    print(
        f"\nsize: {len(p_values)} replications x {args.draws} draws, 2 vs 3 "
        f"classes on 2-class Poisson data (n = 200): share of p <= 0.05 = "
        f"{share:.3f} (Monte Carlo SE {se:.3f}; goal 0.05); also <= 0.10: "
        f"{np.mean(p_values <= 0.10):.3f}; p-value deciles 10/25/50/75/90%: "
        f"{quantiles.tolist()} ({time.perf_counter() - start:.0f} s)"
    )


def blrt_choice(table, level=0.05):
    """The sequential rule: the first K whose test against K + 1 is not
    rejected (the largest K when every test is)."""
    p = table.set_index("n_components")["blrt_p"]
    for k in p.index[:-1]:
        if not p[k + 1] <= level:
            return int(k)
    return int(p.index[-1])


def selection(args):
    estimator = experts(n_init=args.n_init, n_final=2, tol=args.tol)
    bic, blrt, start = [], [], time.perf_counter()
    for replication in range(args.replications):
        X, y = simulate(5000 + replication)
        result = compare_classes(
            estimator, X, y, n_components=range(1, 4), n_starts=args.n_starts,
            lmr=False, n_bootstrap=args.draws, random_state=replication,
            n_jobs=args.n_jobs,
        )  # fmt: skip
        bic.append(result.best("bic"))
        blrt.append(blrt_choice(result.table))
        if (replication + 1) % 10 == 0:
            print(f"  {replication + 1} replications, picks 2 by BIC "
                  f"{np.mean(np.array(bic) == 2):.2f}, by BLRT "
                  f"{np.mean(np.array(blrt) == 2):.2f}, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
    bic, blrt = np.array(bic), np.array(blrt)
    print(
        f"\nselection: {len(bic)} replications, 1..3 classes, "
        f"{args.n_starts} starts, {args.draws} bootstrap draws: picks 2 by BIC "
        f"{np.mean(bic == 2):.2f}, by BLRT {np.mean(blrt == 2):.2f} (goal >= "
        f"0.9); BIC choices {np.bincount(bic, minlength=4)[1:].tolist()}, "
        f"BLRT choices {np.bincount(blrt, minlength=4)[1:].tolist()} (1, 2, 3 "
        f"classes) ({time.perf_counter() - start:.0f} s)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("check", choices=["speed", "size", "selection"])
    parser.add_argument("--draws", type=int, default=None,
                        help="bootstrap draws (default 100, 39, 19)")  # fmt: skip
    parser.add_argument("--replications", type=int, default=None,
                        help="default 100 (size), 50 (selection)")  # fmt: skip
    parser.add_argument("--n-init", type=int, default=4,
                        help="the experts' starts (size, selection)")  # fmt: skip
    parser.add_argument("--n-starts", type=int, default=3,
                        help="compare_classes' starts per K")  # fmt: skip
    parser.add_argument("--tol", type=float, default=1e-10,
                        help="the experts' relative tol")  # fmt: skip
    parser.add_argument("--init", default="fitted", choices=["fitted", "estimator"])
    parser.add_argument("--groups", action="store_true",
                        help="speed: NPreg's rows grouped by id1")  # fmt: skip
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    defaults = {"speed": (100, 1), "size": (39, 100), "selection": (19, 50)}
    draws, replications = defaults[args.check]
    args.draws = args.draws or draws
    args.replications = args.replications or replications
    warnings.simplefilter("ignore")  # convergence and degenerate-class notes
    {"speed": speed, "size": size, "selection": selection}[args.check](args)


if __name__ == "__main__":
    main()
