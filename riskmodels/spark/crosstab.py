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
import pandas as pd

from riskmodels.binning import BinningProcess, OptimalBinning
from riskmodels.errors import DataValidationError, Violation
from riskmodels.models.crosstab import CrossTabModel
from riskmodels.spark.binning import first_rows, fit_binning, numeric_column_names, spark_target
from riskmodels.spark.woe import spec_column


def fit_crosstab(model: CrossTabModel, spark_df, target: str = "default", prebin: str = "exact",
                 relative_error: float | None = None) -> CrossTabModel:
    """Bin the factors and count the cells in Spark, estimate the rates on the driver; returns the model.

    Equal to ``model.fit(X, y)`` with ``X = spark_df.drop(target)``, ``y = spark_df[target]``.

    Parameters
    ----------
    model : a CrossTabModel (its parameters are used as given).
    spark_df : pyspark DataFrame with the factor columns and the target.
    target : the 0/1 default flag.
    prebin, relative_error : see :func:`riskmodels.spark.binning.fit_binning`.

    Returns
    -------
    the model, fitted.
    """
    from pyspark.sql import functions as F

    columns = [c for c in spark_df.columns if c != target]
    factors = model._check_params(pd.DataFrame(columns=columns))
    numeric_names = numeric_column_names(spark_df)
    fixed, templates = {}, {}
    for f in factors:
        choice = model.binning.get(f) if isinstance(model.binning, dict) else model.binning
        if isinstance(choice, dict):
            fixed[f] = dict(choice)
        else:
            template = choice or OptimalBinning(max_bins=model.max_bins, min_bin_size=model.min_bin_size)
            templates[f] = {k: v for k, v in template.get_params().items() if k not in ("name", "dtype")}
    if templates:
        learned = fit_binning(BinningProcess(features=list(templates),
                                             categorical_variables=[f for f in templates if f not in numeric_names],
                                             binning_fit_params=templates),
                              spark_df, target, prebin, relative_error).binnings_
    else:
        spark_target(spark_df, target)
        learned = {}
    binned = [(learned[f], learned[f].to_bundle(), f in numeric_names) if f in learned
              else (None, fixed[f], f in numeric_names) for f in factors]
    keys = [f"c{i}" for i in range(len(factors))]
    cells = [spec_column(spec, f).alias(k) for (_, spec, _), f, k in zip(binned, factors, keys, strict=True)]
    grouped = (spark_df.select(*cells, F.col(target).cast("double").alias("_y"))
               .groupBy(*keys).agg(F.count(F.lit(1)).alias("_n"), F.sum("_y").alias("_d")).toPandas())
    for k, f, (_, spec, _) in zip(keys, factors, binned, strict=True):
        unbinned = grouped[k].isna()
        if unbinned.any():
            rows = first_rows(spark_df, spec_column(spec, f).isNull())
            raise DataValidationError([Violation(f, "values with no bin in the given binning",
                                                 "a bin for every training value", tuple(rows),
                                                 int(grouped.loc[unbinned, "_n"].sum()))])
    index = [grouped[k].to_numpy(dtype=np.int64) for k in keys]
    return model.fit_cells(factors, binned, index, grouped["_d"].to_numpy(dtype=float),
                           grouped["_n"].to_numpy(dtype=float), columns)
