"""Kind "expert" (riskmodels.scorecards): a compiled expert card -> 0..100 score and the
card's own grade, for a batch (:func:`expert_kernel`) and for one record
(:func:`expert_record`)."""

from __future__ import annotations

import bisect
import math
import operator

import numpy as np

from .calibration import interp_one
from .inputs import lookup_labels
from .limits import np_min

# The compiled spec (riskmodels.scorecards.spec.compile_spec) is plain data:
# {"indicators": [{"name", "aspect", "kind": "interp"|"steps"|"categorical"|"deduction",
#   "inputs": [cols], "weights": [year weights], "max_points", "missing_points": p|None, "x"/"y" |
#   "thresholds"/"values" | "table" (+ "base_input", "full", "deduct" for a deduction),
#   "by_industry": {"column", "curves": {industry: {"x", "y"}}} (optional)}],
#  "aspects": [{"name", "weight"}],
#  "grades": [best..worst], "lower_bounds": [descending score thresholds, one per score band],
#  "caps": [{"name", "indicator": i|None, "input": col|None, "op", "value", "grade": i}],
#  "adjustment": {"input", "min", "max"} | None,
#  "default": {"input": col, "grade": i} | None (obligors in default get grade i whatever the score),
#  "max_total": 100}
# The kernel's "points" and "raw" are the score (caps never change it); "policy_grade" is the
# card's grade (bands, then caps, then the default definition): the grade the policy acts on.
# The cap comparisons, for a column of floats (numpy's ufuncs through the operators) and for one
# float alike; a NaN compares False, except for "!=".
_CAP_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
            "==": operator.eq, "!=": operator.ne}


def _expert_value(ind: dict, cols: dict, n: int) -> np.ndarray:
    """An indicator's input: one column, or the year-weighted mean of several.

    Missing years are left out and the remaining weights renormalised.
    """
    if ind["kind"] == "categorical":
        return cols[ind["inputs"][0]]
    if len(ind["inputs"]) == 1:
        return np.asarray(cols[ind["inputs"][0]], dtype=float)
    xs = [np.asarray(cols[name], dtype=float) for name in ind["inputs"]]
    full = sum(w * x for w, x in zip(ind["weights"], xs, strict=True))
    gaps = np.isnan(full)
    if not gaps.any():
        return full
    # only records with a missing year take the renormalised mean: a record's value never
    # depends on the other records of the batch
    acc = np.zeros(int(gaps.sum()))
    wsum = np.zeros_like(acc)
    for x, w in zip(xs, ind["weights"], strict=True):
        x = x[gaps]
        seen = ~np.isnan(x)
        acc += np.where(seen, x, 0.0) * w
        wsum += seen * w
    with np.errstate(invalid="ignore", divide="ignore"):
        full[gaps] = acc / wsum
    return full


def _expert_points(ind: dict, value: np.ndarray) -> np.ndarray:
    if ind["kind"] == "interp":
        return np.interp(value, np.asarray(ind["x"], dtype=float), np.asarray(ind["y"], dtype=float))
    if ind["kind"] == "steps":
        idx = np.searchsorted(np.asarray(ind["thresholds"], dtype=float), value, side="right")
        out = np.asarray(ind["values"], dtype=float)[idx]
        return np.where(np.isnan(value), np.nan, out)
    # once per category (codes) or per record; missing (None/NaN) and unknown answers give NaN
    return lookup_labels(ind["table"], value, math.nan, float)


def expert_grade_index(lower_bounds, score: np.ndarray) -> np.ndarray:
    """Index (0 = best) of the grade band of each score; bands are [lower, next lower).

    >>> expert_grade_index([90, 80, 0], np.array([95.0, 90.0, 89.9, -1.0])).tolist()
    [0, 0, 1, 2]
    """
    lb = np.asarray(lower_bounds, dtype=float)
    idx = np.searchsorted(-lb, -np.asarray(score, dtype=float), side="left")
    return np.minimum(idx, len(lb) - 1)


def score_ceilings(lower_bounds) -> list:
    """The highest score each grade band admits (the first band: inf), as floats.

    The limit reads the score, but a capped firm's score counts at most just below its
    capped grade's band (a cap limits what the grade gives; the score itself is kept).

    >>> score_ceilings([90, 80, 0])[:2]
    [inf, 89.99999999999999]
    """
    return [math.inf] + [math.nextafter(b, -math.inf) for b in lower_bounds[:-1]]


