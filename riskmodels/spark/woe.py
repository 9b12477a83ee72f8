"""WoE (or bin index) of binned columns as Spark column expressions: no Python UDF.

Each fitted :class:`~riskmodels.binning.OptimalBinning` becomes one ``CASE``
expression that follows :func:`riskmodels.scoring.bin_index` exactly: null or
NaN → the missing bin, a special code → its bin, then ``x < e1``, ``x < e2``,
... (bins (-inf, e1), [e1, e2), ..., [ek, inf)); a category → its group, an
unseen category → the unknown bin (null when the binning's policy is "error").
The WoE literals are the binning table's own doubles, so Spark WoE values equal
``BinningProcess.transform`` bit for bit.
"""

from __future__ import annotations

import numpy as np
from pyspark.sql import functions as F

from riskmodels.binning import BinningProcess, OptimalBinning


def bin_values(binning: OptimalBinning, values, column: str | None = None):
    """Spark expression mapping ``column`` to ``values[bin]`` (one value per bin of the table).

    Parameters
    ----------
    binning : fitted OptimalBinning.
    values : one number per bin (regular bins, missing, specials), e.g. the WoE.
    column : the Spark column (default: the binning's name).

    Returns
    -------
    pyspark Column (null where the scorer finds no bin: an unseen category under "error").
    """
    return spec_column(binning.to_bundle(), column or binning.name, values)


def spec_column(spec: dict, column: str, values=None):
    """Spark expression of the bin of ``column`` under a bundle binning (``values[bin]`` when given).

    Follows :func:`riskmodels.scoring.bin_index`; null where it finds no bin.

    Parameters
    ----------
    spec : bundle binning dict ({"type": "numeric", "edges", ...} or {"type": "categorical", ...}).
    column : the Spark column.
    values : one number per bin, or None for the bin index itself (an integer).

    Examples
    --------
    >>> from riskmodels.spark.session import local_session
    >>> sdf = local_session(1).createDataFrame([(0.5,), (2.0,), (None,)], "x double")
    >>> spec = {"type": "numeric", "edges": [1.0], "missing_bin": 2, "special_bins": {}}
    >>> [r[0] for r in sdf.select(spec_column(spec, "x")).collect()]
    [0, 1, 2]
    """
    c = F.col(column)
    if values is None:
        def lit(b):
            return F.lit(int(b))
        null = F.lit(None).cast("int")
    else:
        table = [F.lit(float(v)) for v in np.asarray(values, dtype=float)]

        def lit(b):
            return table[b]
        null = F.lit(None).cast("double")
    missing = spec.get("missing_bin")
    if spec["type"] == "numeric":
        x = c.cast("double")
        expr = F.when(x.isNull() | F.isnan(x), lit(missing) if missing is not None else null)
        for code, b in (spec.get("special_bins") or {}).items():
            expr = expr.when(x == F.lit(float(code)), lit(b))
        for b, edge in enumerate(spec["edges"]):
            expr = expr.when(x < F.lit(float(edge)), lit(b))
        return expr.otherwise(lit(len(spec["edges"])))
    label = c.cast("string")
    expr = F.when(label.isNull(), lit(missing) if missing is not None else null)
    by_bin: dict = {}
    for category, b in spec["categories"].items():
        by_bin.setdefault(b, []).append(category)
    for b, labels in sorted(by_bin.items()):
        expr = expr.when(label.isin(*labels), lit(b))
    unknown = spec.get("unknown_bin")
    return expr.otherwise(lit(unknown) if unknown is not None else null)


def woe_column(binning: OptimalBinning, column: str | None = None):
    """The WoE of ``column`` under a fitted OptimalBinning, as a Spark expression.

    Examples
    --------
    >>> from riskmodels.spark.session import local_session
    >>> spark = local_session(1)
    >>> ob = OptimalBinning("x", user_splits=[1.5], user_splits_fixed=True).fit([1, 2, 1, 2, 2], [0, 1, 1, 0, 1])
    >>> sdf = spark.createDataFrame([(1.0,), (2.0,), (None,)], "x double")
    >>> [r[0] for r in sdf.select(woe_column(ob)).collect()] == ob.transform([1.0, 2.0, None]).tolist()
    True
    """
    return bin_values(binning, binning.table_.woe, column)


def woe_frame(binning: BinningProcess, spark_df, names=None, keep: tuple = ()):
    """A Spark DataFrame of the WoE of every binned column (same names), plus ``keep`` columns.

    Parameters
    ----------
    binning : fitted BinningProcess.
    spark_df : the data.
    names : binned columns to transform (default: all of them).
    keep : other columns passed through (e.g. the target).

    Returns
    -------
    pyspark DataFrame (lazy).
    """
    names = list(binning.features_ if names is None else names)
    return spark_df.select(*keep, *[woe_column(binning.binnings_[n]).alias(n) for n in names])
