"""Calibrators: raw score → PD, each exported as bundle calibration steps.

Every calibrator learns its parameters with scipy/scikit-learn but computes
``transform`` through :func:`riskmodels.scoring.apply_calibration` with the steps
``to_bundle_steps()`` returns, so a scorer bundle reproduces it exactly.

- :class:`IsotonicCalibrator` — pool-adjacent-violators fit, an ``interp`` step;
- :class:`PlattCalibrator` — expit(a·score + b), optionally with Platt's (1999)
  smoothed targets (N₊+1)/(N₊+2) and 1/(N₋+2), a ``logistic`` step;
- :class:`LogisticScoreCalibrator` — maximum-likelihood logistic regression of the
  default flag on the score with standard errors, a ``logistic`` step;
- :class:`CentralTendencyCalibrator` — moves PDs to a long-run average default
  rate by an intercept (logit) shift or by Bayes' rule on the odds, a ``logit_shift`` step.

Examples
--------
>>> import numpy as np
>>> score = np.array([1.0, 2, 3, 4, 5, 6, 7, 8])
>>> y = np.array([0, 0, 1, 0, 0, 1, 1, 1])
>>> IsotonicCalibrator(increasing=True).fit(score, y).transform(score).tolist()
[0.0, 0.0, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.isotonic import IsotonicRegression

from riskmodels import scoring
from riskmodels.data.schema import require_binary_target
from riskmodels.errors import (
    ChecksParameters,
    DataValidationError,
    NotFittedError,
    ParameterError,
    Violation,
)
from riskmodels.results import Summary


def check_scores(values, name: str = "score", low=None, high=None) -> np.ndarray:
    """1-d float array of finite scores (a single column of a 2-d input is accepted).

    Raises DataValidationError naming ``name``, the first bad positions and the rule.

    Examples
    --------
    >>> check_scores([1, 2.5]).tolist()
    [1.0, 2.5]
    """
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataValidationError([Violation(name, f"has shape {arr.shape}", "a 1-d array of scores")])
    if arr.size == 0:
        raise DataValidationError([Violation(name, "is empty", "at least one value")])
    if arr.dtype.kind not in "fiu":
        raise DataValidationError([Violation(name, f"has dtype {arr.dtype}", "numbers")])
    arr = arr.astype(float)
    rules = [(~np.isfinite(arr), "missing or infinite values", "finite numbers")]
    if low is not None:
        rules.append((arr < low, f"values below {low}", f">= {low}"))
    if high is not None:
        rules.append((arr > high, f"values above {high}", f"<= {high}"))
    found = [Violation(name, rule, expected, tuple(np.flatnonzero(bad)[:5].tolist()), int(bad.sum()))
             for bad, rule, expected in rules if np.any(bad)]
    if found:
        raise DataValidationError(found)
    return arr


def _check_pair(score, y, low=None, high=None):
    s = check_scores(score, "score", low, high)
    t = require_binary_target(y, "y")
    if len(t) != len(s):
        raise DataValidationError([Violation("y", f"has {len(t)} values", f"{len(s)} (one per score)")])
    return s, t


def pd_bounds_problems(bounds, name: str = "pd_bounds") -> list:
    """Violations of a (low, high) PD range: two numbers with 0 <= low < high <= 1.

    Parameters
    ----------
    bounds : object
        The parameter value.
    name : str
        The parameter name the violation carries.

    Returns
    -------
    list of Violation
        Empty when the range is valid.

    Examples
    --------
    >>> pd_bounds_problems((0.0003, 0.9999)), pd_bounds_problems((0.5, 0.1))[0].column
    ([], 'pd_bounds')
    """
    try:
        low, high = (float(v) for v in bounds)
    except (TypeError, ValueError):
        return [Violation(name, f"is {bounds!r}", "two numbers (low, high)")]
    if not 0.0 <= low < high <= 1.0:
        return [Violation(name, f"is {bounds!r}", "0 <= low < high <= 1")]
    return []


class _Calibrator(ChecksParameters, TransformerMixin, BaseEstimator):
    """Shared behaviour: transform through the bundle steps, predict_proba for pipelines."""

    _score_bounds = (None, None)

    def __sklearn_tags__(self):
        """Calibrators map one score column to PDs: 1-d input, a binary target."""
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = False
        tags.target_tags.required = True
        return tags

    def to_bundle_steps(self) -> list:
        """The calibration steps a scorer bundle applies to the raw output."""
        if not hasattr(self, "steps_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(score, y) first")
        return [dict(step) for step in self.steps_]

    def transform(self, score) -> np.ndarray:
        """PD of each score, computed by ``scoring.apply_calibration``."""
        steps = self.to_bundle_steps()
        return scoring.apply_calibration(steps, check_scores(score, "score", *self._score_bounds))

    def predict_proba(self, score) -> np.ndarray:
        """Columns (1 − PD, PD), the scikit-learn classifier layout."""
        pd_ = self.transform(score)
        return np.column_stack([1.0 - pd_, pd_])


class IsotonicCalibrator(_Calibrator):
    """Monotone step-wise PD from a score (pool adjacent violators).

    Parameters
    ----------
    increasing : bool or "auto"
        Whether the PD rises with the score ("auto": the sign of the Spearman correlation).
        For points where higher = safer, use False.
    pd_bounds : (float, float)
        The fitted PDs are clipped to this range, so no grade gets PD 0 or 1
        from a pure block; (0, 1) keeps them as fitted.

    Attributes
    ----------
    steps_ : list
        ``[{"method": "interp", "x": thresholds, "y": PDs}]``: flat beyond the ends.

    Examples
    --------
    >>> cal = IsotonicCalibrator(increasing=False).fit([10, 20, 30, 40], [1, 1, 0, 0])
    >>> cal.to_bundle_steps()[0]["y"]
    [1.0, 1.0, 0.0, 0.0]
    """

    def __init__(self, increasing="auto", pd_bounds=(0.0, 1.0)):
        self.increasing = increasing
        self.pd_bounds = pd_bounds

    def _parameter_problems(self) -> list:
        problems = []
        if not (isinstance(self.increasing, (bool, np.bool_)) or self.increasing == "auto"):
            problems.append(Violation("increasing", f"is {self.increasing!r}", "True, False or 'auto'"))
        problems += pd_bounds_problems(self.pd_bounds)
        return problems

    def fit(self, score, y, sample_weight=None):
        """Fit the monotone map; ``sample_weight`` optional (non-negative).

        Examples
        --------
        >>> s = [0.1, 0.4, 0.35, 0.8, 0.7, 0.9]
        >>> y = [0, 0, 1, 1, 0, 1]
        >>> IsotonicCalibrator(increasing=True).fit(s, y).transform([0.1, 0.9]).tolist()
        [0.0, 1.0]
        """
        self._check_params()
        s, t = _check_pair(score, y)
        w = None if sample_weight is None else check_scores(sample_weight, "sample_weight", low=0)
        iso = IsotonicRegression(increasing=self.increasing, out_of_bounds="clip", y_min=0.0, y_max=1.0)
        iso.fit(s, t, sample_weight=w)
        lo, hi = self.pd_bounds
        self.increasing_ = bool(iso.increasing_)
        self.steps_ = [{"method": "interp", "x": [float(v) for v in iso.X_thresholds_],
                        "y": [float(v) for v in np.clip(iso.y_thresholds_, lo, hi)]}]
        return self


def _fit_logistic(s, targets, weights=None):
    """Maximise Σ w·[t·ln p + (1−t)·ln(1−p)], p = expit(a·s + b); returns (a, b, covariance)."""
    w = np.ones_like(s) if weights is None else weights
    centre, spread = float(np.mean(s)), float(np.std(s)) or 1.0
    z = (s - centre) / spread

    def loss(theta):
        eta = theta[0] * z + theta[1]
        # log(1 + e^eta) - t*eta, written stably
        value = np.sum(w * (np.logaddexp(0.0, eta) - targets * eta))
        resid = scoring.expit(eta) - targets
        return value, np.array([np.sum(w * resid * z), np.sum(w * resid)])

    res = optimize.minimize(loss, np.zeros(2), jac=True, method="BFGS",
                            options={"gtol": 1e-10, "maxiter": 500})
    a_z, b_z = res.x
    a, b = a_z / spread, b_z - a_z * centre / spread
    p = scoring.expit(a * s + b)
    design = np.column_stack([s, np.ones_like(s)])
    info = design.T @ (design * (w * p * (1 - p))[:, None])
    cov = np.linalg.pinv(info)
    return float(a), float(b), cov


class PlattCalibrator(_Calibrator):
    """Platt scaling: PD = expit(a·score + b).

    Parameters
    ----------
    smoothing : bool
        True (default) fits to Platt's (1999) targets (N₊+1)/(N₊+2) for defaults and
        1/(N₋+2) for non-defaults, which keeps PDs off 0 and 1 on separable data;
        False fits the 0/1 flags (plain maximum likelihood).

    Attributes
    ----------
    a_, b_ : float
        Slope and intercept.
    steps_ : list
        ``[{"method": "logistic", "a": a_, "b": b_}]``.

    Examples
    --------
    >>> cal = PlattCalibrator().fit([1, 2, 3, 4], [0, 0, 1, 1])
    >>> bool(cal.a_ > 0), bool(0 < cal.transform([1.0])[0] < 0.5)
    (True, True)
    """

    def __init__(self, smoothing: bool = True):
        self.smoothing = smoothing

    def _parameter_problems(self) -> list:
        if isinstance(self.smoothing, (bool, np.bool_)):
            return []
        return [Violation("smoothing", f"is {self.smoothing!r}", "True or False")]

    def fit(self, score, y):
        """Fit a and b.

        Examples
        --------
        >>> s = [0.1, 0.4, 0.35, 0.8, 0.7, 0.9]
        >>> y = [0, 0, 1, 1, 0, 1]
        >>> cal = PlattCalibrator().fit(s, y)
        >>> bool(cal.a_ > 0)
        True
        """
        self._check_params()
        s, t = _check_pair(score, y)
        targets = t.astype(float)
        if self.smoothing:
            n_pos, n_neg = int(t.sum()), int(len(t) - t.sum())
            targets = np.where(t == 1, (n_pos + 1) / (n_pos + 2), 1.0 / (n_neg + 2))
        self.a_, self.b_, _ = _fit_logistic(s, targets)
        self.steps_ = [{"method": "logistic", "a": self.a_, "b": self.b_}]
        return self


class LogisticScoreCalibrator(_Calibrator):
    """Logistic regression of the default flag on the score: PD = expit(a·score + b).

    The calibration used for points-based scorecards: ln odds is linear in points.
    Gives standard errors and Wald tests of slope and intercept.

    Attributes
    ----------
    a_, b_ : float
        Slope and intercept.
    bse_ : ndarray
        Standard errors of (a, b).
    steps_ : list
        ``[{"method": "logistic", "a": a_, "b": b_}]``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> s = rng.normal(size=4000)
    >>> y = (rng.random(4000) < 1 / (1 + np.exp(-(1.5 * s - 2)))).astype(int)
    >>> cal = LogisticScoreCalibrator().fit(s, y)
    >>> round(cal.a_, 1), round(cal.b_, 1)
    (1.5, -2.0)
    """

    def fit(self, score, y, sample_weight=None):
        """Fit a and b by maximum likelihood; ``sample_weight`` optional.

        Examples
        --------
        >>> s = [0.1, 0.4, 0.35, 0.8, 0.7, 0.9]
        >>> y = [0, 0, 1, 1, 0, 1]
        >>> cal = LogisticScoreCalibrator().fit(s, y)
        >>> cal.steps_[0]["method"], bool(cal.a_ > 0)
        ('logistic', True)
        """
        s, t = _check_pair(score, y)
        w = None if sample_weight is None else check_scores(sample_weight, "sample_weight", low=0)
        self.a_, self.b_, cov = _fit_logistic(s, t.astype(float), w)
        self.bse_ = np.sqrt(np.diag(cov))
        self.steps_ = [{"method": "logistic", "a": self.a_, "b": self.b_}]
        return self

    def summary(self) -> Summary:
        """Coefficient table with standard errors, z and p-values (a :class:`~riskmodels.results.Summary`).

        Examples
        --------
        >>> s = [0.1, 0.4, 0.35, 0.8, 0.7, 0.9]
        >>> y = [0, 0, 1, 1, 0, 1]
        >>> LogisticScoreCalibrator().fit(s, y).summary().tables[0].frame.index.tolist()
        ['score', 'intercept']
        """
        rows = []
        for name, coef, se in (("score", self.a_, self.bse_[0]), ("intercept", self.b_, self.bse_[1])):
            z = coef / se if se > 0 else np.inf
            rows.append({"": name, "coef": coef, "std err": se, "z": z, "P>|z|": 2 * stats.norm.sf(abs(z))})
        return Summary("Logistic score calibration: PD = expit(a·score + b)").add_table(
            pd.DataFrame(rows).set_index(""))


def intercept_shift(pd, target: float) -> float:
    """δ such that mean(expit(logit(PD) + δ)) = target (PDs of 0 or 1 stay put).

    Examples
    --------
    >>> p = [0.01, 0.02, 0.03, 0.05, 0.08, 0.10, 0.15, 0.20, 0.30, 0.50]
    >>> round(intercept_shift(p, 0.05), 7)
    -1.3265269
    """
    p = check_scores(pd, "pd", 0.0, 1.0)
    if not 0 < target < 1:
        raise ParameterError([Violation("target", f"is {target}", "a default rate in (0, 1)")])
    inner = (p > 0) & (p < 1)
    fixed = p[~inner].sum()
    needed = target * len(p) - fixed
    if not inner.any() or not 0 < needed < inner.sum():
        raise DataValidationError([Violation("pd", "PDs of 0 and 1 alone fix the mean",
                                             f"enough PDs in (0, 1) to reach {target}")])
    z = scoring.logit(p[inner])

    def gap(delta):
        return scoring.expit(z + delta).sum() - needed

    return float(optimize.brentq(gap, -50.0, 50.0, xtol=1e-14, rtol=4 * np.finfo(float).eps))


class CentralTendencyCalibrator(_Calibrator):
    """Move PDs to a long-run average default rate (central tendency) by a logit shift.

    Parameters
    ----------
    target_pd : float
        The central tendency (long-run average one-year default rate).
    method : {"intercept", "bayes"}
        "intercept": the shift δ that makes the mean calibrated PD equal ``target_pd``
        exactly (solved numerically). "bayes": Bayes' rule on the odds,
        δ = logit(target_pd) − logit(sample default rate) — the prior-correction of
        a sample whose default rate differs from the population's.

    Attributes
    ----------
    delta_ : float
        The shift on the logit scale.
    steps_ : list
        ``[{"method": "logit_shift", "delta": delta_}]``.

    Examples
    --------
    >>> p = [0.01, 0.02, 0.03, 0.05, 0.08, 0.10, 0.15, 0.20, 0.30, 0.50]
    >>> cal = CentralTendencyCalibrator(0.05).fit(p)
    >>> round(cal.delta_, 7), round(float(cal.transform(p).mean()), 12)
    (-1.3265269, 0.05)
    """

    _score_bounds = (0.0, 1.0)

    def __init__(self, target_pd: float = 0.02, method: str = "intercept"):
        self.target_pd = target_pd
        self.method = method

    def _parameter_problems(self) -> list:
        problems = []
        if self.method not in ("intercept", "bayes"):
            problems.append(Violation("method", f"is {self.method!r}", "'intercept' or 'bayes'"))
        if not (isinstance(self.target_pd, (int, float, np.number)) and 0 < self.target_pd < 1):
            problems.append(Violation("target_pd", f"is {self.target_pd!r}", "a rate in (0, 1)"))
        return problems

    def fit(self, pd, y=None):
        """Learn δ from the PDs (``intercept``) or from the sample default rate of ``y`` (``bayes``).

        With ``method="bayes"`` and no ``y``, the sample default rate is the mean PD.

        Examples
        --------
        >>> cal = CentralTendencyCalibrator(0.1, method="bayes").fit([0.1, 0.3], [0, 1])
        >>> round(cal.sample_rate_, 2), round(cal.delta_, 4)
        (0.5, -2.1972)
        """
        self._check_params()
        p = check_scores(pd, "pd", 0.0, 1.0)
        if self.method == "intercept":
            self.delta_ = intercept_shift(p, self.target_pd)
        else:
            if y is None:
                rate = float(p.mean())
                if not 0 < rate < 1:  # logit(rate) is infinite: δ would be ±inf
                    raise DataValidationError([Violation("pd", f"has mean {rate} and no y is given",
                                                         "a mean PD in (0, 1) or the default flags y")])
            else:
                _, t = _check_pair(p, y, 0.0, 1.0)
                rate = float(t.mean())
            self.sample_rate_ = rate
            self.delta_ = float(scoring.logit(self.target_pd) - scoring.logit(rate))
        self.steps_ = [{"method": "logit_shift", "delta": self.delta_}]
        return self
