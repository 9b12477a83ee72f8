"""The one ``groupBy`` of a scorecard fit: records → distinct tuples of bin indices, with event and non-event weights.

Spark groups the records by their tuple of bin indices (one pass); the driver
receives one :class:`~riskmodels.models.grouped.GroupedRows` row per distinct
tuple, so its memory is bounded by the combinations of bins that occur, not by
the records. :meth:`~riskmodels.models.logistic.LogisticScorecard.fit_grouped`,
the step the local fit runs too, fits the card from these rows.
"""

from __future__ import annotations

import numpy as np
from pyspark.sql import functions as F

from riskmodels.binning import BinningProcess
from riskmodels.models.grouped import GroupedRows
from riskmodels.spark.binning import (
    bucketed,
    missing_condition,
    special_conditions,
    timed,
    weight_column,
)
from riskmodels.spark.woe import bin_values


def bin_code_columns(binning: BinningProcess, spark_df, names, prebins: str | None = None):
    """(frame, columns): the bin index of each named column as a Spark integer expression on ``frame``.

    Numbers are placed by Spark ML's ``Bucketizer`` (JVM binary search),
    categories by one ``CASE`` (:func:`riskmodels.spark.woe.bin_values`); the
    indices are those of :func:`riskmodels.scoring.bin_index`. The column
    named ``prebins`` gets its pre-bin code instead (as
    :meth:`~riskmodels.binning.OptimalBinning.prebin_index`).
    """
    obs = {n: binning.binnings_[n] for n in names}
    numeric = [n for n in names if obs[n].dtype == "numerical"]
    frame, buckets = bucketed(spark_df, {n: obs[n].prebin_splits_ if n == prebins else obs[n].splits_
                                         for n in numeric})
    columns = []
    for name in names:
        ob = obs[name]
        if ob.dtype != "numerical":
            columns.append(bin_values(ob, np.arange(len(ob.table_.woe))).cast("int"))
            continue
        pre = name == prebins
        expr = F.when(missing_condition(name, True), F.lit(-1 if pre else ob.n_bins_))
        for s, hit in enumerate(special_conditions(name, ob.special_codes_, True)):
            expr = expr.when(hit, F.lit(-2 - s if pre else ob.n_bins_ + 1 + s))
        columns.append(expr.otherwise(buckets[name]))
    return frame, columns


def group_bins(binning: BinningProcess, spark_df, names, target: str, prebins: str | None = None,
               passes: list | None = None, weight: str | None = None) -> GroupedRows:
    """Group the records of ``spark_df`` by their tuple of bin indices (one Spark pass) and collect it.

    Parameters
    ----------
    binning : fitted BinningProcess. spark_df : the data. names : characteristics.
    target : the 0/1 target. prebins : a column grouped by pre-bin code (or None).
    passes : list to which ``(label, seconds)`` of the pass is appended.
    weight : column of sample weights (None: 1 each).

    Returns
    -------
    GroupedRows (driver memory: one row per distinct tuple).
    """
    names = list(names)
    frame, columns = bin_code_columns(binning, spark_df, names, prebins)
    keys = [f"b{i}" for i in range(len(names))]
    y, w = F.col(target).cast("double"), weight_column(weight)
    grouped = (frame.select(*[c.alias(k) for c, k in zip(columns, keys, strict=True)],
                            (y * w).alias("_e"), ((1.0 - y) * w).alias("_ne"))
               .groupBy(*keys).agg(F.sum("_e").alias("_e"), F.sum("_ne").alias("_ne")))
    with timed(passes, "group by the tuple of bin indices" + (f" (pre-bins of {prebins})" if prebins else "")):
        local = grouped.toPandas()
    codes = local[keys].to_numpy(dtype=np.int64) if keys else np.empty((len(local), 0), dtype=np.int64)
    return GroupedRows.grouped(names, codes, local["_e"].to_numpy(dtype=float), local["_ne"].to_numpy(dtype=float),
                               prebins)
