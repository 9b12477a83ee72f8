"""Back-testing a period's PDs as outcomes mature: per grade, discrimination, vintages.

An outcome is *mature* when its observation date plus the horizon (12 months by
default) lies on or before the as-of date; only mature records are back-tested,
and a record counts as a default when it defaulted within the horizon. The
tests are the validation package's: :func:`riskmodels.calibration.grade_table`
(binomial and Jeffreys per grade), :func:`riskmodels.validation.traffic_light`,
:func:`riskmodels.calibration.hosmer_lemeshow`, :func:`riskmodels.validation.auc_ci`
(DeLong) and :func:`riskmodels.validation.auc_change_test` (ECB drop test).

Examples
--------
>>> obs = pd.to_datetime(["2024-01-31", "2024-01-31", "2024-02-29"])
>>> dflt = pd.to_datetime(["2024-04-15", None, None])
>>> vintage_curves(obs, dflt, as_of=pd.Timestamp("2024-06-30"), horizon_months=6).round(2).iloc[:, :4]
months_since    1    2    3    4
cohort
2024-01       0.0  0.0  0.5  0.5
2024-02       0.0  0.0  0.0  0.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from riskmodels.calibration import MasterScale, grade_table, hosmer_lemeshow
from riskmodels.validation import auc_ci, jeffreys_interval, traffic_light

DAYS_PER_MONTH = 365.25 / 12


def months_between(start, end) -> np.ndarray:
    """Whole months from start to end, rounded up (a default 10 days after observation is month 1).

    Examples
    --------
    >>> months_between(pd.to_datetime(["2024-01-31"]), pd.to_datetime(["2024-03-01"])).tolist()
    [1.0]
    """
    days = (pd.DatetimeIndex(end) - pd.DatetimeIndex(start)).days.to_numpy(dtype=float)
    return np.ceil(days / DAYS_PER_MONTH)


def vintage_curves(observation_dates, default_dates, as_of, horizon_months: int = 12) -> pd.DataFrame:
    """Cumulative default rate of each monthly cohort by months since observation.

    Rows: cohorts (observation month); columns: months 1..horizon; a cell is NaN
    until the cohort's latest observation is that many months old on ``as_of``.
    """
    obs = pd.DatetimeIndex(observation_dates)
    dflt = pd.DatetimeIndex(default_dates)
    since = months_between(obs, dflt)  # NaN without a default
    cohort = obs.to_period("M")
    months = np.arange(1, horizon_months + 1)
    out = {}
    for c in sorted(cohort.unique()):
        mask = np.asarray(cohort == c)
        age = months_between([obs[mask].max()], [pd.Timestamp(as_of)])[0]
        s = since[mask]
        rates = [(np.sum(s <= m) / mask.sum()) if m <= age else np.nan for m in months]
        out[str(c)] = rates
    frame = pd.DataFrame.from_dict(out, orient="index", columns=months)
    frame.index.name, frame.columns.name = "cohort", "months_since"
    return frame


def auc_drop_test(auc_initial: float, se_initial: float, y, score) -> dict:
    """One-sided test of a drop in AUC since initial validation, with the variance of both AUCs.

    S = (AUC_initial − AUC_current) / sqrt(s_initial² + s_current²), p = 1 − Φ(S). The
    statistic is the ECB's (Instructions for reporting the validation results of internal
    models, 2019, §2.5.4.1) when ``se_initial`` is 0; the initial AUC was estimated on an
    independent sample, so its DeLong variance adds to the current one (Hanley & McNeil
    1983, Radiology 148, eq. 1 for independent samples).

    Parameters
    ----------
    auc_initial, se_initial : the AUC at initial validation and its standard error.
    y, score : the current period's default flags and PDs (higher = riskier).

    Returns
    -------
    dict
        auc_initial, se_initial, auc_current, se_current, se (of the difference),
        statistic, p_value.

    Examples
    --------
    >>> y, s = [0, 0, 1, 0, 1, 1, 0, 1], [0.1, 0.2, 0.3, 0.35, 0.5, 0.6, 0.7, 0.9]
    >>> round(auc_drop_test(0.95, 0.0, y, s)["p_value"], 4)  # the ECB test: current SE only
    0.1636
    >>> r = auc_drop_test(0.95, 0.05, y, s)
    >>> round(r["se"], 4), round(r["statistic"], 4)
    (0.2101, 0.9517)
    """
    current = auc_ci(y, score)
    drop = float(auc_initial) - current.auc
    se = float(np.hypot(se_initial, current.se))
    if se > 0:
        stat = drop / se
    else:  # a perfect (or perfectly inverted) ranking on both samples: no sampling error
        stat = 0.0 if drop == 0 else np.inf * np.sign(drop)
    return {"auc_initial": float(auc_initial), "se_initial": float(se_initial), "auc_current": current.auc,
            "se_current": current.se, "se": se, "statistic": float(stat), "p_value": float(stats.norm.sf(stat))}


def pooled_grades(n, defaults, pd_, min_expected: float = 5.0) -> pd.DataFrame:
    """Adjacent grades pooled, in scale order, until each group expects ``min_expected`` defaults.

    The χ² approximation of Hosmer–Lemeshow needs expected counts of about 5 or more
    (Hosmer, Lemeshow & Sturdivant 2013, §5.2.2); a top grade expecting 0.07
    defaults would otherwise weigh a single default 14-fold. A remainder that
    falls short joins the last group. The group's PD is its mean PD.

    Returns
    -------
    DataFrame
        One row per group: grades ("AAA+AA"), n, defaults, pd.

    Examples
    --------
    >>> n = pd.Series([100, 200, 400, 50], index=["AAA", "AA", "A", "B"])
    >>> pooled_grades(n, [0, 1, 5, 8], [0.001, 0.01, 0.02, 0.2], 5).round(5)
         grades    n  defaults       pd
    0  AAA+AA+A  700         6  0.01443
    1         B   50         8  0.20000
    """
    nn = np.asarray(n, dtype=float)
    d = np.asarray(defaults, dtype=float)
    p = np.asarray(pd_, dtype=float)
    names = [str(v) for v in (n.index if isinstance(n, pd.Series) else range(len(nn)))]
    groups, start, expected = [], 0, 0.0
    for i in range(len(nn)):
        expected += nn[i] * p[i]
        if expected >= min_expected:
            groups.append((start, i + 1))
            start, expected = i + 1, 0.0
    if start < len(nn):
        groups[-1:] = [(groups[-1][0] if groups else start, len(nn))]
    rows = [{"grades": "+".join(names[a:b]), "n": int(nn[a:b].sum()), "defaults": int(d[a:b].sum()),
             "pd": float((nn[a:b] * p[a:b]).sum() / nn[a:b].sum())} for a, b in groups]
    return pd.DataFrame(rows, columns=["grades", "n", "defaults", "pd"])


def worst_grade(grades: pd.DataFrame, bounds=(0.05, 0.001), correction: str = "bonferroni") -> dict:
    """The scale's zone from its grades' one-sided binomial tests, corrected for their number.

    Each grade's p-value is P(X >= D) for X ~ Binomial(n, PD) (the PD under-estimated);
    with k tested grades and ``correction="bonferroni"`` the smallest is compared with
    bounds / k, so a scale whose PDs are all right reads amber with probability <= 5 % and
    red <= 0.1 % whatever its number of grades (Bonferroni's inequality; Holm's step-down
    rejects the same smallest p). The per-grade traffic lights (Tasche 2003) stay in the
    grade table; they are not corrected: with the Basel convention (zone of P(X <= D)) one
    default in a grade of PD 0.04 % and 60 obligors is already red, which a correct
    PD gives 2.6 % of the time.

    Parameters
    ----------
    grades : the back-test's grade table (columns binomial_p, n).
    bounds : (amber, red) family-wise levels.
    correction : "bonferroni" or "none".

    Returns
    -------
    dict
        zone, grade (with the smallest p), p_value, k, level_amber, level_red (per grade).

    Examples
    --------
    >>> g = pd.DataFrame({"n": [100, 300, 50], "binomial_p": [0.2, 5e-4, 0.9]}, index=["A", "B", "C"])
    >>> r = worst_grade(g)
    >>> r["grade"], r["zone"], round(r["level_red"], 6)  # 5e-4 > 0.001 / 3
    ('B', 'amber', 0.000333)
    >>> worst_grade(g, correction="none")["zone"]
    'red'
    """
    tested = grades[grades["n"] > 0]
    k = len(tested)
    m = max(k, 1) if correction == "bonferroni" else 1
    amber, red = bounds[0] / m, bounds[1] / m
    if k == 0:
        return {"zone": None, "grade": None, "p_value": None, "k": 0, "level_amber": amber, "level_red": red}
    p = tested["binomial_p"].astype(float)
    name = p.idxmin()
    value = float(p.min())
    zone = "red" if value < red else "amber" if value < amber else "green"
    return {"zone": zone, "grade": str(name), "p_value": value, "k": k, "level_amber": amber, "level_red": red}


def backtest(pd_, y, scale: dict, thresholds, *, reference_auc: float | None = None,
             reference_auc_se: float = 0.0, alternative: str = "greater") -> dict:
    """Per-grade and portfolio back-test of mature outcomes.

    Parameters
    ----------
    pd_ : PDs of the mature records.
    y : their default flags within the horizon.
    scale : the bundle's master-scale section.
    thresholds : :class:`~riskmodels.monitoring.thresholds.Thresholds`.
    reference_auc : the AUC at initial validation (the test of a drop needs it).
    reference_auc_se : its standard error (0: the ECB test, the initial AUC taken as exact).
    alternative : of the binomial and Jeffreys tests ("greater": PD underestimated).

    Returns
    -------
    dict
        grades (table per grade: n, defaults, default_rate, mean_pd, binomial_p,
        jeffreys_p, lower/upper Jeffreys interval, cdf, traffic light zone), the scale's
        zone from its grades' corrected binomial tests (worst_grade), portfolio binomial p,
        Hosmer–Lemeshow over pooled grades (with the pooled table), AUC/Gini with DeLong CI,
        AUC drop test.
    """
    p = np.asarray(pd_, dtype=float)
    t = np.asarray(y, dtype=float)
    table = grade_table(p, t, MasterScale.from_bundle(scale), reference="mean", alternative=alternative)
    grades = table.drop(index="all")
    grades = grades[grades["n"] > 0].copy()
    light = traffic_light(grades["tested_pd"].to_numpy(), grades["n"].to_numpy(), grades["defaults"].to_numpy(),
                          levels=thresholds.traffic_light_levels)
    grades["cdf"] = light["cdf"].to_numpy()
    grades["zone"] = [{"yellow": "amber"}.get(z, z) for z in light["zone"]]
    lower, upper = jeffreys_interval(grades["defaults"].to_numpy(), grades["n"].to_numpy())
    grades["lower"], grades["upper"] = lower, upper
    out = {"n": int(len(t)), "defaults": int(t.sum()), "default_rate": float(t.mean()),
           "mean_pd": float(p.mean()), "grades": grades,
           "binomial_p": float(table.loc["all", "binomial_p"]),
           "jeffreys_p": float(table.loc["all", "jeffreys_p"]),
           "worst_grade": worst_grade(grades, thresholds.grade_binomial_p, thresholds.multiple_testing)}
    pooled = pooled_grades(grades["n"], grades["defaults"], grades["tested_pd"], thresholds.hl_min_expected)
    stat, hl_p, dof = hosmer_lemeshow(pooled["pd"], pooled["n"], pooled["defaults"], df="G")
    out["hosmer_lemeshow"] = {"statistic": stat, "p_value": hl_p, "df": dof, "groups": pooled}
    n_def = int(t.sum())
    if n_def >= 2 and len(t) - n_def >= 2:
        r = auc_ci(t, p)
        out["auc"] = {"auc": r.auc, "gini": r.gini, "se": r.se, "lower": r.lower, "upper": r.upper}
        if reference_auc is not None:
            out["auc_drop"] = auc_drop_test(reference_auc, reference_auc_se, t, p)
    return out
