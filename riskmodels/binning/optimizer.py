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

Automatic shape (``trend="auto"``). Each of the four shapes is solved exactly;
the shape is then chosen by the Bayesian information criterion of the binned
table, ``BIC = −2·LL + (k + t)·ln N``, where LL is the binomial log-likelihood
of the regular bins at their own event rates (Σ e·ln r + n·ln(1−r)), k the
number of bins, t = 1 when the event rate turns once (a peak or a valley, one
more parameter: where it turns), and N the number of records. A genuine peak or
valley must therefore buy its turning point and any extra bin with a better fit
(Schwarz 1978); a "peak" whose optimum never turns counts as the monotone shape
it is. A shape whose optimum is a single bin (a falling trend imposed on a
rising feature) does not compete while another shape splits the feature. Ties
go to the simpler shape (ascending, descending, peak, valley).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from riskmodels.errors import DataValidationError, Violation

TRENDS = {  # each shape: its phases, in order (the names of TRACKS)
    "ascending": ("up",),
    "descending": ("down",),
    "peak": ("up", "up, then down"),
    "valley": ("down", "down, then up"),
    "none": ("any",),
}
# A track is one phase of the dynamic programme: the direction of the event rate from the
# previous bin to the next, and the tracks whose bins the next bin may follow (itself last).
# The "auto" shapes share tracks ("up" is the ascending shape and the first phase of a peak),
# so the four shapes are solved in one pass over the pre-bins.
TRACKS = {
    "up": ("up", ("up",)),
    "down": ("down", ("down",)),
    "up, then down": ("down", ("up", "up, then down")),
    "down, then up": ("up", ("down", "down, then up")),
    "any": ("any", ("any",)),
}
DIRECTIONS = ("up", "down", "any")


SHAPES = ("ascending", "descending", "peak", "valley")


@dataclass(frozen=True)
class Partition:
    """Optimal grouping of pre-bins: ``starts`` are the first pre-bin of each bin.

    ``shapes`` (``trend="auto"`` only) holds one row per shape tried:
    ``(shape asked, shape obtained, bins, IV, BIC)``.
    """

    starts: tuple
    iv: float
    trend: str
    feasible: bool
    shapes: tuple = ()

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


def bin_counts(values, starts) -> np.ndarray:
    """Sums of ``values`` over the bins that start at the pre-bins ``starts``.

    Examples
    --------
    >>> bin_counts([1, 2, 3, 4], (0, 1, 3)).tolist()
    [1.0, 5.0, 4.0]
    """
    return np.add.reduceat(np.asarray(values, dtype=float), np.asarray(starts, dtype=np.int64))


def shape_of(rates) -> str:
    """The shape an event-rate sequence has: ascending, descending, peak, valley or none.

    A flat sequence is ascending; a sequence that turns more than once is "none".

    Examples
    --------
    >>> [shape_of(r) for r in ([0.1, 0.2], [0.3, 0.1], [0.1, 0.3, 0.2], [0.3, 0.1, 0.2], [0.1, 0.3, 0.1, 0.3])]
    ['ascending', 'descending', 'peak', 'valley', 'none']
    """
    d = np.sign(np.diff(np.asarray(rates, dtype=float)))
    d = d[d != 0]
    if not (d < 0).any():
        return "ascending"
    if not (d > 0).any():
        return "descending"
    turns = int(np.count_nonzero(d[1:] != d[:-1]))
    if turns > 1:
        return "none"
    return "peak" if d[0] > 0 else "valley"


def binned_bic(events, nonevents, n_records: float, shape: str) -> float:
    """BIC of a binned table: −2·Σ(e·ln r + n·ln(1−r)) + (bins + turns)·ln N.

    ``turns`` is 1 for a peak or valley, 0 for a monotone shape (see the module
    docstring for why).

    Examples
    --------
    >>> round(binned_bic([10, 30], [90, 70], 200, "ascending"), 3)
    197.786
    """
    e = np.asarray(events, dtype=float)
    n = np.asarray(nonevents, dtype=float)
    t = e + n
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = np.where(e > 0, e * np.log(e / t), 0.0) + np.where(n > 0, n * np.log(n / t), 0.0)
    turns = 1 if shape in ("peak", "valley") else (2 if shape == "none" else 0)
    return float(-2.0 * ll.sum() + (len(e) + turns) * math.log(max(float(n_records), 2.0)))


