"""RejectInference: refit a scorecard on the accepts plus the inferred rejects.

The wrapped estimator is fitted on the accepts (``accepts_model_``), scores the
rejects, and the method of :mod:`riskmodels.reject.augment` turns accepts and
rejects into one weighted sample on which a copy of the estimator is refitted
(``model_``). The object then behaves as that refitted model: ``predict_proba``,
``summary()``, ``to_bundle()``/``export()`` — and the bundle's metadata records
the method and its parameters (``metadata["reject_inference"]``).

``rebin=True`` (default) refits everything (binning, selection, logit) on the
augmented sample; ``rebin=False`` keeps the accepts' bins, WoE and
characteristics and refits only the coefficients
(:meth:`~riskmodels.models.logistic.LogisticScorecard.refit_coefficients`).
Held fixed that way, fuzzy augmentation with the accepts' own PDs returns the
accepts-only coefficients (the fixed point: the rejects' score contributions
``Σ (p̂ − p(β)) x`` vanish at the accepts' estimate).
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from riskmodels.data.frames import as_frame
from riskmodels.data.schema import require_binary_target, require_sample_weight
from riskmodels.errors import ChecksParameters, DataValidationError, NotFittedError, Violation
from riskmodels.reject import augment

METHODS = ("hard_cutoff", "fuzzy", "parcelling", "reweighting")


def check_rejects(X_accepted: pd.DataFrame, X_rejected: pd.DataFrame, target_name=None) -> None:
    """Raise unless the rejects have the accepts' columns and no target.

    A reject has no known outcome: a target column among the rejects' (the name
    of ``y_accepted``, or "target") with any value is refused, as are columns the
    accepts lack (they cannot be scored consistently) and characteristics the
    rejects lack.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1, 2]})
    >>> check_rejects(a, pd.DataFrame({"x": [3], "z": [0]}))
    Traceback (most recent call last):
    ...
    riskmodels.errors.DataValidationError: 1 data rule(s) broken:
      - column 'z': the rejects have a column the accepts lack; expected the accepts' columns ['x']
    """
    accepted = [str(c) for c in X_accepted.columns]
    problems = []
    names = {str(target_name), "target"} if target_name is not None else {"target"}
    for name in names & {str(c) for c in X_rejected.columns}:
        given = X_rejected[name].notna().to_numpy()
        if given.any():
            problems.append(Violation(name, "a target given for rejected applicants", "no outcome for a reject",
                                      tuple(X_rejected.index[given][:5].tolist()), int(given.sum())))
    for name in X_rejected.columns:
        if str(name) not in accepted and str(name) not in names:
            problems.append(Violation(str(name), "the rejects have a column the accepts lack",
                                      f"the accepts' columns {accepted[:10]}"))
    missing = [c for c in accepted if c not in {str(n) for n in X_rejected.columns}]
    if missing:
        problems.append(Violation(missing[0], f"the rejects lack {len(missing)} of the accepts' columns {missing[:10]}",
                                  "every column of the accepts"))
    if len(X_rejected) == 0:
        problems.append(Violation("<X_rejected>", "has no rows", "at least one rejected applicant"))
    if problems:
        raise DataValidationError(problems)


class RejectInference(ChecksParameters, BaseEstimator):
    """Reject inference around a scorecard: fit on the accepts, infer the rejects, refit with weights.

    Parameters
    ----------
    estimator : an unfitted estimator whose ``fit`` takes ``sample_weight``
        (:class:`~riskmodels.models.logistic.LogisticScorecard`, ``CrossTabModel``).
    method : "fuzzy" (default), "hard_cutoff", "parcelling" or "reweighting".
    cutoff : hard cut-off: a reject is labelled bad when its PD >= cutoff (default 0.5).
    reject_bad_rate : hard cut-off: instead of ``cutoff``, the share of rejects
        (highest PDs) labelled bad.
    reject_weight : weight of each reject row (fuzzy, parcelling, hard cut-off);
        ignored when ``reject_rate`` is given.
    reject_rate : the rejects' share of the through-the-door population; the
        rejects then weigh ``reject_rate / (1 − reject_rate) × n_accepted /
        n_rejected`` each, so that they are that share of the augmented sample
        (SAS's rejection-rate weight). None: ``reject_weight``.
    n_bands, uplift : parcelling: score bands (accepts' PD quantiles) and the
        factor applied to each band's accept bad rate (rejects worse than accepts
        of the same score: > 1).
    clip : reweighting: lower clip of P(accept) before inversion.
    rebin : refit bins and selection too (True) or only the coefficients (False,
        LogisticScorecard only).

    Attributes
    ----------
    accepts_model_ : the estimator fitted on the accepts only.
    model_ : the estimator refitted on the augmented sample.
    selection_model_ : reweighting: the estimator fitted to the accept flag (1 = rejected).
    augmented_ : DataFrame (source, row, target, weight) of the augmented sample.
    reject_pd_ : the rejects' PDs under the accepts' model.
    reject_weight_ : the weight per reject row used.

    Examples
    --------
    >>> from riskmodels.models.logistic import LogisticScorecard
    >>> from riskmodels.data.loaders import load_german
    >>> g = load_german()
    >>> X, y = g.drop(columns="target"), g["target"]
    >>> accepted = (X["duration_months"] <= 30).to_numpy()
    >>> ri = RejectInference(LogisticScorecard(max_features=4), method="fuzzy")
    >>> ri = ri.fit(X[accepted], y[accepted], X[~accepted])
    >>> len(ri.augmented_) == accepted.sum() + 2 * (~accepted).sum()
    True
    >>> ri.to_bundle()["metadata"]["reject_inference"]["method"]
    'fuzzy'
    """

    def __init__(self, estimator=None, method="fuzzy", cutoff=None, reject_bad_rate=None, reject_weight=1.0,
                 reject_rate=None, n_bands=10, uplift=1.0, clip=0.01, rebin=True):
        self.estimator = estimator
        self.method = method
        self.cutoff = cutoff
        self.reject_bad_rate = reject_bad_rate
        self.reject_weight = reject_weight
        self.reject_rate = reject_rate
        self.n_bands = n_bands
        self.uplift = uplift
        self.clip = clip
        self.rebin = rebin

    def _parameter_problems(self) -> list:
        bad = []
        if self.estimator is None or not hasattr(self.estimator, "fit"):
            bad.append(Violation("estimator", f"is {self.estimator!r}", "an unfitted estimator with "
                                 "fit(X, y, sample_weight)"))
        if self.method not in METHODS:
            bad.append(Violation("method", f"is {self.method!r}", f"one of {METHODS}"))
        if self.method == "hard_cutoff" and self.cutoff is not None and self.reject_bad_rate is not None:
            bad.append(Violation("cutoff", "is given with reject_bad_rate", "one of the two"))
        for name in ("cutoff", "reject_bad_rate", "clip"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and 0 <= value <= 1):
                bad.append(Violation(name, f"is {value!r}", "None or a number in [0, 1]"))
        if self.reject_rate is not None and not (isinstance(self.reject_rate, (int, float))
                                                 and 0 < self.reject_rate < 1):
            bad.append(Violation("reject_rate", f"is {self.reject_rate!r}", "None or a number in (0, 1)"))
        for name in ("reject_weight", "uplift"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
                bad.append(Violation(name, f"is {value!r}", "a finite number > 0"))
        if not (isinstance(self.n_bands, int) and self.n_bands >= 1):
            bad.append(Violation("n_bands", f"is {self.n_bands!r}", "an integer >= 1"))
        if not self.rebin and not hasattr(self.estimator, "refit_coefficients"):
            bad.append(Violation("rebin", "is False", "an estimator with refit_coefficients (LogisticScorecard)"))
        return bad

    def fit(self, X_accepted, y_accepted, X_rejected, sample_weight=None):
        """Fit on the accepts, infer the rejects, refit on the augmented sample; returns self.

        Parameters
        ----------
        X_accepted, y_accepted : the accepted applicants and their outcomes (1 = bad).
        X_rejected : the rejected applicants, the accepts' columns, no target.
        sample_weight : the accepts' own weights (None: 1 each).
        """
        self._check_params()
        accepts, rejects = as_frame(X_accepted), as_frame(X_rejected)
        target = require_binary_target(y_accepted, getattr(y_accepted, "name", None) or "target")
        if len(accepts) != len(target):
            raise DataValidationError([Violation("<X_accepted>", f"has {len(accepts)} rows but y_accepted "
                                                 f"{len(target)}", "one target per accepted applicant")])
        weight = require_sample_weight(sample_weight, target)
        check_rejects(accepts, rejects, getattr(y_accepted, "name", None))
        rejects = rejects[list(accepts.columns)]
        self.accepts_model_ = clone(self.estimator).fit(accepts, target, sample_weight=weight)
        self.reject_pd_ = self.accepts_model_.predict_proba(rejects)[:, 1]
        self.reject_weight_ = (float(self.reject_weight) if self.reject_rate is None else
                               self.reject_rate / (1 - self.reject_rate) * len(accepts) / len(rejects))
        rows = self._augment(accepts, target, rejects, weight)
        self.augmented_ = pd.DataFrame(rows._asdict())
        X_aug = pd.concat([accepts.iloc[rows.row[rows.source == 0]], rejects.iloc[rows.row[rows.source == 1]]],
                          ignore_index=True)
        if self.rebin:
            self.model_ = clone(self.estimator).fit(X_aug, rows.target, sample_weight=rows.weight)
        else:
            self.model_ = copy.deepcopy(self.accepts_model_).refit_coefficients(X_aug, rows.target, rows.weight)
        self.model_.training_metadata_ = {**getattr(self.model_, "training_metadata_", {}),
                                          "reject_inference": self.record(len(accepts), len(rejects))}
        self.classes_ = np.array([0, 1])
        return self

    def _augment(self, accepts, target, rejects, weight) -> augment.Augmented:
        if self.method == "hard_cutoff":
            cutoff = 0.5 if self.cutoff is None and self.reject_bad_rate is None else self.cutoff
            return augment.hard_cutoff_rows(target, self.reject_pd_, cutoff, self.reject_bad_rate,
                                            self.reject_weight_, weight)
        if self.method == "fuzzy":
            return augment.fuzzy_rows(target, self.reject_pd_, self.reject_weight_, weight)
        if self.method == "parcelling":
            accept_pd = self.accepts_model_.predict_proba(accepts)[:, 1]
            return augment.parcelling_rows(target, accept_pd, self.reject_pd_, self.n_bands, self.uplift,
                                           self.reject_weight_, weight)
        flag = np.r_[np.zeros(len(accepts), dtype=np.int8), np.ones(len(rejects), dtype=np.int8)]
        self.selection_model_ = clone(self.estimator).fit(pd.concat([accepts, rejects], ignore_index=True), flag)
        accept_probability = 1.0 - self.selection_model_.predict_proba(accepts)[:, 1]
        return augment.reweighting_rows(target, accept_probability, self.clip, weight)

    def record(self, n_accepted: int, n_rejected: int) -> dict:
        """The method, its parameters and the sample sizes, as kept in the bundle metadata."""
        params = {k: v for k, v in self.get_params(deep=False).items() if k != "estimator"}
        return {**params, "n_accepted": int(n_accepted), "n_rejected": int(n_rejected),
                "reject_weight_used": float(self.reject_weight_)}

    def _fitted(self):
        if not hasattr(self, "model_"):
            raise NotFittedError("RejectInference is not fitted yet: call fit(X_accepted, y_accepted, X_rejected)")
        return self.model_

    def predict_proba(self, X) -> np.ndarray:
        """The refitted model's probabilities (column 1: PD)."""
        return self._fitted().predict_proba(X)

    def predict(self, X, threshold: float = 0.5) -> np.ndarray:
        """The refitted model's 0/1 predictions."""
        return self._fitted().predict(X, threshold=threshold)

    def recalibrate(self, X, target_pd: float, method: str = "intercept"):
        """Recalibrate the refitted model (see :meth:`ScorerModel.recalibrate`); returns self."""
        self._fitted().recalibrate(X, target_pd, method=method)
        return self

    def summary(self):
        """The refitted model's summary."""
        return self._fitted().summary()

    def to_bundle(self, *args, **kwargs) -> dict:
        """The refitted model's bundle (its metadata holds ``reject_inference``)."""
        return self._fitted().to_bundle(*args, **kwargs)

    def export(self, path, *args, **kwargs):
        """Write the refitted model's bundle; see :meth:`ScorerModel.export`."""
        return self._fitted().export(path, *args, **kwargs)

    def _repr_html_(self) -> str:
        return self._fitted()._repr_html_()
