"""Stability: population stability index (PSI) / characteristic stability (CSI) with zones,
the ECB Herfindahl index of a grade distribution with its test of an increase, and the
ECB test that migration rates fall away from the diagonal of a migration matrix.

Examples
--------
>>> round(psi([0.10, 0.20, 0.40, 0.20, 0.10], [0.15, 0.25, 0.30, 0.20, 0.10]), 7)
0.0601986
>>> psi_zone(0.0601986)
'stable'
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from riskmodels.calibration.calibrators import check_scores
from riskmodels.calibration.fitting import herfindahl
from riskmodels.errors import DataValidationError, Violation
from riskmodels.migration.stability import migration_z_test

PSI_ZONES = ((0.10, "stable"), (0.25, "moderate shift"), (np.inf, "significant shift"))


def _shares(values, name, eps):
    v = check_scores(values, name, low=0)
    if v.sum() <= 0:
        raise DataValidationError([Violation(name, "sums to 0", "counts or shares with a positive total")])
    s = v / v.sum()
    if eps > 0 and (s == 0).any():
        s = np.maximum(s, eps)
        s = s / s.sum()
    return s


def psi_table(expected, actual, eps: float = 1e-4, labels=None) -> pd.DataFrame:
    """Per-bin PSI terms (a − e)·ln(a / e) of two distributions (counts or shares).

    Parameters
    ----------
    expected, actual : arrays
        Counts or shares per bin (same bins, same order).
    eps : float
        Share given to an empty bin before renormalising (an empty bin would make
        PSI infinite); 0 keeps zeros and then an empty bin on one side gives inf.
    labels : sequence, optional
        Bin labels (index of the table).

    Returns
    -------
    DataFrame
        Columns expected, actual, psi.

    Examples
    --------
    >>> psi_table([1, 1], [1, 3])["psi"].round(4).tolist()
    [0.1733, 0.1014]
    """
    e = _shares(expected, "expected", eps)
    a = _shares(actual, "actual", eps)
    if len(e) != len(a):
        raise DataValidationError([Violation("actual", f"has {len(a)} bins", f"{len(e)} like expected")])
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(e == a, 0.0, (a - e) * np.log(a / e))
    return pd.DataFrame({"expected": e, "actual": a, "psi": terms},
                        index=pd.Index(labels if labels is not None else range(len(e)), name="bin"))


def psi(expected, actual, eps: float = 1e-4) -> float:
    """Population stability index Σ (a − e)·ln(a / e).

    Examples
    --------
    >>> round(psi([0.2] * 5, [0.05, 0.15, 0.20, 0.25, 0.35]), 7)
    0.3174278
    """
    return float(psi_table(expected, actual, eps)["psi"].sum())


def psi_zone(value: float) -> str:
    """"stable" (< 0.1), "moderate shift" (0.1–0.25) or "significant shift" (> 0.25).

    Examples
    --------
    >>> psi_zone(0.3174278)
    'significant shift'
    """
    for limit, name in PSI_ZONES:
        if value < limit:
            return name
    return PSI_ZONES[-1][1]


def csi(expected_values, actual_values, n_bins: int = 10, eps: float = 1e-4) -> pd.DataFrame:
    """Characteristic stability index of one numeric characteristic.

    Bins are the quantiles of the expected (development) values; missing values
    form their own bin. Returns the :func:`psi_table` with the bin edges as labels;
    its ``psi`` column sums to the CSI.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = csi(rng.normal(size=2000), rng.normal(0.5, 1, 2000), n_bins=5)
    >>> bool(t["psi"].sum() > 0.1)
    True
    """
    e = np.asarray(expected_values, dtype=float)
    a = np.asarray(actual_values, dtype=float)
    edges = np.unique(np.nanquantile(e, np.linspace(0, 1, n_bins + 1)[1:-1]))
    def counts(x):
        idx = np.where(np.isnan(x), len(edges) + 1, np.searchsorted(edges, x, side="right"))
        return np.bincount(idx.astype(np.int64), minlength=len(edges) + 2)
    ce, ca = counts(e), counts(a)
    labels = ([f"< {edges[0]:.4g}"] if len(edges) else []) + \
        [f"[{lo:.4g}, {hi:.4g})" for lo, hi in zip(edges[:-1], edges[1:], strict=True)] + \
        ([f">= {edges[-1]:.4g}"] if len(edges) else ["all"]) + ["missing"]
    keep = (ce + ca) > 0
    return psi_table(ce[keep], ca[keep], eps, labels=[lab for lab, k in zip(labels, keep, strict=True) if k])


class HerfindahlTestResult(NamedTuple):
    """The ECB Herfindahl test: coefficients of variation and Herfindahl indices of the grade
    counts, initial and current, the statistic and its one-sided p-value."""

    cv_initial: float
    cv_current: float
    hi_initial: float
    hi_current: float
    statistic: float
    p_value: float


def herfindahl_test(counts_initial, counts_current) -> HerfindahlTestResult:
    """ECB test of an increase in concentration between two grade distributions.

    z = √(K − 1)·(CV_curr − CV_init) / √(CV_curr²·(0.5 + CV_curr²)), p = 1 − Φ(z): a
    small p says the concentration rose significantly (ECB, Instructions for
    reporting the validation results of internal models, 2019, §2.5.5.3).

    Returns
    -------
    HerfindahlTestResult
        cv_initial, cv_current, hi_initial, hi_current, statistic, p_value.

    Examples
    --------
    >>> r = herfindahl_test([100, 200, 300, 250, 150], [50, 150, 400, 300, 100])
    >>> round(r.hi_current, 7), round(r.p_value, 7)
    (0.2200593, 0.1706161)
    """
    ci, hi_i = herfindahl(counts_initial)
    cc, hi_c = herfindahl(counts_current)
    k = len(np.asarray(counts_current))
    if len(np.asarray(counts_initial)) != k:
        raise DataValidationError([Violation("counts_current", f"has {k} grades",
                                             f"{len(np.asarray(counts_initial))} like counts_initial")])
    denom = np.sqrt(cc ** 2 * (0.5 + cc ** 2))
    z = float(np.sqrt(k - 1) * (cc - ci) / denom) if denom > 0 else 0.0
    return HerfindahlTestResult(ci, cc, hi_i, hi_c, z, float(stats.norm.sf(z)))


def migration_stability(counts, labels=None) -> pd.DataFrame:
    """ECB test that migration rates decrease away from the diagonal of a migration matrix.

    For an off-diagonal cell (i, j) the neighbour towards the diagonal is
    k = j − 1 above it and k = j + 1 below it. With p = counts / row total N_i,
    z_ij = (p_ij − p_ik) / σ, σ² = (p_ij(1 − p_ij) + p_ik(1 − p_ik) + 2·p_ij·p_ik) / N_i
    (multinomial covariance −p_ij·p_ik / N_i), and p-value = 1 − Φ(z): a small p
    says the rate rises away from the diagonal, a sign of an unstable rating
    (ECB, Instructions for reporting the validation results of internal models,
    2019, §2.5.5.2; the z-statistics come from
    :func:`riskmodels.migration.migration_z_test`). Cells whose σ is 0 get NaN.

    Parameters
    ----------
    counts : 2-d array
        Obligors migrating from grade i (rows) to grade j (columns), square, best first.
    labels : sequence, optional
        Grade labels.

    Returns
    -------
    DataFrame
        One row per tested cell: from, to, rate, neighbour_rate, z, p_value.

    Examples
    --------
    >>> t = migration_stability([[90, 8, 2], [5, 90, 5], [1, 9, 90]], labels=["A", "B", "C"])
    >>> t[["from", "to"]].values.tolist()
    [['A', 'C'], ['C', 'A']]
    >>> bool(t["p_value"].max() > 0.99)
    True
    """
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2 or c.shape[0] != c.shape[1] or c.shape[0] < 2:
        raise DataValidationError([Violation("counts", f"has shape {c.shape}", "a square matrix, >= 2 grades")])
    z, p_value = migration_z_test(c)  # z there is (near − rate)/σ: the sign is flipped here
    k = c.shape[0]
    names = list(labels) if labels is not None else list(range(k))
    totals = c.sum(axis=1)
    out = []
    for i in np.flatnonzero(totals > 0):
        p = c[i] / totals[i]
        for j in range(k):
            if abs(j - i) < 2:
                continue  # the diagonal and its neighbours have no cell nearer the diagonal to beat
            n = j - 1 if j > i else j + 1
            out.append({"from": names[i], "to": names[j], "rate": p[j], "neighbour_rate": p[n],
                        "z": -z[i, j], "p_value": float(p_value[i, j])})
    return pd.DataFrame(out, columns=["from", "to", "rate", "neighbour_rate", "z", "p_value"])
