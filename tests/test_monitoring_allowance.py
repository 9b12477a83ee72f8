"""Monitoring with a receivables ledger: the allowance per period and its movement in the report,
its JSON and HTML, MLflow and both CLI forms. The figures are those worked by hand in
``test_provisions_movement`` (monthly: opening 1,083.33 on 15 March 2021, closing 550 on 30 June)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_provisions_movement import HISTORY, movement_ledger
from test_scoring import fitted_model, make_data

import riskmodels as rm
from riskmodels import scoring
from riskmodels.cli import main
from riskmodels.errors import ConfigError, ParameterError
from riskmodels.monitoring import monitor

OPTIONS = {"start": "2021-03-15", "end": "2021-06-30", "freq": "month", "buckets": (0, 30), "history": HISTORY}


@pytest.fixture(scope="module")
def bundle():
    model, X, y = fitted_model(2000, random_state=0)
    return model.to_bundle(reference=(X, y))


@pytest.fixture(scope="module")
def current():
    X, _ = make_data(400, 31)
    return X


def test_report_shows_the_allowance_per_period(bundle, current):
    ledger = movement_ledger()
    report = monitor(bundle, current, ledger=ledger, allowance=OPTIONS)
    direct = rm.allowance_movement(ledger, "2021-03-15", "2021-06-30", freq="month", buckets=(0, 30),
                                   history=HISTORY)
    np.testing.assert_allclose(report.allowance.table.to_numpy(), direct.table.to_numpy())
    assert report.allowance.opening == pytest.approx(1083.3333333) and report.allowance.closing == pytest.approx(550)
    text = str(report.summary())
    assert "Receivables: allowance movement per period" in text and "2021-05-31..2021-06-30" in text
    saved = report.to_dict()
    assert saved["allowance_movement"]["index"][-1] == "2021-05-31..2021-06-30"
    assert saved["balance_movement"]["data"][-1][-1] == pytest.approx(1500.0)
    page = report.to_html()
    assert "receivables allowance movement per period" in page and "alt='allowance movement'" in page
    with pytest.raises(ParameterError, match="bukets"):
        monitor(bundle, current, ledger=ledger, allowance={"bukets": (0, 30)})
    # without a ledger nothing changes
    assert monitor(bundle, current).allowance is None
    # the end defaults to as_of, the start to twelve months before
    quarterly = monitor(bundle, current, ledger=ledger, as_of="2022-01-31",
                        allowance={"freq": "quarter", "buckets": (0, 30), "history": HISTORY})
    assert list(quarterly.allowance.table.index) == ["2021-01-31..2021-03-31", "2021-03-31..2021-06-30",
                                                     "2021-06-30..2021-09-30", "2021-09-30..2021-12-31",
                                                     "2021-12-31..2022-01-31"]
    assert quarterly.allowance.closing == pytest.approx((100 + 600 + 800) * 0.5)  # all over 30 days at 1/2


def test_mlflow_logs_the_allowance(bundle, current, tmp_path):
    pytest.importorskip("mlflow")
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    report = monitor(bundle, current, ledger=movement_ledger(), allowance=OPTIONS, mlflow=True, tracking_uri=uri)
    run = mlflow.MlflowClient(uri).get_run(report.run_id)
    assert run.data.metrics["allowance.closing"] == pytest.approx(550.0)
    assert run.data.metrics["allowance.opening"] == pytest.approx(1083.3333333)


def test_cli_monitor_with_a_ledger(bundle, current, tmp_path):
    (tmp_path / "b.json").write_bytes(scoring.dumps_bundle(bundle))
    current.to_csv(tmp_path / "current.csv", index=False)
    ledger = movement_ledger()
    ledger.invoices.to_csv(tmp_path / "invoices.csv", index=False)
    ledger.payments.to_csv(tmp_path / "payments.csv", index=False)
    ledger.write_offs.to_csv(tmp_path / "write_offs.csv", index=False)
    (tmp_path / "monitor.yaml").write_text(
        "model: b.json\ndata: current.csv\nperiod: 2021-q2\noutput: {folder: out, html: false}\n"
        "allowance: {invoices: invoices.csv, payments: payments.csv, write_offs: write_offs.csv,\n"
        "  start: 2021-03-15, end: 2021-06-30, buckets: [0, 30], history: [2021-01-01, 2021-01-31]}\n")
    assert main(["monitor", str(tmp_path / "monitor.yaml")]) in (0, 1)
    saved = json.loads((tmp_path / "out" / "monitoring-2021-q2.json").read_text())
    table = saved["allowance_movement"]
    assert len(table["index"]) == 4 and table["data"][-1][-1] == pytest.approx(550.0)
    # a wrong key of the section is named; the flags need --ledger
    (tmp_path / "bad.yaml").write_text("model: b.json\ndata: current.csv\nallowance: {invoices: i.csv, freq: week}\n")
    from riskmodels.monitoring.config import load_monitor_config

    with pytest.raises(ConfigError) as info:
        load_monitor_config(tmp_path / "bad.yaml")
    assert info.value.path == "allowance.freq"
    assert main(["monitor", str(tmp_path / "b.json"), str(tmp_path / "current.csv"), "--allowance-freq",
                 "quarter"]) == 2
    # the positional form: the bundled IBM ledger (every invoice paid in full: no loss, allowance 0)
    code = main(["monitor", str(tmp_path / "b.json"), str(tmp_path / "current.csv"), "--ledger",
                 "ibm_accounts_receivable", "--allowance-from", "2013-06-30", "--allowance-freq", "quarter",
                 "--as-of", "2013-12-31", "--json", str(tmp_path / "p.json")])
    assert code in (0, 1)
    table = json.loads((tmp_path / "p.json").read_text())["allowance_movement"]
    assert table["index"] == ["2013-06-30..2013-09-30", "2013-09-30..2013-12-31"]
    assert table["data"][-1][-1] == 0.0
