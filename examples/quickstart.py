"""
Quickstart: fit a Gaussian mixture on the fastest backend
=========================================================

Fits :class:`skmix.mixture.GaussianMixture` and scikit-learn's estimator on the
same 200,000 points from the same initialisation, checks that they agree, and
compares their speed. Then selects the number of components by BIC, streams the
data through ``partial_fit``, and draws the fitted components.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

import skmix
from skmix.mixture import GaussianMixture

X, _ = make_blobs(
    n_samples=200_000, centers=4, cluster_std=[0.6, 1.0, 1.5, 0.8], random_state=0
)
X = X @ np.array([[1.0, 0.4], [0.0, 0.7]])  # shear: full covariances needed

# %%
# Same model, same initialisation: the same answer, faster.
common = dict(n_components=4, covariance_type="full", random_state=0, tol=1e-6)
start = time.perf_counter()
reference = SklearnGaussianMixture(**common).fit(X)
sklearn_seconds = time.perf_counter() - start

# Compile the Numba kernels once (a fit this small would run on NumPy by default).
GaussianMixture(**common, backend="numba").fit(X[:1000])
start = time.perf_counter()
model = GaussianMixture(**common).fit(X)
skmix_seconds = time.perf_counter() - start

print(f"backend: {model.backend_} (configured: {skmix.get_config()['backend']})")
print(f"mean log-likelihood  sklearn {reference.score(X):.6f}", end="   ")
print(f"skmix {model.score(X):.6f}")
speedup = sklearn_seconds / skmix_seconds
print(f"fit time  sklearn {sklearn_seconds:.2f} s", end="   ")
print(f"skmix {skmix_seconds:.2f} s   ({speedup:.1f}x)")
assert np.isclose(model.score(X), reference.score(X), rtol=1e-6)

# %%
# Number of components by BIC.
bics = {k: GaussianMixture(k, random_state=0).fit(X).bic(X) for k in range(1, 8)}
best_k = min(bics, key=bics.get)
print("BIC by n_components:", {k: round(v) for k, v in bics.items()}, "-> best", best_k)

# %%
# Streaming: the same model from chunks of 10,000 rows, one pass per epoch.
streamed = GaussianMixture(4, random_state=0)
for _epoch in range(3):
    for chunk in np.array_split(X, 20):
        streamed.partial_fit(chunk)
print(f"streamed mean log-likelihood {streamed.score(X):.6f}")

# %%
# Left: every 20th point, coloured by its most probable component, with each
# component's 2-sigma ellipse. Right: the BIC curve that chose 4 components.
fig, (ax, bic_ax) = plt.subplots(
    1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1.3, 1]}
)
shown = X[::20]
labels = model.predict(shown)
angles = np.linspace(0, 2 * np.pi, 100)
circle = np.stack([np.cos(angles), np.sin(angles)])
for k, (mean, covariance) in enumerate(
    zip(model.means_, model.covariances_, strict=True)
):
    points = shown[labels == k]
    label = f"component {k + 1} (weight {model.weights_[k]:.2f})"
    ax.scatter(points[:, 0], points[:, 1], s=2, color=f"C{k}", label=label)
    ellipse = mean[:, None] + 2 * np.linalg.cholesky(covariance) @ circle
    ax.plot(
        *ellipse, color="black", lw=1.5, label="2-sigma ellipse" if k == 0 else None
    )
ax.set(xlabel="feature 1 (arbitrary units)", ylabel="feature 2 (arbitrary units)")
ax.set_title(f"GaussianMixture, 4 full covariances ({model.backend_} backend)")
ax.legend(markerscale=4, fontsize=8, loc="upper left")

bic_ax.plot(list(bics), list(bics.values()), "o-")
bic_ax.plot(best_k, bics[best_k], "o", ms=12, mfc="none", c="C3", label="lowest BIC")
bic_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
bic_ax.set(xlabel="number of components", ylabel="BIC (lower is better)")
bic_ax.set_title("Choosing the number of components")
bic_ax.legend()
fig.tight_layout()

# sphinx_gallery_start_ignore
# Run as a script (the README's demo), the figure is also written to a file.
if "__file__" in globals():
    output = __file__.removesuffix(".py") + ".png"
    fig.savefig(output, dpi=100)
    print(f"plot written to {output}")
# sphinx_gallery_end_ignore
