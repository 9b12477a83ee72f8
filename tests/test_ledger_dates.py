"""Ledger dates (issue 17): day arithmetic without a nanosecond round trip, aware dates cut into
days in their own zone, mixed aware/naive ledgers refused.

Expected values are counted by hand from the calendar (2024 is a leap year): due 2024-01-31,
as of 2024-06-30 is 29 + 31 + 30 + 31 + 30 = 151 days past due.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskmodels.data.features import default_flags, early_warning, payment_features
from riskmodels.data.ledger import Ledger
from riskmodels.errors import DataValidationError

COLUMNS = ["dpd_current", "dpd_max_3m", "dpd_max_12m", "on_time_share", "avg_days_late", "outstanding"]


def _invoices(unit="us", tz=None):
    frame = pd.DataFrame({"customer_id": ["c1", "c1"], "invoice_id": ["i1", "i2"],
                          "issue_date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                          "due_date": pd.to_datetime(["2024-01-31", "2024-03-02"]),
                          "amount": [100.0, 50.0]})
    for column in ("issue_date", "due_date"):
        frame[column] = frame[column].astype(f"datetime64[{unit}]")
        if tz:
            frame[column] = frame[column].dt.tz_localize(tz)
    return frame


def _payments(dates, unit="us", tz=None):
    stamps = pd.Series(pd.to_datetime(dates)).astype(f"datetime64[{unit}]")
    if tz:
        stamps = stamps.dt.tz_localize(tz)
    return pd.DataFrame({"invoice_id": ["i1", "i2"][:len(dates)], "payment_date": stamps,
                         "amount": [100.0, 50.0][:len(dates)]})


def test_a_far_future_placeholder_payment_date_is_an_unpaid_invoice():
    placeholder = Ledger(_invoices(), _payments(["9999-12-31"]))
    unpaid = Ledger(_invoices(), Ledger.empty_payments())
    got = payment_features(placeholder, "2024-06-30")[COLUMNS].iloc[0]
    assert got["dpd_max_12m"] == 151 and got["dpd_current"] == 151  # not 0 (the date wrapped to 1816)
    assert got["outstanding"] == 150.0
    pd.testing.assert_series_equal(got, payment_features(unpaid, "2024-06-30")[COLUMNS].iloc[0])
    flags = default_flags(placeholder, "2024-01-01").iloc[0]
    assert flags["default"] == 1 and flags["default_date"] == pd.Timestamp("2024-04-30")  # 29 + 31 + 30 = 90 DPD


def test_dates_beyond_the_nanosecond_range_come_back_as_dates():
    limits = pd.DataFrame({"customer_id": ["c1"], "limit": [1000.0],
                           "contract_end": pd.Series(pd.to_datetime(["9999-12-31"])).astype("datetime64[us]")})
    ledger = Ledger(_invoices(), _payments(["2024-02-10"]), credit_limits=limits)
    row = early_warning(ledger, "2024-03-31").iloc[0]
    assert row["contract_end"] == pd.Timestamp("9999-12-31") and not row["past_contract_end"]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_every_resolution_gives_the_same_features(unit):
    ref = payment_features(Ledger(_invoices("ns"), _payments(["2024-02-10"], "ns")), "2024-03-31")
    got = payment_features(Ledger(_invoices(unit), _payments(["2024-02-10"], unit)), "2024-03-31")
    pd.testing.assert_frame_equal(got[COLUMNS], ref[COLUMNS])
    assert got["dpd_current"].iloc[0] == 29  # i2 due 2024-03-02, open on 03-31


def test_aware_dates_are_cut_into_days_in_their_own_zone():
    # paid at 10:00 in Shanghai on the due date (02:00 UTC): on time, not one day late
    shanghai = Ledger(_invoices(tz="Asia/Shanghai"),
                      _payments(["2024-01-31 10:00", "2024-03-02 07:59"], tz="Asia/Shanghai"))
    got = payment_features(shanghai, "2024-03-31")[COLUMNS].iloc[0]
    assert got["on_time_share"] == 1.0 and got["avg_days_late"] == 0.0
    naive = Ledger(_invoices(), _payments(["2024-01-31 10:00", "2024-03-02 07:59"]))
    pd.testing.assert_series_equal(got, payment_features(naive, "2024-03-31")[COLUMNS].iloc[0])
    # 23:30 in New York on the due date is the next day in UTC, still the due date locally
    new_york = Ledger(_invoices(tz="America/New_York"),
                      _payments(["2024-01-31 23:30", "2024-03-02 23:59"], tz="America/New_York"))
    assert payment_features(new_york, "2024-03-31")["on_time_share"].iloc[0] == 1.0
    late = Ledger(_invoices(tz="Asia/Shanghai"),
                  _payments(["2024-02-01 00:30", "2024-03-02 07:59"], tz="Asia/Shanghai"))
    assert payment_features(late, "2024-03-31")["avg_days_late"].iloc[0] == 0.5  # one day, one invoice


def test_mixed_aware_and_naive_dates_are_refused_naming_the_columns():
    with pytest.raises(DataValidationError) as err:
        Ledger(_invoices(), _payments(["2024-02-10"], tz="Asia/Shanghai"))
    text = str(err.value)
    assert "invoices.issue_date" in text and "payments.payment_date (Asia/Shanghai)" in text
    assert "time-zone-naive dates mixed with aware ones" in text
    inv = _invoices()
    inv["due_date"] = inv["due_date"].dt.tz_localize("UTC")
    with pytest.raises(DataValidationError, match="invoices.due_date"):
        Ledger(inv, _payments(["2024-02-10"]))
    # one column holding both kinds is not a date column at all
    inv = _invoices()
    inv["due_date"] = np.array([pd.Timestamp("2024-01-31", tz="UTC"), pd.Timestamp("2024-03-02")],
                               dtype=object)
    with pytest.raises(DataValidationError, match="invoices.due_date"):
        Ledger(inv, _payments(["2024-02-10"]))
