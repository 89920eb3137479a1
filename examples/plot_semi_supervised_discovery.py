"""
Discovering novel classes in partially labelled data
====================================================

Two classes are known and half of their rows are labelled; the unlabelled
rows also hold an unknown number of novel classes.
:class:`~skmix.semi_supervised.SemiSupervisedGMM` pins labelled rows to their
class and lets novel components split and merge, accepted by a
Normal-Inverse-Wishart Hastings ratio, until the number of classes settles.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from skmix.metrics import gcd_accuracy
from skmix.semi_supervised import SemiSupervisedGMM

rng = np.random.default_rng(0)
centres = np.array([[0, 0], [7, 0], [0, 7], [7, 7], [3.5, 12], [11, 11]])
X = np.vstack([rng.normal(c, [0.9, 0.6], (150, 2)) for c in centres])
y = np.repeat(np.arange(len(centres)), 150)
labelled = (y < 2) & (rng.random(y.size) < 0.5)
y_partial = np.where(labelled, y, -1)

model = SemiSupervisedGMM(random_state=0).fit(X, y_partial)
accuracy = gcd_accuracy(y[~labelled], model.predict(X[~labelled]), y[~labelled] < 2)
print(f"novel classes found: {model.n_novel_classes_} (true: 4)")
print(f"unlabelled accuracy: all {accuracy.all:.3f}, old {accuracy.old:.3f}, "
      f"new {accuracy.new:.3f}")  # fmt: skip

# %%
# Left: every row coloured by its predicted class; the labelled rows (two
# known classes) are drawn larger with a black outline. Right: the number of
# components after each split/merge round.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
prediction = model.predict(X)
for k, label in enumerate(model.classes_):
    rows = ~labelled & (prediction == label)
    kind = "known" if label < 2 else "novel"
    left.scatter(*X[rows].T, s=6, color=f"C{k}", label=f"class {label} ({kind})")
for label in (0, 1):
    rows = labelled & (y == label)
    left.scatter(*X[rows].T, s=30, color=f"C{label}", edgecolor="k", lw=0.5)
handles, names = left.get_legend_handles_labels()
handles.append(Line2D([], [], ls="", marker="o", ms=6, mfc="0.8", mec="k", mew=0.5))
names.append("labelled row (outlined)")
left.legend(handles, names, fontsize=8, loc="center right")
left.set(xlabel="feature 1 (arbitrary units)", ylabel="feature 2 (arbitrary units)")
left.set_title("Predicted classes of all rows")

sizes = [r["n_components_after"] for r in model.split_merge_history_]
rounds = np.arange(1, len(sizes) + 1)
right.plot(rounds, sizes, "o-", drawstyle="steps-mid", label="fitted components")
right.axhline(len(centres), ls="--", c="0.5", label="true number of classes")
right.xaxis.set_major_locator(MaxNLocator(integer=True))
right.yaxis.set_major_locator(MaxNLocator(integer=True))
right.set(xlabel="split/merge round", ylabel="number of components")
right.set_title("Split/merge search")
right.legend()
fig.tight_layout()

# sphinx_gallery_start_ignore
if "__file__" in globals():  # run as a script: also write the figure to a file
    fig.savefig(__file__.removesuffix(".py") + ".png", dpi=90)
# sphinx_gallery_end_ignore
