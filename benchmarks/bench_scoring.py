"""Exported scorer speed: ``Scorer.score`` vs scikit-learn and the MLflow pyfunc, and Spark.

The model is the logistic WoE scorecard of the synthetic-enterprise experiment.
Peers, measured in the same run on the same 1,000,000 records:

- scikit-learn ``LogisticRegression.predict_proba`` on the WoE design matrix of
  the same bins (already binned: the peer does not pay for binning, validation,
  grades or reason codes, the scorer does);
- the MLflow pyfunc of the same bundle (``mlflow.pyfunc.load_model(...).predict``).

Single-record latency is measured on one dict record (p50, p99 of 2,000 calls).
Spark: ``export.spark.score_dataframe`` on 1,000,000 cached rows, ``local[2]``.
Targets (issue 11): >= 1,000,000 records/s batch, single-record p50 < 50 µs,
Spark 1M rows < 15 s.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

N = 1_000_000
CONFIG = Path(__file__).parent.parent / "experiments" / "synthetic_enterprise.yaml"


def _fit_logistic():
    from riskmodels.comparison.config import load_config
    from riskmodels.comparison.dataset import load_dataset, split_frame
    from riskmodels.models.logistic import LogisticScorecard

    cfg = load_config(CONFIG)
    cfg.data.params.update({"n_firms": 1000, "n_years": 4})
    frame = load_dataset(cfg.data, random_state=0)
    cfg.split.test_from = 2021
    train, test = split_frame(frame, cfg.split)
    spec = next(m for m in cfg.models if m.type == "logistic")
    features = list(spec.features)
    model = LogisticScorecard(**spec.params).fit(train[features], train["target"])
    return model, train[features], train["target"].to_numpy(), test[features]


def _woe_design(bundle: dict, frame: pd.DataFrame) -> np.ndarray:
    from riskmodels import scoring

    cols, _ = scoring.prepare_inputs(bundle["inputs"], {c: frame[c].to_numpy() for c in frame})
    return np.column_stack([np.asarray(f["woe"], dtype=float)[scoring.bin_index(f["binning"], cols[f["name"]])]
                            for f in bundle["model"]["features"]])


def _best_of(fn, repeat: int = 2) -> float:
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _latency_us(fn, calls: int) -> tuple[float, float]:
    times = np.empty(calls)
    for i in range(calls):
        start = time.perf_counter_ns()
        fn()
        times[i] = time.perf_counter_ns() - start
    return float(np.percentile(times, 50)) / 1e3, float(np.percentile(times, 99)) / 1e3


def _spark_seconds(bundle: dict, records: pd.DataFrame) -> float:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from riskmodels.export.spark import score_dataframe

    spark = (SparkSession.builder.master("local[2]").appName("bench-scoring")
             .config("spark.ui.enabled", "false").config("spark.driver.memory", "4g")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        sdf = spark.createDataFrame(records).repartition(2).cache()
        sdf.count()
        score_dataframe(sdf.limit(1000), bundle).agg(F.sum("pd")).collect()  # start the workers
        start = time.perf_counter()
        score_dataframe(sdf, bundle).agg(F.sum("pd"), F.count("grade")).collect()
        return time.perf_counter() - start
    finally:
        spark.stop()


def main() -> None:
    warnings.filterwarnings("ignore")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from sklearn.linear_model import LogisticRegression

    from riskmodels import scoring

    model, X_train, y_train, X_test = _fit_logistic()
    bundle = model.to_bundle()
    scorer = scoring.Scorer(bundle)
    rng = np.random.default_rng(0)
    records = X_test.iloc[rng.integers(0, len(X_test), size=N)].reset_index(drop=True)
    design = _woe_design(bundle, records)
    peer = LogisticRegression(C=1e6, max_iter=1000).fit(_woe_design(bundle, X_train), y_train)

    ours = _best_of(lambda: scorer.score(records))
    theirs = _best_of(lambda: peer.predict_proba(design))
    binned = _best_of(lambda: peer.predict_proba(_woe_design(bundle, records)))
    print(f"batch {N:,} records   Scorer.score {ours:7.3f} s ({N / ours:12,.0f} rec/s)   "
          f"sklearn predict_proba (pre-binned WoE) {theirs:7.3f} s ({N / theirs:12,.0f} rec/s)   "
          f"ratio ours/sklearn time {ours / theirs:6.2f}", flush=True)
    print(f"batch incl. binning   sklearn (our checks + bin_index + WoE design + predict_proba) "
          f"{binned:7.3f} s   ratio ours/sklearn time {ours / binned:6.2f}", flush=True)

    record = records.iloc[0].to_dict()
    row = design[:1]
    p50, p99 = _latency_us(lambda: scorer.score(record), 2000)
    s50, s99 = _latency_us(lambda: peer.predict_proba(row), 2000)
    print(f"single record   Scorer.score p50 {p50:8.1f} µs p99 {p99:8.1f} µs   "
          f"sklearn p50 {s50:8.1f} µs p99 {s99:8.1f} µs   ratio p50 ours/sklearn {p50 / s50:6.2f}",
          flush=True)

    import mlflow

    from riskmodels.export import pyfunc_input, to_mlflow

    with tempfile.TemporaryDirectory() as folder:
        mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
        info = to_mlflow(bundle, input_example=X_test.head(2))
        pyfunc = mlflow.pyfunc.load_model(info.model_uri)
        frame = pyfunc_input(records, bundle)
        batch = _best_of(lambda: pyfunc.predict(frame), repeat=1)
        one = frame.head(1)
        m50, m99 = _latency_us(lambda: pyfunc.predict(one), 200)
        mlflow.set_tracking_uri(None)
    print(f"MLflow pyfunc   batch {batch:7.3f} s ({N / batch:12,.0f} rec/s) ratio ours/pyfunc time "
          f"{ours / batch:6.2f}   single p50 {m50:8.1f} µs p99 {m99:8.1f} µs ratio p50 ours/pyfunc "
          f"{p50 / m50:6.3f}", flush=True)

    spark = _spark_seconds(bundle, records)
    print(f"Spark local[2]  {N:,} rows scored in {spark:6.2f} s (target < 15 s)", flush=True)


if __name__ == "__main__":
    main()
