"""Workout LGD and EAD from the ledger (riskmodels.provisions.lgd), worked by hand.

The case: customer a owes 100 due 2024-01-31 and pays 10 on 2024-02-15, so on its default date
(90 days past due: 2024-04-30, riskmodels' default definition) the balance is EAD = 90. It then
pays 33 on the default date (discount factor 1) and 55 a year later (365 days; at 10 % a year
worth 55 / 1.1 = 50 on the default date); a collection cost of 11 the same day is worth 10.
LGD = 1 − (33 + 50 − 10) / 90 = 17/90. Customer c never pays its 200: EAD 200, LGD 1.
Customer b pays on time and does not default. The invoice a receives after default is new
exposure, not part of its EAD.
"""

import numpy as np
import pandas as pd
import pytest

from riskmodels.data.features import DefaultDefinition
from riskmodels.data.ledger import Ledger
from riskmodels.errors import DataValidationError, ParameterError
from riskmodels.provisions import discount_factor, workout_lgd

D = pd.to_datetime


@pytest.fixture
def ledger():
    inv = pd.DataFrame({"customer_id": ["a", "a", "b", "c"], "invoice_id": ["1", "2", "3", "4"],
                        "issue_date": D(["2024-01-01", "2024-06-01", "2024-01-01", "2024-01-01"]),
                        "due_date": D(["2024-01-31", "2024-07-01", "2024-01-31", "2024-01-31"]),
                        "amount": [100.0, 500.0, 70.0, 200.0]})
    pay = pd.DataFrame({"invoice_id": ["1", "1", "1", "2", "3"],
                        "payment_date": D(["2024-02-15", "2024-04-30", "2025-04-30", "2024-06-20", "2024-01-20"]),
                        "amount": [10.0, 33.0, 55.0, 500.0, 70.0]})
    return Ledger(inv, pay)


COSTS = pd.DataFrame({"customer_id": ["a"], "cost_date": D(["2025-04-30"]), "amount": [11.0]})


def test_hand_worked_discounted_lgd(ledger):
    w = workout_lgd(ledger, "2024-01-15", rate=0.10, costs=COSTS)
    t = w.table.set_index("customer_id")
    assert list(t.index) == ["a", "c"]
    assert (t["default_date"] == D("2024-04-30")).all()
    assert t.loc["a", "ead"] == pytest.approx(90.0)
    assert t.loc["a", "recoveries"] == pytest.approx(88.0)
    assert t.loc["a", "pv_recoveries"] == pytest.approx(83.0)
    assert t.loc["a", "pv_costs"] == pytest.approx(10.0)
    assert t.loc["a", "lgd"] == pytest.approx(17 / 90)
    assert t.loc["c", "ead"] == pytest.approx(200.0) and t.loc["c", "lgd"] == pytest.approx(1.0)
    assert not t["resolved"].any()   # a still owes 2, c everything


def test_undiscounted_and_no_costs(ledger):
    t = workout_lgd(ledger, "2024-01-15").table.set_index("customer_id")
    assert t.loc["a", "lgd"] == pytest.approx(1 - 88 / 90)


def test_segments_and_expected_loss(ledger):
    w = workout_lgd(ledger, "2024-01-15", rate=0.10, costs=COSTS)
    seg = w.by_segment({"a": "x", "b": "x", "c": "x"})
    assert seg.loc["x", "defaults"] == 2
    assert seg.loc["x", "ead"] == pytest.approx(290.0)
    assert seg.loc["x", "mean_lgd"] == pytest.approx((17 / 90 + 1) / 2)
    assert seg.loc["x", "ead_weighted_lgd"] == pytest.approx(1 - 73 / 290)
    el = w.expected_loss({"a": 0.02, "c": 0.5})
    assert el["a"] == pytest.approx(0.02 * 17 / 90 * 90) and el["c"] == pytest.approx(100.0)
    with pytest.raises(DataValidationError, match="segment"):
        w.by_segment({"a": "x"})
    with pytest.raises(DataValidationError, match="PD"):
        w.expected_loss({"a": 0.02})
    assert "Workout LGD" in w.summary().as_text()


def test_definition_is_riskmodels_own(ledger):
    # 30 days past due: default on 2024-03-01 (Jan 31 + 30); a has paid 10 before → EAD 90,
    # and everything paid from that day on is a recovery.
    t = workout_lgd(ledger, "2024-01-15", definition=DefaultDefinition(dpd_threshold=30)).table
    assert (t["default_date"] == D("2024-03-01")).all()
    assert t.set_index("customer_id").loc["a", "ead"] == pytest.approx(90.0)


def test_bad_input(ledger):
    with pytest.raises(ParameterError, match="rate"):
        workout_lgd(ledger, "2024-01-15", rate=-1.0)
    bad = pd.DataFrame({"customer_id": ["a", "b", "a"], "cost_date": D(["2024-01-01", "2024-06-01", "2024-06-01"]),
                        "amount": [1.0, 1.0, -1.0]})
    with pytest.raises(DataValidationError) as err:
        workout_lgd(ledger, "2024-01-15", costs=bad)
    text = str(err.value)
    assert "costs.cost_date" in text and "costs.customer_id" in text and "costs.amount" in text


def test_discount_factor():
    assert discount_factor(np.array([0, 365, 730]), 0.10) == pytest.approx([1, 1 / 1.1, 1 / 1.21])
