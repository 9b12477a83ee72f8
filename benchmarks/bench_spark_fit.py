"""Spark fit of a logistic scorecard vs the local fit on the same generated rows (local[2]).

A generated application set (6 characteristics: numbers with missing values
and a special code, a category, a count) is written to Parquet on the fly at
each size (``RISKMODELS_BENCH_SPARK_SIZES``, default 1M, 5M, 20M). Each fit runs
in its own process so that the peak resident memory of the driver (the Python
process; the JVM heap is capped by ``spark.driver.memory``) belongs to that fit
alone. Printed: wall time of ``riskmodels.spark.fit`` and of
``LogisticScorecard.fit`` where the local path runs (up to
``RISKMODELS_BENCH_SPARK_LOCAL_MAX`` rows, default 5M), their ratio, the
largest coefficient and p-value differences, whether the bins and selected
features are identical, and the driver peak RSS.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CHUNK = 1_000_000
PARAMS = dict(selection="forward", criterion="bic", special_codes=[-1.0], max_vif=None)


def generate(n: int, folder: Path, seed: int = 0) -> Path:
    """Write ``n`` generated applications to ``folder`` as Parquet files of 1M rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for i, start in enumerate(range(0, n, CHUNK)):
        rng = np.random.default_rng([seed, i])
        m = min(CHUNK, n - start)
        z = rng.normal(size=m)
        frame = pd.DataFrame({
            "dpd_max_12m": np.round(np.maximum(0, 10 * z + rng.normal(0, 10, m)), 0),
            "debt_ratio": np.where(rng.random(m) < 0.03, np.nan, rng.beta(2, 3, m) + 0.1 * (z > 1)),
            "on_time_share": np.where(rng.random(m) < 0.02, -1.0, rng.beta(5, 1, m) - 0.05 * z),
            "industry": rng.choice(["trade", "manufacturing", "services", "construction"], m),
            "n_invoices": rng.poisson(12, m).astype(float),
            "noise": rng.normal(size=m),
        })
        logit = -3 + 0.8 * z + 0.4 * (frame["industry"] == "construction")
        frame["default"] = (rng.random(m) < 1 / (1 + np.exp(-logit))).astype(np.int8)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / f"part-{i:04d}.parquet")
    return folder


def _summary(card) -> dict:
    bins = {n: card.binning_.binnings_[n].to_bundle() for n in card.features_}
    return {"features": card.features_, "coef": card.coef_table_["coef"].tolist(),
            "p": card.coef_table_["p_value"].tolist(), "bins": json.dumps(bins, sort_keys=True)}


def run_one(path: str, engine: str) -> dict:
    """Fit in this process; returns wall time, driver peak RSS and the fitted summary."""
    from riskmodels.models.logistic import LogisticScorecard

    start = time.perf_counter()
    if engine == "local":
        frame = pd.read_parquet(path)
        card = LogisticScorecard(**PARAMS).fit(frame.drop(columns="default"), frame["default"])
    else:
        from pyspark.sql import SparkSession

        import riskmodels.spark as rs

        spark = (SparkSession.builder.master("local[2]").appName("bench-spark-fit")
                 .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                 .config("spark.driver.memory", "2g").config("spark.sql.shuffle.partitions", "4")
                 .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        card = rs.fit(LogisticScorecard(**PARAMS), spark.read.parquet(path), target="default")
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, **_summary(card)}


def _spawn(path: Path, engine: str) -> dict:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_spark_fit", "--one", str(path), engine],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    sizes = [int(s) for s in os.environ.get("RISKMODELS_BENCH_SPARK_SIZES", "1000000,5000000,20000000").split(",")]
    local_max = int(os.environ.get("RISKMODELS_BENCH_SPARK_LOCAL_MAX", "5000000"))
    print("rows | spark s | local s | spark/local | same features+bins | max |dcoef| | max |dp| | "
          "driver peak MB (spark) | local peak MB")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = generate(n, Path(tmp) / f"n{n}")
            spark = _spawn(path, "spark")
            line = f"{n:,} | {spark['seconds']:.1f}"
            if n <= local_max:
                local = _spawn(path, "local")
                same = spark["features"] == local["features"] and spark["bins"] == local["bins"]
                dcoef = np.max(np.abs(np.subtract(spark["coef"], local["coef"]))) if same else np.nan
                dp = np.max(np.abs(np.subtract(spark["p"], local["p"]))) if same else np.nan
                line += (f" | {local['seconds']:.1f} | {spark['seconds'] / local['seconds']:.2f} | {same} | "
                         f"{dcoef:.1e} | {dp:.1e} | {spark['peak_mb']:.0f} | {local['peak_mb']:.0f}")
            else:
                line += f" | - | - | - | - | - | {spark['peak_mb']:.0f} | -"
            print(line, flush=True)
    print("(shared 2-core machine; each fit in its own process; features excluded, binning to points included)")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(json.dumps(run_one(sys.argv[2], sys.argv[3])))
    else:
        main()
