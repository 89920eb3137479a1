"""Exact nearest-neighbour search over a growing set of points."""

import numpy as np
from scipy.spatial import cKDTree


class IncrementalNearestNeighbor:
    """Nearest earlier point, for points arriving one at a time.

    Points live in a k-d tree plus a buffer of the most recent ones. A query
    asks the tree and scans the buffer; the tree is rebuilt over everything only
    when the buffer outgrows ``max(min_buffer, n_points // 16)``, so rebuilds
    are geometric (O(log n) of them) and no query rebuilds anything.

    Parameters
    ----------
    n_features : int
    min_buffer : int, default=1024
    """

    def __init__(self, n_features, min_buffer=1024):
        self.n_features = n_features
        self.min_buffer = min_buffer
        self._points = np.empty((64, n_features))
        self._n_points = 0
        self._n_in_tree = 0
        self._tree = None

    def __len__(self):
        return self._n_points

    @property
    def points(self):
        """The points added so far, in order (a view)."""
        return self._points[: self._n_points]

    def add(self, point):
        """Append one point; its index is the number of points before it."""
        if self._n_points == len(self._points):
            grown = np.empty((2 * len(self._points), self.n_features))
            grown[: self._n_points] = self.points
            self._points = grown
        self._points[self._n_points] = point
        self._n_points += 1
        n_buffered = self._n_points - self._n_in_tree
        if n_buffered > max(self.min_buffer, self._n_points // 16):
            self._tree = cKDTree(self.points.copy())
            self._n_in_tree = self._n_points

    def query(self, point):
        """Index and Euclidean distance of the nearest point added so far.

        Ties go to the earliest point.
        """
        if self._n_points == 0:
            raise ValueError("The index is empty.")
        best_index, best_distance = -1, np.inf
        if self._tree is not None:
            best_distance, best_index = self._tree.query(point)
        buffered = self._points[self._n_in_tree : self._n_points]
        if len(buffered):
            distances = np.sqrt(np.sum((buffered - point) ** 2, axis=1))
            nearest = int(np.argmin(distances))
            if distances[nearest] < best_distance:
                best_index, best_distance = (
                    self._n_in_tree + nearest,
                    distances[nearest],
                )
        return int(best_index), float(best_distance)
