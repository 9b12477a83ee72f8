"""Timing helpers shared by the benchmarks: the best of several runs (the least disturbed)."""

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


def best_in_turns(*fns, repeats: int = 5, clock=time.perf_counter) -> list[float]:
    """Best wall time of each of ``fns``, run in turns ``repeats`` times, so a change in the
    machine's load between them moves them all (the machine is shared).

    ``clock=time.process_time`` gives CPU time instead: the time a quiet machine would
    show, for single-threaded work, when other processes keep the cores busy.

    >>> [t >= 0 for t in best_in_turns(lambda: 1, lambda: 2, repeats=2)]
    [True, True]
    >>> [t >= 0 for t in best_in_turns(lambda: 1, repeats=2, clock=time.process_time)]
    [True]
    """
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = clock()
            fn()
            best[i] = min(best[i], clock() - start)
    return best


def best_wall_and_cpu_in_turns(*fns, repeats: int = 5) -> tuple[list[float], list[float]]:
    """:func:`best_in_turns` with both clocks read in the same runs: (best wall times, best
    CPU times of the process, user + system), so the two ratios describe one measurement.

    >>> wall, cpu = best_wall_and_cpu_in_turns(lambda: 1, lambda: 2, repeats=2)
    >>> len(wall), len(cpu), all(t >= 0 for t in wall + cpu)
    (2, 2, True)
    """
    wall = [float("inf")] * len(fns)
    cpu = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start, used = time.perf_counter(), time.process_time()
            fn()
            cpu[i] = min(cpu[i], time.process_time() - used)
            wall[i] = min(wall[i], time.perf_counter() - start)
    return wall, cpu
