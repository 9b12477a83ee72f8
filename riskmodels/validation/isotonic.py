"""Weighted isotonic regression: pool-adjacent-violators on a line, Dykstra's projections on a grid.

The one PAV of the package: the cross-tab model's monotone cell rates and the
KMV empirical DD→PD map both use :func:`weighted_pav` (Barlow, Bartholomew,
Bremner & Brunk 1972, *Statistical Inference under Order Restrictions*;
Dykstra 1983 for the alternating projections of :func:`isotonic_grid`).

Examples
--------
>>> weighted_pav(np.array([0.3, 0.1, 0.2]), np.ones(3)).round(4).tolist()
[0.2, 0.2, 0.2]
"""

from __future__ import annotations

import numpy as np

from riskmodels.errors import DataValidationError, Violation


def weighted_pav(values, weights, increasing: bool = True) -> np.ndarray:
    """Weighted pool-adjacent-violators: the weighted least-squares monotone fit.

    Parameters
    ----------
    values : 1-d array.
    weights : non-negative weights (a zero-weight value follows its neighbours).
    increasing : non-decreasing fit if True, non-increasing if False.

    Returns
    -------
    The fitted values (same length).

    Examples
    --------
    >>> n = np.array([100, 200, 300, 200, 100])
    >>> (weighted_pav(np.array([1, 1, 6, 5, 8]) / n, n) * 100).round(4).tolist()
    [0.6667, 0.6667, 2.0, 2.5, 8.0]
    """
    y = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    if y.shape != w.shape or y.ndim != 1:
        raise DataValidationError([Violation("weights", f"shape {w.shape} vs values {y.shape}",
                                             "one weight per value (1-d)")])
    if (w < 0).any():
        raise DataValidationError([Violation("weights", "negative weights", "weights >= 0",
                                             tuple(np.flatnonzero(w < 0)[:5].tolist()), int((w < 0).sum()))])
    sign = 1.0 if increasing else -1.0
    means, wsum, sizes = [], [], []
    for v, wt in zip(sign * y, w, strict=True):
        means.append(v)
        wsum.append(wt)
        sizes.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            w1, w2 = wsum[-2], wsum[-1]
            merged = (w1 * means[-2] + w2 * means[-1]) / (w1 + w2) if w1 + w2 > 0 else (means[-2] + means[-1]) / 2
            means[-2:] = [merged]
            wsum[-2:] = [w1 + w2]
            sizes[-2:] = [sizes[-2] + sizes[-1]]
    return sign * np.repeat(means, sizes)


def pav_along(x: np.ndarray, w: np.ndarray, axis: int, increasing: bool, ordered: int) -> np.ndarray:
    """PAV along one axis of a grid, on the first ``ordered`` positions of every line.

    Examples
    --------
    >>> x = np.array([[0.3, 0.1, 0.2], [0.1, 0.4, 0.2]])
    >>> pav_along(x, np.ones_like(x), axis=1, increasing=True, ordered=3).round(3).tolist()
    [[0.2, 0.2, 0.2], [0.1, 0.3, 0.3]]
    """
    xm, wm = np.moveaxis(x, axis, -1).copy(), np.moveaxis(w, axis, -1)
    lines, weights = xm.reshape(-1, xm.shape[-1]), wm.reshape(-1, wm.shape[-1])
    for line, wt in zip(lines, weights, strict=True):
        line[:ordered] = weighted_pav(line[:ordered], wt[:ordered], increasing)
    return np.moveaxis(lines.reshape(xm.shape), -1, axis)


def isotonic_grid(values, weights, directions, ordered=None, tol: float = 1e-13,
                  max_iter: int = 10_000) -> np.ndarray:
    """Weighted isotonic regression over a grid, monotone along each ordered axis.

    The weighted least-squares projection onto the grid's product order,
    computed by Dykstra's alternating projections, each projection a weighted
    PAV along one axis (exact for one ordered axis; converges to the exact
    projection for several).

    Parameters
    ----------
    values : array with one axis per factor.
    weights : same shape, >= 0.
    directions : per axis "ascending", "descending" or None (not ordered).
    ordered : per axis, how many leading positions are ordered (the regular
        bins; the rest — missing, special — are left free). All by default.
    tol : stop when no value moves more than this in a sweep.
    max_iter : most sweeps.

    Returns
    -------
    Fitted array (same shape).

    Examples
    --------
    >>> v = np.array([[0.01, 0.03], [0.02, 0.02]])
    >>> isotonic_grid(v, np.ones((2, 2)), ["ascending", "ascending"]).round(4).tolist()
    [[0.01, 0.025], [0.02, 0.025]]
    """
    x = np.asarray(values, dtype=float).copy()
    w = np.broadcast_to(np.asarray(weights, dtype=float), x.shape)
    if len(directions) != x.ndim:
        raise DataValidationError([Violation("directions", f"{len(directions)} given", f"{x.ndim} (one per axis)")])
    ordered = list(x.shape) if ordered is None else list(ordered)
    axes = [a for a, d in enumerate(directions) if d is not None and ordered[a] > 1]
    for a in axes:
        if directions[a] not in ("ascending", "descending"):
            raise DataValidationError([Violation("directions", f"{directions[a]!r}", "'ascending', 'descending' or None")])
    if len(axes) == 1:
        a = axes[0]
        return pav_along(x, w, a, directions[a] == "ascending", ordered[a])
    increments = {a: np.zeros_like(x) for a in axes}
    for _ in range(max_iter):
        before = x.copy()
        for a in axes:
            y = x + increments[a]
            x = pav_along(y, w, a, directions[a] == "ascending", ordered[a])
            increments[a] = y - x
        if np.abs(x - before).max() <= tol:
            break
    return x
