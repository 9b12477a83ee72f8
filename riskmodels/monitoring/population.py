"""Population stability of a period against the development sample stored in the bundle.

Score PSI and grade PSI, CSI per characteristic with each bin's contribution,
missing and unknown-category rates against development, mean PD against
development. The PSI itself is :func:`riskmodels.validation.psi_table`; this
module only counts the period's records in the reference bins.

Examples
--------
>>> t = psi_of_counts([10, 20, 40, 20, 10], [15, 25, 30, 20, 10], ["a", "b", "c", "d", "e"])
>>> round(float(t["psi"].sum()), 7)
0.0601986
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodels.monitoring.reference import (
    bin_labels,
    category_counts,
    characteristic_counts,
    number_counts,
)
from riskmodels.validation import psi_table


def psi_of_counts(expected, actual, labels, eps: float = 1e-4) -> pd.DataFrame:
    """PSI table over the bins populated on either side (bins empty on both add nothing).

    Columns: expected_n, actual_n, expected, actual, psi (the bin's contribution).
    """
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    keep = (e + a) > 0
    kept = [lab for lab, k in zip(labels, keep, strict=True) if k]
    table = psi_table(e[keep], a[keep], eps=eps, labels=kept)
    table.insert(0, "actual_n", a[keep].astype(np.int64))
    table.insert(0, "expected_n", e[keep].astype(np.int64))
    return table


def psi_p_value(psi: float, n_expected: int, n_actual: int, bins: int) -> float:
    """Sampling p-value of a PSI when both samples come from one population.

    Under no shift, PSI / (1/n + 1/m) is approximately χ² with B − 1 degrees of freedom
    (Yurdakul & Naranjo 2020, "Statistical properties of the population stability index",
    J. Risk Model Validation 14(4)): the 0.10 / 0.25 rules of thumb ignore the sample sizes,
    this does not. Reported beside the PSI zones (it does not set them: with a million
    records every PSI is "significant").

    Examples
    --------
    >>> round(psi_p_value(0.0677, 999, 1001, 7), 7)
    7.2e-06
    """
    from scipy import stats

    scale = 1.0 / n_expected + 1.0 / n_actual
    return float(stats.chi2.sf(psi / scale, max(int(bins) - 1, 1)))


def psi_critical_value(n_expected: int, n_actual: int, bins: int, alpha: float = 0.05) -> float:
    """The PSI a stable population exceeds with probability ``alpha`` (Yurdakul & Naranjo 2020):
    (1/n + 1/m) · χ²_{B−1, 1−alpha}.

    Examples
    --------
    >>> round(psi_critical_value(999, 1001, 7), 4)
    0.0252
    """
    from scipy import stats

    return float((1.0 / n_expected + 1.0 / n_actual) * stats.chi2.isf(alpha, max(int(bins) - 1, 1)))


def population_stability(reference: dict, result: dict, columns: dict, thresholds) -> dict:
    """Stability measures of one period.

    Parameters
    ----------
    reference : the bundle's reference section.
    result : the period's scores (``pd``, ``grade`` and ``score`` arrays).
    columns : the period's raw input columns (name -> array).
    thresholds : :class:`~riskmodels.monitoring.thresholds.Thresholds`.

    Returns
    -------
    dict
        score_psi, score_table, score_psi_p (:func:`psi_p_value`), grade_psi, grade_table, characteristics (one row
        per input: csi, missing and unknown rates, zones), csi_tables (bin
        contributions per input), mean_pd, mean_pd_reference, mean_pd_change.
    """
    sref = reference["score"]
    values = np.asarray(result[sref["field"]] if result.get(sref["field"]) is not None else result["pd"],
                        dtype=float)
    score_table = psi_of_counts(sref["counts"], number_counts(values, sref["edges"]),
                                bin_labels({"type": "number", "edges": sref["edges"]}))
    gref = reference["grades"]
    grade_now = category_counts(result["grade"], gref["labels"])[:len(gref["labels"])]
    grade_table = psi_of_counts(gref["counts"], grade_now, gref["labels"])
    rows, tables = [], {}
    for name, spec in reference["characteristics"].items():
        counts = characteristic_counts(spec, columns[name]) if name in columns else None
        if counts is None:
            continue
        expected = np.asarray(spec["counts"], dtype=float)
        table = psi_of_counts(expected, counts, bin_labels(spec))
        tables[name] = table
        miss_dev, miss_now = expected[-1] / expected.sum(), counts[-1] / max(counts.sum(), 1)
        unknown = counts[-2] / max(counts.sum(), 1) if spec["type"] == "category" else 0.0
        csi = float(table["psi"].sum())
        change = float(miss_now - miss_dev)
        rows.append({"characteristic": name, "type": spec["type"], "csi": csi,
                     "csi_zone": thresholds.zone("csi", csi),
                     "missing_reference": float(miss_dev), "missing_current": float(miss_now),
                     "missing_change": change, "missing_zone": thresholds.zone("missing_change", abs(change)),
                     "unknown_rate": float(unknown), "unknown_zone": thresholds.zone("unknown_rate", unknown),
                     "top_bin": str(table["psi"].idxmax()) if len(table) else None})
    chars = pd.DataFrame(rows, columns=["characteristic", "type", "csi", "csi_zone", "missing_reference",
                                        "missing_current", "missing_change", "missing_zone", "unknown_rate",
                                        "unknown_zone", "top_bin"]).set_index("characteristic")
    mean_pd = float(np.nanmean(result["pd"]))
    ref_pd = float(reference["mean_pd"])
    change = mean_pd / ref_pd - 1.0 if ref_pd > 0 else np.inf
    score_psi = float(score_table["psi"].sum())
    n_ref, n_now = int(score_table["expected_n"].sum()), int(score_table["actual_n"].sum())
    return {"score_field": sref["field"], "score_psi": score_psi, "score_table": score_table,
            "score_psi_p": psi_p_value(score_psi, n_ref, n_now, len(score_table)),
            "grade_psi": float(grade_table["psi"].sum()), "grade_table": grade_table,
            "characteristics": chars.sort_values("csi", ascending=False), "csi_tables": tables,
            "mean_pd": mean_pd, "mean_pd_reference": ref_pd, "mean_pd_change": float(change)}
