"""Ledger schema and cross-table validation: every bad-ledger case names its table.column and rows."""

import numpy as np
import pandas as pd
import pytest

from riskmodels.data.ledger import Ledger, ibm_ar_ledger, validate_ledger
from riskmodels.data.loaders import load_ibm_ar
from riskmodels.errors import DataValidationError, RiskModelsError


def _invoices():
    return pd.DataFrame({
        "customer_id": ["a", "a", "b"],
        "invoice_id": ["i1", "i2", "i3"],
        "issue_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-15"]),
        "due_date": pd.to_datetime(["2024-01-31", "2024-03-02", "2024-02-14"]),
        "amount": [100.0, 200.0, 50.0],
    })


def _payments():
    return pd.DataFrame({
        "invoice_id": ["i1", "i2", "i2"],
        "customer_id": ["a", "a", "a"],
        "payment_date": pd.to_datetime(["2024-02-05", "2024-03-01", "2024-03-20"]),
        "amount": [100.0, 50.0, 150.0],
    })


def violation(err, column):
    found = [v for v in err.value.violations if v.column == column]
    assert found, f"no violation for {column}: {err.value}"
    return found[0]


def test_valid_ledger_builds_and_counts():
    ledger = Ledger(_invoices(), _payments())
    assert (ledger.n_customers, ledger.n_invoices) == (2, 3)
    assert "3 invoices, 3 payments, 2 customers" in repr(ledger)


def test_empty_payment_table_is_a_valid_ledger():
    assert Ledger(_invoices(), Ledger.empty_payments()).n_invoices == 3
    assert Ledger(_invoices(), Ledger.empty_payments()).payment_invoice_rows.tolist() == []


def test_the_ledger_keeps_each_payments_invoice_row():
    """Matched once when validated, in the payments' order, whatever the id columns' dtypes."""
    pay = _payments().iloc[[2, 0, 1]].reset_index(drop=True)
    assert Ledger(_invoices(), pay).payment_invoice_rows.tolist() == [1, 0, 1]
    as_objects = pay.assign(invoice_id=pay["invoice_id"].astype(object))
    assert Ledger(_invoices(), as_objects).payment_invoice_rows.tolist() == [1, 0, 1]


def test_due_before_issue_names_rows():
    inv = _invoices()
    inv.loc[2, "due_date"] = pd.Timestamp("2024-01-01")
    with pytest.raises(DataValidationError) as err:
        Ledger(inv, _payments())
    v = violation(err, "invoices.due_date")
    assert v.rows == (2,) and "due date before issue date" in v.rule


def test_payment_before_issue_names_rows():
    pay = _payments()
    pay.loc[1, "payment_date"] = pd.Timestamp("2024-01-20")
    with pytest.raises(DataValidationError) as err:
        Ledger(_invoices(), pay)
    assert violation(err, "payments.payment_date").rows == (1,)


@pytest.mark.parametrize("table", ["invoices", "payments"])
def test_negative_amounts(table):
    inv, pay = _invoices(), _payments()
    frame = inv if table == "invoices" else pay
    frame.loc[1, "amount"] = -5.0
    with pytest.raises(DataValidationError) as err:
        Ledger(inv, pay)
    v = violation(err, f"{table}.amount")
    assert v.rows == (1,) and "below minimum 0" in v.rule


def test_duplicate_invoice_ids():
    inv = _invoices()
    inv.loc[2, "invoice_id"] = "i1"
    with pytest.raises(DataValidationError) as err:
        Ledger(inv, Ledger.empty_payments())
    v = violation(err, "invoices.invoice_id")
    assert v.rows == (0, 2) and v.rule == "duplicate id"


def test_overpayment_beyond_tolerance_and_its_switch():
    pay = _payments()
    pay.loc[2, "amount"] = 150.02          # i2 paid 200.02 > 200 + 0.01
    with pytest.raises(DataValidationError) as err:
        Ledger(_invoices(), pay)
    assert violation(err, "payments.amount").rows == (1, 2)
    pay.loc[2, "amount"] = 150.005         # within the 0.01 tolerance
    assert Ledger(_invoices(), pay).n_invoices == 3
    pay.loc[2, "amount"] = 500.0
    assert Ledger(_invoices(), pay, max_overpayment=None).n_invoices == 3
    with pytest.raises(DataValidationError):
        Ledger(_invoices(), pay, max_overpayment=100.0)


def test_payment_for_unknown_invoice():
    pay = _payments()
    pay.loc[0, "invoice_id"] = "zz"
    with pytest.raises(DataValidationError) as err:
        Ledger(_invoices(), pay)
    assert violation(err, "payments.invoice_id").rows == (0,)


