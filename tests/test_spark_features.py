"""Payment-history features and default flags from a Spark ledger equal the pandas path (riskmodels.data.features).

Reference: :func:`riskmodels.data.features.payment_features`, ``default_flags`` and
``build_panel`` on the same ledger: the bundled IBM accounts-receivable sample (whose own
``days_late`` column test_features.py checks the pandas path against) and a synthetic
ledger of :func:`riskmodels.data.synthetic.make_portfolio` (credit limits, write-offs,
partial payments). Integers and flags must be equal, floats to 1e-12.
"""

import numpy as np
import pandas as pd
import pytest

from riskmodels.data import features as local
from riskmodels.data.ledger import Ledger, ibm_ar_ledger
from riskmodels.data.loaders import load_ibm_ar
from riskmodels.data.synthetic import make_portfolio
from riskmodels.errors import DataValidationError
from riskmodels.spark import features as spark_features
from riskmodels.spark.session import local_session


@pytest.fixture(scope="module")
def spark():
    return local_session(2)


@pytest.fixture(scope="module")
def ibm():
    return ibm_ar_ledger(load_ibm_ar())


@pytest.fixture(scope="module")
def synthetic():
    return make_portfolio(n_firms=300, n_years=2, random_state=3, payment_features=False).ledger()


def _tables(spark, ledger):
    def frame(table):
        return None if table is None else spark.createDataFrame(table)

    return dict(invoices=frame(ledger.invoices), payments=frame(ledger.payments),
                credit_limits=frame(ledger.credit_limits), write_offs=frame(ledger.write_offs))


def _assert_equal(remote, expected):
    """Same rows, same integer/flag/date columns exactly, floats to 1e-12."""
    assert list(remote.columns) == list(expected.columns) and len(remote) == len(expected)
    floats = [c for c in expected.columns if expected[c].dtype.kind == "f"]
    exact = [c for c in expected.columns if c not in floats]
    pd.testing.assert_frame_equal(remote[exact], expected[exact])
    pd.testing.assert_frame_equal(remote[floats], expected[floats], check_exact=False, rtol=1e-12, atol=1e-12)


def test_ibm_ledger_panel_equals_the_pandas_path(spark, ibm):
    dates = ["2012-09-30", "2013-06-30", "2013-12-31"]
    config = local.FeatureConfig(lookback_months=12, trend_months=6)
    definition = local.DefaultDefinition(dpd_threshold=30, horizon_months=6)
    expected = local.build_panel(ibm, dates, config, definition)
    t = _tables(spark, ibm)
    remote = spark_features.build_panel(t["invoices"], t["payments"], dates, config, definition, ibm.tolerance)
    assert expected["dpd_current"].max() > 0 and expected["default"].sum() > 0
    assert np.isnan(expected["limit_utilisation"]).all()  # no limits table: NaN on both paths
    _assert_equal(remote, expected)


def test_synthetic_panel_equals_the_pandas_path_with_limits_and_write_offs(spark, synthetic):
    dates = ["2020-12-31", "2019-12-31", "2021-06-30"]  # out of order: kept in the given order, as locally
    expected = local.build_panel(synthetic, dates)
    remote = spark_features.build_panel(**_tables(spark, synthetic), as_of=dates, tolerance=synthetic.tolerance)
    assert expected["as_of"].iloc[0] == pd.Timestamp("2020-12-31")
    assert expected["default"].sum() > 0 and expected["limit_utilisation"].notna().mean() > 0.9
    assert expected["defaulted_at_obs"].any() and not expected["window_complete"].all()
    _assert_equal(remote, expected)


def test_missing_column_raises_the_ledger_error(spark, ibm):
    invoices = ibm.invoices.drop(columns="due_date")
    payments = ibm.payments.drop(columns="amount")
    with pytest.raises(DataValidationError) as pandas_error:
        Ledger(invoices, payments)
    with pytest.raises(DataValidationError) as spark_error:
        spark_features.default_flags(spark.createDataFrame(invoices), spark.createDataFrame(payments), "2013-01-01")
    assert str(spark_error.value) == str(pandas_error.value)
    assert "invoices.due_date" in str(spark_error.value) and "payments.amount" in str(spark_error.value)


