"""Stability statistics of a migration matrix, after the ECB validation reporting instructions.

ECB (2019), "Instructions for reporting the validation results of internal
models", §2.5.5: the matrix weighted bandwidth (upper and lower MWB, how far
obligors move up or down relative to the largest possible move) and the
z-test that migration rates fall away from the diagonal.

Examples
--------
>>> counts = np.array([[8, 2, 0], [1, 7, 2], [0, 0, 5]])
>>> [round(v, 4) for v in matrix_weighted_bandwidth(counts)]
[1.0, 0.6667]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from riskmodels.errors import DataValidationError, Violation


def _counts(counts) -> np.ndarray:
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise DataValidationError([Violation("counts", f"has shape {c.shape}", "a square count matrix")])
    if (c < 0).any() or not np.isfinite(c).all():
        rows = np.flatnonzero(((c < 0) | ~np.isfinite(c)).any(axis=1))
        raise DataValidationError([Violation("counts", "negative or non-finite counts", "counts >= 0",
                                             tuple(rows[:5].tolist()), len(rows))])
    return c


class MatrixBandwidth(NamedTuple):
    """Lower and upper matrix weighted bandwidth (it unpacks as ``lower, upper``)."""

    lower: float
    upper: float


class MigrationZTest(NamedTuple):
    """The ECB z-test per cell of a migration matrix: K × K statistics and one-sided p-values
    (it unpacks as ``z, p``)."""

    z: np.ndarray
    p_value: np.ndarray


def matrix_weighted_bandwidth(counts) -> MatrixBandwidth:
    """Lower and upper matrix weighted bandwidth (ECB 2019, §2.5.5.1).

    MWB_U = Σ_{i<j} (j − i) n_ij / Σ_i max(i − 1, K − i) Σ_{j>i} n_ij, and MWB_L the
    same below the diagonal; 0 = moves of one grade only, 1 = moves to the
    farthest grade. NaN when no obligor moves in that direction.

    Parameters
    ----------
    counts : K × K counts, rows = grade at the start, columns = grade at the end.

    Returns
    -------
    MatrixBandwidth
        ``lower``, ``upper``.

    Examples
    --------
    >>> matrix_weighted_bandwidth([[5, 0, 1], [0, 5, 0], [1, 0, 5]])
    MatrixBandwidth(lower=1.0, upper=1.0)
    """
    c = _counts(counts)
    k = len(c)
    i, j = np.indices(c.shape)
    reach = np.maximum(np.arange(k), k - 1 - np.arange(k)).astype(float)
    out = []
    for mask in (i > j, i < j):
        moved = np.where(mask, c, 0.0)
        denom = float((reach * moved.sum(axis=1)).sum())
        out.append(float((np.abs(i - j) * moved).sum() / denom) if denom > 0 else float("nan"))
    return MatrixBandwidth(out[0], out[1])


def migration_z_test(counts) -> MigrationZTest:
    """z-statistics that migration rates fall away from the diagonal (ECB 2019, §2.5.5.2).

    For a cell above the diagonal (j > i) its rate is compared with its
    neighbour nearer the diagonal, p_i,j−1; below the diagonal with p_i,j+1:
    z_ij = (p_near − p_ij) / sqrt((p_ij(1 − p_ij) + p_near(1 − p_near) + 2 p_ij p_near) / N_i).
    The one-sided p-value Φ(z_ij) is small when cell (i, j) holds significantly
    *more* obligors than its nearer neighbour (a break of the expected pattern).

    Parameters
    ----------
    counts : K × K counts.

    Returns
    -------
    MigrationZTest
        ``z``, ``p_value``: K × K arrays, NaN on the diagonal, in empty rows and where both
        rates are 0.

    Examples
    --------
    >>> z, p = migration_z_test([[80, 5, 15], [10, 80, 10], [0, 0, 100]])
    >>> round(float(z[0, 2]), 4), round(float(p[0, 2]), 4)
    (-2.2942, 0.0109)
    """
    c = _counts(counts)
    k = len(c)
    n = c.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = c / n[:, None]
    z = np.full((k, k), np.nan)
    for i in range(k):
        if n[i] == 0:
            continue
        for j in range(k):
            if j == i:
                continue
            near = j - 1 if j > i else j + 1
            a, b = p[i, j], p[i, near]
            var = (a * (1 - a) + b * (1 - b) + 2 * a * b) / n[i]
            if var > 0:
                z[i, j] = (b - a) / np.sqrt(var)
    return MigrationZTest(z, stats.norm.cdf(z))


def stability_table(counts, grades=None, alpha: float = 0.05) -> pd.DataFrame:
    """Per-grade stability statistics of a cohort count matrix.

    Columns: ``n`` (obligors starting in the grade), ``stay``, ``upgrade``,
    ``downgrade``, ``move_2plus`` (share moving two grades or more),
    ``mwb_lower``, ``mwb_upper`` (the row's weighted bandwidths, ECB §2.5.5.1) and
    ``z_breaks`` (cells of the row whose z-test rejects at ``alpha``, ECB §2.5.5.2).
    Grades are ordered best → worst, so an upgrade is a move to a lower index.

    Examples
    --------
    >>> t = stability_table([[8, 2, 0], [1, 7, 2], [0, 0, 5]], ["A", "B", "D"])
    >>> t.loc["B", ["n", "stay", "upgrade", "downgrade"]].tolist()
    [10.0, 0.7, 0.1, 0.2]
    """
    c = _counts(counts)
    k = len(c)
    grades = list(grades) if grades is not None else list(range(k))
    n = c.sum(axis=1)
    i, j = np.indices(c.shape)
    z, pval = migration_z_test(c)
    rows = []
    for r in range(k):
        share = c[r] / n[r] if n[r] > 0 else np.full(k, np.nan)
        single = np.zeros_like(c)
        single[r] = c[r]
        lower, upper = matrix_weighted_bandwidth(single)
        rows.append({
            "n": n[r], "stay": share[r], "upgrade": share[:r].sum() if n[r] else np.nan,
            "downgrade": share[r + 1:].sum() if n[r] else np.nan,
            "move_2plus": share[np.abs(np.arange(k) - r) >= 2].sum() if n[r] else np.nan,
            "mwb_lower": lower, "mwb_upper": upper,
            "z_breaks": int(np.sum(pval[r] < alpha)),
        })
    out = pd.DataFrame(rows, index=pd.Index(grades, name="grade"))
    total_lower, total_upper = matrix_weighted_bandwidth(c)
    out.attrs["mwb"] = {"lower": total_lower, "upper": total_upper}
    out.attrs["z_breaks"] = int(np.sum(pval < alpha)) if np.isfinite(z).any() else 0
    return out
