"""Provisions: the provision matrix from a ledger, lifetime PD term structures, scenario PDs, EL.

Outside answers:
- IFRScommunity, "IFRS 9 example: lifetime ECL for trade receivables using a provision matrix"
  (https://ifrscommunity.com/knowledge-base/ifrs-9-impairment/, Entity A, B2C segment): January
  sales 100,000; paid on time 50,000, 1–30 days late 27,000, 31–60 days late 15,000, 61–90 days
  late 6,000, never 2,000 → loss rates 2.0 %, 4.0 %, 8.7 %, 25.0 %, 100.0 %; applied to the
  31 December 20X1 ageing 300,000 / 140,000 / 60,000 / 23,000 / 5,000 → allowances 6,000,
  5,600, 5,217, 5,750, 5,000, total 27,567.
- transitionMatrix (open-risk, Apache-2.0; PyPI ``transitionMatrix``, a test-only dependency):
  ``TransitionMatrixSet(method="Power", temporal_type="Cumulative").default_curves`` — cumulative,
  incremental (marginal) and hazard PDs — on the same one-year S&P 1981–2016 matrix.
- Vasicek conditional PD at the 99.9 % factor quantile, PD 2 %, ρ 0.15: 17.63289 %
  (../shared/reference/known_answers.md; the Basel IRB formula); EL 1 % × 45 % × 1,000,000 = 4,500.
- Hull, *Risk Management and Financial Institutions*, 2nd ed. (Pearson 2009), ch. 11, Table 11.4
  "Dependence of 99.9 % worst case default rate on PD and ρ" (p. 236): the Vasicek conditional PD
  at the factor's 99.9 % quantile, printed to 0.1 % for PD 0.1 %–2 % and ρ 0.2–0.8 (20 values).
"""

import numpy as np
import pandas as pd
import pytest

import riskmodels as rm
from riskmodels.data.ledger import Ledger
from riskmodels.errors import DataValidationError, FileError, ParameterError
from riskmodels.provisions import (
    expected_loss,
    lifetime_ecl,
    provision_matrix,
    scenario_term_structure,
    term_structure,
    vasicek_conditional_pd,
)
from riskmodels.provisions.config import read_ledger


def _invoice(rows, cid, iid, issue, due, amount):
    rows.append({"customer_id": cid, "invoice_id": iid, "issue_date": pd.Timestamp(issue),
                 "due_date": pd.Timestamp(due), "amount": float(amount)})


@pytest.fixture(scope="module")
def ifrs_community():
    """The worked example as a ledger: the January 20X1 (here 2021) cohort and the year-end ageing."""
    inv, pay = [], []
    for iid, amount, paid_on in [("J1", 50_000, "2021-01-31"), ("J2", 27_000, "2021-02-15"),
                                 ("J3", 15_000, "2021-03-17"), ("J4", 6_000, "2021-04-16"),
                                 ("J5", 2_000, None)]:
        _invoice(inv, f"c{iid}", iid, "2021-01-01", "2021-01-31", amount)
        if paid_on:
            pay.append({"invoice_id": iid, "payment_date": pd.Timestamp(paid_on), "amount": float(amount)})
    _invoice(inv, "d1", "N", "2021-12-15", "2022-01-14", 300_000)  # not overdue
    _invoice(inv, "d2", "A", "2021-11-20", "2021-12-20", 140_000)  # 11 days past due
    _invoice(inv, "d3", "B", "2021-10-20", "2021-11-19", 60_000)   # 42
    _invoice(inv, "d4", "C", "2021-09-20", "2021-10-15", 23_000)   # 77
    _invoice(inv, "d5", "D", "2021-06-01", "2021-07-01", 3_000)    # 183: with J5, 5,000 over 90
    return Ledger(pd.DataFrame(inv), pd.DataFrame(pay))


