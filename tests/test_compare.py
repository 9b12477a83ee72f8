"""The comparison end to end: fit, calibrate, validate, log to MLflow, read back, diff runs."""

import json
import os
import re
import socket
import subprocess
import sys
import time

import mlflow
import numpy as np
import pytest
import yaml
from mlflow.tracking import MlflowClient

from riskmodels.cli import main as cli_main
from riskmodels.comparison import compare
from riskmodels.export import pyfunc_input
from riskmodels.scoring import Scorer, verify
from riskmodels.tracking import diff_runs

SYNTHETIC = {
    "name": "synthetic_small",
    "data": {"source": "synthetic", "params": {"n_firms": 400, "n_years": 4}, "target": "default",
             "id_columns": ["firm_id", "year", "asset_value", "asset_vol"], "truth_column": "true_pd"},
    "split": {"method": "time", "time_column": "year", "test_from": 2021},
    "models": [
        {"name": "expert", "type": "expert", "params": {"spec": "enterprise_five_aspect"}},
        {"name": "logistic", "type": "logistic",
         "features": ["debt_ratio", "interest_cover", "roa", "dpd_max_12m", "on_time_share",
                      "management_quality"],
         "params": {"categorical": ["management_quality"], "selection": None}},
        {"name": "kmv", "type": "kmv",
         "features": ["equity_value", "equity_vol", "short_term_debt", "long_term_debt", "rate",
                      "total_assets", "industry"]},
        {"name": "crosstab", "type": "crosstab", "features": ["dpd_max_12m", "debt_ratio"],
         "params": {"factors": ["dpd_max_12m", "debt_ratio"], "max_bins": 3}},
    ],
}
TAIWAN = {
    "name": "taiwan_small",
    "data": {"source": "taiwan", "sample": 4000, "id_columns": ["ID"]},
    "models": [
        {"name": "logistic", "type": "logistic", "features": ["PAY_0", "PAY_2", "LIMIT_BAL", "AGE"]},
        {"name": "crosstab", "type": "crosstab", "features": ["PAY_0", "LIMIT_BAL"],
         "params": {"factors": ["PAY_0", "LIMIT_BAL"]}},
    ],
}


def tracked(cfg, uri, **extra):
    return {**cfg, "tracking": {"uri": uri, "experiment": "test"}, **extra}


@pytest.fixture
def sqlite_uri(tmp_path):
    yield f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(None)  # the comparison sets it process-wide, as mlflow does


def children_of(client, run):
    runs = client.search_runs([run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'")
    return {r.info.run_name: r for r in runs}


def check_logged(comparison, uri, expected_models):
    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    parent = client.get_run(comparison.run_id)
    assert parent.data.tags["data_fingerprint"] == comparison.fingerprints["data"]
    assert parent.data.tags["git_commit"]
    kids = children_of(client, parent)
    assert set(kids) == set(expected_models)
    for name, run in kids.items():
        assert run.info.status == "FINISHED"
        metrics = run.data.metrics
        assert metrics["auc"] == pytest.approx(comparison.table.loc[name, "auc"])
        assert 0.5 < metrics["auc"] <= 1 and metrics["auc_lower"] < metrics["auc"] < metrics["auc_upper"]
        artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "bundle")}
        assert artifacts == {f"bundle/{name}.json"}
        text = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/bundle/{name}.json")
        scorer = Scorer(verify(json.loads(text)))
        model = comparison.models[name]
        features = comparison.results[name].features
        test = comparison.test[features]
        np.testing.assert_allclose(scorer.score(test)["pd"], model.predict_proba(test)[:, 1],
                                   rtol=0, atol=1e-12)
        assert {a.path for a in client.list_artifacts(run.info.run_id, "figures")} >= {"figures/roc.png"}
        registered = client.get_registered_model(f"{comparison.config.name}.{name}")
        assert registered.tags["grade_scale"] == comparison.config.master_scale
        (version,) = [v for v in client.search_model_versions(f"name = '{registered.name}'")
                      if v.run_id == run.info.run_id]
        pyfunc = mlflow.pyfunc.load_model(f"models:/{registered.name}/{version.version}")
        np.testing.assert_allclose(pyfunc.predict(pyfunc_input(test, scorer.content))["pd"],
                                   model.predict_proba(test)[:, 1], rtol=0, atol=1e-12)


def test_synthetic_comparison_logs_all_four_models(sqlite_uri, tmp_path):
    cmp = compare(tracked(SYNTHETIC, sqlite_uri), progress=False, output_dir=tmp_path)
    assert set(cmp.models) == {"expert", "logistic", "kmv", "crosstab"} and not cmp.failed
    assert cmp.table.loc["truth", "status"] == "reference"
    # the truth column never reaches a model
    assert all("true_pd" not in r.features for r in cmp.results.values())
    assert cmp.report_path.read_text().count("<img") >= 8
    check_logged(cmp, sqlite_uri, ["expert", "logistic", "kmv", "crosstab"])


