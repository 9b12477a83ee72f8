"""The master scale: the grade of each PD (:func:`grade_of`, :func:`grade_index`, the labels of
grade numbers :func:`labels_of`) and of one PD (:func:`grade_one`)."""

from __future__ import annotations

import bisect

import numpy as np

from .bins import count_at_or_below


def grade_of(scale: dict, pd: np.ndarray) -> np.ndarray:
    """Grade labels of PDs under a master scale (half-open bands, optional floor).

    ``scale = {"grades": [g1..gk], "upper_bounds": [u1..u(k-1)], "floor": f|None}``:
    PD in [u(i-1), u(i)) gets grade i; PD >= u(k-1) gets the last grade (the default
    grade). NaN PD gets None.

    >>> grade_of({"grades": ["A", "B", "D"], "upper_bounds": [0.01, 1.0]}, np.array([0.0, 0.01, 1.0])).tolist()
    ['A', 'B', 'D']
    """
    return labels_of(scale["grades"], grade_index(scale, pd))


def labels_of(grades: list, index: np.ndarray) -> np.ndarray:
    """``grades[index]`` per record as an object array; index -1 (no grade) gives None.

    >>> labels_of(["A", "D"], np.array([1, -1, 0])).tolist()
    ['D', None, 'A']
    """
    return np.asarray(list(grades) + [None], dtype=object).take(index)  # take: faster than [index]


def grade_index(scale: dict, pd: np.ndarray) -> np.ndarray:
    """Index into the scale's grades of each PD (see :func:`grade_of`); NaN PD gets -1.

    >>> grade_index({"grades": ["A", "B", "D"], "upper_bounds": [0.01, 1.0]}, np.array([0.0, 0.5, np.nan])).tolist()
    [0, 1, -1]
    """
    p = np.asarray(pd, dtype=float)
    bounds = np.asarray(scale["upper_bounds"], dtype=float)
    count = count_at_or_below(bounds, p)
    if scale.get("floor") is not None:
        # the count never falls as the PD rises, so the count of max(PD, floor) is the larger of
        # the two counts: no floored copy of the PDs (a NaN PD gets -1 below either way)
        np.maximum(count, count_at_or_below(bounds, np.array([float(scale["floor"])]))[0], out=count)
    idx = count.astype(np.intp)
    np.minimum(idx, len(scale["grades"]) - 1, out=idx)
    miss = np.isnan(p)
    if miss.any():
        idx[miss] = -1
    return idx


def grade_one(bounds: list, floor: float | None, grades: list, pd_: float) -> str:
    """:func:`grade_of` of one PD (not NaN); ``bounds`` are the scale's upper bounds as floats.

    >>> grade_one([0.01, 1.0], None, ["A", "B", "D"], 0.01)
    'B'
    """
    p = max(pd_, floor) if floor is not None else pd_
    return grades[min(bisect.bisect_right(bounds, p), len(grades) - 1)]
