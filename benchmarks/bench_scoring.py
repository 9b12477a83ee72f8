"""Exported scorer speed per bundle kind: ``Scorer.score`` vs scikit-learn, the floor, Spark.

For the logistic, cross-tab and expert bundles of the synthetic-enterprise
portfolio, on the same 1,000,000 records (a pandas frame as the portfolio gives
it: numbers float64, the qualitative answers categorical), measured in the same
run (best of ``REPEAT``, ours and the peer in turns; the machine is shared, so the
ratios are what counts):

- ``Scorer.score``: input rules, binning, PD, points, grade, reason codes, limit;
- the scikit-learn-assembled equivalent: a ``ColumnTransformer`` doing the
  checks (``check_array``) and the same bins (``OrdinalEncoder`` with the bundle's
  categories; the bundle's edges for numbers) and WoE, then ``predict_proba`` of a
  ``LogisticRegression`` on the WoE design (logistic), or of a
  ``DecisionTreeClassifier`` whose leaves are the cells (cross-tab). It computes
  the PD only: no grade, points, reasons or limit;
- the floor: that estimator's ``predict_proba`` on the already-binned design;
- for the expert card (no scikit-learn equivalent of a points card): its kernel
  alone on prepared columns, and as a floor the ``predict_proba`` of a logistic
  regression on the card's indicator points;
- single record (one dict): ``Scorer.score`` p50/p99 over ``CALLS`` calls vs the
  peer estimator's ``predict_proba`` on one pre-binned row;
- one-row DataFrame (what MLflow serving passes): ``Scorer.score`` p50/p99 vs the
  scikit-learn-assembled pipeline on the same frame.

Ours, the peer and the floor are timed in turns. Targets (issue 22): logistic batch <= 0.3x
the scikit-learn-assembled time; single-record p50 <= 0.3x scikit-learn's; (issue 35) expert
production path <= 1.3x its kernel, logistic <= 5x its floor.
Then the MLflow pyfunc (logistic) and Spark ``local[2]`` (Arrow batches, every kind).
Given bundle kinds on the command line (``python benchmarks/bench_scoring.py expert``),
only those kinds run, without the MLflow and Spark parts.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.timing import best_in_turns, best_wall_and_cpu_in_turns
from benchmarks.workloads import fitted_models, portfolio_split

N = 1_000_000
REPEAT = 5
CALLS = 2000


def _latency_us(fn, calls: int = CALLS) -> tuple[float, float]:
    for _ in range(50):  # warm caches
        fn()
    times = np.empty(calls)
    for i in range(calls):
        start = time.perf_counter_ns()
        fn()
        times[i] = time.perf_counter_ns() - start
    return float(np.percentile(times, 50)) / 1e3, float(np.percentile(times, 99)) / 1e3


# --------------------------------------------------------------------------- scikit-learn peers
def _numeric_codes(binning: dict, X) -> np.ndarray:
    from sklearn.utils import check_array

    x = check_array(X, ensure_all_finite="allow-nan", dtype=float)[:, 0]
    idx = np.searchsorted(np.asarray(binning["edges"], dtype=float), x, side="right")
    missing = binning.get("missing_bin")
    idx = np.where(np.isnan(x), -1 if missing is None else missing, idx)
    for code, b in (binning.get("special_bins") or {}).items():
        idx = np.where(x == float(code), b, idx)
    return idx[:, None]


def _table_of(values: np.ndarray, codes) -> np.ndarray:
    return values[np.asarray(codes, dtype=np.int64)]


def _binner(binning: dict, table: np.ndarray | None = None):
    """scikit-learn transformer: the bundle's bins of one column (then ``table[bin]`` when given)."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder

    if binning["type"] == "numeric":
        steps = [FunctionTransformer(partial(_numeric_codes, binning))]
    else:
        labels = sorted(binning["categories"], key=binning["categories"].get)
        unknown, missing = binning.get("unknown_bin"), binning.get("missing_bin")
        encoder = OrdinalEncoder(categories=[labels], handle_unknown="use_encoded_value",
                                 unknown_value=-1, encoded_missing_value=-2)
        order = np.array([binning["categories"][c] for c in labels]
                         + [-1 if missing is None else missing, -1 if unknown is None else unknown])
        steps = [encoder, FunctionTransformer(partial(_relabel, order))]
    if table is not None:
        steps.append(FunctionTransformer(partial(_table_of, table)))
    return make_pipeline(*steps)