def _choose_shape(parts: dict, e_in, n_in, n_records: float) -> Partition:
    """Keep, of the four shapes' optima ``parts``, the one with the lowest BIC."""
    rows, best = [], None
    for rank, asked in enumerate(SHAPES):
        part = parts[asked]
        e, n = bin_counts(e_in, part.starts), bin_counts(n_in, part.starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            got = shape_of(e / (e + n)) if part.feasible else asked
        bic = binned_bic(e, n, n_records, got)
        rows.append((asked, got, len(part.starts), part.iv, bic))
        key = (not part.feasible, len(part.starts) == 1, round(bic, 9), SHAPES.index(got) if got in SHAPES else rank)
        if best is None or key < best[0]:
            best = (key, Partition(part.starts, part.iv, got, part.feasible))
    chosen = best[1]
    return Partition(chosen.starts, chosen.iv, chosen.trend, chosen.feasible, tuple(rows))


def pvalue_merge(events, nonevents, starts, max_pvalue: float) -> tuple:
    """Merge adjacent bins whose event rates do not differ: largest p-value first, while > ``max_pvalue``.

    The p-value of two neighbouring bins is that of Pearson's χ² test (1 df)
    of their 2×2 table of events and non-events. Merging neighbours keeps a
    monotone trend monotone.

    Parameters
    ----------
    events, nonevents : counts per pre-bin.
    starts : first pre-bin of each bin.
    max_pvalue : the largest p-value allowed between neighbours.

    Returns
    -------
    The starts after merging.

    Examples
    --------
    >>> pvalue_merge([10, 11, 40], [90, 89, 60], (0, 1, 2), 0.05)
    (0, 2)
    """
    from scipy.stats import chi2

    starts = list(starts)
    e_in = np.asarray(events, dtype=float)
    n_in = np.asarray(nonevents, dtype=float)
    while len(starts) > 1:
        e, n = bin_counts(e_in, starts), bin_counts(n_in, starts)
        a, b, c, d = e[:-1], n[:-1], e[1:], n[1:]
        total = a + b + c + d
        denom = (a + b) * (c + d) * (a + c) * (b + d)
        with np.errstate(invalid="ignore", divide="ignore"):
            stat = np.where(denom > 0, total * (a * d - b * c) ** 2 / denom, 0.0)
        p = chi2.sf(stat, 1)
        worst = int(np.argmax(p))
        if p[worst] <= max_pvalue:
            break
        del starts[worst + 1]
    return tuple(starts)


def _solve_tracks(value: np.ndarray, rate: np.ndarray, tracks: list, layers: int | None):
    """The dynamic programme over the bins [i, j] of ``m`` pre-bins, for all ``tracks`` at once.

    Returns ``(best, choice, sources)``: ``best[t, l, i, j]`` is the largest
    total value of a grouping of pre-bins 0..j whose last bin is [i, j], in
    track ``t``, with ``l + 1`` bins (a single layer when ``layers`` is None: no
    limit on bins); the bin before it is in track ``sources[t, c // i]`` and
    starts at pre-bin ``c % i``, ``c = choice[t, l, i, j]`` (meaningful where
    ``best`` is finite). Every track may hold the first bin (a degenerate peak
    is monotone).
    """
    m = value.shape[0]
    n_tracks, n_layers = len(tracks), layers or 1
    sources = [[tracks.index(s) for s in TRACKS[t][1]] for t in tracks]
    width = max(len(s) for s in sources)
    sources = np.array([s + [n_tracks] * (width - len(s)) for s in sources])  # track n_tracks: never reached
    with np.errstate(invalid="ignore"):  # allowed[t, i, j, k]: bin [i, j] may follow bin [k, i - 1] in track t
        before = np.concatenate([np.full((m, 1), np.nan), rate[:, :-1]], axis=1).T[:, None, :]
        up = before <= rate[:, :, None]
        allowed = np.stack([up, before >= rate[:, :, None], np.ones_like(up)])  # in the order of DIRECTIONS
    allowed = allowed[[DIRECTIONS.index(TRACKS[t][0]) for t in tracks]][:, None, :, :, None, :]
    best = np.full((n_tracks + 1, n_layers + 1, m, m), -np.inf)  # layer l at l + 1; layer 0: no bins
    choice = np.zeros((n_tracks, n_layers, m, m), dtype=np.int64)
    best[:n_tracks, 1, 0, :] = value[0, :]
    previous = slice(0, n_layers) if layers else slice(1, 2)  # the layer below (one bin fewer), or the same
    for i in range(1, m):
        prev = best[:, previous, :i, i - 1][sources].transpose(0, 2, 1, 3)  # (tracks, layers, sources, i)
        cand = np.where(allowed[:, :, i, i:, :, :i], prev[:, :, None], -np.inf)
        cand = cand.reshape(n_tracks, n_layers, m - i, width * i)  # (tracks, layers, end j, source and start k)
        choice[:, :, i, i:] = cand.argmax(axis=3)
        best[:n_tracks, 1:, i, i:] = cand.max(axis=3) + value[i, i:]
    return best[:n_tracks, 1:], choice, sources


def _traced(solved: tuple, tracks: list, shape: str, iv: np.ndarray) -> Partition:
    """The optimum of ``shape`` (the best grouping over its tracks) and its bins, traced back."""
    best, choice, sources = solved
    own = [tracks.index(t) for t in TRENDS[shape]]
    m = best.shape[-1]
    final = best[own, :, :, m - 1]
    if not np.isfinite(final).any():
        return Partition((0,), float(iv[0, m - 1]), shape, False)
    at = np.unravel_index(int(np.argmax(final)), final.shape)
    total = float(final[at])
    q, layer, i = own[at[0]], at[1], int(at[2])
    limited = best.shape[1] > 1
    starts, j = [], m - 1
    while True:
        starts.append(i)
        if i == 0:
            break
        c = int(choice[q, layer, i, j])
        j, q, i = i - 1, int(sources[q, c // i]), c % i
        layer = layer - 1 if limited else layer
    return Partition(tuple(reversed(starts)), total, shape, True)


def optimal_partition(events, nonevents, *, trend="ascending", min_bin_count=0, min_bin_n_event=1,
                      min_bin_n_nonevent=1, max_bins=None, total_events=None,
                      total_nonevents=None, fixed_starts=()) -> Partition:
    """Exact IV-maximising grouping of ordered pre-bins under the constraints.

    Parameters
    ----------
    events, nonevents : counts per pre-bin, in the pre-bins' order.
    trend : "ascending", "descending", "peak", "valley", "none", or "auto" (the
        four shapes solved, the one with the lowest BIC kept: see the module docstring).
    min_bin_count, min_bin_n_event, min_bin_n_nonevent : minimum records,
        events and non-events in every bin.
    max_bins : most bins allowed (None: no limit).
    total_events, total_nonevents : totals for the IV shares (default: the sums;
        pass the totals including missing and special records so the optimum is
        that of the full table).
    fixed_starts : pre-bins that must start a bin (cuts an analyst fixed): the
        optimum is taken over the partitions that keep every one of them.

    Returns
    -------
    Partition : ``starts`` (first pre-bin of each bin), ``iv``, the trend used,
    and ``feasible`` (False when no grouping meets the constraints: one bin is returned).

    Examples
    --------
    >>> p = optimal_partition([1, 2, 8, 9], [9, 8, 2, 1], trend="ascending", max_bins=2)
    >>> p.starts, round(p.iv, 4)
    ((0, 2), 2.4284)
    >>> optimal_partition([1, 2, 8, 9], [9, 8, 2, 1], trend="ascending", max_bins=2, fixed_starts=[1]).starts
    (0, 1)
    """
    e_in = np.asarray(events, dtype=float)
    n_in = np.asarray(nonevents, dtype=float)
    m = len(e_in)
    if m == 0 or len(n_in) != m:
        raise DataValidationError([Violation("prebins", f"{m} event and {len(n_in)} non-event counts",
                                             "the same positive number of counts")])
    if trend != "auto" and trend not in TRENDS:
        raise DataValidationError([Violation("monotonic_trend", f"is {trend!r}",
                                             f"one of {sorted(TRENDS) + ['auto']}")])
    te = e_in.sum() if total_events is None else float(total_events)
    tn = n_in.sum() if total_nonevents is None else float(total_nonevents)
    e, n, rate, iv = _segment_stats(e_in, n_in, te, tn)
    feasible = ((e + n) >= min_bin_count) & (e >= min_bin_n_event) & (n >= min_bin_n_nonevent)
    feasible &= np.triu(np.ones((m, m), dtype=bool))
    for cut in fixed_starts:  # no bin [i, j] may hold a fixed start with i < cut <= j
        feasible[:cut, cut:] = False
    value = np.where(feasible, iv, -np.inf)
    shapes = SHAPES if trend == "auto" else (trend,)
    tracks = list(dict.fromkeys(t for shape in shapes for t in TRENDS[shape]))
    layers = max(int(max_bins), 1) if max_bins is not None and max_bins < m else None
    solved = _solve_tracks(value, rate, tracks, layers)
    parts = {shape: _traced(solved, tracks, shape, iv) for shape in shapes}
    if trend != "auto":
        return parts[trend]
    return _choose_shape(parts, e_in, n_in, te + tn)
