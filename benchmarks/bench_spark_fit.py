"""Spark fit of a logistic scorecard vs the local fit on the same generated rows (local[2]).

A generated application set (6 characteristics: numbers with missing values
and a special code, a category, a count) is written to Parquet on the fly at
each size (``RISKMODELS_BENCH_SPARK_SIZES``, default 1M, 5M, 20M). Each fit runs
in its own process so that the driver's peak memory belongs to that fit alone:
the Python process's peak resident set (``ru_maxrss``) and the JVM's peak heap
used (the sum of the heap pools' peak usage, ``MemoryPoolMXBean``; in
``local[2]`` the executors share that JVM, so this is an upper bound for a
cluster driver). Printed: wall time of ``riskmodels.spark.fit`` and of
``LogisticScorecard.fit`` where the local path runs (up to
``RISKMODELS_BENCH_SPARK_LOCAL_MAX`` rows, default 5M), their ratio, whether
the bins and selected features are identical, the largest coefficient and
p-value differences, the Spark passes, the grouped rows, and the peaks. At the
first size ``prebin="approx"`` (approxQuantile edges, ε = 1e-3) is fitted too
and its difference from the exact fit printed.
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


def _jvm_peak_heap_mb(spark) -> float:
    beans = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getMemoryPoolMXBeans()
    heap = [b for b in beans if str(b.getType().toString()) == "Heap memory"]
    return sum(b.getPeakUsage().getUsed() for b in heap) / 2 ** 20


def run_one(path: str, engine: str) -> dict:
    """Fit in this process; returns wall time, driver peaks and the fitted summary."""
    from riskmodels.models.logistic import LogisticScorecard

    extra = {}
    if engine == "local":
        start = time.perf_counter()
        frame = pd.read_parquet(path)
        card = LogisticScorecard(**PARAMS).fit(frame.drop(columns="default"), frame["default"])
    else:
        import riskmodels.spark as rs
        from riskmodels.spark.session import local_session

        spark = local_session(2, driver_memory="2g", app_name="bench-spark-fit")
        start = time.perf_counter()  # the JVM start is not the fit's
        prebin = "approx" if engine == "spark-approx" else "exact"
        card = rs.fit(LogisticScorecard(**PARAMS), spark.read.parquet(path), target="default", prebin=prebin)
        extra = {"passes": len(card.grouping_["passes"]), "grouped": card.grouping_["grouped_rows"],
                 "jvm_mb": _jvm_peak_heap_mb(spark), "iv": card.binning_.iv_.to_dict()}
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, **extra, **_summary(card)}


def _spawn(path: Path, engine: str) -> dict:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_spark_fit", "--one", str(path), engine],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _diff(a: dict, b: dict) -> tuple:
    same = a["features"] == b["features"] and a["bins"] == b["bins"]
    if not same:
        return False, np.nan, np.nan
    return True, np.max(np.abs(np.subtract(a["coef"], b["coef"]))), np.max(np.abs(np.subtract(a["p"], b["p"])))


def main():
    sizes = [int(s) for s in os.environ.get("RISKMODELS_BENCH_SPARK_SIZES", "1000000,5000000,20000000").split(",")]
    local_max = int(os.environ.get("RISKMODELS_BENCH_SPARK_LOCAL_MAX", "5000000"))
    print("rows | spark s | local s | spark/local | same features+bins | max |dcoef| | max |dp| | "
          "passes | grouped rows | driver python peak MB | driver JVM peak heap MB | local peak MB", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for i, n in enumerate(sizes):
            path = generate(n, Path(tmp) / f"n{n}")
            spark = _spawn(path, "spark")
            line = f"{n:,} | {spark['seconds']:.1f}"
            if n <= local_max:
                local = _spawn(path, "local")
                same, dcoef, dp = _diff(spark, local)
                line += (f" | {local['seconds']:.1f} | {spark['seconds'] / local['seconds']:.2f} | {same} | "
                         f"{dcoef:.1e} | {dp:.1e}")
            else:
                line += " | - | - | - | - | -"
            line += f" | {spark['passes']} | {spark['grouped']:,} | {spark['peak_mb']:.0f} | {spark['jvm_mb']:.0f}"
            line += f" | {local['peak_mb']:.0f}" if n <= local_max else " | -"
            print(line, flush=True)
            if i == 0:
                approx = _spawn(path, "spark-approx")
                same, dcoef, dp = _diff(approx, spark)
                div = max(abs(approx["iv"][k] - spark["iv"][k]) for k in spark["iv"])
                print(f"  prebin='approx' at {n:,}: {approx['seconds']:.1f} s vs exact {spark['seconds']:.1f} s; "
                      f"same features+bins as exact: {same}; max |dIV| {div:.1e}; max |dcoef| {dcoef:.1e}",
                      flush=True)
    print("(shared 2-core machine, local[2]; each fit in its own process; features excluded, "
          "binning to points included; the Spark time excludes the JVM start)")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(json.dumps(run_one(sys.argv[2], sys.argv[3])))
    else:
        main()