def test_cohort_matrix_reproduces_the_published_example(ifrs_community):
    m = provision_matrix(ifrs_community, "2021-12-31", history=("2021-01-01", "2021-01-31"))
    t = m.table
    assert t["balance"].tolist() == [300_000, 140_000, 60_000, 23_000, 5_000]
    assert (100 * t["loss_rate"]).round(1).tolist() == [2.0, 4.0, 8.7, 25.0, 100.0]
    assert t["allowance"].round(0).tolist() == [6_000, 5_600, 5_217, 5_750, 5_000]
    assert round(m.allowance) == 27_567
    assert m.info["invoices_used"] == 5 and m.info["unresolved_invoices"] == 0
    assert "27567" in str(m.summary()).replace(",", "")


def test_forward_looking_multiplier_and_scenarios(ifrs_community):
    base = provision_matrix(ifrs_community, "2021-12-31", history=("2021-01-01", "2021-01-31"))
    up = provision_matrix(ifrs_community, "2021-12-31", history=("2021-01-01", "2021-01-31"),
                          forward_looking={1.0: 0.5, 1.5: 0.5})  # a 1.25 weighted multiplier
    expected = np.minimum(1.0, base.table["historical_loss_rate"] * 1.25) * base.table["balance"]
    np.testing.assert_allclose(up.table["allowance"], expected)
    assert up.table["loss_rate"].iloc[-1] == 1.0  # capped at 100 %
    with pytest.raises(ParameterError, match="sum"):
        provision_matrix(ifrs_community, "2021-12-31", forward_looking={1.0: 0.5, 2.0: 0.6})


def test_roll_rates_worked_by_hand():
    """Two invoices due 31 January: A never paid, B paid 15 February. Month ends Jan..Jun: from
    'not yet due' half the amount rolls on (A of A+B), then A rolls every month: loss rates
    0.5, 1, 1, 1 and the last bucket's 1."""
    inv = []
    _invoice(inv, "a", "A", "2021-01-01", "2021-01-31", 100)
    _invoice(inv, "b", "B", "2021-01-01", "2021-01-31", 100)
    pay = pd.DataFrame({"invoice_id": ["B"], "payment_date": [pd.Timestamp("2021-02-15")], "amount": [100.0]})
    m = provision_matrix(Ledger(pd.DataFrame(inv), pay), "2021-12-31", method="roll_rate",
                         history=("2021-01-01", "2021-06-30"))
    assert m.table["historical_loss_rate"].tolist() == [0.5, 1.0, 1.0, 1.0, 1.0]
    assert m.table["balance"].tolist() == [0, 0, 0, 0, 100]  # A, 334 days past due
    assert m.allowance == 100.0


def test_written_off_invoices_are_lost_and_not_in_the_balance():
    inv = []
    _invoice(inv, "a", "W", "2021-01-01", "2021-01-31", 400)
    _invoice(inv, "b", "P", "2021-01-01", "2021-01-31", 600)
    _invoice(inv, "c", "O", "2021-12-01", "2021-12-31", 1_000)
    pay = pd.DataFrame({"invoice_id": ["P"], "payment_date": [pd.Timestamp("2021-01-20")], "amount": [600.0]})
    wo = pd.DataFrame({"customer_id": ["a"], "write_off_date": [pd.Timestamp("2021-06-30")], "amount": [400.0],
                       "reason": ["bankruptcy"], "invoice_id": ["W"]})
    m = provision_matrix(Ledger(pd.DataFrame(inv), pay, write_offs=wo), "2021-12-31",
                         history=("2021-01-01", "2021-01-31"))
    assert m.table["balance"].tolist() == [1_000, 0, 0, 0, 0]  # the written-off 400 is not open debt
    assert m.table["historical_loss_rate"].iloc[0] == 0.4       # but it is the loss of the cohort


def test_bad_input_is_refused_naming_what():
    inv = []
    _invoice(inv, "a", "1", "2021-03-01", "2021-03-31", 10)
    ledger = Ledger(pd.DataFrame(inv), Ledger.empty_payments())
    with pytest.raises(ParameterError, match="increasing"):
        provision_matrix(ledger, "2021-12-31", buckets=(0, 60, 30))
    with pytest.raises(ParameterError, match="method"):
        provision_matrix(ledger, "2021-12-31", method="vintage")
    wo = pd.DataFrame({"customer_id": ["a"], "write_off_date": [pd.Timestamp("2021-01-15")], "amount": [10.0],
                       "reason": ["bankruptcy"], "invoice_id": ["1"]})
    with pytest.raises(DataValidationError, match=r"write_offs.write_off_date.*row\(s\) \[0\]"):
        provision_matrix(Ledger(pd.DataFrame(inv), Ledger.empty_payments(), write_offs=wo), "2021-12-31")
    with pytest.raises(DataValidationError, match="amount"):
        Ledger(pd.DataFrame(inv).assign(amount=[-5.0]), Ledger.empty_payments())  # a negative balance
    with pytest.raises(ParameterError, match="loss_rates.*bucket '1-30'"):
        provision_matrix(ledger, "2021-12-31", loss_rates=[0.01, 1.2, 0.3, 0.5, 1.0])


