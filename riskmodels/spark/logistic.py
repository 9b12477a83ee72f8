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
from riskmodels.errors import DataValidationError, Violation
from riskmodels.models.logistic import (
    CRITERIA,
    LogisticScorecard,
    correlation_filter,
    scaling_constants,
    variance_inflation,
)
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
    if card.criterion not in CRITERIA:
        raise DataValidationError([Violation("criterion", f"is {card.criterion!r}", f"one of {CRITERIA}")])
    if card.selection is not None and card.p_remove < card.p_enter:
        raise DataValidationError([Violation("p_remove", f"{card.p_remove} is below p_enter {card.p_enter}",
                                             "p_remove >= p_enter (else the steps can cycle)")])


def _forward_step(design, chosen, pool, criterion, p_enter, current_aic):
    fits = design.fit_many([chosen + [n] for n in pool])
    best = None
    for name, result in zip(pool, fits, strict=True):
        score = result.aic if criterion == "aic" else float(np.asarray(result.pvalues)[-1])
        if best is None or score < best[1]:
            best = (name, score, result.aic)
    if best is None:
        return None
    name, score, aic = best
    accept = aic < current_aic if criterion == "aic" else score < p_enter
    return (name, aic) if accept else None


def _backward_step(design, chosen, criterion, p_remove, current_aic):
    if not chosen:
        return None
    if criterion == "pvalue":
        pvals = dict(zip(chosen, np.asarray(design.fit(chosen).pvalues)[1:], strict=True))
        worst = max(chosen, key=lambda n: pvals[n])
        if pvals[worst] <= p_remove:
            return None
        return worst, design.fit([c for c in chosen if c != worst]).aic
    fits = design.fit_many([[c for c in chosen if c != n] for n in chosen])
    best = None
    for name, result in zip(chosen, fits, strict=True):
        if best is None or result.aic < best[1]:
            best = (name, result.aic)
    return best if best[1] < current_aic else None


def stepwise_select(design: GroupedDesign, candidates: list, direction="stepwise", criterion="pvalue",
                    p_enter=0.05, p_remove=0.10, max_features=None) -> tuple[list, list]:
    """Stepwise selection on logits fitted by distributed IRLS.

    The rules are those of :func:`riskmodels.models.logistic.stepwise_select`
    (forward: smallest Wald p-value below ``p_enter`` or lowest AIC while it
    falls; backward: largest p-value above ``p_remove`` or the AIC-lowering
    drop; stepwise: forward steps each followed by backward steps, a removed
    column is not re-entered). Returns (selected, log).
    """
    log = []
    if direction == "backward":
        chosen = list(candidates)
        aic = design.fit(chosen).aic if chosen else math.inf
        while (step := _backward_step(design, chosen, criterion, p_remove, aic)) is not None:
            chosen.remove(step[0])
            aic = step[1]
            log.append(("remove", step[0], aic))
        while max_features is not None and len(chosen) > max_features:
            pvals = dict(zip(chosen, np.asarray(design.fit(chosen).pvalues)[1:], strict=True))
            worst = max(chosen, key=lambda n: pvals[n])
            chosen.remove(worst)
            log.append(("remove (max_features)", worst, pvals[worst]))
        return chosen, log
    chosen, removed = [], set()
    aic = design.fit([]).aic
    while max_features is None or len(chosen) < max_features:
        pool = [c for c in candidates if c not in chosen and c not in removed]
        step = _forward_step(design, chosen, pool, criterion, p_enter, aic)
        if step is None:
            break
        chosen.append(step[0])
        aic = step[1]
        log.append(("add", step[0], aic))
        while direction == "stepwise" and (back := _backward_step(design, chosen, criterion, p_remove,
                                                                   aic)) is not None:
            chosen.remove(back[0])
            removed.add(back[0])
            aic = back[1]
            log.append(("remove", back[0], aic))
    return chosen, log


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
    columns = [c for c in spark_df.columns if c != target]
    card.factor_, card.offset_ = scaling_constants(card.pdo, card.base_score, card.base_odds)
    names = list(columns) if card.features is None else list(card.features)
    card.binning_ = fit_binning(BinningProcess(
        variable_names=names, categorical_variables=card.categorical, max_n_prebins=card.max_n_prebins,
        max_bins=card.max_bins, min_bin_size=card.min_bin_size, monotonic_trend=card.monotonic_trend,
        special_codes=card.special_codes, unknown_category=card.unknown_category,
        binning_fit_params=card.binning_fit_params), spark_df, target, prebin, relative_error)
    iv = card.binning_.iv_
    log = []
    ranked = sorted(names, key=lambda n: -iv[n])
    kept = [n for n in ranked if iv[n] >= card.min_iv]
    log += [("drop (IV)", n, float(iv[n])) for n in ranked if iv[n] < card.min_iv]
    design = GroupedDesign(woe_frame(card.binning_, spark_df, kept, keep=(target,)), kept, target, collect_below)
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
        if card.selection is not None and kept:
            kept, steps = stepwise_select(design, kept, card.selection, card.criterion, card.p_enter,
                                          card.p_remove, card.max_features)
            log += steps
        elif card.max_features is not None:
            log += [("drop (max_features)", n, float(iv[n])) for n in kept[card.max_features:]]
            kept = kept[: card.max_features]
        if not kept:
            raise DataValidationError([Violation("<features>", "no characteristic survived selection",
                                                 f"IV >= {card.min_iv} and a significant coefficient")])
        result = design.fit(kept)
        card.sign_violations_ = []
        while True:
            coef = dict(zip(kept, np.asarray(result.params)[1:], strict=True))
            wrong = [n for n in kept if coef[n] >= 0]
            if not wrong or card.sign_policy == "report":
                card.sign_violations_ += [n for n in wrong if n not in card.sign_violations_]
                break
            pvals = dict(zip(kept, np.asarray(result.pvalues)[1:], strict=True))
            worst = max(wrong, key=lambda n: pvals[n])
            card.sign_violations_.append(worst)
            log.append(("drop (sign)", worst, float(coef[worst])))
            kept = [n for n in kept if n != worst]
            if not kept:
                raise DataValidationError([Violation(worst, "every coefficient has the wrong sign",
                                                     "negative coefficients on WoE ln(%good/%bad)")])
            result = design.fit(kept)
    finally:
        design.release()
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
    card.spark_fit_ = {"distinct_woe_rows": design.n_patterns, "passes": design.passes,
                       "irls_in_spark": design.irls_in_spark}
    card.training_metadata_ = {"n_train": int(design.nobs), "default_rate": float(design.events / design.nobs)}
    return card