def _industry_points(ind: dict, value: np.ndarray, cols: dict) -> np.ndarray:
    """Points of a numeric indicator whose reference values depend on the firm's industry."""
    out = _expert_points(ind, value)  # industries without their own table: the indicator's curve
    industry = cols[ind["by_industry"]["column"]]
    for label, curve in ind["by_industry"]["curves"].items():
        rows = np.equal(industry, label)
        if rows.any():
            out[rows] = np.interp(value[rows], np.asarray(curve["x"], dtype=float),
                                  np.asarray(curve["y"], dtype=float))
    return out


def _deduction_points(ind: dict, value: np.ndarray, cols: dict) -> np.ndarray:
    """Base points of the answer in ``base_input`` less ``deduct`` per unit below ``full``, >= 0."""
    base = lookup_labels(ind["table"], cols[ind["base_input"]], math.nan, float)
    return np.maximum(base - ind["deduct"] * np.maximum(ind["full"] - value, 0.0), 0.0)


def expert_kernel(model: dict, cols: dict, n: int) -> dict:
    """Score, card grade and points lost per indicator of each record (layout above)."""
    indicators = model["indicators"]
    values = np.full((n, len(indicators)), np.nan, order="F")  # column-major: filled indicator by indicator
    points = np.empty((n, len(indicators)), order="F")
    for j, ind in enumerate(indicators):
        value = _expert_value(ind, cols, n)
        if ind["kind"] != "categorical":
            values[:, j] = value
        if ind["kind"] == "deduction":
            points[:, j] = _deduction_points(ind, value, cols)
        elif "by_industry" in ind:
            points[:, j] = _industry_points(ind, value, cols)
        else:
            points[:, j] = _expert_points(ind, value)
        if ind.get("missing_points") is not None:  # e.g. ROE undefined (negative equity) scores worst
            current = cols[ind["inputs"][-1]]
            gone = np.isnan(current) if ind["kind"] != "categorical" else np.equal(current, None)
            points[:, j] = np.where(gone, ind["missing_points"], points[:, j])
    n_aspects = len(model["aspects"])
    aspect_points = np.zeros((n, n_aspects), order="F")
    for j, ind in enumerate(indicators):
        aspect_points[:, ind["aspect"]] += points[:, j]
    total = np.zeros(n)
    for j in range(len(indicators)):  # column by column: a record's sum never depends on the batch
        total += points[:, j]
    adj = model.get("adjustment")
    if adj:
        total = total + np.nan_to_num(np.asarray(cols[adj["input"]], dtype=float))
    total = np.clip(total, 0.0, model["max_total"])
    lower = model["lower_bounds"]
    before = expert_grade_index(lower, total)
    after = before.copy()
    caps = model["caps"]
    bound = np.zeros((n, len(caps)), dtype=bool, order="F")
    for c, cap in enumerate(caps):
        if cap["indicator"] is not None:
            j = cap["indicator"]
            source = values[:, j] if indicators[j]["kind"] != "categorical" else _expert_value(
                indicators[j], cols, n)
        else:
            source = cols[cap["input"]]
        if cap["op"] == "in":
            hit = lookup_labels(dict.fromkeys(cap["value"], True), source, False, bool)
        else:
            with np.errstate(invalid="ignore"):
                hit = _CAP_OPS[cap["op"]](np.asarray(source, dtype=float), cap["value"])
        bound[:, c] = hit & (before < cap["grade"])
        after = np.where(hit, np.maximum(after, cap["grade"]), after)
    ceiling = np.asarray(score_ceilings(lower))
    limit_basis = np.minimum(total, ceiling[np.minimum(after, len(lower) - 1)])
    default = model.get("default")
    in_default = np.zeros(n, dtype=bool)
    if default:
        in_default = np.nan_to_num(np.asarray(cols[default["input"]], dtype=float)) != 0
        after = np.where(in_default, default["grade"], after)
    max_points = np.asarray([ind["max_points"] for ind in indicators], dtype=float)
    return {
        "raw": total,
        "points": total,
        "policy_grade": np.asarray(model["grades"], dtype=object)[after],
        "contributions": max_points - points,
        "reason_names": [ind["name"] for ind in indicators],
        "extra": {"total": total, "indicator_values": values, "indicator_points": points,
                  "aspect_points": aspect_points, "grade_before": before, "grade_after": after,
                  "caps_bound": bound, "limit_basis": limit_basis, "in_default": in_default},
    }


