"""`riskmodels runs compare` and `runs list`: every changed parameter, the fitted difference, one sign."""

import subprocess
import sys

import mlflow
import pytest

from riskmodels.cli import main as cli_main
from riskmodels.comparison import compare
from riskmodels.tracking import diff_runs, list_runs

FEATURES = ["PAY_0", "PAY_2", "PAY_3", "PAY_4", "LIMIT_BAL", "AGE", "BILL_AMT1", "PAY_AMT1", "PAY_AMT2",
            "EDUCATION"]


def config(criterion: str, uri: str) -> dict:
    return {"name": f"taiwan_{criterion}", "data": {"source": "taiwan", "sample": 3000, "id_columns": ["ID"]},
            "models": [{"name": "logistic", "type": "logistic", "features": FEATURES,
                        "params": {"criterion": criterion}}],
            "tracking": {"uri": uri, "experiment": "criteria", "register_models": False}}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    aic = compare(config("aic", uri), progress=False, output_dir=folder)
    bic = compare(config("bic", uri), progress=False, output_dir=folder)
    yield aic, bic, uri
    mlflow.set_tracking_uri(None)


def test_the_diff_names_the_changed_model_parameter_and_the_selection_it_changed(two_runs, capsys):
    aic, bic, uri = two_runs
    diff = diff_runs(aic.run_id, bic.run_id, tracking_uri=uri)
    # only the comparison's name differs at the parent; the model's criterion in its child run
    assert diff.params.loc[("logistic", "params.criterion")].tolist() == ["aic", "bic"]
    assert diff.params.loc[("(comparison)", "name")].tolist() == ["taiwan_aic", "taiwan_bic"]
    kept_a, kept_b = aic.models["logistic"].features_, bic.models["logistic"].features_
    assert kept_a != kept_b  # BIC charges ln(N) per coefficient, AIC 2: the cards differ on 3000 records
    assert set(diff.params.index) == {("logistic", "params.criterion"), ("(comparison)", "name"),
                                      ("logistic", "selected_features"), ("logistic", "n_selected")}
    assert diff.params.loc[("logistic", "n_selected")].tolist() == [str(len(kept_a)), str(len(kept_b))]
    only_a = [f for f in kept_a if f not in kept_b]
    only_b = [f for f in kept_b if f not in kept_a]
    assert diff.specification.loc[("logistic", "selected characteristics")].tolist() == [
        "only in A: " + (", ".join(only_a) or "none"), "only in B: " + (", ".join(only_b) or "none")]
    # one sign convention: B - A, in the table and in the note
    auc = diff.metrics.loc[("logistic", "auc")]
    assert auc["B - A"] == pytest.approx(bic.table.loc["logistic", "auc"] - aic.table.loc["logistic", "auc"])
    assert cli_main(["runs", "compare", aic.run_id, bic.run_id, "--tracking-uri", uri]) == 0
    out = capsys.readouterr().out
    assert "params.criterion" in out and "aic" in out and "bic" in out
    assert f"AUC B − A {auc['B - A']:+.4f}" in out and "B − A (run B minus run A)" in out


def test_runs_list_shows_recent_comparisons_with_their_aucs(two_runs, capsys):
    aic, bic, uri = two_runs
    runs = list_runs("criteria", tracking_uri=uri)
    assert runs["run_id"].tolist() == [bic.run_id, aic.run_id]  # newest first
    assert runs["name"].tolist() == ["taiwan_bic", "taiwan_aic"]
    assert runs["auc logistic"].tolist() == pytest.approx([bic.table.loc["logistic", "auc"],
                                                           aic.table.loc["logistic", "auc"]])
    assert cli_main(["runs", "list", "criteria", "--tracking-uri", uri]) == 0
    assert aic.run_id in capsys.readouterr().out


def test_unknown_ids_experiments_and_stores_exit_2_with_one_line(two_runs, tmp_path, capsys):
    aic, _, uri = two_runs
    assert cli_main(["runs", "compare", aic.run_id, "0" * 32, "--tracking-uri", uri]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no run '00000000000000000000000000000000'" in err
    assert cli_main(["runs", "list", "nowhere", "--tracking-uri", uri]) == 2
    assert "no experiment 'nowhere'" in capsys.readouterr().err
    missing = tmp_path / "none.db"
    assert cli_main(["runs", "list", "--tracking-uri", f"sqlite:///{missing}"]) == 2
    assert "no MLflow store" in capsys.readouterr().err and not missing.exists()  # reading creates nothing


def test_a_closed_pipe_exits_2_with_one_line(two_runs):
    _, _, uri = two_runs
    child = subprocess.Popen([sys.executable, "-m", "riskmodels.cli", "runs", "list", "criteria",
                              "--tracking-uri", uri], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()  # the reader goes away before the command has imported MLflow and written
    err = child.stderr.read().decode()
    assert child.wait(timeout=300) == 2
    assert err.strip().splitlines() == ["riskmodels: error: the output pipe was closed before everything "
                                        "was written"]
