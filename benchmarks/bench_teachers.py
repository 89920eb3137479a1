"""Curriculum teachers on the toy environment of Portelas et al. (2019).

Random vs ALP-GMM on the 2-D 10x10 cell grid and on the same grid with 10
useless task dimensions, 20,000 episodes, several seeds; the figure is the
percentage of cells mastered (competence > 75) at the end. Reference figures
(the reference implementation, run on this machine, given in issue 4):
Random 4.6% / ALP-GMM 34.0% (2-D), Random 4.4% / ALP-GMM 51.0% (+10 useless).

Refit time: for refit windows the ALP-GMM runs produced, the teacher's refit
(skmix GaussianMixture, k = 2..10, AIC) against the reference's refit
(scikit-learn GaussianMixture, same candidates and criterion) on the same 250
rows, in the same run.

Usage::

    python benchmarks/bench_teachers.py              # 5 seeds, 20,000 episodes
    python benchmarks/bench_teachers.py --quick      # 2 seeds, 3,000 episodes
"""

import argparse
import time

import numpy as np
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

from skmix.curriculum import ALPGMMTeacher, GridCompetenceEnv, RandomTeacher
from skmix.mixture import GaussianMixture

REFERENCE = {(0, "random"): 4.6, (0, "alp-gmm"): 34.0, (10, "random"): 4.4,
             (10, "alp-gmm"): 51.0}  # fmt: skip
TEACHERS = {"random": RandomTeacher, "alp-gmm": ALPGMMTeacher}


def run(teacher_name, n_useless, n_episodes, seed):
    """Play `n_episodes` one at a time (as the reference does)."""
    env = GridCompetenceEnv(10, 2, n_useless)
    teacher = TEACHERS[teacher_name](env.low, env.high, random_state=seed)
    start = time.perf_counter()
    for _ in range(n_episodes):
        task = teacher.ask(1)
        teacher.tell(task, env.run(task))
    return env.score(), time.perf_counter() - start, teacher


def refit_seconds(gaussian_mixture_class, data, seed):
    start = time.perf_counter()
    scores = []
    for k in range(2, 11):
        mixture = gaussian_mixture_class(k, covariance_type="full", random_state=seed)
        scores.append(mixture.fit(data).aic(data))
    return time.perf_counter() - start, int(np.argmin(scores)) + 2


def time_refits(teacher, n_windows):
    """Best-of-3 time of both refits on the teacher's last refit windows."""
    tasks_alps = np.column_stack([teacher.tasks_, teacher.alps_])
    ends = [entry["episode"] for entry in teacher.refit_log_][-n_windows:]
    ratios, times = [], {"skmix": [], "sklearn": []}
    for end in ends:
        data = tasks_alps[end - teacher.fit_rate : end]
        for name, cls in [("skmix", GaussianMixture),
                          ("sklearn", SklearnGaussianMixture)]:  # fmt: skip
            best = min(refit_seconds(cls, data, teacher._fit_seed) for _ in range(3))
            times[name].append(best[0])
        ratios.append(times["sklearn"][-1] / times["skmix"][-1])
    return {name: float(np.mean(t)) for name, t in times.items()}, ratios


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--episodes", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seeds, episodes = (2, 3000) if args.quick else (args.seeds, args.episodes)

    # Warm up the Numba kernels so compilation is not timed (fits this small
    # run on NumPy by default; the teachers' larger refits may not).
    GaussianMixture(2, backend="numba").fit(np.random.default_rng(0).random((300, 3)))
    print(f"{episodes} episodes, seeds 0..{seeds - 1}; % cells mastered (mean ± sd)")
    print(f"{'environment':>22} {'teacher':>8} | {'skmix':>13} {'reference':>9} "
          f"{'s/run':>6}")  # fmt: skip
    print("-" * 66)
    last_alp_teacher = {}
    for n_useless in (0, 10):
        label = "2-D 10x10" + (f" +{n_useless} useless" if n_useless else "")
        for name in TEACHERS:
            results = [run(name, n_useless, episodes, seed) for seed in range(seeds)]
            scores = np.array([r[0] for r in results])
            seconds = np.mean([r[1] for r in results])
            print(f"{label:>22} {name:>8} | {scores.mean():6.1f} ± "
                  f"{scores.std(ddof=1):4.1f} {REFERENCE[n_useless, name]:8.1f}% "
                  f"{seconds:6.1f}")  # fmt: skip
            if name == "alp-gmm":
                last_alp_teacher[label] = results[-1][2]

    print("\nrefit (k = 2..10, AIC, 250 rows): mean seconds, sklearn / skmix")
    for label, teacher in last_alp_teacher.items():
        times, ratios = time_refits(teacher, n_windows=10)
        print(f"{label:>22} | sklearn {times['sklearn']:.4f} s  skmix "
              f"{times['skmix']:.4f} s  ratio {np.mean(ratios):.1f}x "
              f"(min {np.min(ratios):.1f}x over {len(ratios)} windows)")  # fmt: skip


if __name__ == "__main__":
    main()
