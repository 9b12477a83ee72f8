"""Kind "crosstab" (riskmodels.models.crosstab): factor bins -> the default rate of the
record's cell, for a batch (:func:`crosstab_kernel`) and for one record
(:func:`crosstab_record`)."""

from __future__ import annotations

import numpy as np

from .bins import bin_index, bin_of, binning_plan


def crosstab_kernel(model: dict, cols: dict, n: int) -> dict:
    """Cell PD of each record; a factor value without a bin falls back to the parent level.

    ``model = {"factors": [f1..fF], "bins": [binning per factor], "shape": [b1..bF],
    "levels": [[portfolio PD], level-1 PDs (b1), level-2 PDs (b1*b2, C order), ...]}``.
    Level L holds the PDs of the cells of the first L factors; a record uses the
    deepest level whose factors all have a bin. ``extra["cell"]`` is the flat
    cell index in the full grid (-1 when some factor has no bin).

    >>> m = {"factors": ["a", "b"], "shape": [2, 2], "levels": [[0.05], [0.02, 0.1], [0.01, 0.03, 0.08, 0.12]],
    ...      "bins": [{"type": "numeric", "edges": [1.0]},
    ...               {"type": "categorical", "categories": {"x": 0, "y": 1}, "unknown_bin": None}]}
    >>> crosstab_kernel(m, {"a": np.array([0.0, 2.0, 2.0, np.nan]),
    ...                     "b": np.array(["y", "x", "z", "x"], dtype=object)}, 4)["raw"].tolist()
    [0.03, 0.08, 0.1, 0.05]
    """
    raw = np.full(n, float(model["levels"][0][0]))
    valid = np.ones(n, dtype=bool)
    flat = np.zeros(n, dtype=np.int64)
    for level, (name, binning, size) in enumerate(zip(model["factors"], model["bins"], model["shape"], strict=True), 1):
        idx = bin_index(binning, cols[name])
        valid &= (idx >= 0) & (idx < size)
        flat = flat * size + np.where(valid, idx, 0)
        raw = np.where(valid, np.asarray(model["levels"][level], dtype=float)[flat], raw)
    return {"raw": raw, "extra": {"cell": np.where(valid, flat, -1)}}


def crosstab_record(content: dict):
    """The one-record twin of :func:`crosstab_kernel`, or None when a batch must score the
    bundle (it has a credit-limit rule).

    Returns ``(score, [])``: ``score`` maps one record's clean values to ``(raw, None, None,
    None, None)`` (see :func:`~riskmodels.scoring.scorer.one_record_scorer`): the same levels, read
    at the same flat cell index as the batch.

    >>> m = {"factors": ["a"], "shape": [2], "levels": [[0.05], [0.02, 0.1]],
    ...      "bins": [{"type": "numeric", "edges": [1.0]}]}
    >>> score, _ = crosstab_record({"model": m})
    >>> score({"a": 2.0})[0], score({"a": float("nan")})[0]
    (0.1, 0.05)
    """
    if content.get("credit_limit"):
        return None
    model = content["model"]
    factors = [(name, binning_plan(b), int(size)) for name, b, size
               in zip(model["factors"], model["bins"], model["shape"], strict=True)]
    levels = [[float(p) for p in level] for level in model["levels"]]

    def score(values: dict):
        raw, flat = levels[0][0], 0
        for level, (name, plan, size) in enumerate(factors, 1):
            b = bin_of(plan, values[name])
            if not 0 <= b < size:
                break  # a record uses the deepest level whose factors all have a bin
            flat = flat * size + b
            raw = levels[level][flat]
        return raw, None, None, None, None

    return score, []
