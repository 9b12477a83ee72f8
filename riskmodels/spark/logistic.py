"""Fit a :class:`~riskmodels.models.logistic.LogisticScorecard` on a Spark DataFrame.

The steps are those of ``LogisticScorecard.fit`` and give the same answer on
the same rows. Spark makes a fixed number of passes over the data, whatever
the number of candidates and selection steps:

1. binning: :func:`riskmodels.spark.binning.fit_binning` (a few passes:
   totals, exact pre-bin edges, pre-bin counts; the optimiser on the driver);
   the single-bin and IV filters (with their shape rescue) need only the
   binning tables;
2. one ``groupBy`` over the tuple of bin indices of the remaining candidates
   (:func:`riskmodels.spark.grouped.group_bins`): one row per distinct tuple,
   with events and records, collected to the driver;
3. on the driver, with the local functions: the WoE rows, the correlation and
   VIF filters (on :func:`moment_frame`, exactly the WoE columns' means and
   covariance), the score-test stepwise selection
   (:func:`~riskmodels.models.stepwise.select_and_fit`), the sign check and
   the final logit (:func:`riskmodels.spark.irls.fit_collapsed`);
4. only a sign rescue (a wrong-signed coefficient on an automatically shaped
   characteristic) costs one more ``groupBy``, by that characteristic's
   pre-bins, so that every other shape can be tried on the driver;
5. points, coefficient table, bundle: the estimator's own methods.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from riskmodels.binning.optimal import reset_learned
from riskmodels.binning.optimizer import SHAPES
from riskmodels.errors import ConvergenceError, DataValidationError, Violation
from riskmodels.models.logistic import (
    LogisticScorecard,
    correlation_filter,
    scaling_constants,
    selection_note,
    vif_filter,
)
from riskmodels.models.stepwise import fit_logit, select_and_fit
from riskmodels.spark.binning import fit_binning
from riskmodels.spark.grouped import as_bins, group_bins, weighted_moments, woe_rows
from riskmodels.spark.irls import fit_collapsed


def moment_frame(mean: np.ndarray, cov: np.ndarray, names: list) -> pd.DataFrame:
    """k + 1 rows whose column means and sample covariance are ``mean`` and ``cov``.

    Correlations, VIFs and correlation filters computed from this frame equal
    those of the full data (they depend on the data only through these moments).

    Examples
    --------
    >>> cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    >>> f = moment_frame(np.array([1.0, -1.0]), cov, ["a", "b"])
    >>> bool(np.allclose(f.cov().to_numpy(), cov) and np.allclose(f.mean(), [1.0, -1.0]))
    True
    """
    k = len(names)
    m = k + 1
    basis = np.linalg.qr(np.column_stack([np.ones(m), np.eye(m)[:, :k]]))[0][:, 1:]  # orthonormal, ⟂ 1
    values, vectors = np.linalg.eigh((cov + cov.T) / 2.0)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    rows = math.sqrt(m - 1) * basis @ root.T + mean
    constant = np.diag(cov) <= 1e-14 * np.maximum(1.0, mean ** 2)
    rows[:, constant] = mean[constant]  # a constant WoE column stays exactly constant
    return pd.DataFrame(rows, columns=names)


def _check(card: LogisticScorecard):
    card._check_params()
    if card.prebinning_method != "quantile":
        raise DataValidationError([Violation("prebinning_method", f"is {card.prebinning_method!r}",
                                             "'quantile' on Spark (CART pre-binning needs the records)")])


def _single_bins(card, names, log) -> list:
    """Characteristics whose WoE is constant over the records (``_drop_single_bins``, from the tables)."""
    kept = []
    for name in names:
        b = card.binning_.binnings_[name]
        woe = b.table_.woe[b.table_.count > 0]
        if woe.size and np.ptp(woe) == 0:
            log.append((f"drop (single bin: {b.status_})", name, float(b.iv_)))
        else:
            kept.append(name)
    return kept


class _Rows:
    """The grouped bin indices of the current candidates, re-grouped in Spark only for a sign rescue."""

    def __init__(self, card, spark_df, target, names, passes):
        self.card, self.spark_df, self.target, self.passes = card, spark_df, target, passes
        self.rows = group_bins(card.binning_, spark_df, names, target, passes=passes)

    def fit(self, names, start=None):
        return fit_logit(woe_rows(self.rows, self.card.binning_, names), range(len(names)), start)

    def by_prebins(self, names, name):
        return group_bins(self.card.binning_, self.spark_df, names, self.target, prebins=name, passes=self.passes)


def _sign_check(card, rows: _Rows, kept, log, fit=None):
    """``LogisticScorecard._sign_check`` on the grouped rows (the same local fits, the same warm starts)."""
    if fit is None:
        fit = rows.fit(kept)
    card.sign_violations_ = []
    while True:
        wrong = [n for n, b in zip(kept, fit.params[1:], strict=True) if b >= 0]
        if not wrong or card.sign_policy == "report":
            card.sign_violations_ += [n for n in wrong if n not in card.sign_violations_]
            return kept
        pvals = dict(zip(kept, fit.pvalues[1:], strict=True))
        worst = max(wrong, key=lambda n: pvals[n])
        rescued = _sign_rescue(card, rows, kept, worst, log, fit.params)
        if rescued is not None:
            fit = rescued
            continue
        card.sign_violations_.append(worst)
        log.append(("drop (sign)", worst, float(fit.params[1 + kept.index(worst)])))
        start = [fit.params[0], *(b for n, b in zip(kept, fit.params[1:], strict=True) if n != worst)]
        kept = [n for n in kept if n != worst]
        if not kept:
            raise DataValidationError([Violation(worst, "every coefficient has the wrong sign",
                                                 "negative coefficients on WoE ln(%good/%bad)")])
        fit = rows.fit(kept, start)


def _sign_rescue(card, rows: _Rows, kept, name, log, start):
    """``LogisticScorecard._sign_rescue``: every other shape of ``name`` on rows grouped by its pre-bins."""
    if not card._rescuable(name):
        return None
    current = card.binning_.binnings_[name]
    grouped = None
    for shape in SHAPES:
        if shape == current.trend_:
            continue
        other = current.with_trend(shape)
        if other.starts_ == current.starts_ or other.n_bins_ < 2:
            continue
        grouped = grouped or rows.by_prebins(kept, name)
        card.binning_.binnings_[name] = other
        try:
            fit = fit_logit(woe_rows(grouped, card.binning_, kept), range(len(kept)), start)
        except ConvergenceError:
            continue
        finally:
            card.binning_.binnings_[name] = current
        if (fit.params[1:] < 0).all():
            card._replace_binning(None, None, name, other, "wrong-signed coefficient")
            rows.rows = as_bins(grouped, card.binning_)
            log.append((f"rescue (sign): trend {current.trend_} -> {other.trend_}", name,
                        float(fit.params[1 + kept.index(name)])))
            return fit
    log.append(("rescue (sign) failed: no shape gives a negative coefficient", name, np.nan))
    return None


def fit_scorecard(card: LogisticScorecard, spark_df, target: str = "default", prebin: str = "exact",
                  relative_error: float | None = None) -> LogisticScorecard:
    """Bin, select and fit ``card`` on a Spark DataFrame; returns the same estimator, fitted.

    Equal to ``card.fit(X, y)`` with ``X = spark_df.drop(target)``, ``y = spark_df[target]``.

    Parameters
    ----------
    card : a LogisticScorecard (its parameters are used as given).
    spark_df : pyspark DataFrame with the characteristics and the target.
    target : the 0/1 default flag.
    prebin, relative_error : see :func:`riskmodels.spark.binning.fit_binning`.

    Returns
    -------
    card, fitted (``result_`` is a :class:`~riskmodels.spark.irls.SparkLogitResult`;
    ``spark_fit_`` lists the Spark passes with their seconds and the number of grouped rows).
    """
    _check(card)
    reset_learned(card)
    passes: list = []
    columns = [c for c in spark_df.columns if c != target]
    card.factor_, card.offset_ = scaling_constants(card.pdo, card.base_score, card.base_odds)
    names = list(columns) if card.features is None else list(card.features)
    card.binning_ = fit_binning(card.binning_process(names), spark_df, target, prebin, relative_error, passes)
    log = card._shape_log(names)
    kept = _single_bins(card, names, log)
    kept = card._iv_filter(None, None, kept, log)  # the shape rescue needs only the pre-bin counts
    iv = card.binning_.iv_
    rows = _Rows(card, spark_df, target, kept, passes)
    n_grouped = len(rows.rows.counts)
    n_records, n_events = rows.rows.n_records, float(rows.rows.events.sum())
    data = woe_rows(rows.rows, card.binning_, kept)
    mean, cov = weighted_moments(data) if kept else (np.zeros(0), np.zeros((0, 0)))
    moments = moment_frame(mean, cov, kept)
    kept, dropped = correlation_filter(moments, kept, card.max_correlation)
    log += [("drop (correlation)", n, r) for n, _, r in dropped]
    if card.max_vif is not None and len(kept) > 1:
        kept, dropped = vif_filter(moments[kept].corr().to_numpy(), kept, card.max_vif)
        log += dropped
    fit = None
    if card.selection is not None and kept:
        n_candidates = len(kept)
        kept, steps, fit = select_and_fit(woe_rows(rows.rows, card.binning_, kept), list(kept),
                                          **card.selection_settings())
        log += steps
        note = selection_note(card.criterion, n_candidates, len(kept), n_records)
        if note is not None:
            log.append(note)
    elif card.max_features is not None:
        log += [("drop (max_features)", n, float(iv[n])) for n in kept[card.max_features:]]
        kept = kept[: card.max_features]
    if not kept:
        raise DataValidationError([Violation("<features>", "no characteristic survived selection",
                                             f"IV >= {card.min_iv} and a significant coefficient")])
    kept = _sign_check(card, rows, kept, log, fit)
    final = woe_rows(rows.rows, card.binning_, kept)
    result = fit_collapsed(final, kept)
    card.features_ = kept
    card.result_ = result
    card.intercept_ = float(np.asarray(result.params)[0])
    card.coef_ = np.asarray(result.params, dtype=float)[1:]
    card.selection_log_ = pd.DataFrame(log, columns=["action", "feature", "value"])
    card._set_points()
    card._set_coef_table(moment_frame(*weighted_moments(final), kept))
    card.master_scale_ = card.master_scale
    card.classes_ = np.array([0, 1])
    card.feature_names_in_ = np.asarray(columns, dtype=object)
    card.n_features_in_ = len(columns)
    card.spark_fit_ = {"passes": passes, "grouped_rows": n_grouped, "final_rows": len(final.counts)}
    card.training_metadata_ = {"n_train": int(n_records), "default_rate": float(n_events / n_records)}
    return card
