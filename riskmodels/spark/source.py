"""A Spark source for a comparison: a Parquet path or a table, read through a SparkSession.

The experiment YAML says ``data: {source: spark, path: applications/}`` (Parquet)
or ``data: {source: spark, table: risk.applications}``. The comparison then
runs as with any other source: the rows are brought to the driver as a pandas
frame, split, fitted, evaluated and logged to MLflow exactly as today. Use it
for what fits on the driver (a table, a filtered or sampled view); a fit on
the whole of a larger table is :func:`riskmodels.spark.fit`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from riskmodels.errors import ConfigError


def read_source(path: str | None = None, table: str | None = None, spark=None) -> pd.DataFrame:
    """The rows of a Parquet path or a Spark table, as a pandas frame (in the source's row order).

    Parameters
    ----------
    path : a Parquet file or folder. table : a table name in the session's catalog.
    spark : the SparkSession (default: the active one, else :func:`~riskmodels.spark.session.local_session`).

    Returns
    -------
    pandas DataFrame.

    Raises
    ------
    ConfigError naming ``data.path`` / ``data.table`` when the source does not exist.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> pd.DataFrame({"x": [1.0, 2.0], "target": [0, 1]}).to_parquet(f"{folder}/part.parquet")
    >>> read_source(path=folder)["target"].tolist()
    [0, 1]
    """
    from pyspark.sql import SparkSession

    from riskmodels.spark.session import local_session

    if (path is None) == (table is None):
        raise ConfigError("give exactly one of a Parquet path and a table", path="data.path")
    session = spark or SparkSession.getActiveSession() or local_session()
    if path is not None:
        if not Path(path).exists() and "://" not in path:
            raise ConfigError(f"Parquet source {path} does not exist", path="data.path")
        sdf = session.read.parquet(str(path))
    else:
        if not session.catalog.tableExists(table):
            raise ConfigError(f"Spark table {table!r} does not exist", path="data.table")
        sdf = session.table(table)
    return sdf.toPandas()