def test_term_structures_equal_transition_matrix_libraries():
    from transitionMatrix import TransitionMatrix, TransitionMatrixSet  # the dev extra installs it

    from riskmodels.migration.generator import complete_matrix

    p = complete_matrix(rm.load_sp_transitions(1))  # NR removed pro rata, D absorbing
    ours = term_structure(p, years=10)
    theirs = TransitionMatrixSet(values=TransitionMatrix(values=p.to_numpy()), periods=10, method="Power",
                                 temporal_type="Cumulative")
    for g, grade in enumerate(ours.cumulative.index):
        incremental, cumulative, hazard, survival = (np.asarray(v, dtype=float) for v in theirs.default_curves(g))
        np.testing.assert_allclose(ours.cumulative.loc[grade], cumulative, rtol=0, atol=1e-12)
        np.testing.assert_allclose(ours.marginal.loc[grade], incremental, rtol=0, atol=1e-12)
        np.testing.assert_allclose(ours.hazard.loc[grade], hazard, rtol=0, atol=1e-12)
        np.testing.assert_allclose(ours.survival.loc[grade], survival, rtol=0, atol=1e-12)
    # and the S&P study's own 1-year default column is the first year
    assert ours.cumulative[1].round(6).tolist() == p["D"].iloc[:-1].round(6).tolist()


def test_scenario_pds_and_expected_loss_known_answers():
    assert round(float(vasicek_conditional_pd(0.02, 0.15, 0.999)), 7) == 0.1763289
    assert expected_loss(0.01, 0.45, 1_000_000) == pytest.approx(4_500.0, abs=1e-9)
    ts = scenario_term_structure([0.02], 0.15, {0.5: 0.7, 0.999: 0.3}, years=1)
    expected = 0.7 * float(vasicek_conditional_pd(0.02, 0.15, 0.5)) + 0.3 * 0.1763289
    assert float(ts.cumulative.iloc[0, 0]) == pytest.approx(expected, abs=1e-7)
    with pytest.raises(ParameterError):
        scenario_term_structure([0.02], 0.15, {0.5: 0.7, 0.9: 0.4})
    # lifetime ECL: Σ marginal × LGD × EAD discounted
    m = term_structure([0.1], years=3, kind="pd").marginal.iloc[0].to_numpy()  # 0.1, 0.09, 0.081
    assert float(lifetime_ecl(m, 0.5, 1_000.0, rate=0.0)) == pytest.approx(0.271 * 500.0)
    assert float(lifetime_ecl(m, 0.5, 1_000.0, rate=0.1)) == pytest.approx(
        500.0 * (0.1 / 1.1 + 0.09 / 1.21 + 0.081 / 1.331))


HULL_TABLE_11_4 = {  # rho -> WCDR (%) at PD 0.1 %, 0.5 %, 1 %, 1.5 %, 2 %
    0.2: [2.8, 9.1, 14.6, 18.9, 22.6],
    0.4: [7.1, 21.1, 31.6, 39.0, 44.9],
    0.6: [13.5, 38.7, 54.2, 63.8, 70.5],
    0.8: [23.3, 66.3, 83.6, 90.8, 94.4],
}


@pytest.mark.parametrize("rho", sorted(HULL_TABLE_11_4))
def test_vasicek_conditional_pd_reproduces_hull_table_11_4(rho):
    pds = np.array([0.001, 0.005, 0.01, 0.015, 0.02])
    wcdr = vasicek_conditional_pd(pds, rho, 0.999)
    assert (100 * wcdr).round(1).tolist() == HULL_TABLE_11_4[rho]


