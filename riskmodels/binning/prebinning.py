"""Pre-binning: the candidate boundaries the optimiser chooses from (plain numpy).

Numeric: split points at the empirical quantiles (``higher``: every split is
an observed value and no pre-bin is empty), duplicates removed.
Bins follow :func:`riskmodels.scoring.bin_index`: (-inf, s1), [s1, s2), ..., [sk, inf).
Supervised (``"cart"``): the leaves of a classification tree grown on the
feature alone, at most ``max_n_prebins`` leaves of at least a minimum count
(Breiman et al. 1984; optbinning's default pre-binning).
Categorical: each category is a pre-bin, ordered by event rate.
"""

from __future__ import annotations

import numpy as np

PREBINNING_METHODS = ("quantile", "cart")
MANY_SPLITS = 40  # from this many splits, values_below sorts instead of comparing once per split


def quantile_positions(total, n_prebins: int, weighted: bool = False) -> np.ndarray:
    """Sorted positions ceil(k·(N-1)/n), k = 1..n-1, of the splits of :func:`quantile_splits`.

    N is the number of values, or their total weight (``weighted``: the positions are then
    in weight units, not whole numbers).

    Examples
    --------
    >>> quantile_positions(10, 5).tolist(), quantile_positions(10.0, 5, weighted=True).tolist()
    ([2, 4, 6, 8], [2.0, 4.0, 6.0, 8.0])
    """
    k = np.arange(1, n_prebins, dtype=np.int64)
    if weighted:
        return np.ceil(k * (total - 1.0) / n_prebins)
    return -((-k * (int(total) - 1)) // n_prebins)


def quantile_splits(x: np.ndarray, n_prebins: int, presorted: bool = False, weights=None) -> np.ndarray:
    """Split points cutting finite values ``x`` into at most ``n_prebins`` equal-count bins.

    The k-th split is the ``higher`` empirical quantile k/n (the sorted value at
    position ceil(k·(N-1)/n)), so every split is an observed value. When ``x``
    has at most ``n_prebins`` distinct values, every value is its own pre-bin.

    Parameters
    ----------
    x : finite values (no NaN, no special codes).
    n_prebins : the largest number of pre-bins wanted.
    presorted : ``x`` is already sorted ascending (skips the sort).
    weights : positive weight of each value (None: 1 each), in the order of
        ``x``. With weights, N is the total weight and the value at position p
        is the first sorted value whose cumulative weight exceeds p, so that
        whole-number weights split as the repeated values would.

    Returns
    -------
    Increasing split points, each an observed value above the minimum.

    Examples
    --------
    >>> quantile_splits(np.arange(10.0), 5).tolist()
    [2.0, 4.0, 6.0, 8.0]
    >>> quantile_splits(np.array([0.0, 0.0, 0.0, 1.0, 2.0]), 5).tolist()
    [1.0, 2.0]
    >>> quantile_splits(np.array([1.0, 1.0, 1.0]), 4).tolist()
    []
    >>> quantile_splits(np.arange(6.0), 3, weights=np.array([1, 1, 1, 1, 1, 5])).tolist()  # 0 1 2 3 4 5 5 5 5 5
    [3.0, 5.0]
    >>> quantile_splits(np.array([-1.0, -0.0, 0.0, 1.0]), 4).tolist()  # -0.0 and 0.0 are one value: split +0
    [0.0, 1.0]
    """
    n = len(x)
    if n == 0 or n_prebins < 2:
        return np.empty(0)
    if weights is not None and not presorted:
        order = np.argsort(x, kind="stable")
        x, weights = np.asarray(x)[order], np.asarray(weights, dtype=float)[order]
    xs = x if presorted or weights is not None else np.sort(x)
    if weights is None:
        at = quantile_positions(n, n_prebins)
    else:
        cumulative = np.cumsum(weights)
        at = np.minimum(np.searchsorted(cumulative, quantile_positions(cumulative[-1], n_prebins, True),
                                        side="right"), n - 1)
    splits = np.unique(xs[at]) + 0.0  # + 0.0: a split at zero is +0, whichever zero the sort put there
    splits = splits[splits > xs[0]]
    if len(splits) == n_prebins - 1:  # >= n_prebins distinct values: with exactly n_prebins these splits are them
        return splits
    distinct = xs[np.concatenate([[True], xs[1:] != xs[:-1]])]
    return distinct[1:] + 0.0 if len(distinct) <= n_prebins else splits  # few values: each its own pre-bin


def tree_splits(x: np.ndarray, y: np.ndarray, n_prebins: int, min_leaf: float, weights=None) -> np.ndarray:
    """Split points of a CART tree (Gini) on one feature: the supervised pre-bins.

    The tree has at most ``n_prebins`` leaves of at least ``min_leaf`` records;
    its thresholds t (midpoints between observed values, so ``x <= t`` is
    ``x < t``) become the splits of bins (-inf, s1), [s1, s2), ...

    Parameters
    ----------
    x : finite values (no NaN, no special codes). y : their 0/1 target.
    n_prebins : the largest number of pre-bins. min_leaf : smallest pre-bin
        (records, or total weight with ``weights``).
    weights : sample weight of each value (None: 1 each); the tree's impurity
        and leaf sizes are then weighted, as repeated records would make them.

    Returns
    -------
    Increasing split points.

    Examples
    --------
    >>> x = np.arange(100.0)
    >>> tree_splits(x, (x >= 60).astype(int), 4, 5).tolist()
    [59.5]
    """
    from sklearn.tree import DecisionTreeClassifier

    if len(x) < 2 or n_prebins < 2:
        return np.empty(0)
    if weights is None:
        tree = DecisionTreeClassifier(max_leaf_nodes=n_prebins, min_samples_leaf=max(1, int(min_leaf)),
                                      random_state=0).fit(np.asarray(x, dtype=float).reshape(-1, 1), y)
    else:
        fraction = min(0.5, max(1.0, float(min_leaf)) / float(np.sum(weights)))
        tree = DecisionTreeClassifier(max_leaf_nodes=n_prebins, min_weight_fraction_leaf=fraction,
                                      random_state=0).fit(np.asarray(x, dtype=float).reshape(-1, 1), y,
                                                          sample_weight=weights)
    inner = tree.tree_.feature >= 0
    return np.unique(tree.tree_.threshold[inner])


def values_below(values: np.ndarray, splits: np.ndarray) -> np.ndarray:
    """How many of ``values`` (any order; NaN counts nowhere) lie below each split.

    One comparison pass per split, which streams through memory: faster than
    sorting a few hundred thousand values for the twenty-odd splits of a
    pre-binning; with many splits, one sort and binary searches.

    Examples
    --------
    >>> values_below(np.array([3.0, np.nan, 1.0, 2.0]), np.array([2.0, 9.0])).tolist()
    [1, 3]
    """
    if len(splits) > MANY_SPLITS:
        return np.searchsorted(np.sort(values), splits, side="left").astype(np.int64)
    return np.array([np.count_nonzero(values < s) for s in splits], dtype=np.int64)


def sorted_counts(sorted_all: np.ndarray, event_values: np.ndarray, splits: np.ndarray):
    """Events and non-events per bin (-inf, s1), [s1, s2), ... from the sorted values.

    ``sorted_all`` holds every value, sorted (the bins' totals are binary
    searches), ``event_values`` the values of the events in any order
    (counted by :func:`values_below`).

    Examples
    --------
    >>> e, n = sorted_counts(np.array([1.0, 2.0, 3.0, 4.0]), np.array([4.0, 3.0]), np.array([3.0]))
    >>> e.tolist(), n.tolist()
    ([0, 2], [2, 0])
    """
    def per_bin(below, n):
        return np.diff(np.concatenate([[0], below, [n]])).astype(np.int64)

    total = per_bin(np.searchsorted(sorted_all, splits, side="left"), len(sorted_all))
    events = per_bin(values_below(event_values, splits), len(event_values))
    return events, total - events


def prebin_counts(index: np.ndarray, y: np.ndarray, n_bins: int, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """Events and non-events per bin index (indices outside 0..n_bins-1 are ignored).

    With ``weights``, the summed weights of the events and of the non-events.

    Examples
    --------
    >>> e, n = prebin_counts(np.array([0, 0, 1, 2]), np.array([1, 0, 0, 1]), 3)
    >>> e.tolist(), n.tolist()
    ([1, 0, 1], [1, 1, 0])
    >>> e, n = prebin_counts(np.array([0, 0, 1]), np.array([1, 0, 0]), 2, weights=np.array([2.0, 0.5, 1.0]))
    >>> e.tolist(), n.tolist()
    ([2.0, 0.0], [0.5, 1.0])
    """
    if weights is not None:
        y = np.asarray(y, dtype=float)
        weights = np.asarray(weights, dtype=float)
        return (np.bincount(index, weights=weights * y, minlength=n_bins)[:n_bins],
                np.bincount(index, weights=weights * (1.0 - y), minlength=n_bins)[:n_bins])
    total = np.bincount(index, minlength=n_bins)[:n_bins]
    events = np.bincount(index, weights=y, minlength=n_bins)[:n_bins].astype(np.int64)
    return events, total - events


def order_categories(labels: list, events: np.ndarray, nonevents: np.ndarray) -> np.ndarray:
    """Order of categories by event rate (ties by label), the categorical pre-bin order.

    Examples
    --------
    >>> order_categories(["a", "b", "c"], np.array([5, 1, 3]), np.array([5, 9, 7])).tolist()
    [1, 2, 0]
    """
    rate = events / np.maximum(events + nonevents, 1)
    return np.array(sorted(range(len(labels)), key=lambda i: (rate[i], str(labels[i]))), dtype=np.int64)