def test_bad_observation_dates_raise_as_locally(spark, ibm):
    t = _tables(spark, ibm)
    with pytest.raises(DataValidationError, match="as_of"):
        spark_features.payment_features(t["invoices"], t["payments"], "not a date")
    with pytest.raises(DataValidationError) as pandas_error:
        local.build_panel(ibm, ["2013-01-31", "2012-12-31", "2013-01-31"])
    with pytest.raises(DataValidationError) as spark_error:
        spark_features.build_panel(t["invoices"], t["payments"], ["2013-01-31", "2012-12-31", "2013-01-31"])
    assert str(spark_error.value) == str(pandas_error.value) and "repeats" in str(spark_error.value)


def test_calendar_spans_equal_the_pandas_path(spark, synthetic):
    """Tenure in calendar months, the calendar ageing bucket and a default after calendar years
    (``dpd_years``) read the same days in Spark as in pandas (民法典 第二百零二条: 29 February + 1 year
    is 28 February): issue 31 January / 29 February / 1 March, observed on month ends."""
    from riskmodels.data.ledger import Ledger

    inv = pd.DataFrame({"customer_id": ["a", "b", "c"], "invoice_id": ["1", "2", "3"],
                        "issue_date": pd.to_datetime(["2020-01-31", "2020-02-29", "2020-03-01"]),
                        "due_date": pd.to_datetime(["2020-02-29", "2020-03-30", "2020-03-31"]),
                        "amount": [10.0, 20.0, 30.0]})
    pay = pd.DataFrame({"invoice_id": ["3"], "payment_date": pd.to_datetime(["2021-06-01"]), "amount": [30.0]})
    small = Ledger(inv, pay)                    # (Spark infers no schema from an empty table)
    config = local.FeatureConfig(ageing_bounds=(30, 90, 180), ageing_years=1)
    definition = local.DefaultDefinition(dpd_years=1, horizon_months=12)
    dates = ["2021-02-27", "2021-02-28", "2021-03-01"]
    expected = local.build_panel(small, dates, config, definition)
    assert expected["age_1y_or_more"].tolist() == [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0]
    remote = spark_features.build_panel(**_tables(spark, small), as_of=dates, config=config, definition=definition,
                                        tolerance=small.tolerance)
    _assert_equal(remote, expected)
    dates = ["2020-02-29", "2021-02-28"]
    expected = local.build_panel(synthetic, dates, config, definition)
    assert expected["default"].sum() > 0
    remote = spark_features.build_panel(**_tables(spark, synthetic), as_of=dates, config=config,
                                        definition=definition, tolerance=synthetic.tolerance)
    _assert_equal(remote, expected)


def test_invoices_written_off_leave_outstanding_on_both_paths(spark, synthetic):
    """004 第十七条 「列销账项」: an invoice written off by the date is off the books on both paths
    (outstanding, overdue, utilisation, ageing shares); its days late stay."""
    picked = synthetic.invoices.iloc[::5]
    wo = pd.DataFrame({"customer_id": picked["customer_id"].to_numpy(), "amount": picked["amount"].to_numpy(),
                       "write_off_date": (picked["due_date"] + pd.Timedelta(days=200)).to_numpy(),
                       "reason": "unpaid_3y", "invoice_id": picked["invoice_id"].to_numpy()})
    ledger = Ledger(synthetic.invoices, synthetic.payments, synthetic.credit_limits, write_offs=wo)
    dates = ["2020-12-31", "2021-06-30"]
    expected = local.payment_features(ledger, dates)
    kept = local.payment_features(synthetic, dates)
    assert expected["outstanding"].sum() < kept["outstanding"].sum()
    pd.testing.assert_series_equal(expected["dpd_current"], kept["dpd_current"])
    t = _tables(spark, ledger)
    remote = spark_features.payment_features(t["invoices"], t["payments"], dates, tolerance=ledger.tolerance,
                                             credit_limits=t["credit_limits"], write_offs=t["write_offs"])
    _assert_equal(remote, expected)