def _relabel(order: np.ndarray, codes) -> np.ndarray:
    """OrdinalEncoder numbers categories by position (-1 unknown, -2 missing); the bundle by
    its own bin numbers (``order`` ends with the missing and the unknown bin)."""
    return order[np.asarray(codes, dtype=np.int64)]


def _peer(kind: str, bundle: dict, train: pd.DataFrame):
    """(preprocessor, estimator fitted on the pre-binned train design)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    model, y = bundle["model"], train["target"].to_numpy()
    if kind == "logistic":
        parts = [(f["name"], _binner(f["binning"], np.asarray(f["woe"] + [0.0], dtype=float)), [f["name"]])
                 for f in model["features"]]
        estimator = LogisticRegression(C=1e6, max_iter=1000)
    else:
        parts = [(name, _binner(b), [name]) for name, b in zip(model["factors"], model["bins"], strict=True)]
        estimator = DecisionTreeClassifier(random_state=0)
    prep = ColumnTransformer(parts).fit(train)
    return prep, estimator.fit(prep.transform(train), y)


def _kind_rows(kind, model, train, records):
    from riskmodels import scoring

    bundle = model.to_bundle()
    scorer = scoring.Scorer(bundle)
    one = records.iloc[0].to_dict()
    one_row = records[[c for c in scorer.input_names if c in records]].head(1)  # as MLflow serving passes it
    p50, p99 = _latency_us(lambda: scorer.score(one))
    row = {"kind": kind, "p50": p50, "p99": p99}
    row["f50"], row["f99"] = _latency_us(lambda: scorer.score(one_row))
    if kind == "expert":
        cols, n = scoring.prepare_inputs(bundle["inputs"], scoring.as_columns(records, scorer.input_names)[0])
        runtime = scorer._runtime["model"]
        from sklearn.linear_model import LogisticRegression

        design = scoring.KERNELS["expert"](runtime, cols, n)["extra"]["indicator_points"]
        train_cols, m = scoring.prepare_inputs(bundle["inputs"], scoring.as_columns(train, scorer.input_names)[0])
        train_design = np.nan_to_num(scoring.KERNELS["expert"](runtime, train_cols, m)["extra"]["indicator_points"])
        estimator = LogisticRegression(max_iter=1000).fit(train_design, train["target"])
        design = np.nan_to_num(design)
        (row["ours"], row["kernel"], row["floor"]), row["cpu"] = best_wall_and_cpu_in_turns(
            lambda: scorer.score(records), lambda: scoring.KERNELS["expert"](runtime, cols, n),
            lambda: estimator.predict_proba(design), repeats=REPEAT)
    else:
        prep, estimator = _peer(kind, bundle, train)
        design = prep.transform(records)
        (row["ours"], row["assembled"], row["floor"]), row["cpu"] = best_wall_and_cpu_in_turns(
            lambda: scorer.score(records), lambda: estimator.predict_proba(prep.transform(records)),
            lambda: estimator.predict_proba(design), repeats=REPEAT)
        row["a50"], row["a99"] = _latency_us(lambda: estimator.predict_proba(prep.transform(one_row)))
    first = design[:1]
    row["s50"], row["s99"] = _latency_us(lambda: estimator.predict_proba(first))
    return row, bundle


def _print_row(r: dict) -> None:
    print(f"\n[{r['kind']}] {N:,} records, best of {REPEAT}")
    print(f"  Scorer.score                      {r['ours']:7.3f} s ({N / r['ours']:11,.0f} rec/s)")
    if "assembled" in r:
        print(f"  sklearn-assembled (checks+bins+WoE+predict_proba) {r['assembled']:7.3f} s   "
              f"ratio ours/assembled {r['ours'] / r['assembled']:5.2f}")
    if "kernel" in r:
        print(f"  expert kernel alone (prepared columns)            {r['kernel']:7.3f} s   "
              f"ratio ours/kernel {r['ours'] / r['kernel']:5.2f} (target <= 1.3)")
    target = " (target <= 5)" if r["kind"] == "logistic" else ""
    print(f"  floor: predict_proba on the pre-binned design     {r['floor']:7.3f} s   "
          f"ratio ours/floor {r['ours'] / r['floor']:6.1f}{target}")
    cpu = r["cpu"]
    print(f"  CPU time (user + system), same runs: ours {cpu[0]:7.3f} s, {'kernel' if 'kernel' in r else 'assembled'} "
          f"{cpu[1]:7.3f} s, floor {cpu[2]:7.3f} s   ratios {cpu[0] / cpu[1]:5.2f} and {cpu[0] / cpu[2]:5.1f}")
    print(f"  single record p50 {r['p50']:7.1f} µs p99 {r['p99']:7.1f} µs   sklearn one row p50 "
          f"{r['s50']:7.1f} µs p99 {r['s99']:7.1f} µs   ratio p50 {r['p50'] / r['s50']:5.2f}")
    peer = (f"sklearn-assembled on it p50 {r['a50']:7.1f} µs p99 {r['a99']:7.1f} µs   ratio p50 "
            f"{r['f50'] / r['a50']:5.2f}") if "a50" in r else "(no sklearn equivalent)"
    print(f"  one-row DataFrame p50 {r['f50']:7.1f} µs p99 {r['f99']:7.1f} µs   {peer}", flush=True)


def _spark_seconds(bundles: dict, records: pd.DataFrame) -> dict:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from riskmodels.export.spark import score_dataframe

    spark = (SparkSession.builder.master("local[2]").appName("bench-scoring")
             .config("spark.ui.enabled", "false").config("spark.driver.memory", "4g")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    names = sorted({r["name"] for b in bundles.values() for r in b["inputs"]} & set(records.columns))
    try:
        frame = records[names].astype({c: str for c in names if records[c].dtype.kind not in "fiub"})
        sdf = spark.createDataFrame(frame).repartition(2).cache()
        sdf.count()
        out = {}
        for kind, bundle in bundles.items():
            score_dataframe(sdf.limit(1000), bundle).agg(F.sum("pd")).collect()  # start the workers
            start = time.perf_counter()
            score_dataframe(sdf, bundle).agg(F.sum("pd"), F.count("grade")).collect()
            out[kind] = time.perf_counter() - start
        return out
    finally:
        spark.stop()


def main(kinds: list[str] | None = None) -> None:
    """Run the benchmark; ``kinds`` (command line: ``bench_scoring.py expert ...``) limits it to
    those bundle kinds and skips the MLflow and Spark parts."""
    warnings.filterwarnings("ignore")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    cfg, train, test = portfolio_split()
    models = fitted_models(cfg, train)
    rng = np.random.default_rng(0)
    records = test.iloc[rng.integers(0, len(test), size=N)].reset_index(drop=True)
    print(f"machine shared with other jobs (load average {os.getloadavg()[0]:.1f}): compare the "
          "ratios, measured in the same run")
    bundles = {}
    for kind, model in models.items():
        if kinds and kind not in kinds:
            continue
        row, bundles[kind] = _kind_rows(kind, model, train, records)
        _print_row(row)
    if kinds:
        return

    import mlflow

    from riskmodels import scoring
    from riskmodels.export import pyfunc_input, to_mlflow

    bundle = bundles["logistic"]
    features = [r["name"] for r in bundle["inputs"]]
    scorer = scoring.Scorer(bundle)
    with tempfile.TemporaryDirectory() as folder:
        mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
        # the artifacts in the temporary folder too (experiment 0's default root is ./mlruns)
        mlflow.set_experiment(experiment_id=mlflow.create_experiment(
            "bench-scoring", artifact_location=Path(folder, "artifacts").as_uri()))
        info = to_mlflow(bundle, input_example=test[features].head(2))
        pyfunc = mlflow.pyfunc.load_model(info.model_uri)
        frame = pyfunc_input(records, bundle)  # what a caller gives: texts as Python objects
        batch, ours = best_in_turns(lambda: pyfunc.predict(frame), lambda: scorer.score(frame), repeats=3)
        mlflow.set_tracking_uri(None)
    print(f"\nMLflow pyfunc (logistic) batch {batch:7.3f} s; Scorer.score on the same frame {ours:7.3f} s "
          f"(best of 3, in turns); load average {os.getloadavg()[0]:.1f}", flush=True)

    for kind, seconds in _spark_seconds(bundles, records).items():
        print(f"Spark local[2], Arrow batches, {kind:8s} {N:,} rows scored in {seconds:6.2f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
