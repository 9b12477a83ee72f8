"""The comparison accepts a Spark source (Parquet path or table) and runs as with a file source.

Reference: the same rows given as ``source: file``; the comparison from the
Spark source must see the same data (same fingerprint), fit the same models
(same table) and log to MLflow as any comparison does.
"""

import mlflow
import pandas as pd
import pytest
import yaml
from mlflow.tracking import MlflowClient

from riskmodels.comparison import compare
from riskmodels.comparison.config import load_config
from riskmodels.data.loaders import load_german
from riskmodels.errors import ConfigError
from riskmodels.spark.session import local_session


@pytest.fixture(scope="module")
def spark():
    return local_session(2)


@pytest.fixture(scope="module")
def german_parquet(tmp_path_factory):
    folder = tmp_path_factory.mktemp("german")
    german = load_german()
    german.select_dtypes("number").to_parquet(folder / "german.parquet")  # categories read back alike either way
    return folder / "german.parquet"


def _config(data, tmp_path):
    return {"name": "german_spark", "data": {**data, "target": "target"},
            "models": [{"name": "logistic", "type": "logistic", "params": {"max_features": 4}},
                       {"name": "crosstab", "type": "crosstab", "features": ["credit_amount", "age_years"],
                        "params": {"features": ["credit_amount", "age_years"], "max_bins": 3}}],
            "tracking": {"uri": f"sqlite:///{tmp_path / 'mlflow.db'}", "experiment": "spark-source"},
            "output_dir": str(tmp_path / "out")}


def test_spark_parquet_source_equals_file_source_and_logs_to_mlflow(spark, german_parquet, tmp_path):
    try:
        from_file = compare(_config({"source": "file", "path": str(german_parquet)}, tmp_path / "a"), progress=False)
        from_spark = compare(_config({"source": "spark", "path": str(german_parquet)}, tmp_path / "b"),
                             progress=False)
        assert from_spark.fingerprints == from_file.fingerprints
        timings = [c for c in from_file.table.columns if c.endswith("_seconds")]
        pd.testing.assert_frame_equal(from_spark.table.drop(columns=timings), from_file.table.drop(columns=timings))
        mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'b' / 'mlflow.db'}")
        run = MlflowClient().get_run(from_spark.run_id)
        assert run.data.tags["data_fingerprint"] == from_spark.fingerprints["data"]
    finally:
        mlflow.set_tracking_uri(None)


def test_spark_table_source_and_bad_sources(spark, german_parquet, tmp_path):
    spark.read.parquet(str(german_parquet)).createOrReplaceTempView("german_applications")
    from riskmodels.comparison.dataset import load_dataset

    cfg = load_config(_write(tmp_path, {"source": "spark", "table": "german_applications"}))
    assert len(load_dataset(cfg.data)) == len(load_german())
    with pytest.raises(ConfigError, match="does not exist"):
        load_dataset(load_config(_write(tmp_path, {"source": "spark", "table": "no_such_table"})).data)
    with pytest.raises(ConfigError, match="exactly one of 'path'"):
        load_config(_write(tmp_path, {"source": "spark"}))


def _write(tmp_path, data):
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(_config(data, tmp_path)), encoding="utf-8")
    return path
