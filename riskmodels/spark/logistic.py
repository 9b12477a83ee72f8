"""Fit a :class:`~riskmodels.models.logistic.LogisticScorecard` on a Spark DataFrame.

The steps are those of ``LogisticScorecard.fit`` and give the same answer on
the same rows; each runs where its data are:

1. binning: :func:`riskmodels.spark.binning.fit_binning` (counts in Spark,
   the optimiser on the driver);
2. WoE: :func:`riskmodels.spark.woe.woe_frame` (Spark column expressions),
   grouped into distinct WoE rows with records and events
   (:class:`~riskmodels.spark.irls.GroupedDesign`, cached in Spark);
3. IV, correlation and VIF filters: the local functions
   (``correlation_filter``, ``variance_inflation``) on a small frame of k + 1
   rows with exactly the WoE columns' means and covariance, the only statistics
   these filters read (:func:`moment_frame`);
4. stepwise selection, sign check and the final fit: the same decisions on
   logits fitted by distributed IRLS (all candidates of a step in one pass per
   iteration);
5. points, coefficient table, bundle: the estimator's own methods.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from riskmodels.binning import BinningProcess
from riskmodels.binning.optimal import reset_learned
from riskmodels.binning.optimizer import SHAPES
from riskmodels.errors import ConvergenceError, DataValidationError, Violation
from riskmodels.models.logistic import (
    LogisticScorecard,
    correlation_filter,
    scaling_constants,
    selection_note,
    variance_inflation,
)
from riskmodels.models.stepwise import fit_logit, select_collapsed
from riskmodels.spark.binning import fit_binning
from riskmodels.spark.irls import GroupedDesign
from riskmodels.spark.woe import woe_frame


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


def _collapsed(card, spark_df, names, target, collect_below) -> GroupedDesign:
    return GroupedDesign(woe_frame(card.binning_, spark_df, names, keep=(target,)), names, target, collect_below)


def _iv_filter(card, names, log) -> list:
    """``LogisticScorecard._iv_filter`` on the driver: re-solving a shape needs only the pre-bin counts."""
    kept = []
    for name in names:
        b = card.binning_.binnings_[name]
        why = ""
        if b.iv_ < card.min_iv and card._rescuable(name):
            top = b.shapes_.sort_values("iv", ascending=False, kind="stable").iloc[0]
            if top["obtained"] != b.trend_ and top["iv"] >= card.min_iv:
                other = b.with_trend(top["asked"])
                other.trend_reason_ = f"{other.trend_}, rescued (IV below min_iv) from the automatic choice"
                card.binning_.binnings_[name] = other
                card.binning_.iv_[name] = other.iv_
                log.append((f"rescue (IV): trend {b.trend_} -> {top['obtained']}", name, float(top["iv"])))
            else:
                why = f"; no shape reaches min_iv, best {top['obtained']} {top['iv']:.4f}"
        if card.binning_.iv_[name] >= card.min_iv:
            kept.append(name)
        else:
            log.append((f"drop (IV{why})", name, float(card.binning_.iv_[name])))
    iv = card.binning_.iv_
    return sorted(kept, key=lambda n: -iv[n])


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


def _local_fit(card, spark_df, target, kept, collect_below):
    design = _collapsed(card, spark_df, kept, target, collect_below)
    try:
        return fit_logit(design.to_collapsed(), range(len(kept)))
    finally:
        design.release()


def _sign_check(card, spark_df, target, kept, log, collect_below):
    """``LogisticScorecard._sign_check`` with the collapsed rows from Spark (the same local fits)."""
    fit = _local_fit(card, spark_df, target, kept, collect_below)
    card.sign_violations_ = []
    while True:
        wrong = [n for n, b in zip(kept, fit.params[1:], strict=True) if b >= 0]
        if not wrong or card.sign_policy == "report":
            card.sign_violations_ += [n for n in wrong if n not in card.sign_violations_]
            return kept, fit
        pvals = dict(zip(kept, fit.pvalues[1:], strict=True))
        worst = max(wrong, key=lambda n: pvals[n])
        rescued = _sign_rescue(card, spark_df, target, kept, worst, log, collect_below)
        if rescued is not None:
            fit = rescued
            continue
        card.sign_violations_.append(worst)
        log.append(("drop (sign)", worst, float(fit.params[1 + kept.index(worst)])))
        kept = [n for n in kept if n != worst]
        if not kept:
            raise DataValidationError([Violation(worst, "every coefficient has the wrong sign",
                                                 "negative coefficients on WoE ln(%good/%bad)")])
        fit = _local_fit(card, spark_df, target, kept, collect_below)


def _sign_rescue(card, spark_df, target, kept, name, log, collect_below):
    if not card._rescuable(name):
        return None
    current = card.binning_.binnings_[name]
    for shape in SHAPES:
        if shape == current.trend_:
            continue
        other = current.with_trend(shape)
        if other.starts_ == current.starts_ or other.n_bins_ < 2:
            continue
        card.binning_.binnings_[name] = other
        try:
            fit = _local_fit(card, spark_df, target, kept, collect_below)
        except ConvergenceError:
            card.binning_.binnings_[name] = current
            continue
        if (fit.params[1:] < 0).all():
            other.trend_reason_ = f"{other.trend_}, rescued (wrong-signed coefficient) from the automatic choice"
            card.binning_.iv_[name] = other.iv_
            log.append((f"rescue (sign): trend {current.trend_} -> {other.trend_}", name,
                        float(fit.params[1 + kept.index(name)])))
            return fit
        card.binning_.binnings_[name] = current
    log.append(("rescue (sign) failed: no shape gives a negative coefficient", name, np.nan))
    return None


def fit_scorecard(card: LogisticScorecard, spark_df, target: str = "default", prebin: str = "exact",
                  relative_error: float | None = None, collect_below: int = 50_000) -> LogisticScorecard:
    """Bin, select and fit ``card`` on a Spark DataFrame; returns the same estimator, fitted.

    Equal to ``card.fit(X, y)`` with ``X = spark_df.drop(target)``, ``y = spark_df[target]``.

    Parameters
    ----------
    card : a LogisticScorecard (its parameters are used as given).
    spark_df : pyspark DataFrame with the characteristics and the target.
    target : the 0/1 default flag.
    prebin, relative_error : see :func:`riskmodels.spark.binning.fit_binning`.
    collect_below : distinct WoE rows up to which the IRLS sums run on the
        driver (see :class:`~riskmodels.spark.irls.GroupedDesign`); 0: always in Spark.

    Returns
    -------
    card, fitted (``result_`` is a :class:`~riskmodels.spark.irls.SparkLogitResult`).
    """
    _check(card)
    reset_learned(card)
    columns = [c for c in spark_df.columns if c != target]
    card.factor_, card.offset_ = scaling_constants(card.pdo, card.base_score, card.base_odds)
    names = list(columns) if card.features is None else list(card.features)
    card.binning_ = fit_binning(BinningProcess(
        features=names, categorical_variables=card.categorical, max_n_prebins=card.max_n_prebins,
        max_bins=card.max_bins, min_bin_size=card.min_bin_size, monotonic_trend=card.monotonic_trend,
        special_codes=card.special_codes, unknown_category=card.unknown_category,
        binning_fit_params=card.binning_fit_params, prebinning_method=card.prebinning_method,
        max_pvalue=card.max_pvalue), spark_df, target, prebin, relative_error)
    log = card._shape_log(names)
    kept = _single_bins(card, names, log)
    kept = _iv_filter(card, kept, log)
    iv = card.binning_.iv_
    design = _collapsed(card, spark_df, kept, target, collect_below)
    n_records, n_events, n_rows = design.nobs, design.events, design.n_patterns
    try:
        mean, cov = design.moments() if kept else (np.zeros(0), np.zeros((0, 0)))
        moments = moment_frame(mean, cov, kept)
        kept, dropped = correlation_filter(moments, kept, card.max_correlation)
        log += [("drop (correlation)", n, r) for n, _, r in dropped]
        while card.max_vif is not None and len(kept) > 1:
            vif = variance_inflation(moments[kept].to_numpy())
            worst = int(np.nanargmax(vif))
            if not vif[worst] > card.max_vif:
                break
            log.append(("drop (VIF)", kept[worst], float(vif[worst])))
            kept.pop(worst)
        data = design.to_collapsed(kept)
    finally:
        design.release()
    if card.selection is not None and kept:
        n_candidates = len(kept)
        kept, steps = select_collapsed(data, list(kept), **card.selection_settings())
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
    kept, _ = _sign_check(card, spark_df, target, kept, log, collect_below)
    final = _collapsed(card, spark_df, kept, target, 0)  # the reported fit: every IRLS pass in Spark
    try:
        result = final.fit(kept)
    finally:
        final.release()
    card.features_ = kept
    card.result_ = result
    card.intercept_ = float(np.asarray(result.params)[0])
    card.coef_ = np.asarray(result.params, dtype=float)[1:]
    card.selection_log_ = pd.DataFrame(log, columns=["action", "feature", "value"])
    card._set_points()
    card._set_coef_table(moments)
    card.master_scale_ = card.master_scale
    card.classes_ = np.array([0, 1])
    card.feature_names_in_ = np.asarray(columns, dtype=object)
    card.n_features_in_ = len(columns)
    card.spark_fit_ = {"distinct_woe_rows": n_rows, "final_fit_passes": final.passes}
    card.training_metadata_ = {"n_train": int(n_records), "default_rate": float(n_events / n_records)}
    return card
