"""The experiment's ``provisions:`` section: the provision matrix and the lifetime PD curves per
grade in the comparison's HTML report and in MLflow; its keys checked before any fitting.

The figures are the library's own (``rm.provision_matrix``, ``term_structure``, checked against
published answers in test_provisions); here the plumbing must carry them unchanged, and the
constant-hazard curves must be 1 − (1 − PD)^t of the scale's midpoint PDs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import riskmodels as rm
from riskmodels.calibration import MasterScale
from riskmodels.comparison.config import load_config, parse_config
from riskmodels.comparison.provisions_section import prepare_provisions
from riskmodels.comparison.runner import compare
from riskmodels.data.ledger import ibm_ar_ledger
from riskmodels.errors import ConfigError

LEDGER = {"invoices": "ibm_accounts_receivable", "as_of": "2013-06-30", "method": "roll_rate",
          "buckets": [0, 30], "history": ["2012-01-01", "2013-05-31"]}


def config(**provisions) -> dict:
    return {"name": "prov", "data": {"source": "synthetic", "params": {"n_firms": 300, "n_years": 5},
                                     "target": "default", "id_columns": ["firm_id", "year", "asset_value",
                                                                         "asset_vol"]},
            "split": {"method": "time", "time_column": "year", "test_from": 2022},
            "models": [{"name": "cx", "type": "crosstab", "features": ["dpd_max_12m", "debt_ratio"]}],
            "provisions": provisions}


def test_report_and_mlflow_show_the_matrix_and_the_migration_curves(tmp_path):
    """The shipped example ``receivables`` (the IBM ledger, curves from the scorecard's migrations)."""
    pytest.importorskip("mlflow")
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = load_config("receivables", {"tracking.uri": uri, "tracking.register_models": False,
                                      "provisions.years": 5})
    assert {k: v for k, v in cfg.provisions.model_dump(mode="json").items() if k in LEDGER} == LEDGER
    cmp = compare(cfg, progress=False, output_dir=tmp_path / "out")
    direct = rm.provision_matrix(ibm_ar_ledger(), "2013-06-30", method="roll_rate", buckets=(0, 30),
                                 history=("2012-01-01", "2013-05-31"))
    view = cmp.provisions
    pd.testing.assert_frame_equal(view.matrix.table, direct.table)
    # the curves are matrix powers of the observed one-year matrix: year 1 is its default column
    p = view.migration
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(view.curves.cumulative[1].to_numpy(), p.iloc[:-1, -1].to_numpy(), atol=1e-12)
    assert list(view.curves.cumulative.columns) == [1, 2, 3, 4, 5]
    page = cmp.report_path.read_text()
    assert "6 Provisions" in page and f"{direct.allowance:,.2f}" in page
    assert 'alt="lifetime cumulative PD per grade"' in page and "one-year migration matrix" in page
    client = mlflow.MlflowClient(uri)
    run = client.get_run(cmp.run_id)
    assert run.data.metrics["provisions.allowance"] == pytest.approx(direct.allowance, rel=1e-12)
    names = {a.path for a in client.list_artifacts(cmp.run_id, "provisions")}
    assert {"provisions/provision_matrix.csv", "provisions/provision_matrix.html",
            "provisions/lifetime_cumulative_pd.csv", "provisions/migration_matrix.csv"} <= names
    logged = pd.read_csv(mlflow.artifacts.download_artifacts(run_id=cmp.run_id,
                                                             artifact_path="provisions/provision_matrix.csv",
                                                             tracking_uri=uri, dst_path=str(tmp_path / "dl")),
                         index_col=0)
    np.testing.assert_allclose(logged["allowance"], direct.table["allowance"])


def test_master_scale_curves_and_a_matrix_file(tmp_path):
    scale = MasterScale.standard("enterprise10")
    view = prepare_provisions(parse_config(config(years=10)), scale, None)
    pds = np.asarray(scale.midpoints[:-1])
    expected = 1.0 - (1.0 - pds[:, None]) ** np.arange(1, 11)[None, :]
    np.testing.assert_allclose(view.curves.cumulative.to_numpy(), expected, rtol=1e-12)
    assert view.matrix is None and list(view.curves.cumulative.index) == scale.grades[:-1]
    # a one-year matrix file, relative to the config's folder
    from riskmodels.migration import complete_matrix

    p = complete_matrix(rm.load_sp_transitions(1))
    p.to_csv(tmp_path / "sp.csv")
    (tmp_path / "e.yaml").write_text(yaml.safe_dump(config(lifetime="sp.csv", years=4)))
    cfg = load_config(tmp_path / "e.yaml")
    curves = prepare_provisions(cfg, scale, None).curves
    pd.testing.assert_frame_equal(curves.cumulative, rm.term_structure(p, years=4).cumulative)


def test_bad_provisions_are_refused_naming_the_key(tmp_path):
    scale = MasterScale.standard("enterprise10")
    with pytest.raises(ConfigError) as info:
        parse_config(config(invoices="ibm_accounts_receivable"))
    assert info.value.path == "provisions" and "as_of" in str(info.value)
    with pytest.raises(ConfigError) as info:
        parse_config(config(buckets=[30, 0]))
    assert info.value.path == "provisions.buckets"
    with pytest.raises(ConfigError) as info:
        parse_config(config(lifetme="migrations"))
    assert info.value.path == "provisions.lifetme"
    with pytest.raises(ConfigError) as info:  # the default history holds no invoice: no rate
        prepare_provisions(parse_config(config(invoices="ibm_accounts_receivable", as_of="2012-06-30")),
                           scale, None)
    assert info.value.path == "provisions" and "loss_rate" in str(info.value)
    frame = pd.DataFrame({"x": [1.0]})
    with pytest.raises(ConfigError) as info:
        prepare_provisions(parse_config(config(lifetime="migrations", firm_column="firm")), scale, frame)
    assert info.value.path == "provisions.lifetime" and "'firm'" in str(info.value)
    with pytest.raises(ConfigError) as info:
        prepare_provisions(parse_config(config(lifetime=str(tmp_path / "none.csv"))), scale, None)
    assert info.value.path == "provisions.lifetime"
    # through compare: refused before any fitting (no report written)
    with pytest.raises(ConfigError):
        compare({**config(lifetime="migrations", lifetime_model="nope"), "tracking": {"enabled": False}},
                progress=False, output_dir=tmp_path / "out")
    assert not (tmp_path / "out" / "prov.html").exists()
