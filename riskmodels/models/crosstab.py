"""Cross-tabulation default model: default rates in the cells of a few binned risk factors.

How a cell's PD is made (``CrossTabModel``):

1. Each factor is binned with the project's binning
   (:class:`riskmodels.binning.OptimalBinning`: regular bins, a missing bin,
   special-code bins) and the records fall into the cells of the grid.
2. **Hierarchy.** Factors are listed in order of importance. The *parent* of
   a cell of factors (f1 .. fL) is the cell (f1 .. fL-1); the parent of a
   first-factor cell is the portfolio. Rates are estimated level by level.
3. **Credibility smoothing** (beta-binomial): a cell with n records and d
   defaults gets (d + m·μ) / (n + m), μ its parent's rate, m the prior
   strength — estimated per level by empirical Bayes (the m maximising the
   beta-binomial marginal likelihood of the cells) unless given.
4. **Sparse cells** (stated rule): a cell with fewer than ``min_cell_size``
   records is merged into its parent — it takes the parent's rate. A cell
   unseen at fit time (n = 0) is the extreme case and gets its parent's rate.
5. **Monotonicity** along ordered factors: the rates over the regular bins
   are made monotone in each factor's direction (ascending/descending, from
   the binning or given) by weighted pool-adjacent-violators; with two or
   more ordered factors, by the isotonic regression over the grid's partial
   order (Dykstra's alternating projections of per-axis weighted PAV). The
   weights are the credibility weights n + m. Missing and special bins are
   not ordered.
6. **Scoring** (the ``crosstab`` kernel of :mod:`riskmodels.scoring`): a
   record's PD is its cell's rate; when a factor value has no bin (an unseen
   category without an unknown bin) the record gets the rate of the deepest
   parent whose factors all have bins.

The plain functions here (beta-binomial smoothing, empirical Bayes) and in
:mod:`riskmodels.validation` (PAV and grid isotonic regression, χ²/G², Fisher
exact, Wilson/Jeffreys intervals) carry the maths and are tested against
published figures.

Examples
--------
>>> beta_binomial_rates(np.array([3, 15, 0]), np.array([50, 500, 0]), 0.02, 100.0).round(6).tolist()
[0.033333, 0.028333, 0.02]
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize, special
from sklearn.base import clone

from riskmodels import scoring
from riskmodels.binning.optimal import (
    OptimalBinning,
    category_values,
    interval_labels,
    is_numeric_column,
    numeric_values,
)
from riskmodels.binning.table import as_counts
from riskmodels.data.frames import as_frame, column_kind
from riskmodels.data.schema import require_binary_target, require_sample_weight, violation
from riskmodels.errors import DataValidationError, ParameterError, Violation
from riskmodels.models.base import ScorerModel
from riskmodels.results import Summary
from riskmodels.validation.accuracy import jeffreys_interval
from riskmodels.validation.contingency import chi2_g2_test, fisher_exact_2x2, wilson_interval
from riskmodels.validation.isotonic import isotonic_grid

SMOOTHING = ("beta-binomial", "none")
DIRECTIONS = ("ascending", "descending", None)


# =========================================================================== numpy maths
def unbinned_values(factor: str, rows, count: int | None = None) -> DataValidationError:
    """The error of a fit whose factor has values the given binning has no bin for.

    ``rows``: labels of the first such rows; ``count``: how many there are (default: ``len(rows)``).

    Examples
    --------
    >>> print(unbinned_values("sector", [4, 9]))
    1 data rule(s) broken:
      - column 'sector': values with no bin in the given binning in 2 row(s): [4, 9]; expected a bin for every training value
    """
    return DataValidationError([violation(factor, "values with no bin in the given binning", rows,
                                          "a bin for every training value", count)])


def beta_binomial_rates(defaults, counts, prior_mean, strength: float) -> np.ndarray:
    """Posterior mean default rates under a Beta(m·μ, m·(1−μ)) prior: (d + m·μ) / (n + m).

    Parameters
    ----------
    defaults, counts : defaults d and records n per cell.
    prior_mean : μ per cell (or one value): the parent margin or the portfolio rate.
    strength : m > 0, the prior's weight in pseudo-records.

    Returns
    -------
    Smoothed rate per cell (an empty cell gets μ).

    Examples
    --------
    >>> beta_binomial_rates([3], [50], 0.02, 100.0).round(6).tolist()
    [0.033333]
    """
    d, n = np.asarray(defaults, dtype=float), np.asarray(counts, dtype=float)
    if not strength > 0:
        raise ParameterError([Violation("prior_strength", f"is {strength!r}", "a positive number")])
    return (d + strength * np.asarray(prior_mean, dtype=float)) / (n + strength)


def beta_binomial_loglik(defaults, counts, prior_mean, strength: float) -> float:
    """Beta-binomial marginal log-likelihood of the cells (binomial coefficients left out).

    Σ_c ln B(d_c + m·μ_c, n_c − d_c + m·(1 − μ_c)) − ln B(m·μ_c, m·(1 − μ_c)).

    Examples
    --------
    >>> round(beta_binomial_loglik([1], [2], 0.5, 2.0), 6)  # B(2, 2) / B(1, 1) = 1/6
    -1.791759
    """
    d, n = np.asarray(defaults, dtype=float), np.asarray(counts, dtype=float)
    mu = np.clip(np.broadcast_to(np.asarray(prior_mean, dtype=float), d.shape), 1e-12, 1 - 1e-12)
    a, b = strength * mu, strength * (1 - mu)
    return float(np.sum(special.betaln(d + a, n - d + b) - special.betaln(a, b)))


def empirical_bayes_strength(defaults, counts, prior_mean, bounds=(1.0, 1e5)) -> float:
    """Prior strength m maximising the beta-binomial marginal likelihood (empirical Bayes).

    Cells that vary more than binomial noise around their prior means give a
    small m (little shrinkage); cells consistent with their prior means give
    a large m (strong shrinkage), capped at ``bounds[1]``.

    Parameters
    ----------
    defaults, counts : per cell; empty cells carry no information and are ignored.
    prior_mean : μ per cell.
    bounds : search interval for m.

    Returns
    -------
    m

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.beta(0.05 * 200, 0.95 * 200, size=400)
    >>> n = np.full(400, 500)
    >>> m = empirical_bayes_strength(rng.binomial(n, p), n, 0.05)
    >>> bool(120 < m < 330)
    True
    """
    d, n = np.asarray(defaults, dtype=float), np.asarray(counts, dtype=float)
    mu = np.broadcast_to(np.asarray(prior_mean, dtype=float), d.shape)
    seen = n > 0
    if seen.sum() < 2:
        return float(bounds[1])
    d, n, mu = d[seen], n[seen], mu[seen]
    lo, hi = np.log(bounds[0]), np.log(bounds[1])
    result = optimize.minimize_scalar(lambda t: -beta_binomial_loglik(d, n, mu, np.exp(t)),
                                      bounds=(lo, hi), method="bounded", options={"xatol": 1e-6})
    return float(np.exp(result.x))


# =========================================================================== binning helpers
def _bundle_size(spec: dict) -> int:
    """Number of bins a bundle binning can return (regular, missing, special, unknown)."""
    if spec["type"] == "numeric":
        found = [len(spec["edges"])]
    else:
        found = list(spec["categories"].values()) + [spec.get("unknown_bin")]
    found += [spec.get("missing_bin")] + list((spec.get("special_bins") or {}).values())
    return 1 + max(int(v) for v in found if v is not None)


def _regular_bins(spec: dict, fitted=None) -> int:
    """How many leading bins are ordinary (ordered) bins; missing/special bins come after."""
    if fitted is not None:
        return fitted.n_bins_
    if spec["type"] == "numeric":
        return len(spec["edges"]) + 1
    return spec["missing_bin"] if spec.get("missing_bin") is not None else _bundle_size(spec)


def _bin_labels(spec: dict, fitted=None) -> list[str]:
    size = _bundle_size(spec)
    if fitted is not None:
        labels = [str(x) for x in fitted.table_.labels]
    elif spec["type"] == "numeric":
        labels = interval_labels(spec["edges"])
        if spec.get("missing_bin") is not None:
            labels.append("Missing")
        labels += [f"Special {c}" for c in (spec.get("special_bins") or {})]
    else:
        groups: dict[int, list] = {}
        for cat, b in spec["categories"].items():
            groups.setdefault(int(b), []).append(str(cat))
        labels = [", ".join(groups.get(b, [])) or f"bin {b}" for b in range(size)]
        if spec.get("missing_bin") is not None:
            labels[spec["missing_bin"]] = "Missing"
    labels += [f"bin {b}" for b in range(len(labels), size)]
    return labels[:size]


def _kernel_values(series: pd.Series, numeric: bool) -> np.ndarray:
    """The column as the scorer sees it: float (NaN missing) or str objects (None missing)."""
    return numeric_values(series, str(series.name)) if numeric else category_values(series, str(series.name))


def _direction_from_rates(rates: np.ndarray, weights: np.ndarray) -> str | None:
    """Sign of the weighted slope of the rates over the bin positions."""
    keep = weights > 0
    if keep.sum() < 2:
        return None
    pos, r, w = np.flatnonzero(keep).astype(float), rates[keep], weights[keep]
    slope = np.sum(w * (pos - np.average(pos, weights=w)) * (r - np.average(r, weights=w)))
    return "ascending" if slope > 0 else "descending" if slope < 0 else None


# =========================================================================== the model
class CrossTabModel(ScorerModel):
    """Cross-tabulation PD model over binned factors (see the module docstring for the method).

    Parameters
    ----------
    features : column names of the factors, most important first (all columns of X when None).
    factors : deprecated name of ``features`` (FutureWarning).
    binning : None (an :class:`~riskmodels.binning.OptimalBinning` per factor
        with ``max_bins`` and ``min_bin_size``), one OptimalBinning used as a
        template for every factor, or a dict {factor: OptimalBinning template
        or a fixed bundle binning dict as read by :func:`riskmodels.scoring.bin_index`}.
    max_bins : most regular bins per factor for the default binning.
    min_bin_size : smallest bin share for the default binning.
    smoothing : "beta-binomial" (credibility towards the parent) or "none" (raw rates).
    prior_strength : "empirical-bayes" (per level) or a number m of pseudo-records.
    monotone : "auto" (each factor's direction from its binning, or from the
        slope of its margin), None (no constraint), or a dict {factor:
        "ascending" | "descending" | None}.
    min_cell_size : cells with fewer records are merged into their parent.
    ci : "jeffreys" or "wilson" intervals for the raw cell rates.
    level : confidence level of the intervals.
    master_scale : master-scale bundle section or MasterScale (the enterprise
        10-grade scale when None).
    name : model name in the bundle.

    Notes
    -----
    Missing values go to the factor's missing bin; if training had none, that
    bin's cells are empty and take their parent's rate. An unseen category goes
    where the binning sends it: the worst bin with the default
    ``OptimalBinning(unknown_category="worst")``; with ``unknown_category="error"``
    (or a fixed binning without ``unknown_bin``) it has no bin and the record
    gets the rate of the parent level (the margin of the factors before it).

    Attributes
    ----------
    features_ : the factor columns used (``factors_`` is its deprecated name). bins_ : bundle binning per factor.
    binnings_ : fitted OptimalBinning per factor (None for a fixed dict).
    directions_ : monotone direction per factor. prior_strength_ : m per level.
    level_rates_ : PD arrays per level (level 0 = portfolio). cells_ : the cell table.
    tests_ : χ² / G² (and Fisher for 2 × 2) tests per factor and for the cells.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"dpd": rng.integers(0, 90, 3000), "lev": rng.uniform(0, 1, 3000)})
    >>> pd_true = 1 / (1 + np.exp(4 - X["dpd"] / 30 - 1.5 * X["lev"]))
    >>> y = (rng.uniform(size=3000) < pd_true).astype(int)
    >>> scale = {"name": "t", "grades": ["A", "B", "C", "D"], "upper_bounds": [0.05, 0.2, 1.0],
    ...          "floor": None, "midpoints": [0.02, 0.1, 0.4, 1.0]}
    >>> model = CrossTabModel(["dpd", "lev"], max_bins=3, master_scale=scale).fit(X, y)
    >>> model.grid_shape_
    (4, 4)
    >>> p = model.predict_proba(X)[:, 1]
    >>> bool(np.all((p > 0) & (p < 1))), model.directions_
    (True, ['ascending', 'ascending'])
    """

    kind = "crosstab"

    def __init__(self, features=None, binning=None, max_bins=5, min_bin_size=0.05,
                 smoothing="beta-binomial", prior_strength="empirical-bayes", monotone="auto",
                 min_cell_size=20, ci="jeffreys", level=0.95, master_scale=None, name=None, factors=None):
        self.features = features
        self.factors = factors
        self.binning = binning
        self.max_bins = max_bins
        self.min_bin_size = min_bin_size
        self.smoothing = smoothing
        self.prior_strength = prior_strength
        self.monotone = monotone
        self.min_cell_size = min_cell_size
        self.ci = ci
        self.level = level
        self.master_scale = master_scale
        self.name = name

    # ------------------------------------------------------------------ checks
    def _parameter_problems(self) -> list:
        bad = []
        if self.factors is not None:
            warnings.warn("CrossTabModel(factors=...) is renamed features=...", FutureWarning, stacklevel=4)
        if self.factors is not None and self.features is not None:
            bad.append(Violation("factors", "is given with features", "features only (factors is its old name)"))
        chosen = self.features if self.factors is None else self.factors
        if chosen is not None:
            factors = list(chosen)
            if not factors:
                bad.append(Violation("features", "is empty", "at least one factor column"))
            if len(set(factors)) != len(factors):
                bad.append(Violation("features", f"{factors} repeats a name", "distinct factor columns"))
        if self.smoothing not in SMOOTHING:
            bad.append(Violation("smoothing", f"is {self.smoothing!r}", f"one of {SMOOTHING}"))
        strength = self.prior_strength
        if strength != "empirical-bayes" and not (isinstance(strength, (int, float)) and strength > 0):
            bad.append(Violation("prior_strength", f"is {strength!r}", "'empirical-bayes' or a number > 0"))
        if not (self.monotone in ("auto", None) or isinstance(self.monotone, dict)):
            bad.append(Violation("monotone", f"is {self.monotone!r}", "'auto', None or {factor: direction}"))
        if isinstance(self.monotone, dict):
            for f, d in self.monotone.items():
                if d not in DIRECTIONS:
                    bad.append(Violation(f"monotone.{f}", f"is {d!r}", "'ascending', 'descending' or None"))
        if self.ci not in ("jeffreys", "wilson"):
            bad.append(Violation("ci", f"is {self.ci!r}", "'jeffreys' or 'wilson'"))
        if not (isinstance(self.min_cell_size, (int, np.integer)) and self.min_cell_size >= 0):
            bad.append(Violation("min_cell_size", f"is {self.min_cell_size!r}", "an integer >= 0"))
        if not 0 < self.level < 1:
            bad.append(Violation("level", f"is {self.level!r}", "a confidence level in (0, 1)"))
        return bad

    def _factor_columns(self, frame: pd.DataFrame) -> list[str]:
        """The factor columns: ``features`` (or its old name ``factors``), else every column of X."""
        chosen = self.features if self.factors is None else self.factors
        factors = list(frame.columns) if chosen is None else list(chosen)
        if not factors:
            raise DataValidationError([Violation("X", "has no columns", "at least one factor column")],
                                      context="CrossTabModel")
        missing = [Violation(str(f), "missing column", "a factor column of X") for f in factors
                   if f not in frame.columns]
        if missing:
            raise DataValidationError(missing, context="CrossTabModel")
        return factors

    # ------------------------------------------------------------------ fit
    def factor_binnings(self, columns) -> dict:
        """Each factor's binning, unfitted: its fixed bundle binning (a dict) or an :class:`OptimalBinning`.

        The parameters are checked (ParameterError) and the factors looked up in
        ``columns``; an engine that counts elsewhere (:mod:`riskmodels.spark`)
        bins the factors with these and passes the cells to :meth:`fit_cells`.

        Examples
        --------
        >>> CrossTabModel(["dpd"], max_bins=3).factor_binnings(["dpd", "lev"])["dpd"].max_bins
        3
        """
        self._check_params()
        factors = self._factor_columns(pd.DataFrame(columns=list(columns)))
        out = {}
        for name in factors:
            choice = self.binning.get(name) if isinstance(self.binning, dict) else self.binning
            if isinstance(choice, dict):
                out[name] = dict(choice)
            else:
                template = choice or OptimalBinning(max_bins=self.max_bins, min_bin_size=self.min_bin_size)
                out[name] = clone(template).set_params(name=name)
        return out

    @staticmethod
    def _bin_factor(choice, name: str, series: pd.Series, y: np.ndarray, weight=None):
        if isinstance(choice, dict):
            return None, dict(choice), is_numeric_column(series)
        # no silent type change: a stray string among numbers raises (column_kind)
        numeric = column_kind(series, name) == "number"
        if numeric and not is_numeric_column(series):
            series = pd.Series(numeric_values(series, name), index=series.index, name=series.name)
        fitted = clone(choice).set_params(name=name, dtype="numerical" if numeric else "categorical")
        fitted.fit(series, y, sample_weight=weight)
        return fitted, fitted.to_bundle(), numeric

    def fit(self, X, y, sample_weight=None):
        """Bin the factors, count the cells and estimate every level's rates.

        Parameters
        ----------
        X : DataFrame (or 2-d array) holding the factor columns.
        y : binary default flag (1 = default).
        sample_weight : weight of each record (None: 1 each); cells then hold
            summed weights (a record of weight w counts as w records); records
            of weight 0 are left out.

        Returns
        -------
        self

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({"dpd": rng.integers(0, 90, 2000), "lev": rng.uniform(0, 1, 2000)})
        >>> y = (rng.uniform(size=2000) < 0.02 + X["dpd"] / 500).astype(int)
        >>> CrossTabModel(["dpd", "lev"], max_bins=3).fit(X, y).grid_shape_
        (4, 3)
        """
        self._check_params()
        frame = as_frame(X)
        target = require_binary_target(y, "target")
        if len(target) != len(frame):
            raise DataValidationError([Violation("target", f"has {len(target)} values for {len(frame)} rows",
                                                 "one target per row of X")])
        choices = self.factor_binnings(frame.columns)
        factors = list(choices)
        weight = require_sample_weight(sample_weight, target)
        if weight is not None and not (weight > 0).all():
            frame, target, weight = frame[weight > 0], target[weight > 0], weight[weight > 0]
        binned, index = [], []
        for f in factors:
            fitted, spec, numeric = self._bin_factor(choices[f], f, frame[f], target, weight)
            idx = scoring.bin_index(spec, _kernel_values(frame[f], numeric))
            if (idx < 0).any():
                raise unbinned_values(f, frame.index[idx < 0])
            binned.append((fitted, spec, numeric))
            index.append(idx)
        events = target.astype(float) if weight is None else target * weight
        return self.fit_cells(factors, binned, index, events, weight, frame.columns)

    def fit_cells(self, features, binned, index, events, counts=None, columns=None):
        """Estimate every level's rates from binned rows; the second half of :meth:`fit`, returns self.

        For callers that bin and count elsewhere (:mod:`riskmodels.spark` groups the
        records by their cell in Spark and passes one row per cell).

        Parameters
        ----------
        features : the factor names.
        binned : (fitted OptimalBinning or None, bundle binning, numeric?) per factor.
        index : one array of bin indices per factor (one entry per row).
        events : defaults of each row (the 0/1 target when rows are records).
        counts : records of each row (None: each row is one record).
        columns : the columns of the training data (``feature_names_in_``).

        Examples
        --------
        Two cells of 50 records, 25 and 0 defaults, give the rates :meth:`fit` gives on the records:

        >>> spec = {"type": "numeric", "edges": [0.5], "missing_bin": 2}
        >>> model = CrossTabModel(binning={"x": spec}, smoothing="none", min_cell_size=0)
        >>> model.fit_cells(["x"], [(None, spec, True)], [np.array([0, 1])], np.array([25.0, 0.0]),
        ...                 np.array([50.0, 50.0])).predict_proba(pd.DataFrame({"x": [0.0, 1.0]}))[:, 1].tolist()
        [0.5, 0.0]
        """
        self.features_ = list(features)
        self.binnings_ = [b for b, _, _ in binned]
        self.bins_ = [s for _, s, _ in binned]
        self.numeric_ = [n for _, _, n in binned]
        self.labels_ = [_bin_labels(s, b) for b, s, _ in binned]
        sizes = [_bundle_size(s) for s in self.bins_]
        if int(np.prod(sizes)) > 200_000:
            raise DataValidationError([Violation("features", f"grid of {int(np.prod(sizes))} cells",
                                                 "at most 200,000 cells: fewer factors or bins")])
        self.grid_shape_ = tuple(sizes)
        self.ordered_ = [_regular_bins(s, b) for s, b in zip(self.bins_, self.binnings_, strict=True)]
        self._estimate_levels(index, events, counts)
        columns = list(features) if columns is None else list(columns)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(columns)
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.master_scale_ = self.master_scale  # None: the enterprise 10-grade scale (also on a refit)
        n_train = len(events) if counts is None else float(np.sum(counts))
        self.training_metadata_ = {"n_train": int(n_train), "default_rate": float(np.sum(events) / n_train)}
        return self

    def _directions(self, index, y, counts=None) -> list:
        out = []
        for k, f in enumerate(self.features_):
            if self.monotone is None:
                out.append(None)
            elif isinstance(self.monotone, dict):
                out.append(self.monotone.get(f))
            elif self.binnings_[k] is not None and self.binnings_[k].trend_ in ("ascending", "descending"):
                out.append(self.binnings_[k].trend_)
            elif self.numeric_[k] or self.binnings_[k] is not None:
                n = np.bincount(index[k], weights=counts, minlength=self.grid_shape_[k])[: self.ordered_[k]]
                n = n.astype(float)
                d = np.bincount(index[k], weights=y, minlength=self.grid_shape_[k])[: self.ordered_[k]]
                out.append(_direction_from_rates(np.divide(d, n, out=np.zeros_like(d), where=n > 0), n))
            else:
                out.append(None)  # a fixed categorical grouping has no order
        return out

    def _estimate_levels(self, index, y, counts=None):
        sizes = self.grid_shape_
        self.directions_ = self._directions(index, y, counts)
        portfolio = float(y.mean()) if counts is None else float(y.sum() / np.sum(counts))
        rates = [np.array([portfolio])]
        strengths, flat = [], np.zeros(len(y), dtype=np.int64)
        for level in range(1, len(sizes) + 1):
            flat = flat * sizes[level - 1] + index[level - 1]
            n_cells = int(np.prod(sizes[:level]))
            n = np.bincount(flat, weights=counts, minlength=n_cells).astype(float)
            d = np.bincount(flat, weights=y, minlength=n_cells)
            prior = np.repeat(rates[-1], sizes[level - 1])
            if self.smoothing == "beta-binomial":
                m = (empirical_bayes_strength(d, n, prior) if self.prior_strength == "empirical-bayes"
                     else float(self.prior_strength))
                smoothed = beta_binomial_rates(d, n, prior, m)
                weights = n + m
            else:
                m = 0.0
                smoothed = np.where(n > 0, np.divide(d, n, out=np.zeros_like(d), where=n > 0), prior)
                weights = n
            merged = n < self.min_cell_size
            smoothed = np.where(merged, prior, smoothed)
            shape = sizes[:level]
            final = isotonic_grid(smoothed.reshape(shape), weights.reshape(shape),
                                  self.directions_[:level], self.ordered_[:level]).ravel()
            strengths.append(m)
            rates.append(final)
        self.prior_strength_ = strengths
        self.level_rates_ = rates
        self.cells_ = self._cell_table(n, d, prior, smoothed, final, merged)
        self.tests_ = self._tests(index, y, n, d, counts)

    def _cell_table(self, n, d, prior, smoothed, final, merged) -> pd.DataFrame:
        grid = np.indices(self.grid_shape_).reshape(len(self.grid_shape_), -1)
        interval = jeffreys_interval if self.ci == "jeffreys" else wilson_interval
        low, high = interval(d, n, self.level)
        table = pd.DataFrame({f: np.asarray(self.labels_[k], dtype=object)[grid[k]]
                              for k, f in enumerate(self.features_)})
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = np.where(n > 0, d / np.where(n > 0, n, 1), np.nan)
        return table.assign(n=as_counts(n), defaults=as_counts(d), raw_rate=raw,
                            ci_low=low, ci_high=high, parent_rate=prior, smoothed=smoothed,
                            pd=final, merged=merged)

    def _tests(self, index, y, n_cells, d_cells, counts=None) -> pd.DataFrame:
        rows = []
        for k, f in enumerate(self.features_):
            n = np.bincount(index[k], weights=counts, minlength=self.grid_shape_[k]).astype(float)
            d = np.bincount(index[k], weights=y, minlength=self.grid_shape_[k])
            rows.append(self._test_row(f, n, d))
        rows.append(self._test_row("cells", n_cells, d_cells))
        return pd.DataFrame(rows).set_index("table")

    @staticmethod
    def _test_row(name, n, d) -> dict:
        table = np.column_stack([n - d, d])[n > 0]
        row = {"table": name, "cells": int(len(table)), **chi2_g2_test(table)._asdict()}
        row["fisher_p"] = fisher_exact_2x2(table.astype(np.int64)).p_value if table.shape == (2, 2) else np.nan
        return row

    @property
    def factors_(self) -> list:
        """Deprecated name of :attr:`features_` (FutureWarning).

        Examples
        --------
        >>> X, y = pd.DataFrame({"dpd": [0.0, 30.0] * 50}), np.tile([0, 1, 0, 0], 25)
        >>> model = CrossTabModel(["dpd"], min_cell_size=0).fit(X, y)
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     model.factors_ == model.features_, caught[0].category.__name__
        (True, 'FutureWarning')
        """
        warnings.warn("CrossTabModel.factors_ is renamed features_", FutureWarning, stacklevel=2)
        return self.features_

    # ------------------------------------------------------------------ bundle hooks
    def _bundle_inputs(self) -> list:
        self._check_fitted()
        rules = []
        for f, spec, numeric in zip(self.features_, self.bins_, self.numeric_, strict=True):
            if numeric:
                rules.append({"name": f, "type": "number", "required": True, "missing": "allow"})
            else:
                rules.append({"name": f, "type": "category", "required": True, "missing": "allow",
                              "unknown": "allow", "categories": sorted(spec["categories"])})
        return rules

    def _bundle_model(self) -> dict:
        self._check_fitted()
        return {"factors": list(self.features_), "bins": [dict(s) for s in self.bins_],
                "shape": [int(s) for s in self.grid_shape_],
                "levels": [[float(v) for v in r] for r in self.level_rates_]}

    # ------------------------------------------------------------------ outputs
    def summary(self) -> Summary:
        """Factors, prior strengths, tests and the non-empty cells (a :class:`~riskmodels.results.Summary`).

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({"dpd": rng.integers(0, 90, 2000), "lev": rng.uniform(0, 1, 2000)})
        >>> y = (rng.uniform(size=2000) < 0.02 + X["dpd"] / 500).astype(int)
        >>> [t.title for t in CrossTabModel(["dpd", "lev"], max_bins=3).fit(X, y).summary().tables]
        [None, 'Factors', 'Tests of independence (factor bins x default)', 'Cells with records']
        """
        self._check_fitted()
        factors = pd.DataFrame({"direction": [d or "" for d in self.directions_],
                                "bins": [int(s) for s in self.grid_shape_]},
                               index=pd.Index([str(f) for f in self.features_], name="factor"))
        return (Summary(f"CrossTabModel: {len(self.features_)} factor(s), grid "
                        f"{' x '.join(map(str, self.grid_shape_))}")
                .add_rows([("smoothing", self.smoothing),
                           ("prior strength per level", ", ".join(f"{m:.1f}" for m in self.prior_strength_)),
                           ("portfolio rate", float(self.level_rates_[0][0])),
                           (f"merged cells (n < {self.min_cell_size})",
                            f"{int(self.cells_['merged'].sum())} of {len(self.cells_)}")])
                .add_table(factors, "Factors")
                .add_table(self.tests_, "Tests of independence (factor bins x default)")
                .add_table(self.cells_[self.cells_["n"] > 0], "Cells with records", index=False))

    def _repr_html_(self) -> str:
        if not hasattr(self, "cells_"):
            return f"<pre>{self!r}</pre>"
        return self.summary().as_html()

    def plot(self, ax=None, annotate: bool = True):
        """Heat map of the cell PDs over the first two factors (one panel per bin of a third).

        With one factor: raw and final rates per bin. With four or more factors the
        factors after the third are averaged out (record-weighted; unweighted where a
        cell has no records). Returns the Axes (or an array of Axes).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({f"f{i}": rng.integers(0, 3, 800) for i in range(4)})
        >>> y = (rng.uniform(size=800) < 0.1).astype(int)
        >>> len(CrossTabModel(binning={f"f{i}": {"type": "numeric", "edges": [0.5, 1.5], "missing_bin": 3}
        ...                                for i in range(4)}, min_cell_size=0).fit(X, y).plot(annotate=False))
        3
        """
        import matplotlib.pyplot as plt

        self._check_fitted()
        rates = self.level_rates_[-1].reshape(self.grid_shape_)
        counts = self.cells_["n"].to_numpy().reshape(self.grid_shape_)
        if len(self.grid_shape_) > 3:
            extra = tuple(range(3, len(self.grid_shape_)))
            total = counts.sum(axis=extra)
            with np.errstate(invalid="ignore", divide="ignore"):
                weighted = (rates * counts).sum(axis=extra) / total
            rates = np.where(total > 0, weighted, rates.mean(axis=extra))
            counts = total
        if len(self.grid_shape_) == 1:
            ax = ax or plt.subplots(figsize=(6, 3))[1]
            x = np.arange(len(rates))
            ax.bar(x, self.cells_["raw_rate"].fillna(0), color="lightgrey", label="raw")
            ax.plot(x, rates, "o-", color="C3", label="PD")
            ax.set_xticks(x, labels=self.labels_[0], rotation=45, ha="right")
            ax.set_ylabel("default rate")
            ax.legend()
            return ax
        panels = [(slice(None), slice(None))] if len(self.grid_shape_) == 2 else \
            [(slice(None), slice(None), k) for k in range(self.grid_shape_[2]) if counts[:, :, k].sum() > 0]
        if ax is None:
            fig, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 3.8), squeeze=False)
            axes = axes[0]
        else:
            axes = np.atleast_1d(ax)
        for a, where in zip(axes, panels, strict=False):
            grid = rates[where]
            image = a.imshow(grid, cmap="Reds", aspect="auto", vmin=0, vmax=float(rates.max()))
            a.set_yticks(range(grid.shape[0]), labels=self.labels_[0])
            a.set_xticks(range(grid.shape[1]), labels=self.labels_[1], rotation=45, ha="right")
            a.set_ylabel(str(self.features_[0]))
            a.set_xlabel(str(self.features_[1]))
            if len(where) == 3:
                a.set_title(f"{self.features_[2]}: {self.labels_[2][where[2]]}")
            if annotate:
                n = counts[where]
                for (r, c), v in np.ndenumerate(grid):
                    a.text(c, r, f"{100 * v:.1f}%\nn={n[r, c]}", ha="center", va="center", fontsize=7)
            a.figure.colorbar(image, ax=a, label="PD")
        return axes[0] if len(axes) == 1 else axes
