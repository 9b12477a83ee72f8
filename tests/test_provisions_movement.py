"""The allowance's movement between two dates (IFRS 7.35H reconciliation), worked by hand.

Ledger (buckets 0, 30: "not yet due", "1-30", "over 30"; history the January 2021 invoices,
all due 31 January 2021):

- history: H1 100 paid 20 Jan (on time), H2 100 paid 20 Feb, H3 100 never paid,
  H4 100 paid 20 Mar. On 15 Mar H3 and H4 are 43 days past due (> 30: lost): reached
  400 / 300 / 200, lost 200 → rates 1/2, 2/3, 1. On 30 Jun H4 has been paid: lost 100 →
  rates 1/4, 1/3, 1/2.
- P1 1,000 issued 1 Mar due 31 Mar, 400 paid 10 Apr (600 open 91 days past due on 30 Jun);
  P2 500 issued 10 Mar due 9 Apr, paid 9 Apr; P3 200 issued 20 Feb due 10 Mar (5 days past due
  on 15 Mar), written off 1 May; N1 800 issued 15 Jun (not yet due on 30 Jun); N2 300 issued
  1 Apr, written off 1 Jun.

Opening (15 Mar): 1,500 × 1/2 + 200 × 2/3 + 200 × 1 = 1,083.33. Closing (30 Jun):
800 × 1/4 + 700 × 1/2 = 550. New N1 800 × 1/4 = 200 (N2 written off, nothing left);
written off P3 −133.33; paid P1 −400 × 1/2, P2 −500 × 1/2, H4 −100 × 1 = −550;
ageing P1 600 × (1 − 1/2) = 300; loss rates P1 600 × (1/2 − 1) + H3 100 × (1/2 − 1) = −350.
Gross: 1,900 + 1,100 − 1,000 (P1 400, P2 500, H4 100) − 500 (P3 200, N2 300) = 1,500.
"""

import numpy as np
import pandas as pd
import pytest

import riskmodels as rm
from riskmodels.data.ledger import Ledger
from riskmodels.errors import ParameterError

HISTORY = ("2021-01-01", "2021-01-31")


def movement_ledger() -> Ledger:
    """The ledger of the module notes (also read by test_monitoring_allowance)."""
    rows = [("h", "H1", "2021-01-01", "2021-01-31", 100), ("h", "H2", "2021-01-01", "2021-01-31", 100),
            ("h", "H3", "2021-01-01", "2021-01-31", 100), ("h", "H4", "2021-01-01", "2021-01-31", 100),
            ("p", "P1", "2021-03-01", "2021-03-31", 1000), ("p", "P2", "2021-03-10", "2021-04-09", 500),
            ("q", "P3", "2021-02-20", "2021-03-10", 200), ("n", "N1", "2021-06-15", "2021-07-15", 800),
            ("m", "N2", "2021-04-01", "2021-05-01", 300)]
    inv = pd.DataFrame(rows, columns=["customer_id", "invoice_id", "issue_date", "due_date", "amount"])
    inv[["issue_date", "due_date"]] = inv[["issue_date", "due_date"]].apply(pd.to_datetime)
    inv["amount"] = inv["amount"].astype(float)
    pay = pd.DataFrame([("H1", "2021-01-20", 100.0), ("H2", "2021-02-20", 100.0), ("H4", "2021-03-20", 100.0),
                        ("P1", "2021-04-10", 400.0), ("P2", "2021-04-09", 500.0)],
                       columns=["invoice_id", "payment_date", "amount"])
    pay["payment_date"] = pd.to_datetime(pay["payment_date"])
    wo = pd.DataFrame({"customer_id": ["q", "m"], "write_off_date": pd.to_datetime(["2021-05-01", "2021-06-01"]),
                       "amount": [200.0, 300.0], "reason": ["bankruptcy", "bankruptcy"], "invoice_id": ["P3", "N2"]})
    return Ledger(inv, pay, write_offs=wo)


@pytest.fixture(scope="module")
def ledger():
    return movement_ledger()


