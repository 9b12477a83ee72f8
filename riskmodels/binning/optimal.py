"""OptimalBinning: exact IV-optimal binning of one feature, scikit-learn style."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from riskmodels import scoring
from riskmodels._display import OwnHTMLRepr
from riskmodels.binning.optimizer import TRENDS, optimal_partition, pvalue_merge
from riskmodels.binning.prebinning import (
    PREBINNING_METHODS,
    order_categories,
    prebin_counts,
    quantile_splits,
    sorted_counts,
    tree_splits,
)
from riskmodels.binning.table import BinningTable, as_counts
from riskmodels.binning.woe import ORIENTATIONS
from riskmodels.data.schema import MAX_ROWS_SHOWN, require_binary_target, require_sample_weight
from riskmodels.errors import ChecksParameters, DataValidationError, NotFittedError, Violation
from riskmodels.results import Summary

UNKNOWN_POLICIES = ("worst", "missing", "error")
METRICS = ("woe", "event_rate", "index", "bin")
SHAPE_COLUMNS = ["asked", "obtained", "bins", "iv", "bic"]  # of ``shapes_``, one row per shape tried


def _rows_violation(name: str, rule: str, mask: np.ndarray, expected: str) -> Violation:
    rows = np.flatnonzero(mask)
    return Violation(name, rule, expected, tuple(int(r) for r in rows[:MAX_ROWS_SHOWN]), len(rows))


def numeric_values(x, name: str, finite: bool = True) -> np.ndarray:
    """``x`` as a float array (NaN = missing); non-numbers and (when ``finite``) infinities raise.

    ``finite=False`` leaves the infinities to a caller that finds them more cheaply
    (at the ends of the sorted values) and then calls this again to raise.

    Examples
    --------
    >>> numeric_values([1, None, 3], "x").tolist()
    [1.0, nan, 3.0]
    """
    series = x if isinstance(x, pd.Series) else pd.Series(np.asarray(x, dtype=object).ravel()
                                                          if not isinstance(x, np.ndarray) or x.dtype == object
                                                          else np.asarray(x).ravel())
    if series.dtype == object:
        series = pd.to_numeric(series, errors="coerce").where(~series.isna(), np.nan) \
            if series.map(lambda v: v is None or isinstance(v, (int, float, np.number))
                          and not isinstance(v, bool)).all() else None
    if series is None or series.dtype.kind not in "iuf":
        raise DataValidationError([Violation(name, f"is not numeric (dtype {getattr(x, 'dtype', type(x))})",
                                             "numbers, or dtype='categorical'")])
    values = series.to_numpy(dtype=float, na_value=np.nan)
    if not finite:
        return values
    inf = np.isinf(values)
    if inf.any():
        raise DataValidationError([_rows_violation(name, "infinite values", inf,
                                                   "finite numbers (NaN for missing)")])
    return values


def is_numeric_column(series: pd.Series) -> bool:
    """True for a numeric, non-boolean column: the columns binned as numbers by default.

    Examples
    --------
    >>> is_numeric_column(pd.Series([1.5, 2.0])), is_numeric_column(pd.Series([True, False]))
    (True, False)
    """
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def category_values(x, name: str) -> np.ndarray:
    """``x`` as an object array of labels (None = missing), by :func:`riskmodels.scoring.category_label`.

    Examples
    --------
    >>> category_values(["a", None, 2, 2.0, np.nan], "x").tolist()
    ['a', None, '2', '2', None]
    >>> category_values(pd.Series([2.0, None, 1.5, 2.0], dtype="category"), "x").tolist()
    ['2', None, '1.5', '2']
    """
    series = x if isinstance(x, pd.Series) else pd.Series(np.asarray(x, dtype=object).ravel())
    if isinstance(series.dtype, pd.CategoricalDtype):  # each category labelled once; code -1 (missing) -> None
        labels = [scoring.category_label(v) for v in series.cat.categories.tolist()]
        return np.array(labels + [None], dtype=object)[series.cat.codes.to_numpy()]
    missing = series.isna().to_numpy()
    out = series.astype(object).to_numpy().copy()
    out[missing] = None
    out[~missing] = [scoring.category_label(v) for v in out[~missing]]
    return out


def reset_learned(estimator) -> None:
    """Delete every learned attribute (public names ending in "_") before a refit.

    Examples
    --------
    >>> class E: pass
    >>> e = E(); e.a_, e.b = 1, 2
    >>> reset_learned(e); sorted(vars(e))
    ['b']
    """
    for key in [k for k in vars(estimator) if k.endswith("_") and not k.startswith("_")]:
        delattr(estimator, key)


def _class_weights(target: np.ndarray, weight) -> tuple:
    """(events, non-events) of some records: counts, or summed weights."""
    if weight is None:
        events = int(target.sum())
        return events, len(target) - events
    return float(weight[target == 1].sum()), float(weight[target == 0].sum())


def _shape_reason(shapes, chosen: str) -> str:
    """'valley by BIC: ascending 812.3, descending 815.0, peak 812.3, valley 790.1' (lowest wins).

    ``shapes`` holds the rows (asked, obtained, bins, IV, BIC) of the shapes tried.
    """
    parts = [f"{asked}{'' if asked == got else ' (=' + got + ')'} {bic:.1f}" for asked, got, _, _, bic in shapes]
    return f"{chosen} by BIC of the binned table: " + ", ".join(parts)


def interval_labels(splits) -> list[str]:
    """Labels of the numeric bins (-inf, s1), [s1, s2), ..., [sk, inf) (6 significant digits).

    Examples
    --------
    >>> interval_labels([1.5, 2])
    ['(-inf, 1.5)', '[1.5, 2)', '[2, inf)']
    """
    edges = ["-inf", *(f"{v:.6g}" for v in splits), "inf"]
    return [f"[{a}, {b})" if a != "-inf" else f"(-inf, {b})" for a, b in zip(edges[:-1], edges[1:], strict=True)]


class OptimalBinning(ChecksParameters, OwnHTMLRepr, TransformerMixin, BaseEstimator):
    """Exact IV-optimal binning of one feature against a binary target.

    Pre-binning by quantiles (numeric) or by category, then the dynamic
    programme of :func:`~riskmodels.binning.optimizer.optimal_partition` picks
    the boundaries that maximise the table's total IV under the constraints.
    Missing values get their own bin and every special code its own bin; bins
    without goods or bads (e.g. no missing values in training) get WoE 0.

    Parameters
    ----------
    name : feature name (used in messages and tables).
    dtype : "numerical" or "categorical".
    max_n_prebins : number of pre-bins (numeric).
    prebinning_method : "quantile" (equal-count pre-bins) or "cart" (the
        leaves of a classification tree on the feature, supervised).
    max_bins : most regular bins (None: no limit).
    min_bin_size : smallest share of all records in a regular bin.
    min_bin_n_event, min_bin_n_nonevent : smallest events / non-events per bin
        (at least 1, so every WoE is finite).
    monotonic_trend : "auto", "ascending", "descending", "peak", "valley" or
        "none" — of the event rate. "auto" solves the four shapes and keeps the
        lowest BIC of the binned table (one more parameter for the turning point
        of a peak or valley; see :mod:`riskmodels.binning.optimizer`); a
        categorical feature, whose pre-bins are ordered by event rate, is ascending.
    max_pvalue : after the optimum, merge neighbouring bins whose event rates
        do not differ (χ² p-value above this, largest first); None: no merging.
    special_codes : values (numbers, or labels for categorical) binned apart.
    user_splits : numeric split points, or for categorical a list of category
        groups; used as the pre-bins (the optimiser still merges them) unless
        ``user_splits_fixed``. Category labels are normalised like the data
        (:func:`riskmodels.scoring.category_label`) and must occur in it.
    user_splits_fixed : keep ``user_splits`` as the final bins.
    unknown_category : a category unseen in training goes to the "worst" bin
        (highest event rate), to the "missing" bin, or is an "error".
    orientation : WoE orientation, "good/bad" (ln %good/%bad) or "bad/good".

    Attributes
    ----------
    splits_ : numeric split points, or categorical list of category groups.
    table_ : the :class:`BinningTable` (regular bins, Missing, specials).
    iv_ : total IV. trend_ : the shape of the solution. shapes_ : DataFrame of
    the shapes tried by "auto" (asked, obtained, bins, IV, BIC; empty otherwise).
    trend_reason_ : one line saying why ``trend_`` was chosen. status_ : "optimal", "fixed",
    "edited", "single bin: ..." or "infeasible: ...", followed by "; WoE 0 ... in
    bin(s) [...]" when regular bins lack events or non-events (with a UserWarning).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=2000)
    >>> y = (rng.random(2000) < 1 / (1 + np.exp(-x))).astype(int)
    >>> ob = OptimalBinning("x", max_bins=4).fit(x, y)
    >>> len(ob.splits_), ob.trend_, bool(np.all(np.diff(ob.table_.event_rate[:4]) > 0))
    (3, 'ascending', True)
    >>> ob.transform([-3.0, 3.0], metric="index").tolist()
    [0, 3]
    """

    def __init__(self, name="", dtype="numerical", max_n_prebins=20, max_bins=None, min_bin_size=0.05,
                 min_bin_n_event=1, min_bin_n_nonevent=1, monotonic_trend="auto", special_codes=None,
                 user_splits=None, user_splits_fixed=False, unknown_category="worst",
                 orientation="good/bad", prebinning_method="quantile", max_pvalue=None):
        self.name = name
        self.dtype = dtype
        self.max_n_prebins = max_n_prebins
        self.prebinning_method = prebinning_method
        self.max_pvalue = max_pvalue
        self.max_bins = max_bins
        self.min_bin_size = min_bin_size
        self.min_bin_n_event = min_bin_n_event
        self.min_bin_n_nonevent = min_bin_n_nonevent
        self.monotonic_trend = monotonic_trend
        self.special_codes = special_codes
        self.user_splits = user_splits
        self.user_splits_fixed = user_splits_fixed
        self.unknown_category = unknown_category
        self.orientation = orientation

    # ------------------------------------------------------------------ checks
    def _parameter_problems(self) -> list:
        field = self.name or "x"
        bad = []
        if self.dtype not in ("numerical", "categorical"):
            bad.append(Violation(f"{field}.dtype", f"is {self.dtype!r}", "'numerical' or 'categorical'"))
        if self.monotonic_trend not in (*TRENDS, "auto"):
            bad.append(Violation(f"{field}.monotonic_trend", f"is {self.monotonic_trend!r}",
                                 f"one of {['auto', *TRENDS]}"))
        if not (isinstance(self.max_n_prebins, int) and self.max_n_prebins >= 2):
            bad.append(Violation(f"{field}.max_n_prebins", f"is {self.max_n_prebins!r}", "an integer >= 2"))
        if self.max_bins is not None and not (isinstance(self.max_bins, int) and self.max_bins >= 1):
            bad.append(Violation(f"{field}.max_bins", f"is {self.max_bins!r}", "None or an integer >= 1"))
        if not (0.0 <= float(self.min_bin_size) < 1.0):
            bad.append(Violation(f"{field}.min_bin_size", f"is {self.min_bin_size!r}", "a share in [0, 1)"))
        if self.unknown_category not in UNKNOWN_POLICIES:
            bad.append(Violation(f"{field}.unknown_category", f"is {self.unknown_category!r}",
                                 f"one of {UNKNOWN_POLICIES}"))
        if self.orientation not in ORIENTATIONS:
            bad.append(Violation(f"{field}.orientation", f"is {self.orientation!r}", f"one of {ORIENTATIONS}"))
        if self.prebinning_method not in PREBINNING_METHODS:
            bad.append(Violation(f"{field}.prebinning_method", f"is {self.prebinning_method!r}",
                                 f"one of {PREBINNING_METHODS}"))
        if self.max_pvalue is not None and not (0.0 < float(self.max_pvalue) < 1.0):
            bad.append(Violation(f"{field}.max_pvalue", f"is {self.max_pvalue!r}", "None or a p-value in (0, 1)"))
        if self.user_splits_fixed and self.user_splits is None:
            bad.append(Violation(f"{field}.user_splits_fixed", "is set without user_splits", "user_splits"))
        return bad + self._special_code_violations(field)

    def _special_code_violations(self, field):
        """Each special code must match values (a number for a numeric feature) and only once."""
        keys, bad = [], []
        for code in self.special_codes or []:
            if self.dtype != "numerical":
                keys.append(scoring.category_label(code))
                continue
            try:
                keys.append(float(code))
            except (TypeError, ValueError):
                bad.append(Violation(f"{field}.special_codes", f"holds {code!r}", "numbers for a numeric feature"))
        if len(set(keys)) < len(keys):
            bad.append(Violation(f"{field}.special_codes", f"{list(self.special_codes)} repeats a code "
                                 "(its records would be counted in two bins)", "distinct codes"))
        return bad

    def _check_fitted(self):
        if not hasattr(self, "table_"):
            raise NotFittedError(f"OptimalBinning {self.name!r} is not fitted yet: call fit(x, y) first")

    # ------------------------------------------------------------------ fit
    def fit(self, x, y, sample_weight=None):
        """Pre-bin ``x``, count events per pre-bin and solve for the optimal bins.

        Parameters
        ----------
        x : 1-d array-like of the feature (NaN/None = missing).
        y : binary target, 1 = event (bad).
        sample_weight : weight of each record (None: 1 each). A record of
            weight w counts as w records in the pre-bins (weighted quantiles),
            the counts, ``min_bin_size`` and the event minimums; records of
            weight 0 are left out.

        Returns
        -------
        self
        """
        target = require_binary_target(y, "target")
        return self._fit(x, target, require_sample_weight(sample_weight, target))

    def _fit(self, x, target, weight=None, event_rows=None):
        """Fit on a validated 0/1 target and weights (BinningProcess checks them once).

        ``event_rows`` are the positions of the events, ``np.flatnonzero(target)``
        (BinningProcess finds them once for all its columns).
        """
        self._check_params()
        field = self.name or "x"
        if len(target) != len(x):
            raise DataValidationError([Violation(field, f"has {len(x)} values but the target {len(target)}",
                                                 "one target per record")])
        special_codes = list(self.special_codes or [])
        by_sorting = self.dtype == "numerical" and weight is None and (self.prebinning_method == "quantile"
                                                                       or self.user_splits is not None)
        values = numeric_values(x, field, finite=not by_sorting) if self.dtype == "numerical" \
            else category_values(x, field)
        if by_sorting:
            ordered = np.sort(values)
            end = int(np.searchsorted(ordered, np.nan))  # infinities sort to the ends of the numbers
            if end and np.isinf(ordered[[0, end - 1]]).any():
                numeric_values(x, field)  # raises, naming the rows
            return self._fit_sorted(ordered, values[np.flatnonzero(target) if event_rows is None else event_rows])
        if weight is not None:
            kept = weight > 0
            values, target, weight = values[kept], target[kept], weight[kept]
        if self.dtype == "numerical":
            missing = np.isnan(values)
            hits = [values == float(c) for c in special_codes]
        else:
            missing = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
            hits = [values == scoring.category_label(c) for c in special_codes]
        clean = ~missing
        for hit in hits:
            clean &= ~hit
        if not clean.any():
            raise DataValidationError([Violation(field, "has no value outside missing and special codes",
                                                 "at least one ordinary value to bin")])
        extra = [_class_weights(target[m], None if weight is None else weight[m]) for m in [missing, *hits]]
        if not clean.all():
            values, target, weight = values[clean], target[clean], None if weight is None else weight[clean]
        if self.dtype == "numerical":
            splits, events, nonevents = self._prebin_numeric(values, target, weight)
            return self.fit_counts(events, nonevents, splits=splits, missing=extra[0], specials=extra[1:])
        labels, codes = np.unique(values.astype(str), return_inverse=True)
        events, nonevents = prebin_counts(codes.ravel(), target, len(labels), weight)
        return self.fit_counts(events, nonevents, categories=labels.tolist(), missing=extra[0],
                               specials=extra[1:])

    def _fit_sorted(self, sorted_all: np.ndarray, event_values: np.ndarray):
        """Pre-bin and count from the sorted values of all records (NaN last) and the values of the events.

        The counts of all records are binary searches in the sorted values: the
        missing values are their NaN tail, a special code a run of equal values,
        a pre-bin the values below its split. The events are counted by comparison.
        """
        field = self.name or "x"
        codes = [float(c) for c in self.special_codes or []]
        end = int(np.searchsorted(sorted_all, np.nan))  # the first NaN
        runs = [(0, 0) if math.isnan(c) else tuple(int(np.searchsorted(sorted_all, c, side=side))
                                                   for side in ("left", "right")) for c in codes]
        cuts = sorted(runs)
        kept = [sorted_all[a:b] for a, b in zip([0] + [b for _, b in cuts], [a for a, _ in cuts] + [end], strict=True)]
        ordinary = kept[0] if len(kept) == 1 else np.concatenate(kept)
        if not len(ordinary):
            raise DataValidationError([Violation(field, "has no value outside missing and special codes",
                                                 "at least one ordinary value to bin")])
        outside = [np.isnan(event_values), *(event_values == c for c in codes)]
        extra_events = [int(np.count_nonzero(m)) for m in outside]
        extra = [(e, n - e) for e, n in zip(extra_events, [len(sorted_all) - end, *(b - a for a, b in runs)],
                                            strict=True)]
        if sum(extra_events):
            event_values = event_values[~np.logical_or.reduce(outside)]
        splits = self._user_split_points() if self.user_splits is not None else \
            quantile_splits(ordinary, self.max_n_prebins, presorted=True)
        events, nonevents = sorted_counts(ordinary, event_values, splits)
        return self.fit_counts(events, nonevents, splits=splits, missing=extra[0], specials=extra[1:])

    def _prebin_numeric(self, ordinary, target, weight):
        """Split points and (events, non-events) per pre-bin of the ordinary values (weighted, or CART)."""
        if self.user_splits is not None:
            splits = self._user_split_points()
        elif self.prebinning_method == "cart":
            total = len(ordinary) if weight is None else float(weight.sum())
            splits = tree_splits(ordinary, target, self.max_n_prebins, math.ceil(float(self.min_bin_size) * total),
                                 weight)
        else:
            splits = quantile_splits(ordinary, self.max_n_prebins, weights=weight)
        index = np.searchsorted(splits, ordinary, side="right")
        return (splits, *prebin_counts(index, target, len(splits) + 1, weight))

    def _user_split_points(self) -> np.ndarray:
        return np.unique(np.asarray(self.user_splits, dtype=float))

    def fit_counts(self, events, nonevents, splits=None, categories=None, missing=(0, 0), specials=()):
        """Solve the binning from pre-bin counts: the step after counting, for any source of counts.

        :meth:`fit` counts the records (or sums their weights) per pre-bin and
        calls this; :mod:`riskmodels.spark` counts them in Spark and calls it
        with the same numbers, so both fits are one computation.

        Parameters
        ----------
        events, nonevents : events and non-events (or their summed weights) of
            each pre-bin: numeric, the bins (-inf, s1), [s1, s2), ... of
            ``splits``; categorical, each label of ``categories``.
        splits : numeric pre-bin split points (``len(events) - 1`` of them).
        categories : categorical labels, one per count (normalised as
            :func:`riskmodels.scoring.category_label`); grouped by
            ``user_splits`` or ordered by event rate here.
        missing : (events, non-events) of missing values.
        specials : one (events, non-events) per special code, in the order of ``special_codes``.

        Returns
        -------
        self

        Examples
        --------
        >>> ob = OptimalBinning("x", max_bins=2).fit_counts([1, 5, 30], [90, 60, 20], splits=[10.0, 20.0])
        >>> ob.splits_.tolist(), ob.table_.events.tolist()
        ([20.0], [6, 30, 0])
        """
        self._check_params()
        reset_learned(self)
        field = self.name or "x"
        self.special_codes_ = list(self.special_codes or [])
        events, nonevents = as_counts(events), as_counts(nonevents)
        extra = np.asarray([missing, *specials], dtype=float).reshape(-1, 2)
        bad = []
        pre = splits if splits is not None else categories
        if events.shape != nonevents.shape or events.ndim != 1 or len(events) == 0:
            bad.append(Violation(field, f"has {events.shape} events but {nonevents.shape} non-events",
                                 "one event and one non-event count per pre-bin"))
        elif (splits is None) == (categories is None) or (splits is None) != (self.dtype != "numerical"):
            bad.append(Violation(field, "counts come without their pre-bins",
                                 "splits (numerical) or categories (categorical), matching dtype"))
        elif len(pre) != len(events) - (splits is not None):
            bad.append(Violation(field, f"has {len(events)} pre-bin counts for {len(pre)} splits/categories",
                                 "one count per pre-bin"))
        if len(extra) != 1 + len(self.special_codes_):
            bad.append(Violation(field, f"has {len(extra) - 1} special-code counts",
                                 f"one per special code ({len(self.special_codes_)})"))
        counts = np.concatenate([np.ravel(events).astype(float), np.ravel(nonevents).astype(float), extra.ravel()])
        if not (np.isfinite(counts).all() and (counts >= 0).all()):
            bad.append(Violation(field, "has negative or non-finite counts", "counts (weights) >= 0"))
        if bad:
            raise DataValidationError(bad)
        if not (events.sum() + nonevents.sum()) > 0:
            raise DataValidationError([Violation(field, "has no value outside missing and special codes",
                                                 "at least one ordinary value to bin")])
        if splits is not None:
            self.prebin_splits_ = np.asarray(splits, dtype=float)
            self.n_prebins_ = len(self.prebin_splits_) + 1
            self.prebin_events_, self.prebin_nonevents_ = events, nonevents
        else:
            self._group_categories([scoring.category_label(c) for c in categories], events, nonevents)
        self.extra_events_, self.extra_nonevents_ = as_counts(extra[:, 0]), as_counts(extra[:, 1])
        self.n_total_ = as_counts([counts.sum()])[0]
        self._solve()
        self._warn_special_collapse()
        self.n_features_in_ = 1
        return self

    def _user_groups(self, labels) -> list:
        """``user_splits`` as groups of normalised labels; labels absent from the data are refused."""
        field = self.name or "x"
        groups = [[scoring.category_label(c) for c in g] for g in self.user_splits]
        listed = [c for g in groups for c in g]
        seen = set(labels)
        absent = [c for c in dict.fromkeys(listed) if c not in seen]
        twice = sorted({c for c in listed if listed.count(c) > 1})
        bad = []
        if absent:
            bad.append(Violation(f"{field}.user_splits", f"names categories {absent} that the data does not "
                                 "contain (outside missing and special codes)",
                                 f"categories of the data, e.g. {sorted(seen)[:10]}"))
        if twice:
            bad.append(Violation(f"{field}.user_splits", f"lists {twice} in more than one group",
                                 "each category in one group"))
        if bad:
            raise DataValidationError(bad)
        return groups + [[c] for c in labels if c not in set(listed)]

    def _group_categories(self, labels, events, nonevents):
        """Categorical pre-bins: ``user_splits`` groups, or each category alone ordered by event rate."""
        labels = np.asarray(labels, dtype=object).astype(str)
        order = np.argsort(labels, kind="stable")
        labels, events, nonevents = labels[order], events[order], nonevents[order]
        if self.user_splits is not None:
            groups = self._user_groups(labels.tolist())
        else:
            groups = [[str(labels[i])] for i in order_categories(labels.tolist(), events, nonevents)]
        self.prebin_groups_ = groups
        self.n_prebins_ = len(groups)
        self.categories_ = sorted({c for g in groups for c in g})
        group_of = {c: i for i, g in enumerate(groups) for c in g}
        index = np.array([group_of[c] for c in labels], dtype=np.int64)
        self.prebin_events_ = as_counts(np.bincount(index, weights=events, minlength=len(groups)))
        self.prebin_nonevents_ = as_counts(np.bincount(index, weights=nonevents, minlength=len(groups)))

    def _solve(self, trend=None):
        trend = self.monotonic_trend if trend is None else trend
        if trend == "auto" and self.dtype != "numerical":
            trend = "ascending"  # categories are pre-ordered by event rate: every grouping ascends
        m = self.n_prebins_
        total_events = float(self.prebin_events_.sum() + self.extra_events_.sum())
        total_nonevents = float(self.prebin_nonevents_.sum() + self.extra_nonevents_.sum())
        self.trend_ = trend
        shapes = ()
        self.trend_reason_ = f"trend {trend} as set" if self.monotonic_trend != "auto" or \
            self.dtype == "numerical" else "categories ordered by event rate (ascending)"
        if m == 1:
            starts, status = (0,), "single bin: one distinct value after pre-binning"
        elif self.user_splits_fixed:
            starts, status = tuple(range(m)), "fixed"
        else:
            part = optimal_partition(
                self.prebin_events_, self.prebin_nonevents_, trend=trend,
                min_bin_count=math.ceil(float(self.min_bin_size) * self.n_total_),
                min_bin_n_event=max(1, int(self.min_bin_n_event)),
                min_bin_n_nonevent=max(1, int(self.min_bin_n_nonevent)),
                max_bins=self.max_bins, total_events=total_events, total_nonevents=total_nonevents)
            starts, self.trend_ = part.starts, part.trend
            status = "optimal" if part.feasible else "infeasible: no grouping meets the constraints, one bin"
            if part.shapes:
                shapes = part.shapes
                self.trend_reason_ = _shape_reason(shapes, self.trend_)
            if self.max_pvalue is not None and part.feasible:
                merged = pvalue_merge(self.prebin_events_, self.prebin_nonevents_, starts, float(self.max_pvalue))
                if merged != tuple(starts):
                    status += f"; {len(starts) - len(merged)} bin(s) merged (p-value > {self.max_pvalue})"
                    starts = merged
        self._shape_rows, self._shapes_frame = tuple(shapes), None
        self._set_bins(starts, status)

    def _warn_special_collapse(self):
        """Warn when special codes hold records and what is left forms a single bin."""
        k = self.n_bins_
        special_rows = self.extra_events_[1:].sum() + self.extra_nonevents_[1:].sum()
        if k > 1 or special_rows == 0 or self.n_prebins_ == 1:
            return
        ordinary = self.prebin_events_.sum() + self.prebin_nonevents_.sum()
        message = (f"OptimalBinning {self.name!r}: special codes {self.special_codes_} take "
                   f"{special_rows / self.n_total_:.1%} of the records; the other {ordinary / self.n_total_:.1%} "
                   f"collapse into a single bin (min_bin_size {self.min_bin_size} of all records)")
        self.status_ += "; special codes collapse the feature to one bin"
        warnings.warn(message, UserWarning, stacklevel=4)

    def shape_margin(self) -> float:
        """BIC of the best competing shape minus that of the chosen one (NaN without a choice).

        Competitors are the shapes tried by ``monotonic_trend="auto"`` whose optimum
        has another shape and splits the feature (a single bin does not compete);
        a larger margin is a clearer choice.

        Examples
        --------
        >>> x = np.tile(np.arange(10.0), 300)
        >>> y = (np.random.default_rng(0).random(3000) < 0.02 + 0.08 * np.abs(x - 4.5)).astype(int)
        >>> ob = OptimalBinning("x").fit(x, y)
        >>> ob.trend_, round(ob.shape_margin(), 1)  # descending, the best rival, has BIC 120.7 higher
        ('valley', 120.7)
        """
        self._check_fitted()
        shapes = self.shapes_
        if not len(shapes):
            return float("nan")
        obtained, bic = shapes["obtained"].to_numpy(), shapes["bic"].to_numpy(dtype=float)
        rivals = (obtained != self.trend_) & (shapes["bins"].to_numpy() > 1)
        return float(bic[rivals].min() - bic[obtained == self.trend_].min()) if rivals.any() else float("nan")

    def with_trend(self, trend: str) -> OptimalBinning:
        """A copy of this fitted binning re-solved under another trend (no pass over the data).

        Examples
        --------
        >>> x = np.tile(np.arange(10.0), 50)
        >>> y = ((np.abs(x - 4.5) < 2) ^ (np.arange(500) % 7 == 0)).astype(int)  # a noisy hump
        >>> ob = OptimalBinning("x", monotonic_trend="ascending").fit(x, y)
        >>> ob.with_trend("peak").iv_ > ob.iv_
        True
        """
        self._check_fitted()
        if trend not in (*TRENDS, "auto"):
            raise DataValidationError([Violation(f"{self.name or 'x'}.monotonic_trend", f"is {trend!r}",
                                                 f"one of {['auto', *TRENDS]}")])
        other = copy.deepcopy(self)
        other.monotonic_trend = trend
        other._solve()
        return other

    def _set_bins(self, starts, status):
        """Build splits and table from the chosen pre-bin starts; set ``status_``.

        A regular bin without events or without non-events (possible with fixed
        splits, edits, a single or infeasible bin) gets WoE 0: ``status_`` names
        it and a UserWarning is issued. The counts and WoE are left as they are.
        """
        self.starts_ = tuple(int(s) for s in starts)
        ends = [*self.starts_[1:], self.n_prebins_]
        events = [self.prebin_events_[a:b].sum() for a, b in zip(self.starts_, ends, strict=False)]
        nonevents = [self.prebin_nonevents_[a:b].sum() for a, b in zip(self.starts_, ends, strict=False)]
        if self.dtype == "numerical":
            self.splits_ = self.prebin_splits_[[s - 1 for s in self.starts_[1:]]]
            labels = interval_labels(self.splits_)
        else:
            self.splits_ = [sum(self.prebin_groups_[a:b], []) for a, b in zip(self.starts_, ends, strict=False)]
            labels = [", ".join(g) if len(g) <= 4 else ", ".join(g[:4]) + f", ... ({len(g)})"
                      for g in self.splits_]
        labels += ["Missing"] + [f"Special {c}" for c in self.special_codes_]
        self.table_ = BinningTable(self.name, labels, [*nonevents, *self.extra_nonevents_.tolist()],
                                   [*events, *self.extra_events_.tolist()], self.orientation)
        self.iv_ = self.table_.iv
        k = len(self.starts_)
        neutral = [labels[b] for b in range(k) if events[b] == 0 or nonevents[b] == 0]
        if neutral:
            status += f"; WoE 0 (no events or no non-events) in bin(s) {neutral}"
            warnings.warn(f"OptimalBinning {self.name!r}: bin(s) {neutral} have no events or no non-events "
                          "and get WoE 0", UserWarning, stacklevel=4)
        self.status_ = status

    # ------------------------------------------------------------------ edits
    def merge_bins(self, i: int):
        """Merge regular bin ``i`` with bin ``i + 1`` and recompute the table; returns self.

        Examples
        --------
        >>> ob = OptimalBinning("x", user_splits=[1, 2], user_splits_fixed=True).fit([0, 1, 2, 0, 1, 2], [0, 1, 1, 1, 0, 0])
        >>> ob.merge_bins(0).splits_.tolist()
        [2.0]
        """
        self._check_fitted()
        if not 0 <= i < len(self.starts_) - 1:
            raise DataValidationError([Violation(f"{self.name or 'x'}.bins", f"cannot merge bin {i}",
                                                 f"0 <= i < {len(self.starts_) - 1}")])
        self._set_bins(self.starts_[: i + 1] + self.starts_[i + 2:], "edited")
        return self

    def split_bin(self, at):
        """Split a regular bin at a pre-bin boundary and recompute the table; returns self.

        ``at`` is a numeric pre-bin split point (see ``prebin_splits_``), or for a
        categorical feature the category that starts the new bin. Other points
        need the data: refit with ``user_splits``.
        """
        self._check_fitted()
        if self.dtype == "numerical":
            hits = np.flatnonzero(self.prebin_splits_ == float(at))
            start = int(hits[0]) + 1 if len(hits) else None
        else:
            start = next((i for i, g in enumerate(self.prebin_groups_) if scoring.category_label(at) in g), None)
        if start is None or start == 0 or start in self.starts_:
            raise DataValidationError([Violation(f"{self.name or 'x'}.bins", f"cannot split at {at!r}",
                                                 "a pre-bin boundary inside a bin (else refit with user_splits)")])
        self._set_bins(tuple(sorted((*self.starts_, start))), "edited")
        return self

    # ------------------------------------------------------------------ output
    @property
    def shapes_(self) -> pd.DataFrame:
        """The shapes tried by "auto": one row (asked, obtained, bins, iv, bic) each; empty otherwise.

        Built on first use from the rows the solve kept (a frame per feature
        would cost a wide fit more than its four solves).
        """
        if not hasattr(self, "table_"):
            raise AttributeError("shapes_: OptimalBinning is not fitted")
        if self._shapes_frame is None:
            self._shapes_frame = pd.DataFrame(list(self._shape_rows), columns=SHAPE_COLUMNS)
        return self._shapes_frame

    @property
    def n_bins_(self) -> int:
        """Number of regular bins (missing and special bins excluded)."""
        return len(self.starts_)

    def to_bundle(self) -> dict:
        """The binning as the :func:`riskmodels.scoring.bin_index` dict (JSON-ready).

        Regular bins are 0..k-1, the missing bin is k, special codes k+1, ...

        Examples
        --------
        >>> OptimalBinning("x", user_splits=[1.5], user_splits_fixed=True).fit([1, 2, 1, 2], [0, 1, 1, 0]).to_bundle()
        {'type': 'numeric', 'edges': [1.5], 'missing_bin': 2, 'special_bins': {}}
        """
        self._check_fitted()
        k = self.n_bins_
        label = str if self.dtype == "numerical" else scoring.category_label
        specials = {label(c): k + 1 + i for i, c in enumerate(self.special_codes_)}
        if self.dtype == "numerical":
            return {"type": "numeric", "edges": [float(s) for s in self.splits_], "missing_bin": k,
                    "special_bins": specials}
        categories = {c: b for b, group in enumerate(self.splits_) for c in group}
        categories.update(specials)
        unknown = {"worst": int(np.nanargmax(self.table_.event_rate[:k])), "missing": k,
                   "error": None}[self.unknown_category]
        return {"type": "categorical", "categories": categories, "missing_bin": k, "unknown_bin": unknown}

    def bin_index(self, x) -> np.ndarray:
        """Bin index of each value, through :func:`riskmodels.scoring.bin_index`.

        Raises DataValidationError for unseen categories when ``unknown_category="error"``.
        """
        self._check_fitted()
        field = self.name or "x"
        values = numeric_values(x, field) if self.dtype == "numerical" else category_values(x, field)
        idx = scoring.bin_index(self.to_bundle(), values)
        if (idx < 0).any():
            raise DataValidationError([_rows_violation(field, "categories unseen in training", idx < 0,
                                                       f"one of {self.categories_[:10]}")])
        return idx

    def prebin_index(self, x) -> np.ndarray:
        """Pre-bin code of each value of a numeric feature: j >= 0 the j-th pre-bin, -1 missing, -2-s special s.

        Every binning of the feature over the same pre-bins (another trend, an
        edit) maps these codes to its bins by :meth:`bins_of_prebins`.

        Examples
        --------
        >>> ob = OptimalBinning("x", user_splits=[2, 3, 4], user_splits_fixed=True, special_codes=[-9])
        >>> ob = ob.fit([1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, None, -9], [0, 0, 1, 1, 1, 1, 0, 0, 0, 1])
        >>> ob.prebin_index([1.0, 4.0, None, -9]).tolist()
        [0, 3, -1, -2]
        """
        self._check_fitted()
        if self.dtype != "numerical":
            raise DataValidationError([Violation(self.name or "x", "has no numeric pre-bins (categorical)",
                                                 "a numeric feature")])
        values = numeric_values(x, self.name or "x")
        codes = np.searchsorted(self.prebin_splits_, values, side="right").astype(np.int64)
        codes[np.isnan(values)] = -1
        for s, code in enumerate(self.special_codes_):
            codes[values == float(code)] = -2 - s
        return codes

    def bins_of_prebins(self, codes) -> np.ndarray:
        """Bin index (as :meth:`to_bundle` numbers bins) of each pre-bin code of :meth:`prebin_index`.

        Every bin is a union of consecutive pre-bins, so the bin of pre-bin j
        is the number of bin edges at or below its lower bound.

        Examples
        --------
        >>> ob = OptimalBinning("x", user_splits=[1.5], user_splits_fixed=True).fit([1, 2, 1, 2], [0, 1, 1, 0])
        >>> ob.bins_of_prebins(np.array([0, 1, -1])).tolist()
        [0, 1, 2]
        """
        self._check_fitted()
        codes = np.asarray(codes, dtype=np.int64)
        edges = np.asarray(self.splits_, dtype=float)
        lower = np.concatenate([[-np.inf], self.prebin_splits_])
        out = np.empty_like(codes)
        regular, special = codes >= 0, codes <= -2
        out[codes == -1] = self.n_bins_
        out[special] = self.n_bins_ + 1 + (-codes[special] - 2)
        out[regular] = np.searchsorted(edges, lower[codes[regular]], side="right")
        return out

    def transform(self, x, metric: str = "woe") -> np.ndarray:
        """Map values to their bin's "woe", "event_rate", "index" or "bin" label.

        Parameters
        ----------
        x : 1-d array-like.
        metric : what each value becomes.

        Returns
        -------
        1-d array.
        """
        if metric not in METRICS:
            raise DataValidationError([Violation("metric", f"is {metric!r}", f"one of {METRICS}")])
        idx = self.bin_index(x)
        if metric == "index":
            return idx
        lookup = {"woe": self.table_.woe, "event_rate": self.table_.event_rate,
                  "bin": np.asarray(self.table_.labels, dtype=object)}[metric]
        return lookup[idx]

    def fit_transform(self, x, y, metric: str = "woe") -> np.ndarray:
        """Fit, then transform the same values."""
        return self.fit(x, y).transform(x, metric=metric)

    def summary(self) -> Summary:
        """Status, trend (and why) and the binning table (text, HTML or LaTeX).

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=2000)
        >>> y = (rng.random(2000) < 1 / (1 + np.exp(2 + x))).astype(int)
        >>> s = OptimalBinning("x").fit(x, y).summary()
        >>> s.title, "IV =" in s, "trend" in s
        ("OptimalBinning 'x'", True, True)
        """
        self._check_fitted()
        out = Summary(f"OptimalBinning {self.name!r}").add_rows(
            [("status", self.status_), ("trend", self.trend_), ("why", self.trend_reason_)])
        table = self.table_.summary()
        out.tables += table.tables
        out.notes += table.notes
        return out

    def _repr_html_(self) -> str:
        if not hasattr(self, "table_"):
            return f"<pre>{self!r}</pre>"
        return self.summary().as_html()

    def plot(self, ax=None):
        """Plot of the binning table (shares and event rates)."""
        self._check_fitted()
        return self.table_.plot(ax)
