"""GLM experts against flexmix on flexmix's shipped examples, in one run.

For each fit of ``tests/data/flexmix/reference.json`` this times skmix's
default fit plus its standard errors (``parameter_table()``) and, where
Rscript with flexmix is installed, flexmix's ``stepFlexmix(..., nrep = 10)``
and ``summary(refit(m))`` on the same data in the same run (goal: skmix no
slower). It prints both log-likelihoods: skmix's default fit must reach
flexmix's best.

Usage::

    python benchmarks/bench_glm_flexmix.py            # with R when available
    python benchmarks/bench_glm_flexmix.py --no-r     # the recorded R times
"""

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).parents[1] / "tests" / "data" / "flexmix"
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "experts"))
from test_glm_experts import _design, _model  # noqa: E402  (the tests' designs)

R_TIMING = """
suppressMessages(library(flexmix))
data("NPreg"); data("seizure"); data("bioChemists", package = "flexmix")
control <- list(iter.max = 1000, tol = 1e-10, minprior = 0)
time_it <- function(expr) {
  set.seed(1)
  unname(system.time(eval.parent(substitute(expr)))["elapsed"])
}
calls <- list(
  a_poisson_npreg = quote(stepFlexmix(yp ~ x, data = NPreg, k = 2, nrep = 10,
    model = FLXMRglm(family = "poisson"), control = control, verbose = FALSE)),
  b_binomial_grouped_npreg = quote(stepFlexmix(cbind(yb, 1 - yb) ~ x | id2,
    data = NPreg, k = 2, nrep = 10, model = FLXMRglm(family = "binomial"),
    control = control, verbose = FALSE)),
  c_poisson_offset_seizure = quote(stepFlexmix(Seizures ~ Treatment *
    log(Day/27), data = seizure, k = 2, nrep = 10, model = FLXMRglm(family =
    "poisson", offset = log(seizure$Hours)), control = control,
    verbose = FALSE)),
  d_poisson_biochemists = quote(stepFlexmix(art ~ ., data = bioChemists,
    k = 2, nrep = 10, model = FLXMRglm(family = "poisson"), control = control,
    verbose = FALSE)),
  e_poisson_gate_yn_npreg = quote(stepFlexmix(yp ~ x, data = NPreg, k = 2,
    nrep = 10, model = FLXMRglm(family = "poisson"), concomitant =
    FLXPmultinom(~ yn), control = control, verbose = FALSE)),
  e2_poisson_gate_x_npreg = quote(stepFlexmix(yp ~ x, data = NPreg, k = 2,
    nrep = 10, model = FLXMRglm(family = "poisson"), concomitant =
    FLXPmultinom(~ x), control = control, verbose = FALSE)),
  g_gaussian_npreg = quote(stepFlexmix(yn ~ x + I(x^2), data = NPreg, k = 2,
    nrep = 10, model = FLXMRglm(), control = control, verbose = FALSE))
)
for (name in names(calls)) {
  fit <- NULL
  seconds <- time_it(fit <- eval(calls[[name]]))
  refit_seconds <- time_it(invisible(capture.output(summary(refit(fit)))))
  cat(name, seconds, refit_seconds, logLik(fit), "\\n")
}
"""


def r_times():
    """{name: (stepFlexmix seconds, refit seconds, logLik)} from Rscript."""
    if shutil.which("Rscript") is None:
        return {}
    found = subprocess.run(
        ["Rscript", "-e", R_TIMING], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        print("Rscript failed:", found.stderr.strip()[-300:])
        return {}
    times = {}
    for line in found.stdout.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[0].startswith(
            ("a_", "b_", "c_", "d_", "e", "g_")
        ):
            name, seconds, refit, log_likelihood = fields
            times[name] = (float(seconds), float(refit), float(log_likelihood))
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-r", action="store_true", help="use recorded R times")
    args = parser.parse_args()
    reference = json.loads((DATA / "reference.json").read_text())
    live = {} if args.no_r else r_times()
    print(
        f"{'fit':<26} {'skmix s':>8} {'flexmix s':>10} {'ratio':>6}  "
        f"{'skmix logLik':>14} {'flexmix logLik':>15}"
    )
    for name, fit in reference["fits"].items():
        _, X, y, extra, n_expert, gate = _design(fit)
        start = time.perf_counter()
        model = _model(fit, n_expert, gate).fit(X, y, **extra)
        model.parameter_table()
        seconds = time.perf_counter() - start
        if name in live:
            anchor, refit, anchor_ll = live[name]
            anchor += refit
            source = ""
        else:
            anchor = reference["stepflexmix_nrep10_seconds"][name]
            anchor_ll, source = fit["logLik"], " (recorded, no refit)"
        print(
            f"{name:<26} {seconds:8.2f} {anchor:10.2f} {anchor / seconds:6.1f}x "
            f"{model.log_likelihood_:14.6f} {anchor_ll:15.6f}{source}"
        )
    print(
        "ratio = flexmix seconds / skmix seconds (stepFlexmix nrep=10 plus "
        "summary(refit()); skmix: default fit plus standard errors). flexmix's "
        "Gaussian logLik uses its non-ML sigma."
    )


if __name__ == "__main__":
    main()
