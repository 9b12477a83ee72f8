"""A local SparkSession with the settings riskmodels' Spark paths expect (tests, notebooks, benchmarks).

On a cluster, pass your own session's DataFrames to :func:`riskmodels.spark.fit`
instead: nothing in :mod:`riskmodels.spark` creates a session.
"""

from __future__ import annotations

import os
import sys


def local_session(cores: int = 2, driver_memory: str = "2g", app_name: str = "riskmodels"):
    """Get (or create) a ``local[cores]`` SparkSession: Arrow on, UI off, few shuffle partitions.

    Parameters
    ----------
    cores : worker threads (``local[cores]``).
    driver_memory : JVM heap of the driver (used only when the JVM starts here).
    app_name : Spark application name.

    Returns
    -------
    pyspark.sql.SparkSession (an existing one is reused, as ``getOrCreate`` does).

    Examples
    --------
    >>> spark = local_session(1)
    >>> spark.range(3).count()
    3
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master(f"local[{cores}]").appName(app_name)
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.memory", driver_memory)
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.shuffle.partitions", str(2 * cores)).getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session
