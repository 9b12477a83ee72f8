"""Calibration tests on grade aggregates (PD, N, defaults) and Vasicek one-factor helpers.

All functions take array-likes of equal length (one entry per grade) or scalars.

Edge cases, by design:

- a grade with no obligors (N = 0) has no test: its p-value is NaN and it is left
  out of Hosmer–Lemeshow (and of its degrees of freedom);
- PD = 0 with defaults gives p = 0 (impossible under H0), PD = 1 gives p = 1 for
  the binomial and Jeffreys tests; in Hosmer–Lemeshow a grade with PD of 0 or 1
  adds 0 when its defaults equal N·PD and makes the statistic infinite otherwise;
- all defaults (D = N) or none (D = 0) are ordinary inputs.

Examples
--------
>>> round(binomial_test(0.01, 1000, 16), 6)
0.047871
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
from scipy import stats

from riskmodels.errors import DataValidationError, ParameterError, Violation


def _grade_arrays(pd, n, defaults):
    p = np.atleast_1d(np.asarray(pd, dtype=float))
    nn = np.atleast_1d(np.asarray(n, dtype=float))
    d = np.atleast_1d(np.asarray(defaults, dtype=float))
    try:
        p, nn, d = np.broadcast_arrays(p, nn, d)
    except ValueError:
        raise DataValidationError([Violation("pd/n/defaults", f"lengths {len(p)}, {len(nn)}, {len(d)}",
                                             "equal lengths")]) from None
    checks = [
        ("pd", ~((p >= 0) & (p <= 1)), "PDs in [0, 1]"),
        ("n", ~((nn >= 0) & (nn == np.round(nn))), "whole numbers >= 0"),
        ("defaults", ~((d >= 0) & (d == np.round(d))), "whole numbers >= 0"),
        ("defaults", d > nn, "defaults <= n"),
    ]
    found = [Violation(col, "rule broken", rule, tuple(np.flatnonzero(bad)[:5].tolist()), int(bad.sum()))
             for col, bad, rule in checks if bad.any()]
    if found:
        raise DataValidationError(found, context="grade aggregates")
    return p, nn, d


def _scalar_if(x, like):
    return x.item() if np.ndim(like) == 0 else x


def _p_value(upper, lower, alternative: str):
    """The p-value for H1 "PD underestimated" (upper tail), "overestimated" (lower) or both."""
    if alternative == "greater":
        return upper
    if alternative == "less":
        return lower
    if alternative == "two-sided":
        return np.minimum(1.0, 2 * np.minimum(upper, lower))
    raise ParameterError(f"alternative must be 'greater', 'less' or 'two-sided', got {alternative!r}")


def binomial_test(pd, n, defaults, alternative: str = "greater"):
    """Exact binomial test of a grade's PD against its observed defaults.

    Parameters
    ----------
    pd : float or array
        PD of the grade (midpoint or mean PD) under H0.
    n : int or array
        Obligors in the grade.
    defaults : int or array
        Observed defaults.
    alternative : {"greater", "less", "two-sided"}
        "greater" (default, the supervisory question: is the PD underestimated?)
        gives P(X >= D); "less" gives P(X <= D); "two-sided" doubles the smaller tail (capped at 1).

    Returns
    -------
    float or ndarray
        p-values (NaN where n = 0).

    Examples
    --------
    >>> binomial_test([0.10, 0.15, 0.20], [401, 489, 110], [36, 73, 23]).round(6).tolist()
    [0.775347, 0.537039, 0.443273]
    """
    p, nn, d = _grade_arrays(pd, n, defaults)
    out = _p_value(stats.binom.sf(d - 1, nn, p), stats.binom.cdf(d, nn, p), alternative)
    return _scalar_if(np.where(nn == 0, np.nan, out), pd if np.ndim(pd) else n)


def jeffreys_test(pd, n, defaults, alternative: str = "greater"):
    """Jeffreys test (ECB 2019 instructions §2.5.3.1): p = BetaCDF(PD; D + ½, N − D + ½).

    A small p says the observed default rate is too high for the PD: the
    posterior of the default rate under the Jeffreys prior Beta(½, ½) puts little
    mass below the PD.

    Parameters
    ----------
    pd, n, defaults : float/int or arrays
        PD under H0, obligors, defaults per grade.
    alternative : {"greater", "less", "two-sided"}
        "greater" (default) is the ECB test; "less" is 1 − that (PD too high);
        "two-sided" doubles the smaller of the two (capped at 1).

    Returns
    -------
    float or ndarray
        p-values (NaN where n = 0).

    Examples
    --------
    >>> jeffreys_test([0.10, 0.15, 0.20], [401, 489, 110], [36, 73, 23]).round(6).tolist()
    [0.748739, 0.511781, 0.397158]
    """
    p, nn, d = _grade_arrays(pd, n, defaults)
    cdf = stats.beta.cdf(p, d + 0.5, nn - d + 0.5)
    out = _p_value(cdf, 1.0 - cdf, alternative)
    return _scalar_if(np.where(nn == 0, np.nan, out), pd if np.ndim(pd) else n)


class HosmerLemeshowResult(NamedTuple):
    """A Hosmer–Lemeshow test: the statistic, its χ² p-value and degrees of freedom (it unpacks
    as ``stat, p, df``)."""

    statistic: float
    p_value: float
    df: int


def hosmer_lemeshow(pd, n, defaults, df="G-2") -> HosmerLemeshowResult:
    """Hosmer–Lemeshow statistic over grades: Σ (D − N·PD)² / (N·PD·(1 − PD)).

    Parameters
    ----------
    pd, n, defaults : arrays
        One entry per grade (or per PD bin).
    df : {"G-2", "G"} or int
        Degrees of freedom: G − 2 (in-sample, the original test), G (out-of-sample
        validation of a fixed model) or an explicit number. G counts grades with N > 0.

    Returns
    -------
    HosmerLemeshowResult
        ``statistic``, ``p_value``, ``df``.

    Examples
    --------
    >>> hl = hosmer_lemeshow([0.10, 0.15, 0.20], [401, 489, 110], [36, 73, 23])
    >>> round(hl.statistic, 6), round(hl.p_value, 6), hl.df
    (0.524563, 0.468902, 1)
    """
    p, nn, d = _grade_arrays(pd, n, defaults)
    keep = nn > 0
    p, nn, d = p[keep], nn[keep], d[keep]
    expected = nn * p
    var = expected * (1 - p)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(var > 0, (d - expected) ** 2 / var, np.where(d == expected, 0.0, np.inf))
    stat = float(terms.sum())
    g = int(keep.sum())
    dof = {"G-2": g - 2, "G": g}.get(df, df) if isinstance(df, str) else int(df)
    if not isinstance(dof, int) or dof < 1:
        raise ParameterError(f"df must be 'G', 'G-2' or a positive int and leave >= 1 degree of freedom "
                         f"({g} non-empty grades), got {df!r}")
    return HosmerLemeshowResult(stat, float(stats.chi2.sf(stat, dof)), dof)


def basel_asset_correlation(pd):
    """Basel II IRB corporate asset correlation ρ(PD) (BCBS 2006, para. 272, no size adjustment).

    ρ = 0.12·w + 0.24·(1 − w), w = (1 − e^(−50·PD)) / (1 − e^(−50)).

    Examples
    --------
    >>> round(basel_asset_correlation(0.01), 6)
    0.192784
    """
    p = np.asarray(pd, dtype=float)
    w = (1 - np.exp(-50 * p)) / (1 - np.exp(-50))
    return _scalar_if(0.12 * w + 0.24 * (1 - w), pd)


def vasicek_cdf(x, pd, rho):
    """CDF of the portfolio default (loss) fraction in the Vasicek one-factor model.

    F(x) = Φ((√(1−ρ)·Φ⁻¹(x) − Φ⁻¹(PD)) / √ρ).

    Examples
    --------
    >>> round(vasicek_cdf(0.01, 0.02, 0.15), 7)
    0.4070816
    """
    x = np.asarray(x, dtype=float)
    out = stats.norm.cdf((np.sqrt(1 - rho) * stats.norm.ppf(x) - stats.norm.ppf(pd)) / np.sqrt(rho))
    return _scalar_if(out, x)


def vasicek_quantile(q, pd, rho):
    """Quantile of the default fraction: Φ((Φ⁻¹(PD) + √ρ·Φ⁻¹(q)) / √(1−ρ)) (the IRB formula).

    Examples
    --------
    >>> round(vasicek_quantile(0.999, 0.02, 0.15), 7)
    0.1763289
    """
    q = np.asarray(q, dtype=float)
    out = stats.norm.cdf((stats.norm.ppf(pd) + np.sqrt(rho) * stats.norm.ppf(q)) / np.sqrt(1 - rho))
    return _scalar_if(out, q)


@lru_cache(maxsize=8)
def hermite_nodes(n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Hermite nodes of the standard normal and their weights (summing to 1), computed once
    per ``n_nodes`` (read-only arrays).

    Examples
    --------
    >>> nodes, weights = hermite_nodes(3)
    >>> nodes.round(4).tolist(), weights.round(4).tolist(), hermite_nodes(3)[0] is nodes
    ([-1.7321, 0.0, 1.7321], [0.1667, 0.6667, 0.1667], True)
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_nodes)
    weights = weights / weights.sum()
    nodes.flags.writeable = weights.flags.writeable = False
    return nodes, weights


def vasicek_default_sf(defaults, n, pd, rho, n_nodes: int = 64):
    """P(X >= D) for the default count of N obligors with asset correlation ρ.

    Conditional on the factor z, defaults are binomial with
    PD(z) = Φ((Φ⁻¹(PD) − √ρ·z)/√(1−ρ)); the factor is integrated out with
    Gauss–Hermite quadrature (``n_nodes`` nodes). ρ = 0 is the plain binomial.

    Examples
    --------
    >>> round(float(vasicek_default_sf(16, 1000, 0.01, 0.0)), 6)
    0.047871
    >>> round(float(vasicek_default_sf(16, 1000, 0.01, 0.05)), 4)
    0.1775
    """
    d = np.asarray(defaults, dtype=float)
    if rho == 0:
        return stats.binom.sf(d - 1, n, pd)
    nodes, weights = hermite_nodes(n_nodes)
    cond = stats.norm.cdf((stats.norm.ppf(pd) - np.sqrt(rho) * nodes) / np.sqrt(1 - rho))
    sf = stats.binom.sf(np.expand_dims(d, -1) - 1, n, cond)
    return np.clip(sf @ weights, 0.0, 1.0)
