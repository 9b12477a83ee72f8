"""Bin lookup of a bundle binning: for a column (:func:`bin_index`) and for one value
(:func:`binning_plan`, :func:`bin_of`), the same bins."""

from __future__ import annotations

import bisect

import numpy as np

from .inputs import lookup_labels

_FEW_EDGES = 64  # up to here one comparison pass per edge beats a binary search per value
_COMPILED = "__compiled__"  # key a Scorer adds to its private copy of each binning


def count_at_or_below(edges: np.ndarray, x: np.ndarray) -> np.ndarray:
    """How many of the increasing ``edges`` are <= each value: ``searchsorted(edges, x, "right")``.

    NaN values get an unspecified count (callers treat missing values first).

    Examples
    --------
    >>> count_at_or_below(np.array([1.0, 2.0]), np.array([0.5, 1.0, 3.0])).tolist()
    [0, 1, 2]
    """
    if len(edges) > _FEW_EDGES:
        return np.searchsorted(edges, x, side="right")
    count = np.zeros(x.shape, dtype=np.uint8)
    hit = np.empty(x.shape, dtype=bool)
    for edge in edges.tolist():  # bins: a handful of edges; a pass each, no per-value search
        np.greater_equal(x, edge, out=hit)
        count += hit
    return count


def bin_index(binning: dict, values: np.ndarray) -> np.ndarray:
    """Index of the bin of each value under a bundle binning.

    Numeric: ``{"type": "numeric", "edges": [...], "missing_bin": int|None,
    "special_bins": {"code": int}}``; bins are (-inf, e1), [e1, e2), ..., [ek, inf).
    Categorical: ``{"type": "categorical", "categories": {"label": int},
    "missing_bin": int|None, "unknown_bin": int|None}``. A value with no bin gets -1.

    Examples
    --------
    >>> bin_index({"type": "numeric", "edges": [1.0, 2.0]}, np.array([0.5, 1.0, 3.0, np.nan])).tolist()
    [0, 1, 2, -1]
    >>> bin_index({"type": "categorical", "categories": {"a": 0, "b": 1}, "unknown_bin": 2},
    ...           np.array(["b", "z", None], dtype=object)).tolist()
    [1, 2, -1]
    """
    missing_bin = binning.get("missing_bin")
    miss_value = -1 if missing_bin is None else int(missing_bin)
    if binning["type"] == "numeric":
        edges = binning.get(_COMPILED)  # a Scorer converts the edges once, at load
        if edges is None:
            edges = np.asarray(binning["edges"], dtype=float)
        x = np.asarray(values, dtype=float)
        idx = count_at_or_below(edges, x).astype(np.int64)
        miss = np.isnan(x)
        if miss.any():
            idx[miss] = miss_value
        for code, b in (binning.get("special_bins") or {}).items():
            idx = np.where(x == float(code), b, idx)
        return idx
    lookup = binning.get(_COMPILED)
    if lookup is None:
        lookup = dict(binning["categories"])
        lookup[None] = miss_value
    unknown_bin = binning.get("unknown_bin")
    default = -1 if unknown_bin is None else int(unknown_bin)
    return lookup_labels(lookup, values, default, np.int64)  # by the codes of a CodedLabels


def compile_binnings(section):
    """A copy of a model section whose binnings carry their lookup arrays, built once.

    Only :func:`bin_index` reads the added key; values and results are unchanged,
    the verified bundle itself is not modified.

    >>> section = {"bins": {"type": "numeric", "edges": [1.0]}}
    >>> compiled = compile_binnings(section)
    >>> bin_index(compiled["bins"], np.array([0.0, 2.0])).tolist(), _COMPILED in section["bins"]
    ([0, 1], False)
    """
    if isinstance(section, list):
        return [compile_binnings(v) for v in section]
    if not isinstance(section, dict):
        return section
    out = {k: compile_binnings(v) for k, v in section.items()}
    if out.get("type") == "numeric" and isinstance(out.get("edges"), list):
        out[_COMPILED] = np.asarray(out["edges"], dtype=float)
    elif out.get("type") == "categorical" and isinstance(out.get("categories"), dict):
        lookup = dict(out["categories"])
        missing_bin = out.get("missing_bin")
        lookup[None] = -1 if missing_bin is None else int(missing_bin)
        out[_COMPILED] = lookup
    return out


# One record scored alone spends its time in numpy's per-call overhead, not in arithmetic:
# the one-record paths look its bins up in plain Python tables, built once per Scorer.
def binning_plan(binning: dict) -> tuple:
    """A bundle binning as Python tables for :func:`bin_of` (the bins of :func:`bin_index`).

    >>> plan = binning_plan({"type": "numeric", "edges": [1.0, 2.0], "missing_bin": 3})
    >>> [bin_of(plan, v) for v in (0.5, 1.0, 3.0, float("nan"))]
    [0, 1, 2, 3]
    """
    missing_bin = binning.get("missing_bin")
    miss = -1 if missing_bin is None else int(missing_bin)
    if binning["type"] == "numeric":
        specials = [(float(code), int(b)) for code, b in (binning.get("special_bins") or {}).items()]
        return ("numeric", [float(e) for e in binning["edges"]], miss, specials)
    lookup = {label: int(b) for label, b in binning["categories"].items()}
    lookup[None] = miss
    unknown_bin = binning.get("unknown_bin")
    return ("categorical", lookup, -1 if unknown_bin is None else int(unknown_bin))


def bin_of(plan: tuple, v) -> int:
    """:func:`bin_index` of one value (a float or a str/None label)."""
    if plan[0] == "categorical":
        return plan[1].get(v, plan[2])
    if v != v:
        return plan[2]
    b = bisect.bisect_right(plan[1], v)
    for code, special in plan[3]:  # in order: the last matching code wins, as in bin_index
        if v == code:
            b = special
    return b
