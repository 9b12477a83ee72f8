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

    When the records outnumber the combinations of bins four to one, the sums are taken
    once per combination (the same additions in the same order, so the same bits) and read
    by each record's combination; it then also returns ``"contribution_rows": (table, key)``,
    the points lost of every combination (one row each) and each record's row:
    ``contributions == table[key]``, so the reason codes are picked once per combination (see
    :func:`~riskmodels.scoring.reasons.reasons_of`).
    """
    features = model["features"]
    tables = [feature_tables(feature) for feature in features]  # (b·woe, points, lost) per bin
    sizes = [len(point_table) for _, point_table, _ in tables]
    keyed = bool(features) and math.prod(sizes) <= n // 4
    combos = math.prod(sizes) if keyed else n
    eta = np.full(combos, float(model["intercept"]))
    points = np.full(combos, float(model.get("base_points", 0.0)))
    lost = np.empty((combos, len(features)), order="F")  # feature by feature: contiguous columns
    key = None
    # keyed: row p of the sums holds the bins whose key is p, the first feature's most significant
    digits = np.indices(sizes).reshape(len(sizes), -1) if keyed else None
    for j, (feature, (eta_table, point_table, lost_table)) in enumerate(zip(features, tables, strict=True)):
        idx = bin_index(feature["binning"], cols[feature["name"]])
        if (idx < 0).any():
            rows = np.flatnonzero(idx < 0)
            raise BundleError(f"field {feature['name']!r}: value with no bin at record(s) "
                              f"{[int(r) for r in rows[:5]]}")
        if keyed:  # the record's combination of bins
            if key is None:
                key = idx.astype(np.intp)
            else:
                key *= sizes[j]
                key += idx
            idx = digits[j]
        # per-bin tables first (a few numbers), then one gather each: the same products
        eta += eta_table[idx]
        points += point_table[idx]
        lost[:, j] = lost_table[idx]
    raw = expit(eta)
    if not keyed:
        return {"raw": raw, "points": points, "contributions": lost,
                "reason_names": [f["name"] for f in features]}
    return {"raw": raw[key], "points": points[key], "contributions": np.take(lost, key, axis=0),
            "contribution_rows": (lost, key), "reason_names": [f["name"] for f in features]}


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
