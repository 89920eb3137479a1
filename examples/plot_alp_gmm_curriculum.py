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

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from skmix.curriculum import ALPGMMTeacher, GridCompetenceEnv, RandomTeacher  # noqa: E402

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
# Where ALP-GMM sampled, window by window, over the competence it had reached.
fig, axes = plt.subplots(1, len(SNAPSHOTS) + 1, figsize=(16, 4.4))
tasks = alp_teacher.tasks_
start = 0
for ax, end in zip(axes, SNAPSHOTS, strict=False):
    ax.imshow(
        snapshots[end].T, origin="lower", extent=(0, 1, 0, 1), cmap="Greens",
        vmin=0, vmax=100,
    )  # fmt: skip
    window = tasks[max(start, end - 1000) : end]
    ax.plot(window[:, 0], window[:, 1], ".", ms=2, c="C3", alpha=0.5)
    ax.set_title(f"episodes {end - len(window)}-{end}")
    start = end
axes[-1].plot(np.arange(1, len(history["random"]) + 1) * BATCH, history["random"])
axes[-1].plot(np.arange(1, len(history["ALP-GMM"]) + 1) * BATCH, history["ALP-GMM"])
axes[-1].legend(["random", "ALP-GMM"])
axes[-1].set_xlabel("episode")
axes[-1].set_ylabel("% cells mastered")
fig.tight_layout()
if "__file__" in globals():  # run as a script (sphinx-gallery keeps its own copy)
    fig.savefig(Path(__file__).with_suffix(".png"), dpi=90)

# %%
# Each refit picks the number of components by AIC; the log keeps them all.
print("components per refit:", [e["n_components"] for e in alp_teacher.refit_log_])
