"""One rule for bad input on every path (issue 32): Python, CLI, pyfunc, REST, Spark, Dask.

A logistic scorecard fitted on the synthetic portfolio; the same seven records — good,
an absent field, an explicit null, a wrong type, a value outside the development
sample's range, a value outside the domain's hard range, a category never seen in
training — go through every path and must come out with the same PD, grade, error and
warnings, as the bundle's rules say (the expected texts below are written from the
rules, not read from the scorer).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskmodels import scoring
from riskmodels.cli import main as cli_main
from riskmodels.comparison.config import load_config
from riskmodels.comparison.dataset import load_dataset, split_frame
from riskmodels.export.frames import score_frame
from riskmodels.models.logistic import LogisticScorecard

FEATURES = ["debt_ratio", "on_time_share", "dpd_max_12m", "roa", "management_quality"]
KINDS = ["good", "absent", "null", "wrong type", "out of training range", "outside hard range",
         "unknown category"]


@pytest.fixture(scope="module")
def card():
    cfg = load_config("synthetic_enterprise")
    cfg.data.params.update({"n_firms": 400, "n_years": 3})
    frame = load_dataset(cfg.data, random_state=0)
    cfg.split.test_from = 2021
    train, test = split_frame(frame, cfg.split)
    model = LogisticScorecard(categorical=["management_quality"], selection=None).fit(train[FEATURES], train["target"])
    assert {"debt_ratio", "dpd_max_12m", "management_quality"} <= set(model.features_)
    return model, train[FEATURES], test[FEATURES]


@pytest.fixture(scope="module")
def bundle(card):
    return card[0].to_bundle()


@pytest.fixture(scope="module")
def hostile(card, bundle):
    """The seven records (dicts) and what the bundle's rules say each one gives."""
    _, train, _ = card
    names = [r["name"] for r in bundle["inputs"]]
    good = {k: (float(v) if k != "management_quality" else v) for k, v in train[names].iloc[0].items()}
    top = float(train["debt_ratio"].max())
    records = [good,
               {k: v for k, v in good.items() if k != "dpd_max_12m"},
               {**good, "dpd_max_12m": None},
               {**good, "debt_ratio": "abc"},
               {**good, "debt_ratio": 3 * top},
               {**good, "debt_ratio": -1e9},
               {**good, "management_quality": "superb"}]
    missing = "dpd_max_12m: missing value, none in the development sample"
    expected = [(None, None), (None, missing), (None, missing),
                ("debt_ratio: not a number (str 'abc')", None),
                (None, f"debt_ratio: {3 * top!r} above the development sample's max {top!r}"),
                ("debt_ratio: below the allowed min 0.0", None),
                (None, "management_quality: unknown category 'superb', not in the development sample")]
    return records, expected


def _outcome(frame: pd.DataFrame) -> list:
    """(pd, grade, error, warnings) per row of a score frame, missing as None."""
    def text(v):
        return None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v)

    rows = []
    for _, row in frame.iterrows():
        pd_ = row["pd"]
        rows.append((None if pd.isna(pd_) else float(pd_), text(row.get("grade")), text(row.get("error")),
                     text(row.get("warnings"))))
    return rows


def _reference(bundle, records) -> list:
    """The outcome per record, each record scored alone by Scorer.score in report mode."""
    scorer = scoring.Scorer(bundle)
    rows = []
    for record in records:
        out = scorer.score(record, on_error="report")
        error = "; ".join(out["errors"].get(0, [])) or None
        warnings = "; ".join(out["warnings"].get(0, [])) or None
        rows.append((None if np.isnan(out["pd"]) else out["pd"], out["grade"], error, warnings))
    return rows


