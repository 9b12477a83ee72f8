"""Timing helper shared by the benchmarks: the best of several runs (the least disturbed)."""

from __future__ import annotations

import time


def best_of(fn, repeats: int = 5):
    """(best wall time in seconds, the last result) of ``repeats`` calls of ``fn``.

    >>> seconds, value = best_of(lambda: 2 + 2, repeats=2)
    >>> value, seconds >= 0
    (4, True)
    """
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out
