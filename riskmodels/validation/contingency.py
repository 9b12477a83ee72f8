"""Tests on contingency tables and binomial rates: χ²/G² independence, Fisher's exact, Wilson interval.

The Jeffreys interval is :func:`riskmodels.validation.accuracy.jeffreys_interval`.

Examples
--------
>>> chi2_g2_test([[10, 10], [10, 10]]).chi2
0.0
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats

from riskmodels.errors import DataValidationError, ParameterError, Violation


class IndependenceTestResult(NamedTuple):
    """Pearson χ² and likelihood-ratio G² tests of independence of one table."""

    chi2: float
    g2: float
    df: int
    p_chi2: float
    p_g2: float
    min_expected: float


class FisherExactResult(NamedTuple):
    """Fisher's exact test of a 2 × 2 table (it unpacks as ``odds, p``)."""

    odds_ratio: float
    p_value: float


def chi2_g2_test(table) -> IndependenceTestResult:
    """Pearson χ² and likelihood-ratio G² tests of independence of an r × c table.

    No continuity correction. Rows and columns with no observations are dropped
    before the degrees of freedom (r − 1)(c − 1) are counted.

    Parameters
    ----------
    table : r × c counts.

    Returns
    -------
    IndependenceTestResult
        chi2, g2, df, p_chi2, p_g2, min_expected.

    Examples
    --------
    >>> t = chi2_g2_test([[4, 5], [12, 74]])  # Zelterman (2006)
    >>> round(t.chi2, 6), round(t.g2, 6), t.df
    (5.408285, 4.26736, 1)
    """
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or (t < 0).any() or not np.isfinite(t).all():
        raise DataValidationError([Violation("table", "not a 2-d table of non-negative counts", "counts >= 0")])
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    r, c = t.shape
    if r < 2 or c < 2:
        return IndependenceTestResult(0.0, 0.0, 0, 1.0, 1.0, float("nan"))
    expected = np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()
    chi2 = float(((t - expected) ** 2 / expected).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        g2 = float(2 * np.where(t > 0, t * np.log(t / expected), 0.0).sum())
    df = (r - 1) * (c - 1)
    return IndependenceTestResult(chi2, g2, df, float(stats.chi2.sf(chi2, df)), float(stats.chi2.sf(g2, df)),
                                  float(expected.min()))


def fisher_exact_2x2(table, alternative: str = "two-sided") -> FisherExactResult:
    """Fisher's exact test of a 2 × 2 table: (sample odds ratio, p-value).

    The two-sided p sums the hypergeometric probabilities of all tables with
    the same margins that are no more likely than the observed one.

    Parameters
    ----------
    table : [[a, b], [c, d]] counts.
    alternative : "two-sided", "greater" (odds ratio > 1) or "less".

    Returns
    -------
    FisherExactResult
        ``odds_ratio`` (the sample odds ratio) and ``p_value``.

    Raises
    ------
    ParameterError : an unknown ``alternative``.

    Examples
    --------
    >>> round(fisher_exact_2x2([[3, 1], [1, 3]], "greater").p_value, 4)  # Fisher's tea tasting
    0.2429
    """
    if alternative not in ("two-sided", "greater", "less"):
        raise ParameterError([Violation("alternative", f"is {alternative!r}", "'two-sided', 'greater' or 'less'")],
                             "fisher_exact_2x2")
    t = np.asarray(table, dtype=np.int64)
    if t.shape != (2, 2) or (t < 0).any():
        raise DataValidationError([Violation("table", f"shape {t.shape}", "a 2 × 2 table of counts >= 0")])
    (a, b), (c, d) = t
    row1, col1, total = a + b, a + c, t.sum()
    lo, hi = max(0, col1 - (total - row1)), min(row1, col1)
    support = np.arange(lo, hi + 1)
    pmf = stats.hypergeom.pmf(support, total, row1, col1)
    observed = pmf[a - lo]
    if alternative == "two-sided":
        p = pmf[pmf <= observed * (1 + 1e-7)].sum()
    elif alternative == "greater":
        p = pmf[support >= a].sum()
    else:
        p = pmf[support <= a].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = float(a * d / (b * c)) if b * c > 0 else (float("inf") if a * d > 0 else float("nan"))
    return FisherExactResult(odds, float(min(1.0, p)))


def wilson_interval(defaults, counts, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial rates (NaN for n = 0).

    Examples
    --------
    >>> lo, hi = wilson_interval([81, 0], [263, 20])  # Newcombe (1998), Table II
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.2553, 0.0], [0.3662, 0.1611])
    """
    d, n = np.asarray(defaults, dtype=float), np.asarray(counts, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = d / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
