"""
A curriculum that follows the learning frontier: ALP-GMM
=========================================================

On the toy environment of Portelas et al. (2019) a cell of the task space
can only be learned once a neighbouring cell closer to the origin is mastered.
A uniform teacher wastes most episodes on cells that are still locked (or
already mastered); :class:`~skmix.curriculum.ALPGMMTeacher` fits Gaussian
mixtures over ``[task, absolute learning progress]`` and samples where progress
is being made, so its sampling density moves outward with the frontier.
"""

import matplotlib.pyplot as plt
import numpy as np

from skmix.curriculum import ALPGMMTeacher, GridCompetenceEnv, RandomTeacher

N_EPISODES, BATCH, SNAPSHOTS = 8000, 10, (2000, 5000, 8000)

# %%
# Train both teachers, recording the environment's score and a competence
# snapshot along the way.
history, snapshots = {}, {}
for name, teacher_class in [("random", RandomTeacher), ("ALP-GMM", ALPGMMTeacher)]:
    env = GridCompetenceEnv(n_cells=10, n_dims=2)
    teacher = teacher_class(env.low, env.high, random_state=0)
    scores = []
    for episode in range(BATCH, N_EPISODES + 1, BATCH):
        tasks = teacher.ask(BATCH)
        teacher.tell(tasks, env.run(tasks))
        scores.append(env.score())
        if name == "ALP-GMM" and episode in SNAPSHOTS:
            snapshots[episode] = env.competence.copy()
    history[name] = np.array(scores)
    print(f"{name:>8}: {scores[-1]:.0f}% of cells mastered after {N_EPISODES} episodes")
alp_teacher = teacher

# %%
# Where ALP-GMM sampled, window by window. Green: the competence each cell of
# the 10 x 10 task grid had reached at the end of the window (a cell unlocks
# its outer neighbours at 75%). Red dots: the tasks ALP-GMM asked for in the
# last 1,000 episodes of the window: the dense cloud follows the frontier
# outward, the scattered dots are the 20% of tasks drawn uniformly
# (``random_task_ratio``) to keep exploring.
fig, axes = plt.subplots(
    1, len(SNAPSHOTS) + 1, figsize=(17, 4.4), layout="constrained",
    gridspec_kw={"width_ratios": [1] * len(SNAPSHOTS) + [1.3]},
)  # fmt: skip
tasks = alp_teacher.tasks_
for ax, end in zip(axes, SNAPSHOTS, strict=False):
    image = ax.imshow(
        snapshots[end].T, origin="lower", extent=(0, 1, 0, 1), cmap="Greens",
        vmin=0, vmax=100,
    )  # fmt: skip
    window = tasks[max(0, end - 1000) : end]
    ax.plot(window[:, 0], window[:, 1], ".", ms=2, c="C3", alpha=0.5,
            label="task sampled by ALP-GMM")  # fmt: skip
    ax.set(xlabel="task parameter 1", ylabel="task parameter 2")
    ax.set_title(f"episodes {end - len(window)}-{end}")
axes[0].legend(loc="upper right", fontsize=8, markerscale=5)
fig.colorbar(image, ax=axes[: len(SNAPSHOTS)], label="cell competence (%)",
             shrink=0.9)  # fmt: skip
for name in ("random", "ALP-GMM"):
    episodes = np.arange(1, len(history[name]) + 1) * BATCH
    axes[-1].plot(episodes, history[name], label=f"{name} teacher")
axes[-1].legend()
axes[-1].set(xlabel="episode", ylabel="cells mastered (%)")
axes[-1].set_ylim(bottom=0)
axes[-1].set_title("Learning curve")

# sphinx_gallery_start_ignore
if "__file__" in globals():  # run as a script: also write the figure to a file
    fig.savefig(__file__.removesuffix(".py") + ".png", dpi=90)
# sphinx_gallery_end_ignore

# %%
# Each refit picks the number of components by AIC; the log keeps them all.
print("components per refit:", [e["n_components"] for e in alp_teacher.refit_log_])
