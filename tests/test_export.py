"""Export: bundle files, MLflow pyfunc + registry, Dask, Spark local[2], the batch CLI.

Bundles come from the small ``PointsModel`` of ``test_scoring`` (kind ``test_points``).
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pandas as pd
import pytest
import test_scoring
from test_scoring import GOOD, TEST_SCALE, fitted_model, make_data

from riskmodels import scoring
from riskmodels.cli import main
from riskmodels.errors import BundleError
from riskmodels.export import frames
from riskmodels.export.batch import score_file

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture(scope="module")
def model():
    return fitted_model(1500, random_state=0)[0]


@pytest.fixture(scope="module")
def bundle(model):
    return model.to_bundle()


@pytest.fixture(scope="module")
def bundle_path(bundle, tmp_path_factory):
    return frames.write_bundle(bundle, tmp_path_factory.mktemp("bundle") / "scorer.json")


# --------------------------------------------------------------------------- frames
def test_write_bundle_from_model_and_refuses_other_things(model, tmp_path):
    path = frames.write_bundle(model, tmp_path / "m.json")
    assert scoring.load_scorer(path).kind == "test_points"
    with pytest.raises(BundleError, match="cannot write a bundle from a list"):
        frames.write_bundle([1], tmp_path / "x.json")


def test_score_frame_layout_and_values(bundle):
    scorer = scoring.Scorer(bundle)
    X, _ = make_data(50, 2)
    out = frames.score_frame(scorer, X)
    assert list(out.columns) == ["pd", "score", "grade", "reason_1", "reason_2", "reason_3", "limit",
                                 "warnings"]
    ref = scorer.score(X)
    assert [i for i, w in enumerate(out["warnings"]) if w is not None] == sorted(ref["warnings"])
    np.testing.assert_array_equal(out["pd"].to_numpy(), ref["pd"])
    assert out["reason_2"].tolist() == ref["reasons"][:, 1].tolist()


def test_score_frame_report_mode_with_every_record_bad(bundle):
    scorer = scoring.Scorer(bundle)
    X, _ = make_data(3, 2)
    out = frames.score_frame(scorer, X.assign(util=5.0), on_error="report")
    assert list(out.columns) == [name for name, _ in frames.output_columns(scorer, "report")]
    assert len(out) == 3
    assert out["pd"].isna().all() and out["reason_1"].isna().all()
    assert out["error"].str.contains("util: above the allowed max").all()


# --------------------------------------------------------------------------- mlflow
@pytest.fixture(scope="module")
def tracking(tmp_path_factory):
    import mlflow

    folder = tmp_path_factory.mktemp("mlflow")
    mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
    # a fresh experiment: mlflow remembers the active experiment id across stores, and its
    # default artifact root is the working directory
    mlflow.set_experiment(experiment_id=mlflow.create_experiment(
        "export-tests", artifact_location=(folder / "artifacts").as_uri()))
    yield mlflow
    mlflow.set_tracking_uri(None)


def test_pyfunc_gives_the_same_pds_and_is_registered_with_the_scale(tracking, bundle_path, bundle):
    from riskmodels.export import pyfunc_input, to_mlflow

    mlflow = tracking
    X, _ = make_data(300, 5)
    X["current_assets"] = X["current_assets"].round().astype("int64")  # ints are cast to float
    info = to_mlflow(bundle_path, input_example=X.head(3), registered_model_name="points-scorer")
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    as_ints = loaded.predict(X)  # the signature lets int64 through: the model casts it
    X = pyfunc_input(X, bundle)
    got = loaded.predict(X)
    assert as_ints["pd"].tolist() == got["pd"].tolist()
    ref = scoring.Scorer(bundle).score(X)
    np.testing.assert_array_equal(got["pd"].to_numpy(), ref["pd"])
    assert got["grade"].tolist() == ref["grade"].tolist()
    # signature: no input schema, so the scorer, not MLflow, judges each record; the inputs
    # are listed in the model's metadata
    assert loaded.metadata.get_input_schema() is None
    assert loaded.metadata.metadata["riskmodels_inputs"] == [
        {"name": r["name"], "type": r["type"]} for r in bundle["inputs"]]
    assert [c.name for c in loaded.metadata.get_output_schema().inputs][:3] == ["pd", "score", "grade"]
    assert loaded.metadata.load_input_example() is not None
    # report mode through params
    bad = X.head(4).copy()
    bad.loc[2, "util"] = 9.0
    reported = loaded.predict(bad, params={"on_error": "report"})
    assert np.isnan(reported["pd"][2]) and "util: above the allowed max" in reported["error"][2]
    assert reported["pd"][[0, 1, 3]].tolist() == ref["pd"][[0, 1, 3]].tolist()
    with pytest.raises(BundleError, match="field 'util'"):
        loaded.predict(bad)
    # registry: the grade scale as tags
    client = mlflow.MlflowClient()
    registered = client.get_registered_model("points-scorer")
    assert registered.tags["grade_scale"] == "test"
    assert registered.tags["grades"] == ",".join(TEST_SCALE["grades"])
    assert json.loads(registered.tags["grade_upper_bounds"]) == TEST_SCALE["upper_bounds"]
    version = client.get_model_version("points-scorer", "1")
    assert version.tags["riskmodels.bundle_sha256"] == bundle["sha256"]
    # a new version on another scale: the registered model's tags follow it
    rescaled = scoring.seal({**bundle, "master_scale": {"name": "coarse", "grades": ["A", "B", "C"],
                                                        "upper_bounds": [0.02, 0.2]}})
    to_mlflow(rescaled, registered_model_name="points-scorer")
    tags = client.get_registered_model("points-scorer").tags
    assert (tags["grade_scale"], tags["grades"], json.loads(tags["grade_upper_bounds"])) == (
        "coarse", "A,B,C", [0.02, 0.2])
    assert client.get_model_version("points-scorer", "2").tags["grade_scale"] == "coarse"


def test_to_mlflow_refuses_a_tampered_bundle(tracking, bundle):
    from riskmodels.export import to_mlflow

    with pytest.raises(BundleError, match="does not match"):
        to_mlflow({**bundle, "name": "changed"})


# --------------------------------------------------------------------------- dask
def test_dask_partitions_score_like_the_local_scorer(bundle):
    import dask.dataframe as dd

    from riskmodels.export.dask import score_dataframe

    X, _ = make_data(5000, 7)
    ddf = dd.from_pandas(X, npartitions=4)
    out = score_dataframe(ddf, bundle).compute()
    ref = scoring.Scorer(bundle).score(X)
    np.testing.assert_array_equal(out["pd"].to_numpy(), ref["pd"])
    assert out["sector"].tolist() == X["sector"].tolist()
    bad = X.copy()
    bad.loc[10, "sector"] = "mining"
    reported = score_dataframe(dd.from_pandas(bad, npartitions=3), bundle, on_error="report",
                               keep_columns=False).compute()
    assert reported["error"].notna().sum() == 1 and "mining" in reported["error"][10]
    with pytest.raises(BundleError, match="already has column"):
        score_dataframe(dd.from_pandas(X.assign(pd=1.0), npartitions=2), bundle)


# --------------------------------------------------------------------------- spark
@pytest.fixture(scope="module")
def spark():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark import cloudpickle
    from pyspark.sql import SparkSession

    # the test kernel lives in a test module the workers cannot import: ship it by value
    cloudpickle.register_pickle_by_value(test_scoring)
    session = (SparkSession.builder.master("local[2]").appName("riskmodels-export-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    cloudpickle.unregister_pickle_by_value(test_scoring)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_spark_local2_100k_rows_match_the_local_scorer(spark, bundle):
    from pyspark.sql import functions as F

    from riskmodels.export.spark import score_dataframe

    sectors = F.array(*[F.lit(s) for s in test_scoring.SECTORS])
    sdf = spark.range(100_000, numPartitions=2).select(
        F.col("id"), F.randn(1).alias("leverage"), F.rand(2).alias("util"),
        F.element_at(sectors, (F.floor(F.rand(3) * 3) + 1).cast("int")).alias("sector"),
        (F.rand(4) * 900 + 100).alias("current_assets"), (F.rand(5) * 380 + 20).alias("monthly_sales"))
    out = score_dataframe(sdf, bundle).toPandas().sort_values("id").reset_index(drop=True)
    assert len(out) == 100_000
    ref = scoring.Scorer(bundle).score(out[scoring.Scorer(bundle).input_names])
    np.testing.assert_allclose(out["pd"].to_numpy(), ref["pd"], rtol=0, atol=1e-12)
    assert out["grade"].tolist() == ref["grade"].tolist()
    np.testing.assert_allclose(out["limit"].to_numpy(), ref["limit"], rtol=0, atol=1e-9)
    # a column the DataFrame does not have: a missing value in each record, as in Scorer.score
    reported = score_dataframe(sdf.drop("sector").limit(3), bundle, on_error="report").toPandas()
    assert reported["error"].tolist() == ["sector: missing value"] * 3


# --------------------------------------------------------------------------- CLI
def test_cli_scores_csv_in_chunks(bundle_path, bundle, tmp_path, capsys):
    X, _ = make_data(2500, 9)
    X.to_csv(tmp_path / "in.csv", index=False)
    status = main(["score", str(bundle_path), str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"),
                   "--chunksize", "700", "--keep-columns"])
    assert status == 0 and "scored 2500 row(s)" in capsys.readouterr().out
    out = pd.read_csv(tmp_path / "out.csv")
    ref = scoring.Scorer(bundle).score(pd.read_csv(tmp_path / "in.csv"))
    np.testing.assert_allclose(out["pd"].to_numpy(), ref["pd"], rtol=1e-15)
    assert out["grade"].tolist() == ref["grade"].tolist() and "leverage" in out.columns
    assert not (tmp_path / "out.csv.part").exists()


def test_cli_parquet_report_mode_and_global_row_numbers(bundle_path, bundle, tmp_path, capsys):
    X, _ = make_data(1200, 11)
    X.loc[1000, "util"] = 4.0
    X.to_parquet(tmp_path / "in.parquet")
    status = main(["score", str(bundle_path), str(tmp_path / "in.parquet"), "-o",
                   str(tmp_path / "out.parquet"), "--chunksize", "300", "--on-error", "report",
                   "--no-progress"])
    assert status == 0 and "1 row(s) with broken input rules" in capsys.readouterr().out
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert len(out) == 1200 and out["error"].notna().sum() == 1
    assert "util: above the allowed max" in out["error"][1000] and np.isnan(out["pd"][1000])
    ref = scoring.Scorer(bundle).score(X.drop(index=1000))
    np.testing.assert_array_equal(out["pd"].drop(index=1000).to_numpy(), ref["pd"])
    # raise mode: exit status 2, the file row number, and no output file
    status = main(["score", str(bundle_path), str(tmp_path / "in.parquet"), "-o",
                   str(tmp_path / "bad.csv"), "--chunksize", "300", "--no-progress"])
    err = capsys.readouterr().err
    assert status == 2 and "row 1000 of in.parquet: util: above the allowed max 1.0" in err
    assert not (tmp_path / "bad.csv").exists() and not (tmp_path / "bad.csv.part").exists()


def test_csv_text_in_a_number_column_refuses_only_that_record(bundle, tmp_path):
    X, _ = make_data(6, 3)
    X.astype({"util": object}).assign(util=lambda f: f["util"].where(f.index != 2, "abc")).to_csv(
        tmp_path / "in.csv", index=False)
    done = score_file(bundle, tmp_path / "in.csv", tmp_path / "out.csv", on_error="report", progress=False)
    out = pd.read_csv(tmp_path / "out.csv")
    assert done == {"rows": 6, "errors": 1, "warnings": int(out["warnings"].notna().sum()), "rows_read": 6,
                    "rows_written": 6}
    assert out["error"].notna().tolist() == [False, False, True, False, False, False]
    assert out["error"][2] == "util: not a number (str 'abc')"
    ref = scoring.Scorer(bundle).score(X.drop(index=2))
    np.testing.assert_allclose(out["pd"].drop(index=2).to_numpy(), ref["pd"], rtol=1e-15)


def test_cli_refuses_tampered_bundle_and_unknown_formats(bundle_path, tmp_path, capsys):
    tampered = tmp_path / "t.json"
    tampered.write_text(bundle_path.read_text().replace('"base": 600.0', '"base": 700.0'))
    pd.DataFrame([GOOD]).to_csv(tmp_path / "in.csv", index=False)
    assert main(["score", str(tampered), str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv")]) == 2
    assert "does not match its sha256" in capsys.readouterr().err
    assert main(["score", str(bundle_path), str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.xlsx")]) == 2
    assert "must end in .csv or .parquet" in capsys.readouterr().err
    with pytest.raises(BundleError, match="chunksize must be at least 1"):
        score_file(bundle_path, tmp_path / "in.csv", tmp_path / "o.csv", chunksize=0)


def test_arrow_batches_score_without_pandas_like_the_local_scorer(bundle):
    import pyarrow as pa

    from riskmodels.export.frames import score_arrays

    X, _ = make_data(300, 13)
    X.loc[5, "sector"] = "mining"
    batch = pa.RecordBatch.from_pandas(X, preserve_index=False)
    assert batch.schema.field("sector").type in (pa.string(), pa.large_string())
    scorer = scoring.Scorer(bundle)
    arrays = score_arrays(scorer, batch, on_error="report")
    ref = scorer.score(X.astype({"sector": object}), on_error="report")
    np.testing.assert_array_equal(arrays["pd"].to_numpy(zero_copy_only=False), ref["pd"])
    assert arrays["grade"].to_pylist() == ref["grade"].tolist()
    assert arrays["reason_1"].to_pylist() == ref["reasons"][:, 0].tolist()
    assert arrays["error"].null_count == 299 and "mining" in arrays["error"][5].as_py()
