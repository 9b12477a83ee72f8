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

from riskmodels.calibration import MasterScale, grade_table, hosmer_lemeshow
from riskmodels.validation import auc_change_test, auc_ci, jeffreys_interval, traffic_light

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


def backtest(pd_, y, scale: dict, thresholds, *, reference_auc: float | None = None,
             alternative: str = "greater") -> dict:
    """Per-grade and portfolio back-test of mature outcomes.

    Parameters
    ----------
    pd_ : PDs of the mature records.
    y : their default flags within the horizon.
    scale : the bundle's master-scale section.
    thresholds : :class:`~riskmodels.monitoring.thresholds.Thresholds`.
    reference_auc : development AUC (the ECB test of a drop needs it).
    alternative : of the binomial and Jeffreys tests ("greater": PD underestimated).

    Returns
    -------
    dict
        grades (table per grade: n, defaults, default_rate, mean_pd, binomial_p,
        jeffreys_p, lower/upper Jeffreys interval, cdf, traffic light zone),
        portfolio binomial p, Hosmer–Lemeshow, AUC/Gini with DeLong CI, AUC drop test.
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
           "jeffreys_p": float(table.loc["all", "jeffreys_p"])}
    stat, hl_p, dof = hosmer_lemeshow(grades["tested_pd"], grades["n"], grades["defaults"], df="G")
    out["hosmer_lemeshow"] = {"statistic": stat, "p_value": hl_p, "df": dof}
    n_def = int(t.sum())
    if n_def >= 2 and len(t) - n_def >= 2:
        r = auc_ci(t, p)
        out["auc"] = {"auc": r.auc, "gini": r.gini, "se": r.se, "lower": r.lower, "upper": r.upper}
        if reference_auc is not None:
            out["auc_drop"] = auc_change_test(reference_auc, t, p)
    return out
