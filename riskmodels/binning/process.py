"""BinningProcess: optimal binning of many columns as one scikit-learn transformer."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from riskmodels._display import OwnHTMLRepr
from riskmodels.binning.optimal import METRICS, OptimalBinning, is_numeric_column, reset_learned
from riskmodels.binning.woe import iv_strength
from riskmodels.data.frames import as_frame
from riskmodels.data.schema import require_binary_target
from riskmodels.errors import DataValidationError, NotFittedError, Violation
from riskmodels.results import Summary

SHARED_PARAMS = ("max_n_prebins", "max_bins", "min_bin_size", "min_bin_n_event", "min_bin_n_nonevent",
                 "monotonic_trend", "special_codes", "unknown_category", "orientation", "prebinning_method",
                 "max_pvalue")
SPECIAL_OVERLAP = 0.9  # share of shared special rows (Jaccard) from which two features' specials are collinear


class BinningProcess(OwnHTMLRepr, TransformerMixin, BaseEstimator):
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

    def _check_fitted(self):
        if not hasattr(self, "binnings_"):
            raise NotFittedError("BinningProcess is not fitted yet: call fit(X, y) first")

    def fit(self, X, y):
        """Bin every selected column of ``X`` against ``y``; returns self."""
        reset_learned(self)
        frame = as_frame(X)
        target = require_binary_target(y, "target")
        if len(frame) != len(target):
            raise DataValidationError([Violation("<X>", f"has {len(frame)} rows but the target {len(target)}",
                                                 "one target per row")])
        names = [str(c) for c in frame.columns] if self.features is None else list(self.features)
        absent = [n for n in names if n not in frame.columns]
        if absent:
            raise DataValidationError([Violation(n, "missing column", "a column to bin") for n in absent])
        if self.metric not in METRICS:
            raise DataValidationError([Violation("metric", f"is {self.metric!r}", f"one of {METRICS}")])
        overrides = dict(self.binning_fit_params or {})
        unknown = sorted(set(overrides) - set(names))
        if unknown:
            raise DataValidationError([Violation(n, "has binning_fit_params but is not binned",
                                                 f"one of {names}") for n in unknown])
        shared = {p: getattr(self, p) for p in SHARED_PARAMS}
        self.binnings_ = {}
        for name in names:
            column = frame[name]
            categorical = (name in self.categorical_variables if self.categorical_variables is not None
                           else not is_numeric_column(column))
            params = {**shared, "dtype": "categorical" if categorical else "numerical", **overrides.get(name, {})}
            self.binnings_[name] = OptimalBinning(name=name, **params)._fit(column, target)
        self.features_ = names
        self.feature_names_in_ = np.asarray([str(c) for c in frame.columns], dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.iv_ = pd.Series({n: b.iv_ for n, b in self.binnings_.items()}, name="iv")
        self.special_overlaps_ = self._special_overlaps(frame)
        return self

    def _special_overlaps(self, frame) -> list:
        """Pairs of features whose special-code rows are (nearly) the same rows: collinear specials."""
        masks = {}
        for name, b in self.binnings_.items():
            if b.special_codes_ and (b.extra_events_[1:].sum() + b.extra_nonevents_[1:].sum()) > 0:
                masks[name] = b.bin_index(frame[name]) > b.n_bins_  # missing is k, specials k+1...
        found, names = [], list(masks)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                both = int(np.count_nonzero(masks[a] & masks[b]))
                either = int(np.count_nonzero(masks[a] | masks[b]))
                if either and both / either >= SPECIAL_OVERLAP:
                    found.append((a, b, both, both / either))
                    warnings.warn(f"BinningProcess: the special-code bins of {a!r} and {b!r} flag the same "
                                  f"{both} rows (Jaccard {both / either:.2f}): their special WoE columns are "
                                  "collinear", UserWarning, stacklevel=3)
        return found

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
