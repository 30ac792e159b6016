"""Display binning of dense series: means of consecutive groups, for figures only.

A figure costs the same for 100 or 10 000 points when long series are drawn as at most a few
hundred group means (issue 17); every point stays in the data files. One grouping serves
every quantity of a series (time, data, fit, errors), so they stay aligned.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def group_edges(n: int, n_max: int) -> np.ndarray | None:
    """Edges of at most ``n_max`` groups of consecutive points, or None when ``n`` fits.

    >>> group_edges(10, 4).tolist(), group_edges(4, 4)
    ([0, 2, 5, 8, 10], None)
    """
    if n <= n_max:
        return None
    return np.linspace(0, n, n_max + 1).round().astype(int)


def group_sum(v: Any, edges: np.ndarray | None, axis: int = 0) -> np.ndarray:
    """Sum of each group of consecutive values along ``axis`` (``v`` itself without groups)."""
    v = np.asarray(v, dtype=float)
    return v if edges is None else np.add.reduceat(v, edges[:-1], axis=axis)


def group_mean(v: Any, edges: np.ndarray | None, axis: int = 0) -> np.ndarray:
    """Mean of each group of consecutive values along ``axis`` (``v`` itself without groups).

    >>> group_mean(np.arange(6.0), group_edges(6, 3)).tolist()
    [0.5, 2.5, 4.5]
    """
    v = np.asarray(v, dtype=float)
    if edges is None:
        return v
    shape = [1] * v.ndim
    shape[axis] = edges.size - 1
    return group_sum(v, edges, axis) / np.diff(edges).reshape(shape)


def group_mean_err(err: Any, edges: np.ndarray | None) -> np.ndarray:
    """Standard error of each group mean of independent values: ``sqrt(sum err^2) / n``."""
    err = np.asarray(err, dtype=float)
    if edges is None:
        return err
    return np.sqrt(group_sum(err**2, edges)) / np.diff(edges)


def bin_series(
    t: Any, y: Any, err: Any = None, n_max: int = 150
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``t``, ``y`` (and ``err``) as means of at most ``n_max`` groups of consecutive points.

    The error of a group mean is ``sqrt(sum err^2) / n``. Short series come back unchanged.

    >>> t, y, e = bin_series(np.arange(10.0), np.arange(10.0), np.ones(10), n_max=5)
    >>> t.tolist(), y.tolist(), np.round(e, 3).tolist()
    ([0.5, 2.5, 4.5, 6.5, 8.5], [0.5, 2.5, 4.5, 6.5, 8.5], [0.707, 0.707, 0.707, 0.707, 0.707])
    """
    t = np.asarray(t, dtype=float)
    edges = group_edges(t.size, n_max)
    if edges is None:
        return t, np.asarray(y, dtype=float), err
    eb = None if err is None else group_mean_err(err, edges)
    return group_mean(t, edges), group_mean(y, edges), eb