@pytest.mark.parametrize("dtype", ["str", "string", object])
def test_payment_customer_must_match_invoice(dtype):
    """Ids held as pandas text (NaN or NA missing) or as Python objects."""
    pay, inv = _payments(), _invoices()
    pay.loc[2, "customer_id"] = "b"
    pay["customer_id"], inv["customer_id"] = pay["customer_id"].astype(dtype), inv["customer_id"].astype(dtype)
    with pytest.raises(DataValidationError) as err:
        Ledger(inv, pay)
    assert violation(err, "payments.customer_id").rows == (2,)


def test_limits_and_write_offs_for_unknown_customers():
    limits = pd.DataFrame({"customer_id": ["a", "x"], "limit": [1000.0, 5.0]})
    write_offs = pd.DataFrame({"customer_id": ["y"], "write_off_date": pd.to_datetime(["2024-05-01"]),
                               "amount": [10.0], "reason": ["bankruptcy"]})
    with pytest.raises(DataValidationError) as err:
        Ledger(_invoices(), _payments(), limits, write_offs)
    assert violation(err, "credit_limits.customer_id").rows == (1,)
    assert violation(err, "write_offs.customer_id").rows == (0,)


def test_duplicate_limit_per_customer_and_date():
    limits = pd.DataFrame({"customer_id": ["a", "a"], "limit": [1.0, 2.0],
                           "valid_from": pd.to_datetime(["2024-01-01", "2024-01-01"])})
    with pytest.raises(DataValidationError) as err:
        Ledger(_invoices(), _payments(), credit_limits=limits)
    assert violation(err, "credit_limits.customer_id,valid_from").rows == (0, 1)
    limits.loc[1, "valid_from"] = pd.Timestamp("2024-06-01")
    assert Ledger(_invoices(), _payments(), credit_limits=limits).n_customers == 2


def test_empty_invoice_table():
    with pytest.raises(DataValidationError) as err:
        Ledger(_invoices().iloc[:0], Ledger.empty_payments())
    assert "has 0 row(s)" in violation(err, "invoices.<frame>").rule


@pytest.mark.parametrize("column, value", [("amount", np.nan), ("due_date", pd.NaT),
                                           ("customer_id", None)])
def test_missing_values(column, value):
    inv = _invoices()
    inv[column] = inv[column].astype(object) if column == "customer_id" else inv[column]
    inv.loc[1, column] = value
    with pytest.raises(DataValidationError) as err:
        Ledger(inv, Ledger.empty_payments())
    v = violation(err, f"invoices.{column}")
    assert v.rows == (1,) and v.rule == "missing values"


def test_missing_column_and_wrong_type():
    with pytest.raises(DataValidationError) as err:
        Ledger(_invoices().drop(columns="due_date"), _payments())
    assert violation(err, "invoices.due_date").rule == "missing column"
    pay = _payments().assign(payment_date=["2024-02-05", "2024-03-01", "2024-03-20"])
    with pytest.raises(DataValidationError) as err:
        Ledger(_invoices(), pay)
    assert "dtype" in violation(err, "payments.payment_date").rule


def test_mixed_currencies_are_refused():
    inv = _invoices().assign(currency=["EUR", "EUR", "USD"])
    with pytest.raises(DataValidationError) as err:
        Ledger(inv, _payments())
    assert violation(err, "invoices.currency").rows == (2,)


def test_every_broken_rule_reported_at_once():
    inv = _invoices()
    inv.loc[0, "due_date"] = pd.Timestamp("2023-12-01")
    pay = _payments()
    pay.loc[0, "invoice_id"] = "nope"
    pay.loc[2, "payment_date"] = pd.Timestamp("2023-01-01")
    with pytest.raises(RiskModelsError) as err:
        validate_ledger(inv, pay)
    assert set(err.value.columns) == {"invoices.due_date", "payments.invoice_id", "payments.payment_date"}


def test_ibm_ar_ledger_pays_every_invoice_once_in_full():
    raw = load_ibm_ar()
    ledger = ibm_ar_ledger(raw)
    assert ledger.n_invoices == len(raw) == 2466 and ledger.n_customers == 100
    assert np.allclose(ledger.payments["amount"].to_numpy(), raw["amount"].to_numpy())
    assert (ledger.payments["payment_date"] == raw["settled_date"]).all()
    assert int(ledger.invoices["disputed"].sum()) == int(raw["disputed"].sum())


@pytest.mark.parametrize("tolerance", [float("nan"), -0.5, float("inf")])
def test_bad_overpayment_tolerance_is_refused(tolerance):
    # NaN or a negative tolerance would leave every invoice open for ever; inf would settle all at issue
    with pytest.raises(DataValidationError) as err:
        Ledger(_invoices(), _payments(), max_overpayment=tolerance)
    assert violation(err, "max_overpayment").expected == "a finite amount >= 0 or None"
