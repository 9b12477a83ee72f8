"""The comparison with an accept flag: reject inference models next to the accepts-only card.

Outside answer: the fuzzy fixed point (Ehrhardt et al., "Reject inference methods in credit
scoring", J. Appl. Stat. 48 (2021), sec. 4.2; R scoringTools): fuzzy augmentation weighted by
the accepts' own card, bins held fixed, returns the accepts-only card — so its test AUC is the
accepts-only model's.
"""

from __future__ import annotations

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from riskmodels.comparison.config import parse_config
from riskmodels.comparison.runner import compare
from riskmodels.data.loaders import load_german
from riskmodels.errors import ConfigError, DataValidationError


def _accept_flag_csv(tmp_path) -> str:
    """German credit with a simulated decision (accepted: duration <= 24 months) and the
    rejects' outcomes hidden, as an application file holds them."""
    g = load_german()
    g["accepted"] = (g["duration_months"] <= 24).astype(int)
    g["target"] = g["target"].astype(float).where(g["accepted"] == 1)
    path = tmp_path / "applications.csv"
    g.to_csv(path, index=False)
    return str(path)


def test_comparison_runs_reject_inference_models_from_the_accept_flag(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    base = {"max_features": 5}
    cfg = {"name": "rejects", "data": {"source": "file", "path": _accept_flag_csv(tmp_path),
                                       "accept_flag": "accepted"},
           "models": [{"name": "accepts_only", "type": "logistic", "params": base},
                      {"name": "fuzzy_fixed", "type": "reject_inference",
                       "params": {"method": "fuzzy", "base_params": base, "rebin": False}},
                      {"name": "hard", "type": "reject_inference",
                       "params": {"method": "hard_cutoff", "reject_bad_rate": 0.5, "base_params": base}}],
           "tracking": {"uri": uri, "register_models": False}}
    try:
        cmp = compare(cfg, progress=False, output_dir=tmp_path)
    finally:
        mlflow.set_tracking_uri(None)
    n_accepted = int((load_german()["duration_months"] <= 24).sum())
    assert cmp.failed == {}
    assert len(cmp.train) + len(cmp.test) == n_accepted and len(cmp.rejects) == 1000 - n_accepted
    # every model is validated on the accepts' test split; the fuzzy refit with the accepts' own
    # bins is the accepts-only card (the fixed point, see the module doc), so its test AUC is too
    auc = cmp.table["auc"]
    assert abs(auc["fuzzy_fixed"] - auc["accepts_only"]) < 1e-9
    assert abs(auc["hard"] - auc["accepts_only"]) > 1e-6  # hard labels move the card
    spec = cmp.results["hard"].specification
    assert spec.fitted["reject_inference"]["method"] == "hard_cutoff"
    bands = spec.tables()["reject_inference__bad_rates_by_score_band"]
    assert int(bands["n_rejected"].sum()) == len(cmp.rejects)
    html = cmp.report_path.read_text(encoding="utf-8")
    assert "Reject inference: PSI accepts vs rejects" in html
    client = MlflowClient(uri)
    parent = client.get_run(cmp.run_id)
    children = client.search_runs([parent.info.experiment_id], f"tags.mlflow.parentRunId = '{cmp.run_id}'")
    child = next(r for r in children if r.info.run_name == "hard")
    logged = {a.path for a in client.list_artifacts(child.info.run_id, "specification")}
    assert "specification/reject_inference__bad_rates_by_score_band.csv" in logged


def test_a_reject_inference_model_needs_the_accept_flag_and_a_weighted_base():
    models = [{"name": "ri", "type": "reject_inference"}]
    with pytest.raises(ConfigError, match="need data.accept_flag"):
        parse_config({"name": "x", "data": {"source": "german"}, "models": models})
    with pytest.raises(ConfigError, match="params.base 'kmv'"):
        parse_config({"name": "x", "data": {"source": "german", "accept_flag": "a"},
                      "models": [{**models[0], "params": {"base": "kmv"}}]})


def test_a_missing_accept_flag_value_is_refused_naming_the_column_and_row(tmp_path):
    g = load_german()
    g["accepted"] = 1.0
    g.loc[7, "accepted"] = None
    path = tmp_path / "a.csv"
    g.to_csv(path, index=False)
    cfg = {"name": "x", "data": {"source": "file", "path": str(path), "accept_flag": "accepted"},
           "models": [{"name": "m", "type": "logistic"}], "tracking": {"enabled": False}}
    with pytest.raises(DataValidationError, match=r"column 'accepted': accept flag not 0/1 in 1 row\(s\): \[7\]"):
        compare(cfg, progress=False, output_dir=tmp_path)
