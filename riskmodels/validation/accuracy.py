"""Calibration accuracy of PDs against outcomes: Brier (with decomposition), log-loss, ECE,
Spiegelhalter, binned Hosmer–Lemeshow, calibration curve and the traffic-light approach.

Unlike the discrimination measures these accept samples with no defaults or only
defaults (a calibration question still makes sense there).

Examples
--------
>>> y = [0, 0, 0, 0, 1, 0, 0, 1, 0, 1]
>>> p = [0.01, 0.02, 0.03, 0.05, 0.08, 0.10, 0.15, 0.20, 0.30, 0.50]
>>> round(brier(y, p), 5), round(log_loss(y, p), 7)
(0.18628, 0.5564874)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from riskmodels.calibration.calibrators import check_scores
from riskmodels.calibration.grade_tests import (
    HosmerLemeshowResult,
    hosmer_lemeshow,
    vasicek_default_sf,
)
from riskmodels.errors import DataValidationError, ParameterError, Violation


def check_outcomes(y, pd_) -> tuple[np.ndarray, np.ndarray]:
    """Float 0/1 outcomes and PDs in [0, 1] of equal length (one class only is allowed).

    Examples
    --------
    >>> check_outcomes([0, 0], [0.1, 0.2])[0].tolist()
    [0.0, 0.0]
    """
    p = check_scores(pd_, "pd", 0.0, 1.0)
    t = np.asarray(y).ravel()
    if t.dtype.kind not in "biuf":
        raise DataValidationError([Violation("y", f"has dtype {t.dtype}", "0/1 default flags")])
    bad = ~np.isin(t, [0, 1])
    if bad.any():
        raise DataValidationError([Violation("y", "values other than 0/1", "a binary 0/1 target",
                                             tuple(np.flatnonzero(bad)[:5].tolist()), int(bad.sum()))])
    if len(t) != len(p):
        raise DataValidationError([Violation("y", f"has {len(t)} values", f"{len(p)} (one per PD)")])
    return t.astype(float), p


def brier(y, pd_) -> float:
    """Brier score: mean squared difference between PD and outcome.

    Examples
    --------
    >>> brier([0, 1], [0.0, 1.0])
    0.0
    """
    t, p = check_outcomes(y, pd_)
    return float(np.mean((p - t) ** 2))


def bins_of(pd_, n_bins: int = 10, strategy: str = "quantile") -> np.ndarray:
    """Bin index of each PD: "quantile" = equal counts (by rank), "uniform" = equal PD width.

    Examples
    --------
    >>> bins_of([0.1, 0.5, 0.2, 0.9], n_bins=2).tolist()
    [0, 1, 0, 1]
    """
    p = check_scores(pd_, "pd", 0.0, 1.0)
    if n_bins < 1:
        raise ParameterError(f"n_bins must be >= 1, got {n_bins}")
    if strategy == "quantile":
        order = np.argsort(p, kind="stable")
        out = np.empty(len(p), dtype=np.int64)
        for b, chunk in enumerate(np.array_split(order, n_bins)):
            out[chunk] = b
        return out
    if strategy == "uniform":
        return np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    raise ParameterError(f"strategy must be 'quantile' or 'uniform', got {strategy!r}")


def _group(t, p, groups):
    g = np.asarray(groups)
    _, inv = np.unique(g, return_inverse=True)
    n = np.bincount(inv).astype(float)
    return n, np.bincount(inv, weights=p), np.bincount(inv, weights=t)


def brier_decomposition(y, pd_, groups=None) -> dict:
    """Murphy (1973) decomposition: Brier = reliability − resolution + uncertainty (+ within).

    Parameters
    ----------
    y, pd_ : arrays
    groups : array, optional
        Group of each obligor (e.g. its grade); default: its PD value. ``within`` is
        the part of the Brier score from PD variation inside groups (0 when every
        group has one PD), so the four terms always add up to the Brier score.

    Returns
    -------
    dict
        brier, reliability, resolution, uncertainty, within.

    Examples
    --------
    >>> d = brier_decomposition([0, 1, 0, 1], [0.2, 0.2, 0.6, 0.6])
    >>> {k: round(v, 4) for k, v in d.items()}
    {'brier': 0.3, 'reliability': 0.05, 'resolution': 0.0, 'uncertainty': 0.25, 'within': 0.0}
    """
    t, p = check_outcomes(y, pd_)
    n, sp, st = _group(t, p, p if groups is None else groups)
    fbar, obar = sp / n, st / n
    base = t.mean()
    total = float(np.mean((p - t) ** 2))
    rel = float(np.sum(n * (fbar - obar) ** 2) / len(t))
    res = float(np.sum(n * (obar - base) ** 2) / len(t))
    unc = float(base * (1 - base))
    return {"brier": total, "reliability": rel, "resolution": res, "uncertainty": unc,
            "within": total - (rel - res + unc)}


def log_loss(y, pd_, eps: float = 1e-15) -> float:
    """Mean negative log-likelihood; PDs are clipped to [eps, 1 − eps] so 0 and 1 stay finite.

    Examples
    --------
    >>> round(log_loss([0, 1], [0.5, 0.5]), 6)
    0.693147
    """
    t, p = check_outcomes(y, pd_)
    q = np.clip(p, eps, 1 - eps)
    return float(-np.mean(t * np.log(q) + (1 - t) * np.log1p(-q)))


def ece(y, pd_, n_bins: int = 10, strategy: str = "quantile") -> float:
    """Expected calibration error: Σ (n_b / N)·|default rate_b − mean PD_b| over bins.

    Examples
    --------
    >>> y = [0, 0, 0, 0, 1, 0, 0, 1, 0, 1]
    >>> p = [0.01, 0.02, 0.03, 0.05, 0.08, 0.10, 0.15, 0.20, 0.30, 0.50]
    >>> round(ece(y, p, n_bins=5), 6)
    0.178
    """
    t, p = check_outcomes(y, pd_)
    n, sp, st = _group(t, p, bins_of(p, n_bins, strategy))
    return float(np.sum(np.abs(st - sp)) / len(t))


class SpiegelhalterResult(NamedTuple):
    """A Spiegelhalter test: the z statistic and its two-sided p-value."""

    z: float
    p_value: float


def spiegelhalter(y, pd_) -> SpiegelhalterResult:
    """Spiegelhalter (1986) z-test of calibration: Σ (y − p)(1 − 2p) / √Σ (1 − 2p)² p (1 − p).

    Returns
    -------
    SpiegelhalterResult
        ``z`` and the two-sided ``p_value``.

    Examples
    --------
    >>> y = [0, 0, 0, 0, 1, 0, 0, 1, 0, 1]
    >>> p = [0.01, 0.02, 0.03, 0.05, 0.08, 0.10, 0.15, 0.20, 0.30, 0.50]
    >>> round(spiegelhalter(y, p).z, 7)
    1.419291
    """
    t, p = check_outcomes(y, pd_)
    var = np.sum((1 - 2 * p) ** 2 * p * (1 - p))
    if var <= 0:
        raise DataValidationError([Violation("pd", "every PD is 0, ½ or 1",
                                             "some PDs strictly between 0 and 1 other than ½")])
    z = float(np.sum((t - p) * (1 - 2 * p)) / np.sqrt(var))
    return SpiegelhalterResult(z, float(2 * stats.norm.sf(abs(z))))


def hosmer_lemeshow_test(y, pd_, n_bins: int = 10, strategy: str = "quantile",
                         df="G-2") -> HosmerLemeshowResult:
    """Hosmer–Lemeshow test on obligor data, PDs binned (equal counts by default).

    Returns
    -------
    HosmerLemeshowResult
        ``statistic``, ``p_value``, ``df`` (:func:`riskmodels.calibration.hosmer_lemeshow` on
        the bins).

    Examples
    --------
    >>> y = [0, 0, 0, 0, 1, 0, 0, 1, 0, 1]
    >>> p = [0.01, 0.02, 0.03, 0.05, 0.08, 0.10, 0.15, 0.20, 0.30, 0.50]
    >>> round(hosmer_lemeshow_test(y, p, n_bins=5).statistic, 6)
    5.765333
    """
    t, p = check_outcomes(y, pd_)
    n, sp, st = _group(t, p, bins_of(p, n_bins, strategy))
    return hosmer_lemeshow(sp / n, n, st, df=df)


def calibration_curve(y, pd_, n_bins: int = 10, strategy: str = "quantile",
                      level: float = 0.95) -> pd.DataFrame:
    """Observed default rate against mean PD per bin, with Jeffreys intervals.

    Returns
    -------
    DataFrame
        Columns n, mean_pd, default_rate, lower, upper (one row per non-empty bin).

    Examples
    --------
    >>> calibration_curve([0, 1, 0, 1], [0.1, 0.2, 0.6, 0.7], n_bins=2)["default_rate"].tolist()
    [0.5, 0.5]
    """
    t, p = check_outcomes(y, pd_)
    n, sp, st = _group(t, p, bins_of(p, n_bins, strategy))
    lower, upper = jeffreys_interval(st, n, level)
    return pd.DataFrame({"n": n.astype(int), "mean_pd": sp / n, "default_rate": st / n,
                         "lower": lower, "upper": upper})


def jeffreys_interval(defaults, n, level: float = 0.95):
    """Equal-tailed Jeffreys interval of a default rate (Brown, Cai & DasGupta 2001).

    The lower end is 0 when there are no defaults and the upper end 1 when all default;
    both are NaN for a group with no observations.

    Examples
    --------
    >>> [round(float(v), 4) for v in jeffreys_interval(0, 100)]
    [0.0, 0.0248]
    >>> lo, hi = jeffreys_interval([0, 5], [10, 10])
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.0, 0.2235], [0.2172, 0.7765])
    """
    d = np.asarray(defaults, dtype=float)
    nn = np.asarray(n, dtype=float)
    a = (1 - level) / 2
    with np.errstate(invalid="ignore"):
        lo = np.where(d > 0, stats.beta.ppf(a, d + 0.5, nn - d + 0.5), 0.0)
        hi = np.where(d < nn, stats.beta.ppf(1 - a, d + 0.5, nn - d + 0.5), 1.0)
    empty = nn <= 0
    return np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)


def traffic_light(pd_, n, defaults, rho=0.0, levels=(0.95, 0.999)):
    """Traffic-light zone of observed defaults: green, yellow or red.

    With ``cdf = P(X <= D)`` under the PD, a grade is green when cdf < levels[0],
    red when cdf >= levels[1] and yellow in between (Tasche 2003, "A traffic lights
    approach to PD validation"; the Basel Committee's 1996 back-testing framework
    uses the same rule with levels 0.95 and 0.9999). The zones start at the 95 % and
    99.9 % quantiles of the default count, but zero defaults are always green: in a
    small grade with a tiny PD, P(X <= 0) alone can exceed 95 %, and no defaults
    cannot signal an underestimated PD. ``rho`` > 0 uses the Vasicek
    one-factor default-count distribution with that asset correlation, which widens
    the zones; one ``rho`` per grade may be given (e.g. Basel's, which falls with the PD).
    Grades with no obligors get None.

    Returns
    -------
    DataFrame
        Columns pd, n, defaults, cdf, zone.

    Examples
    --------
    >>> traffic_light(0.01, 250, [4, 5, 9, 10])["zone"].tolist()
    ['green', 'yellow', 'red', 'red']
    >>> traffic_light(0.01, 250, [4, 5, 9, 10], levels=(0.95, 0.9999))["zone"].tolist()
    ['green', 'yellow', 'yellow', 'red']
    >>> traffic_light(0.0005, 2, [0, 1])["zone"].tolist()
    ['green', 'red']
    >>> traffic_light(0.02, 1000, [36, 36], rho=[0.0, 0.12])["zone"].tolist()
    ['red', 'green']
    """
    p = np.atleast_1d(np.asarray(pd_, dtype=float))
    nn = np.atleast_1d(np.asarray(n, dtype=float))
    d = np.atleast_1d(np.asarray(defaults, dtype=float))
    r = np.atleast_1d(np.asarray(rho, dtype=float))
    p, nn, d, r = np.broadcast_arrays(p, nn, d, r)
    check_scores(p, "pd", 0.0, 1.0)
    check_scores(nn, "n", 0.0)
    check_scores(d, "defaults", 0.0)
    if not ((r >= 0) & (r < 1)).all():
        raise ParameterError([Violation("rho", f"is {rho}", "an asset correlation in [0, 1)")])
    if not 0 < levels[0] < levels[1] < 1:
        raise ParameterError([Violation("levels", f"are {levels}", "0 < yellow < red < 1")])
    over = d > nn
    if over.any():
        raise DataValidationError([Violation("defaults", "more defaults than obligors", "defaults <= n",
                                             tuple(np.flatnonzero(over)[:5].tolist()), int(over.sum()))])
    cdf = np.full(len(p), np.nan)
    for i in range(len(p)):
        if nn[i] > 0:
            cdf[i] = 1.0 - float(vasicek_default_sf(d[i] + 1, int(nn[i]), p[i], float(r[i])))
    zone = [None if np.isnan(c) else "green" if (c < levels[0] or k == 0) else
            "yellow" if c < levels[1] else "red" for c, k in zip(cdf, d, strict=True)]
    return pd.DataFrame({"pd": p, "n": nn.astype(int), "defaults": d.astype(int), "cdf": cdf,
                         "zone": pd.Series(zone, dtype=object)})