def _record_indicator_value(ind: dict, values: dict):
    """:func:`_expert_value` of one record with several inputs (years)."""
    inputs = ind["inputs"]
    if ind["kind"] == "categorical":
        return values[inputs[0]]
    xs = [values[name] for name in inputs]
    full = 0  # as sum(): an int start, then each weighted year in order
    for w, x in zip(ind["weights"], xs, strict=True):
        full = full + w * x
    if full == full:
        return full
    acc = wsum = 0.0
    for x, w in zip(xs, ind["weights"], strict=True):
        seen = x == x
        acc += (x if seen else 0.0) * w
        wsum += float(seen) * w
    if wsum == 0.0:  # numpy's x / 0
        return math.nan if acc == 0.0 or acc != acc else math.copysign(math.inf, acc) * math.copysign(1.0, wsum)
    return acc / wsum


def expert_record(content: dict):
    """The one-record twin of :func:`expert_kernel`, or None when a batch must score the card
    (it has a deduction or a per-industry indicator).

    Returns ``(score, indicator names)``: ``score`` maps one record's clean values to ``(raw,
    points, points lost per indicator, card grade, limit basis)`` (see
    :func:`~riskmodels.scoring.scorer.one_record_scorer`), or to None when the record has no score:
    the same operations in the same order as the batch, on Python floats.
    """
    model = content["model"]
    if not all(ind["kind"] in ("interp", "steps", "categorical") and "by_industry" not in ind
               for ind in model["indicators"]):
        return None
    plan = []
    for ind in model["indicators"]:
        ind = dict(ind, x=[float(v) for v in ind.get("x", [])], y=[float(v) for v in ind.get("y", [])],
                   thresholds=[float(v) for v in ind.get("thresholds", [])],
                   values=[float(v) for v in ind.get("values", [])])
        missing_points = ind.get("missing_points")
        plan.append((ind["kind"], ind["inputs"][0] if len(ind["inputs"]) == 1 or ind["kind"] == "categorical"
                     else None, ind, tuple(zip(ind.get("weights") or [], ind["inputs"], strict=False)),
                     ind["inputs"][-1] if missing_points is not None else None,
                     None if missing_points is None else float(missing_points)))
    caps = [(cap["indicator"], cap["input"], cap["op"], cap["grade"],
             dict.fromkeys(cap["value"], True) if cap["op"] == "in" else cap["value"])
            for cap in model["caps"]]
    max_points = [float(ind["max_points"]) for ind in model["indicators"]]
    negated_lower = [-float(b) for b in model["lower_bounds"]]
    ceiling = score_ceilings([float(b) for b in model["lower_bounds"]])
    card_grades = list(model["grades"])
    max_total, adj, default = float(model["max_total"]), model.get("adjustment"), model.get("default")

    def score(values: dict):
        shown, points = [], []
        for kind, single, ind, years, last, missing in plan:
            if single is not None:
                value = values[single]
            else:  # the year-weighted mean, as sum() adds it up; a missing year: renormalised
                value = 0
                for w, name in years:
                    value = value + w * values[name]
                if value != value:
                    value = _record_indicator_value(ind, values)
            shown.append(value)
            if kind == "interp":
                got = interp_one(value, ind["x"], ind["y"])
            elif kind == "steps":
                got = math.nan if value != value else ind["values"][bisect.bisect_right(ind["thresholds"], value)]
            else:
                got = float(ind["table"].get(value, math.nan))
            if last is not None:
                current = values[last]
                if (current is None) if kind == "categorical" else (current != current):
                    got = missing
            points.append(got)
        total = 0.0
        for got in points:
            total += got
        if adj:
            shift = values[adj["input"]]
            total = total + (0.0 if shift != shift else shift)
        if total != total:
            return None  # no score: the checked path reports the record
        total = min(max(total, 0.0), max_total)
        grade = min(bisect.bisect_left(negated_lower, -total), len(negated_lower) - 1)
        for j, field, op, capped, value in caps:
            source = shown[j] if j is not None else values[field]
            hit = value.get(source, False) if op == "in" else _CAP_OPS[op](float(source), value)
            if hit:
                grade = max(grade, capped)
        limit_basis = np_min(total, ceiling[min(grade, len(ceiling) - 1)])
        if default:
            flag = values[default["input"]]
            if (0.0 if flag != flag else flag) != 0:
                grade = default["grade"]
        lost = [m - p for m, p in zip(max_points, points, strict=True)]
        return total, total, lost, card_grades[grade], limit_basis

    return score, [ind["name"] for ind in model["indicators"]]
