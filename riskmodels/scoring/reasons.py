"""Reason codes: the features that cost a record the most points, for a batch
(:func:`top_reasons`) and for one record (:func:`top_k`)."""

from __future__ import annotations

import numpy as np

_FLOAT_MIN = float(np.finfo(float).min)
_REASON_BLOCK = 262_144  # values per block of records in reason_order (2 MiB of float64)


def top_reasons(contributions: np.ndarray, names: list, k: int) -> np.ndarray:
    """Names of the k features that cost the most points, per record (n × k array of str).

    ``contributions`` holds points lost per feature (>= 0, larger = worse); ties
    go to the feature listed first, NaN counts as the smallest loss.

    Examples
    --------
    >>> top_reasons(np.array([[1.0, 5.0, 5.0], [0.0, np.nan, 2.0]]), ["a", "b", "c"], 2).tolist()
    [['b', 'c'], ['c', 'a']]
    """
    if contributions is None:
        return np.empty((0, 0), dtype=object)
    return reason_names(names, reason_order(contributions, k))


def reason_names(names: list, order: np.ndarray) -> np.ndarray:
    """The n × k array of the names of :func:`reason_order`'s feature numbers: an object array,
    a pointer per reason (not a fixed-width copy of the text).

    >>> reason_names(["a", "b"], np.array([[1, 0]], dtype=np.uint8)).tolist()
    [['b'], ['a']]
    """
    # take with machine-size numbers in record order: faster than indexing by the small numbers
    return np.asarray(names, dtype=object).take(np.ascontiguousarray(order.T, dtype=np.intp))


def reason_order(contributions: np.ndarray, k: int, overwrite: bool = False) -> np.ndarray:
    """The numbers of the features of :func:`top_reasons`: a k × n array (row j: each record's
    (j+1)-th reason; uint8 for fewer than 256 features; no rows when k <= 0 or no features).

    ``overwrite=True`` lets the function use ``contributions`` as its work space (its values
    are then undefined, as with scipy's ``overwrite_a``): a float64 array laid out feature by
    feature (Fortran order, as the kernels give it) is then not copied.

    >>> reason_order(np.array([[1.0, 5.0, 5.0], [0.0, np.nan, 2.0]]), 2).tolist()
    [[1, 2], [2, 0]]
    """
    if contributions.shape[1] == 0 or k <= 0:
        return np.empty((0, contributions.shape[0]), dtype=np.intp)
    n, f = contributions.shape
    k = min(k, f)
    # k passes, each picking per record the first feature that holds the largest loss left
    # (= a stable descending sort's first k columns, without sorting every row), then
    # setting it to -inf. NaN and -inf count as the smallest loss, yet above the features
    # already picked. Blocks of records are read one row per feature, so every step is one
    # vectorised pass over contiguous values that stay in cache (per-record argmax or
    # argpartition over a few features cost more per record).
    order = np.zeros((k, n), dtype=np.uint8 if f < 256 else np.intp)  # small: fewer bytes to write
    features = contributions.T
    in_place = (overwrite and features.flags.c_contiguous and features.flags.writeable
                and features.dtype == np.float64)
    rows = max(1, min(n, _REASON_BLOCK // f))
    work = None if in_place else np.empty((f, rows))  # else the blocks are copied here
    width = n if in_place else rows  # the length of a row of the cells picks are struck in
    cells = (features if in_place else work).reshape(-1)
    top = np.empty(rows)
    before = np.empty(rows, dtype=bool)
    other = np.empty(rows, dtype=bool)
    picked = np.empty(rows, dtype=np.intp)
    records = np.arange(rows)
    for a in range(0, n, rows):
        m = min(rows, n - a)
        if in_place:
            block, first = features[:, a:a + m], a
        else:
            block, first = work[:, :m], 0
            np.copyto(block, features[:, a:a + m])
        best, ahead, differs, flat = top[:m], before[:m], other[:m], picked[:m]
        step = ahead.view(np.uint8) if order.dtype == np.uint8 else ahead  # 0/1 bytes: no cast per add
        cell_of = records[:m] + first  # the cell of record r in row 0
        exact = False  # whether NaN and -inf are replaced by the smallest float yet
        for j in range(k):
            np.fmax.reduce(block, axis=0, out=best)  # NaN skipped (and faster than np.max here)
            if not exact:  # the picks are exact while every record's largest loss left is a
                # number above the smallest float
                np.greater(best, _FLOAT_MIN, out=differs)
                if not differs.all():  # else NaN, -inf and the smallest float all count as the
                    # smallest float, and the features picked before as -inf
                    np.fmax(block, _FLOAT_MIN, out=block)
                    for i in range(j):
                        _strike(cells, order[i, a:a + m], width, cell_of, flat)
                    np.fmax.reduce(block, axis=0, out=best)
                    exact = True
            pick = order[j, a:a + m]
            ahead.fill(True)  # still before the first feature that holds the maximum
            for feature in block[:-1]:
                np.not_equal(feature, best, out=differs)
                ahead &= differs
                pick += step
            if j + 1 < k:
                _strike(cells, pick, width, cell_of, flat)
    return order


def _strike(cells: np.ndarray, pick: np.ndarray, width: int, cell_of: np.ndarray, flat: np.ndarray) -> None:
    """Set the picked feature of each record to -inf: cell ``pick * width + cell_of`` of the
    flat work space (one flat index per record: cheaper than indexing by (feature, record))."""
    np.multiply(pick, width, out=flat, dtype=np.intp)
    flat += cell_of
    cells[flat] = -np.inf


def reason_order_of(out: dict, k: int, overwrite: bool = False) -> tuple | None:
    """:func:`reason_order` of a kernel's output as ``(order, key)``: the reasons of record r
    are column ``key[r]`` of ``order`` (``key`` None: column r); None without contributions.
    ``overwrite``: the kernel's points lost may serve as work space (see :func:`reason_order`).

    With ``out["contribution_rows"] = (table, key)`` (``contributions == table[key]``),
    the reasons of each row of ``table`` are picked once: the same numbers, as the pick
    reads one record's row alone.

    Examples
    --------
    >>> table = np.array([[1.0, 5.0], [3.0, 0.0]])
    >>> out = {"contributions": table[[0, 1, 1]], "reason_names": ["a", "b"],
    ...        "contribution_rows": (table, np.array([0, 1, 1]))}
    >>> order, key = reason_order_of(out, 1)
    >>> order[:, key].tolist() == reason_order(out["contributions"], 1).tolist()
    True
    """
    contributions = out.get("contributions")
    if contributions is None:
        return None
    rows = out.get("contribution_rows")
    if rows is None:
        return reason_order(contributions, k, overwrite), None
    table, key = rows
    return reason_order(table, k, overwrite), key


def top_k(lost: list, names: list, k: int) -> list:
    """:func:`top_reasons` of one record: NaN and -inf count as the smallest loss, ties in order.

    >>> top_k([1.0, 5.0, 5.0], ["a", "b", "c"], 2)
    ['b', 'c']
    """
    keys = [c if c >= _FLOAT_MIN else _FLOAT_MIN for c in lost]
    order = sorted(range(len(keys)), key=keys.__getitem__, reverse=True)  # stable
    return [names[j] for j in order[:max(k, 0)]]