def test_taiwan_comparison_and_run_diff(sqlite_uri, tmp_path, capsys):
    first = compare(tracked(TAIWAN, sqlite_uri), progress=False, output_dir=tmp_path)
    check_logged(first, sqlite_uri, ["logistic", "crosstab"])
    changed = {**TAIWAN, "models": [{**TAIWAN["models"][0], "params": {"max_bins": 3}},
                                    TAIWAN["models"][1]]}
    second = compare(tracked(changed, sqlite_uri), progress=False, output_dir=tmp_path)
    diff = diff_runs(first.run_id, second.run_id, tracking_uri=sqlite_uri)
    assert diff.same_data and diff.same_test_sample
    auc_a = diff.metrics.loc[("logistic", "auc"), "A"]
    auc_b = diff.metrics.loc[("logistic", "auc"), "B"]
    assert auc_a == pytest.approx(first.table.loc["logistic", "auc"])
    assert diff.metrics.loc[("logistic", "auc"), "B - A"] == pytest.approx(auc_b - auc_a)
    p_value = diff.metrics.loc[("logistic", "auc"), "DeLong p"]
    assert 0 <= p_value <= 1
    # the unchanged cross-tab model gives identical predictions: DeLong p = 1 is not meaningful,
    # but its AUC difference is exactly 0
    assert diff.metrics.loc[("crosstab", "auc"), "B - A"] == 0
    assert cli_main(["runs", "compare", first.run_id, second.run_id, "--tracking-uri", sqlite_uri]) == 0
    out = capsys.readouterr().out
    assert re.search(r"data fingerprint\s+same\n", out) and "logistic" in out and "DeLong" in out
    # the changed parameter is the child run's, named with its two values (parent parameters are equal)
    assert diff.params.loc[("logistic", "params.max_bins")].tolist() == ["–", "3"]


def test_failed_model_is_logged_while_others_complete(sqlite_uri, tmp_path, capsys):
    cfg = tracked({**TAIWAN, "models": TAIWAN["models"] + [
        {"name": "broken", "type": "crosstab", "features": ["PAY_0"], "params": {"factors": ["AGE"]}}]},
        sqlite_uri, output_dir=str(tmp_path))
    cmp = compare(cfg, progress=False)
    assert set(cmp.failed) == {"broken"} and set(cmp.models) == {"logistic", "crosstab"}
    mlflow.set_tracking_uri(sqlite_uri)
    client = MlflowClient()
    kids = children_of(client, client.get_run(cmp.run_id))
    assert kids["broken"].info.status == "FAILED" and "AGE" in kids["broken"].data.tags["error"]
    assert kids["logistic"].info.status == "FINISHED"
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert cli_main(["compare", str(path), "--quiet"]) == 1
    assert "1 model(s) failed: broken" in capsys.readouterr().err


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(900)  # hang guard only: a busy machine may take long to start the server
def test_remote_tracking_server(tmp_path, monkeypatch):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}",
         "--artifacts-destination", str(tmp_path / "artifacts"), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"})
    uri = f"http://127.0.0.1:{port}"
    try:
        while server.poll() is None:  # wait for the port, however long the start takes
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"mlflow server exited with code {server.returncode} before listening")
        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
        cfg = {**TAIWAN, "models": TAIWAN["models"][:1], "tracking": {"experiment": "remote"}}
        cmp = compare(cfg, progress=False, output_dir=tmp_path)
        check_logged(cmp, uri, ["logistic"])
        assert not (tmp_path / "mlflow.db").exists()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_central_tendency_recalibration_reaches_the_target_and_stays_in_the_bundle(tmp_path):
    cfg = {**TAIWAN, "models": TAIWAN["models"][:1], "tracking": {"enabled": False},
           "calibration": {"method": "central_tendency", "target_pd": 0.10}}
    cmp = compare(cfg, progress=False, output_dir=tmp_path)
    model = cmp.models["logistic"]
    features = cmp.results["logistic"].features
    # the logit shift is solved on the training PDs: their mean is the target exactly
    assert model.predict_proba(cmp.train[features])[:, 1].mean() == pytest.approx(0.10, abs=1e-9)
    assert cmp.train["target"].mean() > 0.2  # so the shift really moved the PDs down
    scorer = Scorer(verify(json.loads(cmp.results["logistic"].bundle_bytes)))
    assert scorer.content["calibration"][-1]["method"] == "logit_shift"
    np.testing.assert_array_equal(scorer.score(cmp.test[features])["pd"],
                                  model.predict_proba(cmp.test[features])[:, 1])
