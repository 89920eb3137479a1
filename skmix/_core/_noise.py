"""A uniform noise component: its region, its starting rows, its draws.

mclust models clutter as one more mixture component with the constant
density ``1 / V`` (Banfield & Raftery 1993; Fraley & Raftery 2002), ``V``
the data's hypervolume as mclust's ``hypvol`` computes it: the smaller of the
volumes of the bounding box and of the box of the principal-component
scores. The component's weight is estimated by EM like any other; scoring it
needs no kernel of its own (:class:`~skmix._core.UniformNoise`).
"""

from dataclasses import dataclass
from numbers import Real

import numpy as np

#: Nearest neighbour whose distance ranks rows for a noise start.
NOISE_START_NEIGHBOUR = 5
#: Fraction of rows a ``noise=True`` fit starts as noise.
DEFAULT_NOISE_FRACTION = 0.1


@dataclass(frozen=True)
class NoiseRegion:
    """A box, possibly rotated: rows ``centre + u @ rotation.T`` for ``u``
    between `lower` and `upper`.

    Attributes
    ----------
    centre : ndarray of shape (n_features,)
    rotation : ndarray of shape (n_features, n_features)
    lower, upper : ndarray of shape (n_features,)
    """

    centre: np.ndarray
    rotation: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @property
    def log_volume(self):
        with np.errstate(divide="ignore"):
            return float(np.log(self.upper - self.lower).sum())

    def sample(self, n_samples, rng):
        """Uniform draws over the box."""
        u = rng.uniform(self.lower, self.upper, size=(n_samples, self.lower.size))
        return self.centre + u @ self.rotation.T


def hypervolume_region(X):
    """mclust's ``hypvol``: the bounding box or the principal-component box
    of `X`, whichever is smaller.

    Parameters
    ----------
    X : ndarray or dask.array.Array of shape (n_samples, n_features)
        Host or Dask rows (Dask: a few reductions, never the rows, are
        computed).

    Returns
    -------
    NoiseRegion

    Raises
    ------
    ValueError
        Zero volume (a constant feature, or rows on a lower-dimensional set).
    """

    def host(a):
        return np.asarray(a, dtype=np.float64)

    n_features = X.shape[1]
    centre = host(X.mean(axis=0))
    centred = X - centre
    identity = np.eye(n_features)
    boxes = [NoiseRegion(centre, identity, host(centred.min(0)), host(centred.max(0)))]
    if n_features > 1:
        # princomp: eigenvectors of the covariance (divisor n).
        _, vectors = np.linalg.eigh(host(centred.T @ centred) / X.shape[0])
        scores = centred @ vectors
        boxes.append(
            NoiseRegion(centre, vectors, host(scores.min(0)), host(scores.max(0)))
        )
    region = min(boxes, key=lambda box: box.log_volume)
    if not np.isfinite(region.log_volume):
        raise ValueError(
            "A noise component needs data with a positive hypervolume; X has "
            "a constant feature or lies on a lower-dimensional set."
        )
    return region


def outlying_rows(X, fraction):
    """Rows to start a noise component from: the `fraction` of rows farthest
    from their 5th nearest neighbour (the k-nearest-neighbour rule of the
    mclust noise examples)."""
    from sklearn.neighbors import NearestNeighbors

    X = np.asarray(X, dtype=np.float64)
    k = min(NOISE_START_NEIGHBOUR, X.shape[0] - 1)
    distances, _ = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
    return distances[:, k] > np.quantile(distances[:, k], 1.0 - fraction)


def is_noise_mask(noise):
    """Whether `noise` is a per-row mask rather than a switch or a fraction."""
    return not isinstance(noise, bool | np.bool_ | Real) and noise is not None


def _checked_mask(noise, n_rows):
    mask = np.asarray(noise)
    if mask.dtype != bool or mask.shape != (n_rows,):
        raise ValueError(
            "A noise mask must be a boolean array with one entry per row of "
            f"X ({n_rows}); got dtype {mask.dtype} and shape {mask.shape}."
        )
    return mask


def noise_of_kept_rows(noise, n_samples, kept):
    """`noise` for the rows `kept` of the `n_samples` given (None: all kept;
    rows of zero sample weight are dropped): a mask is checked against every
    given row and cut to the kept ones; other values pass unchanged."""
    if not is_noise_mask(noise) or kept is None:
        return noise
    return _checked_mask(noise, n_samples)[kept]


def noise_start_rows(noise, X, n_training_rows):
    """Rows of `X` (the start rows) that start as noise, as a boolean mask."""
    if is_noise_mask(noise):
        mask = _checked_mask(noise, n_training_rows)
        if X.shape[0] != n_training_rows:
            raise ValueError("A noise mask needs X in memory (not Dask).")
    else:
        fraction = DEFAULT_NOISE_FRACTION if noise is True else float(noise)
        mask = outlying_rows(X, fraction)
    if mask.all() or not mask.any():
        raise ValueError(
            "The noise start must mark some rows but not all; it marks "
            f"{int(mask.sum())} of {mask.size}."
        )
    return mask
