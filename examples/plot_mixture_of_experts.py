"""
Trajectory classes with covariates: a mixture of experts
========================================================

Children's mathematics scores grow fast, then slower; how fast, and when the
growth slows, differs between latent groups. A mixture of experts lets
covariates do two jobs (Liu & Perera, 2023): *gating* covariates predict which
class a child belongs to, and *expert* covariates shift growth within a class.

First the 500 children of ECLS-K (maths, 9 waves, age in months since the
first wave): bilinear-spline growth mixtures with 1-3 classes, compared by BIC,
as in the OpenMx analyses of these data. Then a simulated study with
covariates, where the gate's effect shows in the class probabilities.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from skmix.datasets import load_ecls_k, make_trajectory_mixture
from skmix.experts import MixtureOfExpertsRegressor

data = load_ecls_k()
math = data[[f"M{i}" for i in range(1, 10)]].to_numpy()
ages = data[[f"T{i}" for i in range(1, 10)]].to_numpy()
months = ages - ages[:, :1]

fits = {}
for n_classes in (1, 2, 3):
    fits[n_classes] = MixtureOfExpertsRegressor(
        n_classes,
        curve="bilinear_spline",
        gating_features=None,
        expert_features=None,
        n_final=1,  # default 3: more starts run to convergence, to check replication
        random_state=0,
    ).fit(None, math, time=months)
    model = fits[n_classes]
    print(
        f"{n_classes} class(es): -2LL {-2 * model.log_likelihood_:.2f}, "
        f"{model.n_parameters_} parameters, BIC {model.bic_:.1f}, "
        f"entropy {model.entropy_:.2f}"
    )

best = fits[min(fits, key=lambda k: fits[k].bic_)]
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
# Left: 25 children per ECLS-K class (thin), the class's mean curve (thick),
# the band holding the middle 80% of its children's scores at each wave, and
# the knot (dotted). Middle: the simulated classes' curves at the covariate
# means and with both expert covariates one SD lower or higher. Right: the
# gate, P(class 2) as gc1 varies with the other covariates at their means.
fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), layout="constrained")
grid = np.linspace(0, months.max(), 100)
classes = best.predict_class_proba(None, math, time=months).argmax(axis=1)
for k, trajectory in enumerate(best.class_trajectories(time=grid)):
    colour = f"C{k}"
    for row in np.flatnonzero(classes == k)[:25]:
        axes[0].plot(months[row], math[row], color=colour, alpha=0.15, lw=0.8)
    members = classes == k
    wave_months = np.nanmean(months[members], axis=0)
    low, high = np.nanpercentile(math[members], [10, 90], axis=0)
    axes[0].fill_between(wave_months, low, high, color=colour, alpha=0.15, lw=0)
    share = best.weights_[k]
    axes[0].plot(
        grid, trajectory, color=colour, lw=3, label=f"class {k + 1} ({share:.0%})"
    )
    axes[0].axvline(best.params_.phi[k, 0], color=colour, ls=":")
title = f"ECLS-K: {best.n_components} classes (BIC), knots dotted"
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
