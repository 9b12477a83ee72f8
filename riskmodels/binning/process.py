"""BinningProcess: optimal binning of many columns as one scikit-learn transformer."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from riskmodels._display import OwnHTMLRepr
from riskmodels.binning.optimal import METRICS, OptimalBinning, is_numeric_column, reset_learned
from riskmodels.binning.table import as_counts
from riskmodels.binning.woe import iv_strength
from riskmodels.data.frames import as_frame, fit_inputs
from riskmodels.errors import (
    ChecksParameters,
    DataValidationError,
    NotFittedError,
    ParameterError,
    Violation,
)
from riskmodels.results import Summary

SHARED_PARAMS = ("max_n_prebins", "max_bins", "min_bin_size", "min_bin_n_event", "min_bin_n_nonevent",
                 "monotonic_trend", "special_codes", "unknown_category", "orientation", "prebinning_method",
                 "max_pvalue")
SPECIAL_OVERLAP = 0.9  # share of shared special rows (Jaccard) from which two features' specials are collinear


def special_overlaps(overlaps: dict) -> list:
    """Pairs of columns whose special-code rows are (nearly) the same rows: collinear special WoE columns.

    ``overlaps`` maps a pair of columns to (rows both flag as special, rows
    either flags), counts or summed weights; a pair with Jaccard >= 0.9 is
    returned as (column, column, both, Jaccard) and warned about.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     special_overlaps({("a", "b"): (95, 100), ("a", "c"): (10, 100)})
    [('a', 'b', 95, 0.95)]
    """
    found = []
    for (a, b), (both, either) in overlaps.items():
        if either and both / either >= SPECIAL_OVERLAP:
            both = as_counts([both])[0].item()
            found.append((a, b, both, both / either))
            warnings.warn(f"BinningProcess: the special-code bins of {a!r} and {b!r} flag the same "
                          f"{both} rows (Jaccard {both / either:.2f}): their special WoE columns are "
                          "collinear", UserWarning, stacklevel=3)
    return found


class BinningProcess(ChecksParameters, OwnHTMLRepr, TransformerMixin, BaseEstimator):
    """Optimal binning of every selected column; transforms a frame into WoE (or another metric).

    Parameters
    ----------
    features : columns to bin (None: every column of X).
    categorical_variables : columns binned as categories (default: the
        non-numeric columns).
    max_n_prebins, max_bins, min_bin_size, min_bin_n_event, min_bin_n_nonevent,
    monotonic_trend, special_codes, unknown_category, orientation,
    prebinning_method, max_pvalue : passed to every :class:`OptimalBinning`.
    binning_fit_params : ``{column: {param: value}}`` overrides per column
        (e.g. ``user_splits``, another trend).
    metric : what :meth:`transform` returns: "woe", "event_rate", "index" or "bin".

    Attributes
    ----------
    binnings_ : ``{column: fitted OptimalBinning}``. iv_ : IV per column (Series).
    special_overlaps_ : (column, column, shared special rows, Jaccard) for pairs
    whose special-code rows coincide (Jaccard >= 0.9), each also a UserWarning.
    feature_names_in_, n_features_in_ : the columns seen in fit.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> X = pd.DataFrame({"a": rng.normal(size=500), "b": rng.choice(["u", "v", "w"], 500)})
    >>> y = (rng.random(500) < np.where(X["b"] == "u", 0.4, 0.1)).astype(int)
    >>> bp = BinningProcess().fit(X, y)
    >>> bp.get_feature_names_out().tolist(), bp.binnings_["b"].dtype
    (['a', 'b'], 'categorical')
    >>> bp.transform(X).shape
    (500, 2)
    """

    def __init__(self, features=None, categorical_variables=None, max_n_prebins=20, max_bins=None,
                 min_bin_size=0.05, min_bin_n_event=1, min_bin_n_nonevent=1, monotonic_trend="auto",
                 special_codes=None, unknown_category="worst", orientation="good/bad",
                 binning_fit_params=None, metric="woe", prebinning_method="quantile", max_pvalue=None):
        self.features = features
        self.prebinning_method = prebinning_method
        self.max_pvalue = max_pvalue
        self.categorical_variables = categorical_variables
        self.max_n_prebins = max_n_prebins
        self.max_bins = max_bins
        self.min_bin_size = min_bin_size
        self.min_bin_n_event = min_bin_n_event
        self.min_bin_n_nonevent = min_bin_n_nonevent
        self.monotonic_trend = monotonic_trend
        self.special_codes = special_codes
        self.unknown_category = unknown_category
        self.orientation = orientation
        self.binning_fit_params = binning_fit_params
        self.metric = metric

    def _parameter_problems(self) -> list:
        if self.metric not in METRICS:
            return [Violation("metric", f"is {self.metric!r}", f"one of {METRICS}")]
        return []

    def _check_fitted(self):
        if not hasattr(self, "binnings_"):
            raise NotFittedError("BinningProcess is not fitted yet: call fit(X, y) first")

    def fit(self, X, y, sample_weight=None):
        """Bin every selected column of ``X`` against ``y``; returns self.

        ``sample_weight`` (one weight >= 0 per row, None: 1 each) is passed to
        every :meth:`OptimalBinning.fit <riskmodels.binning.OptimalBinning.fit>`.
        """
        reset_learned(self)
        frame, target, weight = fit_inputs(X, y, sample_weight)
        columns = [str(c) for c in frame.columns]
        binnings = self.unfitted_binnings(columns, [c for c in columns if is_numeric_column(frame[c])])
        event_rows = np.flatnonzero(target)  # found once for every column
        for name, binning in binnings.items():
            binning._fit(frame[name], target, weight, event_rows)
        masks = {name: b.bin_index(frame[name]) > b.n_bins_ for name, b in binnings.items()  # specials: k+1...
                 if b.special_codes_ and (b.extra_events_[1:].sum() + b.extra_nonevents_[1:].sum()) > 0}
        ones = np.ones(len(frame)) if weight is None and len(masks) > 1 else weight
        overlaps = {(a, b): (float(ones[masks[a] & masks[b]].sum()), float(ones[masks[a] | masks[b]].sum()))
                    for i, a in enumerate(masks) for b in list(masks)[i + 1:]}
        return self._fitted(binnings, columns, overlaps)

    def unfitted_binnings(self, columns, numeric) -> dict:
        """The :class:`OptimalBinning` of each column to bin, with its parameters (checked), not fitted.

        Parameters
        ----------
        columns : the columns of the data. numeric : those holding numbers
            (binned as numbers unless ``categorical_variables`` says otherwise).

        Examples
        --------
        >>> bp = BinningProcess(binning_fit_params={"b": {"max_bins": 2}})
        >>> {n: (b.dtype, b.max_bins) for n, b in bp.unfitted_binnings(["a", "b"], ["b"]).items()}
        {'a': ('categorical', None), 'b': ('numerical', 2)}
        """
        self._check_params()
        names = list(columns) if self.features is None else list(self.features)
        overrides = dict(self.binning_fit_params or {})
        unknown = [Violation(f"binning_fit_params.{n}", "names a column that is not binned", f"one of {names}")
                   for n in sorted(set(overrides) - set(names))]
        if unknown:
            raise ParameterError(unknown, context="BinningProcess")
        absent = [n for n in names if n not in columns]
        if absent:
            raise DataValidationError([Violation(n, "missing column", "a column to bin") for n in absent])
        shared = {p: getattr(self, p) for p in SHARED_PARAMS}
        binnings = {}
        for name in names:
            categorical = (name in self.categorical_variables if self.categorical_variables is not None
                           else name not in numeric)
            params = {**shared, "dtype": "categorical" if categorical else "numerical", **overrides.get(name, {})}
            binnings[name] = OptimalBinning(name=name, **params)
        problems = [p for b in binnings.values() for p in b._parameter_problems()]
        if problems:
            raise ParameterError(problems, context="BinningProcess")
        return binnings

    def fit_counts(self, counts: dict, columns, numeric, special_overlaps: dict | None = None):
        """Fit from each column's pre-bin counts (:meth:`OptimalBinning.fit_counts`); returns self.

        The counting step of :meth:`fit` done elsewhere (:mod:`riskmodels.spark`
        counts in Spark): ``counts[name]`` holds the keyword arguments of
        :meth:`OptimalBinning.fit_counts` for column ``name``.

        Parameters
        ----------
        counts : ``{column: {"events": ..., "nonevents": ..., "splits" or "categories": ..., ...}}``.
        columns, numeric : as in :meth:`unfitted_binnings`.
        special_overlaps : ``{(column, column): (weight of the rows both flag as special, of the rows
            either flags)}`` for the pairs of columns with special codes.

        Examples
        --------
        >>> bp = BinningProcess().fit_counts({"x": {"events": [2, 8], "nonevents": [8, 2], "splits": [1.0]}},
        ...                                  ["x"], ["x"])
        >>> bp.binnings_["x"].n_bins_, round(bp.iv_["x"], 4)
        (2, 1.6636)
        """
        reset_learned(self)
        binnings = self.unfitted_binnings(list(columns), numeric)
        for name, binning in binnings.items():
            binning.fit_counts(**counts[name])
        return self._fitted(binnings, list(columns), special_overlaps or {})

    def _fitted(self, binnings: dict, columns: list, overlaps: dict):
        self.binnings_ = binnings
        self.features_ = list(binnings)
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.n_features_in_ = len(columns)
        self.iv_ = pd.Series({n: b.iv_ for n, b in binnings.items()}, name="iv")
        self.special_overlaps_ = special_overlaps(overlaps)
        return self

    def replace_binning(self, name: str, binning: OptimalBinning):
        """Use ``binning`` (fitted, e.g. another trend from :meth:`OptimalBinning.with_trend`) for ``name``.

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({"a": rng.normal(size=400)})
        >>> bp = BinningProcess().fit(X, (rng.random(400) < 0.3).astype(int))
        >>> bp.replace_binning("a", bp.binnings_["a"].with_trend("descending")).binnings_["a"].trend_
        'descending'
        """
        self._check_fitted()
        if name not in self.binnings_ or not hasattr(binning, "table_"):
            raise DataValidationError([Violation(name, "is not binned here, or the binning is not fitted",
                                                 f"a fitted binning of one of {self.features_}")])
        self.binnings_[name] = binning
        self.iv_[name] = binning.iv_
        return self

    def transform(self, X, metric: str | None = None) -> np.ndarray:
        """The binned columns as an (n, k) array of the metric (WoE by default)."""
        self._check_fitted()
        frame = as_frame(X, self.feature_names_in_)
        absent = [n for n in self.features_ if n not in frame.columns]
        if absent:
            raise DataValidationError([Violation(n, "missing column", "a column seen in fit") for n in absent])
        metric = metric or self.metric
        columns = [self.binnings_[n].transform(frame[n], metric=metric) for n in self.features_]
        dtype = float if metric in ("woe", "event_rate") else (np.int64 if metric == "index" else object)
        return np.column_stack(columns).astype(dtype) if columns else np.empty((len(frame), 0), dtype=dtype)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the transformed columns (the binned variables)."""
        self._check_fitted()
        return np.asarray(self.features_, dtype=object)

    def summary_frame(self) -> pd.DataFrame:
        """One row per variable: dtype, bins, trend, IV and its strength, status, why the trend; by IV.

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({"a": rng.normal(size=2000), "b": rng.normal(size=2000)})
        >>> y = (rng.random(2000) < 1 / (1 + np.exp(2 + X["a"]))).astype(int)
        >>> BinningProcess().fit(X, y).summary_frame()["variable"].tolist()
        ['a', 'b']
        """
        self._check_fitted()
        rows = [{"variable": n, "dtype": b.dtype, "n_bins": b.n_bins_, "trend": b.trend_, "iv": b.iv_,
                 "strength": iv_strength(b.iv_), "status": b.status_, "trend_reason": b.trend_reason_}
                for n, b in self.binnings_.items()]
        return pd.DataFrame(rows).sort_values("iv", ascending=False, kind="stable").reset_index(drop=True)

    def summary(self) -> Summary:
        """:meth:`summary_frame` as a :class:`~riskmodels.results.Summary` (text, HTML or LaTeX).

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({"a": rng.normal(size=2000)})
        >>> y = (rng.random(2000) < 1 / (1 + np.exp(2 + X["a"]))).astype(int)
        >>> s = BinningProcess().fit(X, y).summary()
        >>> s.title, "trend_reason" in s
        ('BinningProcess', True)
        """
        return Summary("BinningProcess").add_table(self.summary_frame(), index=False, digits=4)

    def _repr_html_(self) -> str:
        if not hasattr(self, "binnings_"):
            return f"<pre>{self!r}</pre>"
        return self.summary().as_html()
