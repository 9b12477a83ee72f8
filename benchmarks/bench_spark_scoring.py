"""Spark ``score_dataframe`` against an identity ``mapInArrow`` on the same 41-column frame.

1,000,000 synthetic-enterprise firm-years, 41 columns (the logistic scorecard reads 7 of
them), cached in Spark ``local[2]``; each result is written to Spark's ``noop`` sink, so
every column of every row is produced (an aggregate would let Spark drop the columns it
does not need). Measured in the same run, in turns, best of ``REPEAT``:

- ours: ``score_dataframe(frame, bundle)`` keeping every column (the default): the scores
  of the inputs from a scalar Arrow UDF, the other columns kept in the JVM;
- the floor: ``frame.mapInArrow(identity)``, every column through Python and back;
- for reference, ``keep_columns=False`` (the scores alone).

Target (issue 35): ours <= 1.2x the identity ``mapInArrow``.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np

N = 1_000_000
WIDTH = 41
REPEAT = 3


def _records():
    from benchmarks.workloads import fitted_models, portfolio_split, sampled_records

    cfg, train, test = portfolio_split()
    bundle = fitted_models(cfg, train)["logistic"].to_bundle()
    inputs = [r["name"] for r in bundle["inputs"]]
    wanted = ["firm_id", "year"] + inputs + [c for c in test.columns if c not in inputs
                                            and c not in ("firm_id", "year", "target")]
    records = sampled_records(test, wanted[:WIDTH], N)
    text = [c for c in records.columns if records[c].dtype.kind not in "fiub"]
    return records.astype({c: str for c in text}), bundle


def main() -> None:
    warnings.filterwarnings("ignore")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    from riskmodels.export.spark import score_dataframe

    records, bundle = _records()
    spark = (SparkSession.builder.master("local[2]").appName("bench-spark-scoring")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", "4g")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        frame = spark.createDataFrame(records).repartition(2).cache()
        frame.count()

        def identity(batches):
            yield from batches

        runs = {"score_dataframe (keep columns)": lambda df: score_dataframe(df, bundle),
                "identity mapInArrow": lambda df: df.mapInArrow(identity, df.schema),
                "score_dataframe (keep_columns=False)": lambda df: score_dataframe(df, bundle,
                                                                                   keep_columns=False)}
        for make in runs.values():  # start the Python workers
            make(frame.limit(1000)).write.format("noop").mode("overwrite").save()
        best = dict.fromkeys(runs, np.inf)
        load = os.getloadavg()[0]
        for _ in range(REPEAT):
            for name, make in runs.items():
                start = time.perf_counter()
                make(frame).write.format("noop").mode("overwrite").save()
                best[name] = min(best[name], time.perf_counter() - start)
        floor = best["identity mapInArrow"]
        print(f"{N:,} rows x {WIDTH} columns, local[2], written to the noop sink; best of {REPEAT} in turns; "
              f"load average {load:.1f} -> {os.getloadavg()[0]:.1f}")
        for name, seconds in best.items():
            print(f"{name:38s} {seconds:6.2f} s   ratio to the identity mapInArrow {seconds / floor:5.2f}"
                  + ("   (target 1.2)" if name.endswith("(keep columns)") else ""), flush=True)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
