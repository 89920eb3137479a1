"""How often cross-validation by held-out likelihood picks the true number of
classes (issue 17: goal at least 90% of 50 replications).

Each replication simulates 300 subjects of two linear-growth classes at
individually varying times (the design of ``tests/metrics/test_scoring.py``,
a new seed each time), and runs ``GridSearchCV`` over ``n_components`` in
{1, 2, 3} with ``skmix.metrics.log_likelihood_scorer`` (3 folds, ``time``
routed to fit and score). The share choosing 2 is printed with its
binomial standard error, next to the share BIC (``bic_`` of fits to all
rows) picks 2, and R^2 (the regressor's default ``score``), which the
scorer replaces.

Usage::

    python benchmarks/bench_class_scoring.py             # 50 replications
    python benchmarks/bench_class_scoring.py --reps 10
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.model_selection import GridSearchCV

from skmix.experts import MixtureOfExpertsRegressor
from skmix.metrics import log_likelihood_scorer

# The simulation design is the test's, imported from it (one copy).
sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.metrics.test_scoring import _trajectories as trajectories  # noqa: E402

GRID = [1, 2, 3]


def experts(seed):
    return MixtureOfExpertsRegressor(
        curve="linear", gating_features=None, expert_features=None,
        random_state=seed,
    ).set_fit_request(time=True).set_score_request(time=True)  # fmt: skip


def choices(seed):
    """(K by held-out likelihood, K by R^2, K by BIC) on one replication."""
    X, y, time = trajectories(seed)
    picked = []
    with sklearn.config_context(enable_metadata_routing=True):
        for scoring in (log_likelihood_scorer, None):
            search = GridSearchCV(
                experts(seed), {"n_components": GRID}, scoring=scoring, cv=3
            ).fit(X, y, time=time)
            picked.append(search.best_params_["n_components"])
        bic = [experts(seed).set_params(n_components=k).fit(X, y, time=time).bic_
               for k in GRID]  # fmt: skip
    picked.append(GRID[int(np.argmin(bic))])
    return picked


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=50)
    args = parser.parse_args()
    start = time.perf_counter()
    with warnings.catch_warnings():
        # Three classes of two-class data: degenerate or slow fits are part
        # of what is being chosen against.
        warnings.simplefilter("ignore")
        picks = np.array([choices(seed) for seed in range(args.reps)])
    print(f"{args.reps} replications, 2 true classes, GridSearchCV over {GRID} "
          f"({time.perf_counter() - start:.0f} s)")  # fmt: skip
    for column, name in enumerate(["held-out log-likelihood", "R^2 (score)", "BIC"]):
        share = np.mean(picks[:, column] == 2)
        se = np.sqrt(share * (1 - share) / args.reps)
        counts = {k: int(np.sum(picks[:, column] == k)) for k in GRID}
        print(f"  {name:>24}: picks 2 in {share:.0%} (SE {se:.1%}); {counts}")
    print("  goal: held-out log-likelihood picks 2 in at least 90%")


if __name__ == "__main__":
    main()
