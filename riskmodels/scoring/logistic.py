"""Kind "logistic" (riskmodels.models.logistic): WoE bins x coefficients -> PD and points,
for a batch (:func:`logistic_kernel`) and for one record (:func:`logistic_record`)."""

from __future__ import annotations

import math

import numpy as np

from .bins import bin_index, bin_of, binning_plan
from .calibration import expit, expit_one
from .errors import BundleError


# model = {"intercept": a, "base_points": p0, "features": [{"name", "binning": bin_index dict,
#          "woe": [per bin], "coef": b, "points": [per bin], "best_points": max populated points}]}
# eta = a + sum_j b_j * woe_j[bin_j];  PD = expit(eta);  score = p0 + sum_j points_j[bin_j];
# contributions = best_points_j - points_j[bin_j] (points lost against the feature's best attribute).
def feature_tables(feature: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-bin tables of one feature: (b·woe, points, points lost against the best bin).

    >>> [a.tolist() for a in feature_tables({"coef": 2.0, "woe": [0.5, -1.0], "points": [10.0, 30.0],
    ...                                      "best_points": 30.0})]
    [[1.0, -2.0], [10.0, 30.0], [20.0, 0.0]]
    """
    points = np.asarray(feature["points"], dtype=float)
    return (float(feature["coef"]) * np.asarray(feature["woe"], dtype=float), points,
            float(feature["best_points"]) - points)


def logistic_kernel(model: dict, cols: dict, n: int) -> dict:
    """PD, points and points lost per feature of each record (see the model layout above).

    When the records outnumber the combinations of bins four to one, it also returns
    ``"contribution_rows": (table, key)``, the points lost of every combination of bins
    (one row each) and each record's row: ``contributions == table[key]``, so the reason
    codes are picked once per combination (see :func:`~riskmodels.scoring.reasons.top_reasons`).
    """
    features = model["features"]
    eta = np.full(n, float(model["intercept"]))
    points = np.full(n, float(model.get("base_points", 0.0)))
    lost = np.empty((n, len(features)), order="F")  # feature by feature: contiguous columns
    sizes = [len(feature["points"]) for feature in features]
    keyed = bool(features) and math.prod(sizes) <= n // 4
    key = lost_tables = None
    for j, feature in enumerate(features):
        idx = bin_index(feature["binning"], cols[feature["name"]])
        if (idx < 0).any():
            rows = np.flatnonzero(idx < 0)
            raise BundleError(f"field {feature['name']!r}: value with no bin at record(s) "
                              f"{[int(r) for r in rows[:5]]}")
        # per-bin tables first (a few numbers), then one gather each: the same products
        eta_table, point_table, lost_table = feature_tables(feature)
        eta += eta_table[idx]
        points += point_table[idx]
        lost[:, j] = lost_table[idx]
        if keyed:  # the record's combination of bins, the first feature's bin most significant
            if key is None:
                key, lost_tables = idx.astype(np.intp), []
            else:
                key *= sizes[j]
                key += idx
            lost_tables.append(lost_table)
    out = {"raw": expit(eta), "points": points, "contributions": lost,
           "reason_names": [f["name"] for f in features]}
    if keyed:
        digits = np.indices(sizes).reshape(len(sizes), -1)  # row p: the bins whose key is p
        out["contribution_rows"] = (np.column_stack([t[d] for t, d in zip(lost_tables, digits, strict=True)]),
                                    key)
    return out


def logistic_record(content: dict):
    """The one-record twin of :func:`logistic_kernel`, or None when a batch must score the
    bundle (it has a credit-limit rule).

    Returns ``(score, reason names)``: ``score`` maps one record's clean values to ``(raw,
    points, points lost per feature, None, None)`` (see
    :func:`~riskmodels.scoring.scorer.one_record_scorer`), or to None for a value without a bin;
    the same tables and the same additions in the same order as the batch.
    """
    if content.get("credit_limit"):
        return None
    model = content["model"]
    intercept, base = float(model["intercept"]), float(model.get("base_points", 0.0))
    features = [(f["name"], binning_plan(f["binning"]), *(t.tolist() for t in feature_tables(f)))
                for f in model["features"]]

    def score(values: dict):
        eta, points, lost = intercept, base, []
        for name, plan, eta_table, point_table, lost_table in features:
            b = bin_of(plan, values[name])
            if b < 0:
                return None
            eta += eta_table[b]
            points += point_table[b]
            lost.append(lost_table[b])
        return expit_one(eta), points, lost, None, None

    return score, [f["name"] for f in model["features"]]
