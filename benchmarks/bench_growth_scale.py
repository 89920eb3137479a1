"""A large growth mixture: bilinear splines with full random effects.

Goal (issue 16, item 6): ``MixtureOfExpertsRegressor(3,
curve="bilinear_spline", random_effects="full")`` with the default starts
(emEM: 10 short runs of 20 EM steps on all subjects, the best 3 run to
convergence) fits 100,000 subjects x 10 waves in under 60 s on a 2-core
machine, every EM step vectorised across subjects.

The data: three bilinear-spline classes (``make_trajectory_mixture`` with the
class means, knots, expert coefficients and gate below), waves at ``t =
0..n_waves-1`` jittered by ``U(-0.25, 0.25)`` per subject and wave (so every
subject has its own times; ``--jitter 0`` gives common times), two gating and
two expert covariates (``X`` has all four; the estimator's defaults use every
column for both).

Each size runs in a fresh process so that its peak resident memory is its
own. Printed per size: the fit time (best of ``--repeat``), the EM steps and
seconds of every start (short and final runs), the seconds of one EM step at
the fitted parameters (E-step, M-step of the experts, M-step of the gate;
best of 5), the peak resident memory of the process and tracemalloc's peak
over one EM step, and the log-likelihood. ``--se`` also times the standard
errors (computed lazily, on first use; not part of the fit).

Usage::

    python benchmarks/bench_growth_scale.py                    # 10k and 100k
    python benchmarks/bench_growth_scale.py --subjects 10000 --se
    python benchmarks/bench_growth_scale.py --subjects 350000  # lcmm #258
    python benchmarks/bench_growth_scale.py --profile 10000    # cProfile a fit
"""

import argparse
import cProfile
import inspect
import json
import platform
import pstats
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import skmix
from skmix.datasets import make_trajectory_mixture
from skmix.experts import MixtureOfExpertsRegressor, _moe
from skmix.experts._em import _em_map
from skmix.experts._likelihood import (
    RANDOM_EFFECT_STRUCTURES,
    e_step,
    m_step_experts,
    m_step_gating,
)

# Original-scale growth factors (intercept, slope before the knot, slope
# after it) and knots: Liu & Perera's two classes and a third, flatter one.
CLASS_MEANS = np.array([[100.0, -5.0, -2.6], [100.0, -5.0, -3.4], [96.0, -3.5, -1.5]])
KNOTS = np.array([3.5, 5.5, 4.5])
_EXPERTS = np.array([[1.2515, 1.8773], [0.2503, 0.3755], [0.2503, 0.3755]])
EXPERT_COEFFICIENTS = np.stack([_EXPERTS / np.sqrt(2), _EXPERTS, 0.75 * _EXPERTS])
# Log-odds of classes 2 and 3 against class 1: intercept, gc1, gc2.
GATING = np.array([[0.0, np.log(1.5), np.log(1.7)], [-0.3, np.log(1.3), -np.log(1.4)]])


def make_data(n_subjects, n_waves, n_classes, jitter, seed=0):
    """Three-class (or fewer) bilinear-spline trajectories."""
    if not 1 <= n_classes <= len(CLASS_MEANS):
        raise ValueError(f"--classes must be 1..{len(CLASS_MEANS)}")
    return make_trajectory_mixture(
        n_subjects, n_waves=n_waves, jitter=jitter,
        class_means=CLASS_MEANS[:n_classes], knots=KNOTS[:n_classes],
        expert_coefficients=EXPERT_COEFFICIENTS[:n_classes],
        gating=GATING[: n_classes - 1] if n_classes > 1 else np.zeros((0, 3)),
        random_state=seed,
    )  # fmt: skip


def estimator(n_classes):
    return MixtureOfExpertsRegressor(
        n_classes, curve="bilinear_spline", random_effects="full", random_state=0
    )


