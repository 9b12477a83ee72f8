"""Exact optimal binning of ordered pre-bins by dynamic programming (plain numpy).

Given the event and non-event counts of m ordered pre-bins, choose which pre-bin
boundaries to keep so that the total information value of the merged bins is
maximal, subject to

* a monotone event-rate trend across bins: "ascending", "descending", "peak"
  (ascending then descending), "valley" (descending then ascending) or "none";
* a minimum bin count, minimum events and non-events per bin;
* a maximum number of bins.

IV is a sum over bins, so the best partition of pre-bins 0..j whose last bin is
[i, j] only depends on the best partitions of 0..i-1 ending in each possible
previous bin [k, i-1] (the trend couples neighbouring bins only). The state is
(trend phase, bins used, start i, end j); every state is solved exactly, so the
result is the global optimum over all boundary subsets — the same problem
optbinning solves with a CP-SAT model, in O(P·B·m³) vectorised operations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from riskmodels.errors import DataValidationError, Violation

TRENDS = {
    "ascending": ("up",),
    "descending": ("down",),
    "peak": ("up", "down"),
    "valley": ("down", "up"),
    "none": ("any",),
}


@dataclass(frozen=True)
class Partition:
    """Optimal grouping of pre-bins: ``starts`` are the first pre-bin of each bin."""

    starts: tuple
    iv: float
    trend: str
    feasible: bool

    def boundaries(self) -> list[int]:
        """Indices of the pre-bin boundaries kept (pre-bin i starts a new bin)."""
        return list(self.starts[1:])


def _segment_stats(events, nonevents, total_events, total_nonevents):
    ce = np.concatenate([[0.0], np.cumsum(events, dtype=float)])
    cn = np.concatenate([[0.0], np.cumsum(nonevents, dtype=float)])
    e = ce[None, 1:] - ce[:-1, None]  # e[i, j] = events of pre-bins i..j
    n = cn[None, 1:] - cn[:-1, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = e / (e + n)
        pg, pb = n / total_nonevents, e / total_events
        iv = np.where((e > 0) & (n > 0), (pg - pb) * np.log(pg / pb), 0.0)
    return e, n, rate, iv


def _allowed(direction: str, prev_rate: np.ndarray, cur_rate: np.ndarray) -> np.ndarray:
    if direction == "up":
        return prev_rate[:, None] <= cur_rate[None, :]
    if direction == "down":
        return prev_rate[:, None] >= cur_rate[None, :]
    return np.ones((len(prev_rate), len(cur_rate)), dtype=bool)


def optimal_partition(events, nonevents, *, trend="ascending", min_bin_count=0, min_bin_n_event=1,
                      min_bin_n_nonevent=1, max_bins=None, total_events=None,
                      total_nonevents=None) -> Partition:
    """Exact IV-maximising grouping of ordered pre-bins under the constraints.

    Parameters
    ----------
    events, nonevents : counts per pre-bin, in the pre-bins' order.
    trend : "ascending", "descending", "peak", "valley", "none", or "auto" (the
        better of ascending and descending).
    min_bin_count, min_bin_n_event, min_bin_n_nonevent : minimum records,
        events and non-events in every bin.
    max_bins : most bins allowed (None: no limit).
    total_events, total_nonevents : totals for the IV shares (default: the sums;
        pass the totals including missing and special records so the optimum is
        that of the full table).

    Returns
    -------
    Partition : ``starts`` (first pre-bin of each bin), ``iv``, the trend used,
    and ``feasible`` (False when no grouping meets the constraints: one bin is returned).

    Examples
    --------
    >>> p = optimal_partition([1, 2, 8, 9], [9, 8, 2, 1], trend="ascending", max_bins=2)
    >>> p.starts, round(p.iv, 4)
    ((0, 2), 2.4284)
    """
    e_in = np.asarray(events, dtype=float)
    n_in = np.asarray(nonevents, dtype=float)
    m = len(e_in)
    if m == 0 or len(n_in) != m:
        raise DataValidationError([Violation("prebins", f"{m} event and {len(n_in)} non-event counts",
                                             "the same positive number of counts")])
    if trend == "auto":
        options = [optimal_partition(e_in, n_in, trend=t, min_bin_count=min_bin_count,
                                     min_bin_n_event=min_bin_n_event, min_bin_n_nonevent=min_bin_n_nonevent,
                                     max_bins=max_bins, total_events=total_events,
                                     total_nonevents=total_nonevents)
                   for t in ("ascending", "descending")]
        return max(options, key=lambda p: (p.feasible, p.iv, -len(p.starts)))
    if trend not in TRENDS:
        raise DataValidationError([Violation("monotonic_trend", f"is {trend!r}",
                                             f"one of {sorted(TRENDS) + ['auto']}")])
    te = e_in.sum() if total_events is None else float(total_events)
    tn = n_in.sum() if total_nonevents is None else float(total_nonevents)
    e, n, rate, iv = _segment_stats(e_in, n_in, te, tn)
    feasible = ((e + n) >= min_bin_count) & (e >= min_bin_n_event) & (n >= min_bin_n_nonevent)
    feasible &= np.triu(np.ones((m, m), dtype=bool))
    value = np.where(feasible, iv, -np.inf)

    phases = TRENDS[trend]
    n_phases = len(phases)
    limited = max_bins is not None and max_bins < m
    layers = max(int(max_bins), 1) if limited else 1
    best = np.full((n_phases, layers, m, m), -np.inf)
    parent = np.full((n_phases, layers, m, m), -1, dtype=np.int64)  # flat (phase, start k) of the previous bin
    for q in range(n_phases):  # the first bin may open any phase (a degenerate peak is monotone)
        best[q, 0, 0, :] = value[0, :]
    for i in range(1, m):
        cur_rate, cur_value = rate[i, i:], value[i, i:]
        for q in range(n_phases):
            sources = [q - 1, q] if q > 0 else [q]
            prev = np.concatenate([best[p, :, :i, i - 1] for p in sources], axis=1)  # (layers, s*i)
            prev_rate = np.tile(rate[:i, i - 1], len(sources))
            if limited:
                prev = np.vstack([np.full((1, prev.shape[1]), -np.inf), prev[:-1]])  # one more bin
            ok = _allowed(phases[q], prev_rate, cur_rate)
            cand = np.where(ok[None, :, :], prev[:, :, None], -np.inf)  # (layers, s*i, m-i)
            arg = np.argmax(cand, axis=1)
            top = np.take_along_axis(cand, arg[:, None, :], axis=1)[:, 0, :]
            best[q, :, i, i:] = top + cur_value[None, :]
            phase_of = np.asarray(sources)[arg // i]
            parent[q, :, i, i:] = np.where(np.isfinite(top), phase_of * m + arg % i, -1)

    final = best[:, :, :, m - 1]
    if not np.isfinite(final).any():
        return Partition((0,), float(iv[0, m - 1]), trend, False)
    q, layer, i = np.unravel_index(int(np.argmax(final)), final.shape)
    total = float(final[q, layer, i])
    starts, j = [], m - 1
    while True:
        starts.append(int(i))
        if i == 0:
            break
        flat = parent[q, layer, i, j]
        j, q, i = i - 1, flat // m, flat % m
        layer = layer - 1 if limited else layer
    return Partition(tuple(reversed(starts)), total, trend, True)