def test_stages_at_the_boundaries():
    """IFRS 9 5.5.11: more than 30 days past due presumes a significant increase in credit risk;
    B5.5.37: default no later than 90 days past due; 'more than' is strict."""
    from riskmodels.provisions import stage

    assert stage([0.01] * 4, [0.01] * 4, [30, 31, 90, 91]).tolist() == [1, 2, 2, 3]
    # the PD rule: at least twice the origination PD and at least 0.5 pp above it (defaults)
    assert stage([0.02, 0.0199, 0.008, 0.01], [0.01, 0.01, 0.004, 0.01], [0, 0, 0, 0],
                 in_default=[False, False, False, True]).tolist() == [2, 1, 1, 3]


def test_cli_provisions(tmp_path, ifrs_community):
    import subprocess
    import sys

    ifrs_community.invoices.to_csv(tmp_path / "invoices.csv", index=False)
    ifrs_community.payments.to_csv(tmp_path / "payments.csv", index=False)
    run = subprocess.run([sys.executable, "-m", "riskmodels.cli", "provisions", str(tmp_path / "invoices.csv"),
                          "--payments", str(tmp_path / "payments.csv"), "--as-of", "2021-12-31",
                          "--history", "2021-01-01", "2021-01-31"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "27567.39" in run.stdout.replace(",", "")
    run = subprocess.run([sys.executable, "-m", "riskmodels.cli", "provisions", str(tmp_path / "invoices.csv"),
                          "--as-of", "2021-12-31", "--buckets", "0,60,30"], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "increasing" in run.stderr


def test_the_ledger_files_are_read_like_every_user_table(tmp_path, ifrs_community):
    """A semicolon ledger (a European spreadsheet's CSV) gives the IFRScommunity allowance the comma
    file gives; a missing file is one line naming it, not an unexpected FileNotFoundError."""
    from riskmodels.cli import main

    ifrs_community.invoices.to_csv(tmp_path / "invoices.txt", sep=";", index=False)
    ifrs_community.payments.to_csv(tmp_path / "payments.csv", sep=";", index=False)
    ledger = read_ledger(tmp_path / "invoices.txt", tmp_path / "payments.csv")
    result = rm.provision_matrix(ledger, "2021-12-31", history=("2021-01-01", "2021-01-31"))
    assert round(result.allowance, 2) == 27567.39  # IFRScommunity's worked example (see the fixture)
    # as Excel saves it on a Chinese Windows (GBK), customers named in Chinese: the same allowance
    names = {c: f"客户{i}号" for i, c in enumerate(ifrs_community.invoices["customer_id"].unique())}
    ifrs_community.invoices.assign(customer_id=ifrs_community.invoices["customer_id"].map(names)).to_csv(
        tmp_path / "发票.csv", index=False, encoding="gbk")
    chinese = read_ledger(tmp_path / "发票.csv", tmp_path / "payments.csv")
    assert set(chinese.invoices["customer_id"]) == set(names.values())
    result = rm.provision_matrix(chinese, "2021-12-31", history=("2021-01-01", "2021-01-31"))
    assert round(result.allowance, 2) == 27567.39
    with pytest.raises(FileError, match=r"ledger file .*nowhere\.csv does not exist"):
        read_ledger(tmp_path / "nowhere.csv")
    assert main(["provisions", str(tmp_path / "nowhere.csv"), "--as-of", "2021-12-31"]) == 2


def test_roll_rates_stop_where_nothing_rolls_on():
    """IBM's ledger (every invoice paid in the end): no amount 31-60 days late ever rolled on, so no
    invoice reached 61-90 and that bucket's roll rate is unknown. The loss of the buckets before it
    is still known, 0 (nothing gets there to be lost); it used to be "unknown" and refused."""
    from riskmodels.data.ledger import ibm_ar_ledger

    result = rm.provision_matrix(ibm_ar_ledger(), "2013-12-31", method="roll_rate")
    rates = result.table["loss_rate"].to_numpy(dtype=float)
    assert rates[:3].tolist() == [0.0, 0.0, 0.0] and rates[-1] == 1.0 and result.allowance == 0.0