class StartLog:
    """Records every EM run of a fit (short and final) by wrapping run_em."""

    def __init__(self):
        self.runs = []
        self._run_em = _moe.run_em

    def __enter__(self):
        signature = inspect.signature(self._run_em)

        def recorded(*args, **kwargs):
            start = time.perf_counter()
            out = self._run_em(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            self.runs.append(
                {
                    "max_iter": bound.arguments["max_iter"],
                    "n_iter": out[2],
                    "converged": out[3],
                    "log_likelihood": out[1],
                    "seconds": time.perf_counter() - start,
                }
            )
            return out

        _moe.run_em = recorded
        return self

    def __exit__(self, *exc):
        _moe.run_em = self._run_em


def best_of(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = function()
        times.append(time.perf_counter() - start)
    return min(times), out


def one_em_step(model):
    """Seconds of one EM step at the fitted parameters, and of its parts."""
    data = model._inference.data
    params = model._inference.scaling.to_fitting(model.params_)
    curve = model.curve_
    structure = RANDOM_EFFECT_STRUCTURES[model.random_effects_]
    bounds = curve.nonlinear_bounds(data.T[data.mask])
    options = model.residual_variance_

    def step():
        return _em_map(curve, data, params, structure, bounds, 2, 0.0, options)

    step_seconds, _ = best_of(step, 5)
    e_seconds, (terms, resp, _) = best_of(lambda: e_step(curve, data, params), 5)
    m_seconds, _ = best_of(
        lambda: m_step_experts(
            curve, data, params, terms, resp, structure, bounds, options
        ),
        5,
    )
    gate_seconds, _ = best_of(lambda: m_step_gating(data.Z, resp, params.beta), 5)
    tracemalloc.start()
    step()
    step_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "step": step_seconds,
        "e_step": e_seconds,
        "m_experts": m_seconds,
        "m_gate": gate_seconds,
        "step_peak_mb": step_peak / 2**20,
    }


def warm_up(args):
    """Seconds of a small untimed fit: loading (or, on a fresh install,
    compiling) the Numba passes, so that the timed fit does not include it."""
    data = make_data(300, args.waves, args.classes, args.jitter, seed=1)
    start = time.perf_counter()
    estimator(args.classes).set_params(n_init=1, max_iter=5).fit(
        data.X, data.y, time=data.time
    )
    return time.perf_counter() - start


def measure(args):
    """One size, in this process; returns a JSON-able dict."""
    warm_up_seconds = warm_up(args)
    data = make_data(args.subjects, args.waves, args.classes, args.jitter)
    fits = []
    for _ in range(args.repeat):
        model = estimator(args.classes)
        with StartLog() as log:
            start, cpu = time.perf_counter(), time.process_time()
            model.fit(data.X, data.y, time=data.time)
            fits.append(
                (time.perf_counter() - start, log.runs, model,
                 time.process_time() - cpu)
            )  # fmt: skip
    seconds, runs, model, cpu_seconds = min(fits, key=lambda fit: fit[0])
    result = {
        "subjects": args.subjects, "waves": args.waves, "classes": args.classes,
        "fit_seconds": seconds, "fit_seconds_all": [f[0] for f in fits],
        "fit_cpu_seconds": cpu_seconds,
        "runs": runs, "log_likelihood": model.log_likelihood_,
        "n_iter": model.n_iter_, "converged": model.converged_,
        "weights": model.weights_.tolist(),
        "knots": model.params_.phi[:, 0].tolist(), "warm_up_seconds": warm_up_seconds,
    }  # fmt: skip
    del fits
    # As inside the fit (run_em), BLAS on one thread.
    with threadpool_limits(limits=1, user_api="blas"):
        result.update(one_em_step(model))
    if args.se:
        start = time.perf_counter()
        _ = model.covariance_
        result["se_seconds"] = time.perf_counter() - start
    # ru_maxrss is in KiB on Linux.
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def report(result):
    short_run_iter = estimator(result["classes"]).short_run_iter
    runs = result["runs"]
    short = [run for run in runs if run["max_iter"] == short_run_iter]
    final = [run for run in runs if run["max_iter"] != short_run_iter]
    total_iter = sum(run["n_iter"] for run in runs)
    repeats = ", ".join(f"{s:.2f}" for s in result["fit_seconds_all"])
    print(
        f"\n{result['subjects']:,} subjects x {result['waves']} waves, "
        f"{result['classes']} classes"
    )
    print(
        f"  fit: {result['fit_seconds']:.2f} s (repeats: {repeats}; CPU time of "
        f"the best, all threads: {result['fit_cpu_seconds']:.1f} s), "
        f"log-likelihood {result['log_likelihood']:.6f}, "
        f"converged {result['converged']}"
    )
    print(
        f"  short runs: {len(short)} x {[run['n_iter'] for run in short]} EM "
        f"steps, {sum(run['seconds'] for run in short):.2f} s"
    )
    print(
        f"  final runs: {[run['n_iter'] for run in final]} EM steps, "
        f"{[round(run['seconds'], 2) for run in final]} s, log-likelihoods "
        f"{[round(run['log_likelihood'], 4) for run in final]}"
    )
    per_step = result["fit_seconds"] / max(total_iter, 1) * 1e3
    print(f"  EM steps in all: {total_iter}; fit time per step {per_step:.1f} ms")
    print(
        f"  one EM step at the estimate: {result['step'] * 1e3:.1f} ms (E-step "
        f"{result['e_step'] * 1e3:.1f}, experts' M-step "
        f"{result['m_experts'] * 1e3:.1f}, gate {result['m_gate'] * 1e3:.1f})"
    )
    print(
        f"  memory: peak RSS {result['peak_rss_mb']:.0f} MiB; one EM step "
        f"allocates at most {result['step_peak_mb']:.0f} MiB at once"
    )
    print(
        "  untimed warm-up fit (300 subjects; loads or compiles the Numba "
        f"passes): {result['warm_up_seconds']:.2f} s"
    )
    if "se_seconds" in result:
        print(f"  standard errors (lazy, first use): {result['se_seconds']:.2f} s")
    print(
        f"  class shares {np.round(result['weights'], 3).tolist()}, "
        f"knots {np.round(result['knots'], 3).tolist()}"
    )


def profile(args):
    warm_up(args)
    data = make_data(args.profile, args.waves, args.classes, args.jitter)
    model = estimator(args.classes)
    profiler = cProfile.Profile()
    profiler.enable()
    model.fit(data.X, data.y, time=data.time)
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--waves", type=int, default=10)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--jitter", type=float, default=0.25)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--se", action="store_true", help="also time the SEs")
    parser.add_argument("--profile", type=int, metavar="N", help="cProfile one fit")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        return profile(args)
    if args.json:  # a child process: one size
        args.subjects = args.subjects[0]
        print(json.dumps(measure(args)))
        return None
    blas = sorted({info["internal_api"] for info in threadpool_info()})
    machine = platform.processor() or platform.machine()
    print(f"skmix {skmix.__version__}, numpy {np.__version__}, {machine}, {blas}")
    for n in args.subjects:
        command = [sys.executable, __file__, "--json", "--subjects", str(n)]
        for option in ("waves", "classes", "jitter", "repeat"):
            command += [f"--{option}", str(getattr(args, option))]
        if args.se:
            command.append("--se")
        out = subprocess.run(command, capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"{n} subjects failed:\n{out.stderr}")
        report(json.loads(out.stdout.strip().splitlines()[-1]))
    return None


if __name__ == "__main__":
    main()