def test_bundle_carries_the_development_ranges_and_the_policy(card, bundle, tmp_path):
    model, train, _ = card
    rules = {r["name"]: r for r in bundle["inputs"]}
    for name in ("debt_ratio", "dpd_max_12m"):  # pandas' own min/max of the training columns
        assert rules[name]["train_min"] == float(train[name].min())
        assert rules[name]["train_max"] == float(train[name].max())
        assert rules[name]["train_missing"] is False and rules[name]["outside_training"] == "warn"
    # hard ranges of the domain (DOMAIN_RANGES): debt ratio and days past due are >= 0
    assert (rules["debt_ratio"]["min"], rules["debt_ratio"]["out_of_range"]) == (0.0, "error")
    assert rules["management_quality"]["outside_training"] == "warn"
    # settable at export
    path = model.export(tmp_path / "strict.json", outside_training="error",
                        hard_ranges={"debt_ratio": (0.0, 5.0)})
    strict = {r["name"]: r for r in scoring.read_bundle(path)["inputs"]}
    assert strict["debt_ratio"]["outside_training"] == "error"
    assert (strict["debt_ratio"]["min"], strict["debt_ratio"]["max"]) == (0.0, 5.0)
    with pytest.raises(scoring.BundleError, match="above the development sample's max"):
        scoring.load_scorer(path).score({**train.iloc[0].to_dict(), "debt_ratio": 4.0})


def test_the_rules_give_the_expected_outcome_per_record(bundle, hostile):
    records, expected = hostile
    got = _reference(bundle, records)
    for kind, (pd_, grade, error, warnings), (want_error, want_warning) in zip(KINDS, got, expected,
                                                                                strict=True):
        assert (error, warnings) == (want_error, want_warning), kind
        assert (pd_ is None) == (want_error is not None) and (grade is None) == (pd_ is None), kind
    scored = dict(zip(KINDS, got, strict=True))
    # absent and null are one input; the value far outside the range is scored in the end bin
    assert scored["absent"][:2] == scored["null"][:2]
    top = scoring.Scorer(bundle).score({**records[0], "debt_ratio": float(records[4]["debt_ratio"]) / 3})
    assert scored["out of training range"][0] == top["pd"]


@pytest.mark.parametrize("path", ["one dict", "list of dicts", "DataFrame", "categorical DataFrame",
                                  "Arrow table", "one-row DataFrames", "pyfunc"])
def test_every_python_path_gives_the_same_outcome(bundle, hostile, path, tmp_path):
    records, _ = hostile
    expected = _reference(bundle, records)
    scorer = scoring.Scorer(bundle)
    frame = pd.DataFrame(records)
    if path == "one dict":
        got = expected  # the reference itself
    elif path == "list of dicts":
        out = scorer.score(records, on_error="report")
        got = _outcome(pd.DataFrame({"pd": out["pd"], "grade": out["grade"],
                                     "error": [None] * len(records), "warnings": [None] * len(records)})
                       .assign(error=[("; ".join(out["errors"][i]) if i in out["errors"] else None)
                                      for i in range(len(records))],
                               warnings=[("; ".join(out["warnings"][i]) if i in out["warnings"] else None)
                                         for i in range(len(records))]))
    elif path in ("DataFrame", "categorical DataFrame"):
        if path == "categorical DataFrame":
            frame = frame.astype({"management_quality": "category"})
        got = _outcome(score_frame(scorer, frame, on_error="report"))
    elif path == "Arrow table":
        import pyarrow as pa

        from riskmodels.export.frames import output_columns, score_arrays

        # Arrow columns are typed: a text cannot stand in a float64 column, so the wrong-type
        # record is left out here (the Spark path gets Arrow batches of typed columns too)
        keep = [i for i, kind in enumerate(KINDS) if kind != "wrong type"]
        table = pa.table({k: pa.array([records[i].get(k) for i in keep],
                                      type=pa.string() if k == "management_quality" else pa.float64())
                          for k in frame.columns})
        arrays = score_arrays(scorer, table, on_error="report", columns=output_columns(scorer, "report"))
        got = _outcome(pd.DataFrame({k: v.to_pylist() for k, v in arrays.items()}))
        expected = [expected[i] for i in keep]
    elif path == "one-row DataFrames":
        got = [_outcome(score_frame(scorer, pd.DataFrame([r]), on_error="report"))[0] for r in records]
    else:
        import mlflow

        from riskmodels.export.pyfunc import to_mlflow

        mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
        try:
            mlflow.set_experiment(experiment_id=mlflow.create_experiment(
                "bad-input", artifact_location=(tmp_path / "artifacts").as_uri()))
            loaded = mlflow.pyfunc.load_model(to_mlflow(bundle).model_uri)
            got = _outcome(loaded.predict(frame, params={"on_error": "report"}))
            single = [_outcome(loaded.predict(pd.DataFrame([r]), params={"on_error": "report"}))[0]
                      for r in records]
            assert single == expected
        finally:
            mlflow.set_tracking_uri(None)
    assert got == expected


