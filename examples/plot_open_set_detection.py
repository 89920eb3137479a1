"""
Flagging novel inputs with class-conditional mixtures
=====================================================

A production model knows some classes; new kinds of input appear later.
:class:`~skmix.novelty.OpenSetGMMDetector` fits one Gaussian mixture per known
class, classifies known inputs, and flags inputs whose density under the known
classes falls below a threshold set by split-conformal calibration, so that at
most ``alpha`` of normal inputs raise a false alarm. Here digits 0-7 are known
and 8 and 9 appear only at scoring time.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from skmix.novelty import OpenSetGMMDetector

X, y = load_digits(return_X_y=True)
known = y < 8
train, test = train_test_split(
    np.flatnonzero(known), test_size=0.3, stratify=y[known], random_state=0
)
test = np.r_[test, np.flatnonzero(~known)]
pca = PCA(20, random_state=0).fit(X[train])
X_train, X_test = pca.transform(X[train]), pca.transform(X[test])

detector = OpenSetGMMDetector(alpha=0.05, random_state=0).fit(X_train, y[train])
is_novel = ~known[test]
flagged = detector.is_novel(X_test)
print(f"covariances: {detector.class_covariances_} (class-wise or common), "
      f"reg_covar {detector.reg_covar_:.3g}")  # fmt: skip
print(f"false alarms on known digits: {flagged[~is_novel].mean():.3f} (alpha 0.05)")
print(f"novel digits flagged: {flagged[is_novel].mean():.3f}")
print(f"AUROC: {roc_auc_score(is_novel, -detector.score_samples(X_test)):.3f}")
predicted, truth = detector.predict(X_test[~is_novel]), y[test][~is_novel]
accepted = predicted != -1
accuracy = np.mean(predicted[accepted] == truth[accepted])
print(f"accuracy on accepted known digits: {accuracy:.3f}")

# %%
# Left: the novelty score (log-density under the known classes) of known and
# novel test digits, with the conformal threshold ``offset_``: rows below it
# are flagged. Middle: the same as conformal p-values, flagged at ``alpha``.
# Right: the drift statistic of batches into which novel digits are mixed.
scores = detector.score_samples(X_test)
p_values = detector.conformal_p_values(X_test)
fig, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4.2), layout="constrained")
groups = [(~is_novel, "known digits (0-7)"), (is_novel, "novel digits (8, 9)")]
bins = np.linspace(np.percentile(scores, 1), scores.max(), 40)
for rows, label in groups:
    left.hist(np.clip(scores[rows], bins[0], None), bins, alpha=0.6, label=label)
left.axvline(detector.offset_, c="k", ls="--", label="threshold (offset_)")
left.set(xlabel="novelty score: log-density (nats)", ylabel="test digits")
left.set_title("Scores and the conformal threshold")
left.legend(fontsize=8)
p_bins = np.linspace(0, 1, 21)
for rows, label in groups:
    middle.hist(p_values[rows], p_bins, alpha=0.6, label=label)
middle.axvline(detector.alpha, c="k", ls="--", label=f"alpha = {detector.alpha}")
middle.set(xlabel="conformal p-value", ylabel="test digits")
middle.set_title("Conformal p-values")
middle.legend(fontsize=8)
shares = np.linspace(0, 0.5, 11)
rng = np.random.default_rng(0)
statistics = []
for share in shares:
    n_novel = int(share * 200)
    batch = np.r_[
        rng.choice(np.flatnonzero(~is_novel), 200 - n_novel),
        rng.choice(np.flatnonzero(is_novel), n_novel),
    ]
    statistics.append(detector.drift(X_test[batch]).statistic)
right.plot(shares * 100, statistics, "o-")
right.set(xlabel="novel digits in a batch of 200 (%)",
          ylabel="KS statistic vs calibration scores")  # fmt: skip
right.set_title("Drift")

# sphinx_gallery_start_ignore
if "__file__" in globals():  # run as a script: also write the figure to a file
    fig.savefig(__file__.removesuffix(".py") + ".png", dpi=90)
# sphinx_gallery_end_ignore