def test_movement_worked_by_hand(ledger):
    mv = rm.allowance_movement(ledger, "2021-03-15", "2021-06-30", buckets=(0, 30), history=HISTORY)
    assert mv.matrices[0].table["loss_rate"].tolist() == pytest.approx([1 / 2, 2 / 3, 1.0])
    assert mv.matrices[1].table["loss_rate"].tolist() == pytest.approx([1 / 4, 1 / 3, 1 / 2])
    row = mv.table.iloc[0]
    expected = {"opening": 1083.3333333, "new_invoices": 200.0, "paid": -550.0, "written_off": -133.3333333,
                "ageing": 300.0, "loss_rates": -350.0, "closing": 550.0}
    for line, value in expected.items():
        assert row[line] == pytest.approx(value, abs=1e-6), line
    assert mv.balances.iloc[0].tolist() == pytest.approx([1900.0, 1100.0, -1000.0, -500.0, 1500.0])
    assert mv.opening == pytest.approx(mv.matrices[0].allowance) and mv.closing == pytest.approx(550.0)
    text = str(mv.summary()).replace(",", "")
    assert "1083.33" in text and "550.00" in text


def test_monthly_periods_chain_and_add_up(ledger):
    mv = rm.allowance_movement(ledger, "2021-03-15", "2021-06-30", freq="month", buckets=(0, 30),
                               history=HISTORY)
    assert list(mv.table.index) == ["2021-03-15..2021-03-31", "2021-03-31..2021-04-30",
                                    "2021-04-30..2021-05-31", "2021-05-31..2021-06-30"]
    t = mv.table
    np.testing.assert_allclose(t["closing"].iloc[:-1], t["opening"].iloc[1:])
    np.testing.assert_allclose(t.drop(columns="closing").sum(axis=1), t["closing"], atol=1e-9)
    np.testing.assert_allclose(mv.balances.drop(columns="closing").sum(axis=1), mv.balances["closing"], atol=1e-9)
    assert t["opening"].iloc[0] == pytest.approx(1083.3333333) and t["closing"].iloc[-1] == pytest.approx(550.0)
    assert mv.balances["new_invoices"].tolist() == [0.0, 300.0, 0.0, 800.0]  # N2 in April, N1 in June
    # written off at each month's opening rates (1/4, 1/3, 1/2 once H4 is paid): P3 in May, 200
    # over 30 days past due on 30 April → −100; N2 in June, 300 at 30 days on 31 May → −100
    assert t["written_off"].tolist() == pytest.approx([0.0, 0.0, -100.0, -100.0])


def test_movement_plot_and_bad_periods(ledger):
    import matplotlib

    matplotlib.use("Agg")
    mv = rm.allowance_movement(ledger, "2021-03-15", "2021-06-30", freq="quarter", buckets=(0, 30),
                               history=HISTORY)
    assert len(mv.table) == 2
    ax = mv.plot()
    assert len(ax.patches) == 2 * 5  # five lines per period
    with pytest.raises(ParameterError, match="after the start"):
        rm.allowance_movement(ledger, "2021-06-30", "2021-03-15")
    with pytest.raises(ParameterError, match="freq"):
        rm.allowance_movement(ledger, "2021-03-15", "2021-06-30", freq="week")


def test_cli_provisions_from(tmp_path, ledger, capsys):
    from riskmodels.cli import main

    paths = {}
    for name, frame in (("invoices", ledger.invoices), ("payments", ledger.payments),
                        ("write_offs", ledger.write_offs)):
        paths[name] = tmp_path / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    code = main(["provisions", str(paths["invoices"]), "--payments", str(paths["payments"]), "--write-offs",
                 str(paths["write_offs"]), "--as-of", "2021-06-30", "--from", "2021-03-15", "--buckets", "0,30",
                 "--history", *HISTORY])
    out = capsys.readouterr().out.replace(",", "")
    assert code == 0
    assert "Allowance movement 2021-03-15 – 2021-06-30" in out
    for figure in ("1083.33", "-133.33", "-550.00", "300.00", "-350.00", "550.00"):
        assert figure in out, figure