def test_cli_gives_the_same_outcome(bundle, hostile, tmp_path):
    records, _ = hostile
    expected = _reference(bundle, records)
    (tmp_path / "b.json").write_bytes(scoring.dumps_bundle(bundle))
    pd.DataFrame(records).to_csv(tmp_path / "in.csv", index=False)
    assert cli_main(["score", str(tmp_path / "b.json"), str(tmp_path / "in.csv"), "-o",
                     str(tmp_path / "out.csv"), "--on-error", "report", "--no-progress"]) == 0
    assert _outcome(pd.read_csv(tmp_path / "out.csv")) == expected


def test_dask_gives_the_same_outcome(bundle, hostile):
    import dask
    import dask.dataframe as dd

    from riskmodels.export.dask import score_dataframe

    records, _ = hostile
    # dask turns object columns into Arrow strings by default (every number would be text)
    with dask.config.set({"dataframe.convert-string": False}):
        ddf = dd.from_pandas(pd.DataFrame(records).astype({"debt_ratio": object}), npartitions=2)
        got = _outcome(score_dataframe(ddf, bundle, on_error="report", keep_columns=False).compute())
    assert got == _reference(bundle, records)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _rest_outcome(predictions: list) -> list:
    return _outcome(pd.DataFrame(predictions).replace({np.nan: None}))


@pytest.fixture(scope="module")
def served(bundle, tmp_path_factory):
    """``mlflow models serve`` of the registered model on 127.0.0.1 (local env, tmp sqlite store)."""
    import mlflow

    from riskmodels.export.pyfunc import to_mlflow

    folder = tmp_path_factory.mktemp("serve")
    uri = f"sqlite:///{folder}/mlflow.db"
    mlflow.set_tracking_uri(uri)
    try:
        mlflow.set_experiment(experiment_id=mlflow.create_experiment(
            "served", artifact_location=(folder / "artifacts").as_uri()))
        to_mlflow(bundle, registered_model_name="bad-input-card")
    finally:
        mlflow.set_tracking_uri(None)
    port = _free_port()
    bin_dir = str(Path(sys.executable).parent)  # the server runs uvicorn from the venv's bin
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "MLFLOW_DISABLE_TELEMETRY": "true"}
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen([os.path.join(bin_dir, "mlflow"), "models", "serve", "-m",
                               "models:/bad-input-card/1", "--env-manager", "local", "-h", "127.0.0.1",
                               "-p", str(port)], env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the server did not start: "
                                     + (folder / "server.log").read_text(errors="replace")[-2000:])
            time.sleep(1)
        yield f"{url}/invocations"
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        log.close()


