"""Fit a :class:`~riskmodels.models.crosstab.CrossTabModel` on a Spark DataFrame: the cells counted in Spark.

The factors' binnings are learned as locally (:func:`riskmodels.spark.binning.fit_binning`:
the same pre-bins, counts and optimiser; a fixed bundle binning is used as
given); then one ``groupBy`` over the tuple of the factors' bin indices
(``CASE`` expressions following :func:`riskmodels.scoring.bin_index`) gives the
records and defaults of every occupied cell of the grid. The driver runs the
model's own estimation on those cells (:meth:`CrossTabModel.fit_cells`: the
margins, beta-binomial credibility with the empirical-Bayes strength, the
monotone (isotonic) calibration of the grid, intervals and tests), so the
rates equal a local fit on the same rows.
"""

from __future__ import annotations

import numpy as np
from pyspark.sql import functions as F

from riskmodels.binning import BinningProcess
from riskmodels.models.crosstab import CrossTabModel, unbinned_values
from riskmodels.spark.binning import (
    first_rows,
    fit_binning,
    numeric_column_names,
    spark_target,
    weight_column,
)
from riskmodels.spark.woe import spec_column


def fit_crosstab(model: CrossTabModel, spark_df, target: str = "default", prebin: str = "exact",
                 relative_error: float | None = None, weight: str | None = None) -> CrossTabModel:
    """Bin the factors and count the cells in Spark, estimate the rates on the driver; returns the model.

    Equal to ``model.fit(X, y, sample_weight=w)`` with ``X`` the other columns of ``spark_df``,
    ``y = spark_df[target]`` and ``w = spark_df[weight]``.

    Parameters
    ----------
    model : a CrossTabModel (its parameters are used as given).
    spark_df : pyspark DataFrame with the factor columns and the target.
    target : the 0/1 default flag.
    prebin, relative_error : see :func:`riskmodels.spark.binning.fit_binning`.
    weight : a column of sample weights (None: 1 each).

    Returns
    -------
    the model, fitted.
    """
    columns = [c for c in spark_df.columns if c not in (target, weight)]
    choices = model.factor_binnings(columns)
    factors = list(choices)
    numeric_names = numeric_column_names(spark_df)
    templates = {f: {k: v for k, v in c.get_params().items() if k not in ("name", "dtype")}
                 for f, c in choices.items() if not isinstance(c, dict)}
    if templates:
        learned = fit_binning(BinningProcess(features=list(templates),
                                             categorical_variables=[f for f in templates if f not in numeric_names],
                                             binning_fit_params=templates),
                              spark_df.select(*templates, target, *([weight] if weight else [])), target, prebin,
                              relative_error, weight=weight).binnings_
    else:
        spark_target(spark_df, target, weight)
        learned = {}
    binned = [(learned[f], learned[f].to_bundle(), f in numeric_names) if f in learned
              else (None, choices[f], f in numeric_names) for f in factors]
    data = spark_df if weight is None else spark_df.where(F.col(weight) > 0)
    keys = [f"c{i}" for i in range(len(factors))]
    cells = [spec_column(spec, f).alias(k) for (_, spec, _), f, k in zip(binned, factors, keys, strict=True)]
    y, w = F.col(target).cast("double"), weight_column(weight)
    grouped = (data.select(*cells, (y * w).alias("_e"), w.alias("_w"))
               .groupBy(*keys).agg(F.sum("_w").alias("_n"), F.sum("_e").alias("_d"),
                                   F.count(F.lit(1)).alias("_rows")).toPandas())
    for k, f, (_, spec, _) in zip(keys, factors, binned, strict=True):
        unbinned = grouped[k].isna()
        if unbinned.any():
            raise unbinned_values(f, first_rows(spark_df, spec_column(spec, f).isNull()),
                                  int(grouped.loc[unbinned, "_rows"].sum()))  # rows, not their weight
    index = [grouped[k].to_numpy(dtype=np.int64) for k in keys]
    return model.fit_cells(factors, binned, index, grouped["_d"].to_numpy(dtype=float),
                           grouped["_n"].to_numpy(dtype=float), columns)
