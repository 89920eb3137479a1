"""
Trajectory classes with covariates: a mixture of experts
========================================================

Children's mathematics scores grow fast, then slower; how fast, and when the
growth slows, differs between latent groups. A mixture of experts lets
covariates do two jobs (Liu & Perera, 2023): *gating* covariates predict which
class a child belongs to, and *expert* covariates shift growth within a class.

First the class-enumeration workflow of that paper on the 500 children of
ECLS-K (maths, 9 waves, age in months since the first wave): bilinear-spline
growth mixtures with 1 to 4 classes in one table (lcmm's ``summarytable``
with Mplus's tests), the chosen model's summary, and its class trajectories
with confidence bands. Then a simulated study with covariates, where the
gate's effect shows in the class probabilities.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from skmix.datasets import load_ecls_k, make_trajectory_mixture
from skmix.experts import MixtureOfExpertsRegressor
from skmix.model_selection import compare_classes

data = load_ecls_k()
math = data[[f"M{i}" for i in range(1, 10)]].to_numpy()
ages = data[[f"T{i}" for i in range(1, 10)]].to_numpy()
months = ages - ages[:, :1]

growth = MixtureOfExpertsRegressor(
    curve="bilinear_spline",
    gating_features=None,
    expert_features=None,
    n_final=1,  # default 3; compare_classes runs its own starts
    tol=1e-8,
    random_state=0,
)
with warnings.catch_warnings():
    # EM stops where a Newton step would still gain under one unit of
    # log-likelihood, and the Lo-Mendell-Rubin test says so; its likelihood
    # ratios here are 60 to 200.
    warnings.simplefilter("ignore")
    enumeration = compare_classes(
        growth, None, math, n_components=range(1, 5), fit_params={"time": months},
        n_starts=5, blrt=False, random_state=0,
    )  # fmt: skip
columns = ["n_components", "log_likelihood", "n_parameters", "bic", "sabic",
           "entropy", "smallest_class", "n_replicated", "vlmr_p", "lmr_p"]  # fmt: skip
print(enumeration.table[columns].round(4).to_string(index=False))

# %%
# BIC picks three classes; the adjusted LMR test (``lmr_p``) rejects two
# against three. ``n_replicated`` counts the starts that reached the best
# log-likelihood: one start of five is a warning to run more before
# reporting (``n_starts``); the bootstrap LRT (``blrt=True``) adds the
# costliest column.
chosen = enumeration.table.n_components[enumeration.table.bic.idxmin()]
best = enumeration.models[int(chosen)]
print(best.summary(scale="original"))

# %%
# A simulated study with covariates: two gating covariates move children
# between classes, two expert covariates shift their growth.
sim = make_trajectory_mixture(500, random_state=0)
moe = MixtureOfExpertsRegressor(
    2,
    curve="bilinear_spline",
    gating_features=["gc1", "gc2"],
    expert_features=["ex1", "ex2"],
    random_state=0,
).fit(sim.X, sim.y, time=sim.time)
# Classes come ordered by size; align them with the simulation's (knot 3.5
# first) so the gate reads as class 2 against class 1.
moe.reorder_classes(np.argsort(moe.params_.phi[:, 0]))
table = moe.parameter_table(scale="original")
print(table[table.block.isin(["gating", "curve"])].round(3).to_string(index=False))

# %%
# Left: 25 children per ECLS-K class (thin), the class's expected curve
# (thick) with its pointwise 95% confidence band (delta method through the
# growth-factor means and the knot), and the knot (dotted). Middle: the
# simulated classes' curves at the covariate means and with both expert
# covariates one SD lower or higher. Right: the gate, P(class 2) as gc1
# varies with the other covariates at their means.
fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), layout="constrained")
grid = np.linspace(0, months.max(), 100)
classes = best.predict_class_proba(None, math, time=months).argmax(axis=1)
mean_curves, lower, upper = best.class_trajectories(time=grid, level=0.95)
for k, trajectory in enumerate(mean_curves):
    colour = f"C{k}"
    for row in np.flatnonzero(classes == k)[:25]:
        axes[0].plot(months[row], math[row], color=colour, alpha=0.15, lw=0.8)
    axes[0].fill_between(grid, lower[k], upper[k], color=colour, alpha=0.35, lw=0)
    share = best.weights_[k]
    axes[0].plot(
        grid, trajectory, color=colour, lw=2.5, label=f"class {k + 1} ({share:.0%})"
    )
    axes[0].axvline(best.params_.phi[k, 0], color=colour, ls=":")
title = f"ECLS-K: {best.n_components} classes (BIC), 95% bands, knots dotted"
axes[0].set(xlabel="months since first wave", ylabel="maths score (IRT scale)",
            title=title)  # fmt: skip
axes[0].legend()

time = np.arange(10.0)
for k, trajectory in enumerate(moe.class_trajectories(time=time)):
    axes[1].plot(time, trajectory, color=f"C{k}", lw=3, label=f"class {k + 1}")
    for shift in (-1.0, 1.0):
        x = moe.covariate_means_.copy()
        x[2:] += shift  # ex1 and ex2 one SD away
        axes[1].plot(time, moe.class_trajectories(time=time, x=x)[k], color=f"C{k}",
                     ls="--", lw=1)  # fmt: skip
axes[1].plot([], [], "k--", lw=1, label="expert covariates -1 / +1 SD")
axes[1].set(xlabel="time (simulated units)", ylabel="outcome y (simulated units)",
            title="Simulation: class curves and expert effects")  # fmt: skip
axes[1].legend()

values = np.linspace(-2.5, 2.5, 50)
profiles = pd.DataFrame(
    np.tile(moe.covariate_means_, (len(values), 1)), columns=sim.X.columns
)
profiles["gc1"] = values
axes[2].plot(values, moe.predict_class_proba(profiles)[:, 1], label="model")
truth = 1 / (1 + np.exp(-(sim.gating[0, 0] + sim.gating[0, 1] * values)))
axes[2].plot(values, truth, "k:", label="generating")
axes[2].set(xlabel="gating covariate gc1", ylabel="P(class 2)",
            title="Gate: class probability", ylim=(0, 1))  # fmt: skip
axes[2].legend()

# sphinx_gallery_start_ignore
if "__file__" in globals():  # run as a script: also write the figure to a file
    fig.savefig(__file__.removesuffix(".py") + ".png", dpi=90)
# sphinx_gallery_end_ignore