def test_rest_gives_what_the_cli_gives_record_by_record(served, bundle, hostile, tmp_path):
    records, _ = hostile
    (tmp_path / "b.json").write_bytes(scoring.dumps_bundle(bundle))
    pd.DataFrame(records).to_csv(tmp_path / "in.csv", index=False)
    cli_main(["score", str(tmp_path / "b.json"), str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"),
              "--on-error", "report", "--no-progress"])
    cli = _outcome(pd.read_csv(tmp_path / "out.csv"))
    assert cli == _reference(bundle, records)
    names = [r["name"] for r in bundle["inputs"]]
    report = {"on_error": "report"}
    # the whole batch, both request formats: one bad record never refuses the batch
    status, body = _post(served, {"dataframe_records": records, "params": report})
    assert status == 200 and _rest_outcome(body["predictions"]) == cli
    split = {"columns": names, "data": [[r.get(n) for n in names] for r in records]}
    status, body = _post(served, {"dataframe_split": split, "params": report})
    assert status == 200 and _rest_outcome(body["predictions"]) == cli
    # each record alone (a record without a field is a request without that column)
    for record, want in zip(records, cli, strict=True):
        status, body = _post(served, {"dataframe_records": [record], "params": report})
        assert status == 200 and _rest_outcome(body["predictions"]) == [want], record
        # raise mode: a refused record is HTTP 400 with the scorer's message, the others are scored
        status, body = _post(served, {"dataframe_split": {"columns": list(record),
                                                         "data": [list(record.values())]}})
        if want[2] is None:
            assert status == 200 and _rest_outcome(body["predictions"])[0][:2] == want[:2]
        else:
            field, rule = want[2].split(": ", 1)
            message = f"field {field!r}: {rule} at record(s) [0]"
            assert status == 400 and body["error_code"] == "INVALID_PARAMETER_VALUE"
            assert body["riskmodels_error"].startswith(message) and message in body["message"]


def test_sql_export_flags_and_refuses_the_same_records(bundle, hostile):
    import duckdb

    from riskmodels.export.sql import to_sql

    records, _ = hostile
    # DuckDB refuses a text in a number column for the whole query (riskmodels.export.sql):
    # the wrong-type record is scored here by the other paths only
    keep = [i for i, kind in enumerate(KINDS) if kind != "wrong type"]
    frame = pd.DataFrame([records[i] for i in keep]).astype({"debt_ratio": float})
    con = duckdb.connect()
    con.register("apps", frame)
    got = con.execute(to_sql(bundle, table="apps")).fetchdf()
    expected = [_reference(bundle, records)[i] for i in keep]
    rows = got.astype(object).where(got.notna(), None).to_dict("records")
    for row, (pd_, grade, error, warnings) in zip(rows, expected, strict=True):
        assert (row["error"] is None) == (error is None) and (row["warnings"] is None) == (warnings is None)
        if pd_ is None:
            assert row["pd"] is None and row["error"].split(":")[0] == error.split(":")[0]
            continue
        assert abs(row["pd"] - pd_) <= 1e-12 and row["grade"] == grade
        if warnings is not None:  # the same field and rule; SQL's message leaves out the value
            field, text = warnings.split(": ", 1)
            assert row["warnings"].split(": ", 1)[0] == field
            assert text.endswith(row["warnings"].split(": ", 1)[1].split("the development sample")[-1])


def test_spark_adapter_gives_the_same_outcome(card, bundle, hostile):
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T

    from riskmodels.export.spark import score_dataframe

    records, _ = hostile
    keep = [i for i, kind in enumerate(KINDS) if kind != "wrong type"]  # typed columns: no text
    names = [r["name"] for r in bundle["inputs"]]
    schema = T.StructType([T.StructField(n, T.StringType() if n == "management_quality" else T.DoubleType())
                           for n in names])
    spark = (SparkSession.builder.master("local[1]").appName("riskmodels-bad-input")
             .config("spark.ui.enabled", "false").getOrCreate())
    try:
        sdf = spark.createDataFrame([tuple(records[i].get(n) for n in names) for i in keep], schema)
        got = _outcome(score_dataframe(sdf.coalesce(1), bundle, on_error="report").toPandas())
        # a model fitted on Spark (rs.fit) records the ranges of its rows as a local fit does
        import copy

        from riskmodels.spark import training_ranges

        model, train, _ = card
        local = copy.deepcopy(model)
        spark_model = training_ranges(copy.deepcopy(model), spark.createDataFrame(train[names].astype(
            {n: float for n in names if n != "management_quality"})))
        assert spark_model.training_ranges_ == local.training_ranges_
    finally:
        spark.stop()
    assert got == [_reference(bundle, records)[i] for i in keep]
