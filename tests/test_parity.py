"""Parity of every model kind: bundle scorer == predict_proba == MLflow pyfunc == Spark.

Each kind is fitted as the synthetic-enterprise experiment configures it
(the shipped synthetic_enterprise experiment), on a small synthetic portfolio.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd
import pytest

from riskmodels import scoring
from riskmodels.comparison.config import load_config
from riskmodels.comparison.dataset import load_dataset, split_frame
from riskmodels.comparison.runner import _model_class

CONFIG = "synthetic_enterprise"  # the shipped experiment, by name
KINDS = ("expert", "logistic", "kmv", "crosstab")


@pytest.fixture(scope="module")
def fitted():
    cfg = load_config(CONFIG)
    cfg.data.params.update({"n_firms": 400, "n_years": 4})
    frame = load_dataset(cfg.data, random_state=0)
    cfg.split.test_from = 2021
    train, test = split_frame(frame, cfg.split)
    excluded = {"target", *cfg.data.id_columns, cfg.data.truth_column}
    out = {}
    for m in cfg.models:
        features = list(m.features) if m.features else [c for c in frame.columns if c not in excluded]
        est = _model_class(m.type)(**m.params).fit(train[features], train["target"])
        out[m.type] = (est, test[features].reset_index(drop=True))
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_bundle_scorer_equals_predict_proba(fitted, kind, tmp_path):
    est, X = fitted[kind]
    path = est.export(tmp_path / f"{kind}.json")
    scorer = scoring.load_scorer(path)
    assert scorer.kind == kind
    got = scorer.score(X)["pd"]
    expected = est.predict_proba(X)[:, 1]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert np.isfinite(got).all() and len(np.unique(got)) > 1
    one = scorer.score(X.iloc[0].to_dict())
    assert abs(one["pd"] - expected[0]) <= 1e-12


def test_pyfunc_equals_predict_proba_for_every_kind(fitted, tmp_path):
    import mlflow

    from riskmodels.export import pyfunc_input, to_mlflow

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    mlflow.set_experiment(experiment_id=mlflow.create_experiment(
        "parity", artifact_location=(tmp_path / "artifacts").as_uri()))
    try:
        with mlflow.start_run():
            for kind in KINDS:
                est, X = fitted[kind]
                bundle = est.to_bundle()
                info = to_mlflow(bundle, name=f"scorer-{kind}", input_example=X.head(2))
                got = mlflow.pyfunc.load_model(info.model_uri).predict(pyfunc_input(X, bundle))
                np.testing.assert_allclose(got["pd"].to_numpy(), est.predict_proba(X)[:, 1],
                                           rtol=0, atol=1e-12, err_msg=kind)
    finally:
        mlflow.set_tracking_uri(None)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_spark_equals_local_scorer_for_every_kind(fitted):
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    from riskmodels.export.spark import score_dataframe

    spark = (SparkSession.builder.master("local[2]").appName("riskmodels-parity")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        for kind in KINDS:
            est, X = fitted[kind]
            bundle = est.to_bundle()
            frame = X.assign(row_id=np.arange(len(X)))
            out = score_dataframe(spark.createDataFrame(frame), bundle).toPandas()
            out = out.sort_values("row_id").reset_index(drop=True)
            local = scoring.Scorer(bundle).score(X)
            np.testing.assert_allclose(out["pd"].to_numpy(), local["pd"], rtol=0, atol=1e-12,
                                       err_msg=kind)
            assert out["grade"].tolist() == pd.Series(local["grade"]).tolist()
    finally:
        spark.stop()
