"""Fitting on a Spark DataFrame: aggregates on the executors, the same maths on the driver.

``riskmodels.spark.fit(estimator, spark_df, target="default")`` fits an
estimator on the rows of a Spark DataFrame and returns the same estimator,
fitted, equal to ``estimator.fit(X, y)`` on those rows: the binning's
counts and the records grouped by their tuple of bin indices are Spark
aggregates (a fixed handful of passes); the optimiser, WoE/IV, the selection
rules, the logits, points and bundle are the local functions on the driver. ``export()`` and scoring are unchanged.

Modules: :mod:`~riskmodels.spark.binning` (pre-bins and counts),
:mod:`~riskmodels.spark.grouped` (the records grouped by their bin indices),
:mod:`~riskmodels.spark.woe` (WoE as column expressions),
:mod:`~riskmodels.spark.session` (a local session for tests and notebooks),
:mod:`~riskmodels.spark.logistic` (the scorecard's fit steps),
:mod:`~riskmodels.spark.crosstab` (cross-tab cells counted in Spark),
:mod:`~riskmodels.spark.kmv` (the Merton solver per partition),
:mod:`~riskmodels.spark.features` (payment-history features from a Spark ledger),
:mod:`~riskmodels.spark.source` (a Spark source for the comparison).
"""

from __future__ import annotations

from riskmodels.errors import DataValidationError, ParameterError, Violation


def fit(estimator, spark_df, target: str = "default", **options):
    """Fit ``estimator`` on a Spark DataFrame; returns the same estimator, fitted.

    Parameters
    ----------
    estimator : a LogisticScorecard, CrossTabModel, KMVModel or BinningProcess.
    spark_df : pyspark DataFrame with the estimator's columns and ``target``.
    target : the 0/1 default flag (1 = default).
    **options : ``weight`` (a column of sample weights, as ``sample_weight`` locally;
        not for KMVModel), ``prebin="exact" | "approx"``, ``relative_error`` (pre-bin
        edges, see :func:`riskmodels.spark.binning.fit_binning`).

    Returns
    -------
    the estimator, fitted as ``estimator.fit(X, y, sample_weight=w)`` on the same rows would be.
    """
    from riskmodels.binning import BinningProcess
    from riskmodels.models.crosstab import CrossTabModel
    from riskmodels.models.kmv import KMVModel
    from riskmodels.models.logistic import LogisticScorecard

    if isinstance(estimator, BinningProcess):
        from riskmodels.spark.binning import fit_binning

        return fit_binning(estimator, spark_df, target, **options)
    if isinstance(estimator, LogisticScorecard):
        from riskmodels.spark.logistic import fit_scorecard as fit_here
    elif isinstance(estimator, CrossTabModel):
        from riskmodels.spark.crosstab import fit_crosstab as fit_here
    elif isinstance(estimator, KMVModel):
        from riskmodels.spark.kmv import fit_kmv as fit_here

        if options:
            raise ParameterError([Violation(str(sorted(options)), "are options of the binned models",
                                            "no options for a KMVModel (it takes no weights)")],
                                 context="riskmodels.spark.fit")
    else:
        raise DataValidationError([Violation("estimator", f"is a {type(estimator).__name__}",
                                             "a LogisticScorecard, CrossTabModel, KMVModel or BinningProcess")])
    return training_ranges(fit_here(estimator, spark_df, target, **options), spark_df)


def training_ranges(model, spark_df):
    """Record ``model.training_ranges_`` from the Spark rows, as a local ``fit`` does (one pass).

    Per number input: the smallest and largest finite value and whether a value is missing
    (null or NaN); per category input: whether a value is missing; the record is
    :func:`riskmodels.models.input_ranges.ranges_of` of those. Returns the model.
    """
    from pyspark.sql import functions as F

    from riskmodels.models.input_ranges import ranges_of

    rules = [r for r in model.input_rules() if r["name"] in spark_df.columns]
    aggregates = []
    for i, rule in enumerate(rules):
        c = F.col(rule["name"])
        missing = c.isNull()
        if rule["type"] == "number":
            x = c.cast("double")
            finite = c.isNotNull() & ~F.isnan(x) & (F.abs(x) != float("inf"))
            aggregates += [F.min(F.when(finite, x)).alias(f"lo{i}"), F.max(F.when(finite, x)).alias(f"hi{i}")]
            missing = missing | F.isnan(x)
        aggregates.append(F.max(missing.cast("int")).alias(f"na{i}"))
    row = spark_df.agg(*aggregates).first().asDict() if aggregates else {}
    summaries = {r["name"]: (row.get(f"lo{i}"), row.get(f"hi{i}"), row[f"na{i}"]) for i, r in enumerate(rules)}
    return model.record_training_ranges(ranges_of(rules, summaries))


__all__ = ["fit", "training_ranges"]
