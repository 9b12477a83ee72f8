"""Payment features, default flags, ageing and early warnings, checked against answers worked out by hand.

The hand ledger (observation date 2024-06-30):

customer a
  a1 issued 2023-06-01, due 2023-07-01, 100, paid 2023-10-09        -> 100 days late
  a2 issued 2023-11-01, due 2023-12-01, 100, paid 2024-02-29        ->  90 days late
  a3 issued 2024-01-01, due 2024-01-31, 100, paid 2024-01-25        ->   0 (early)
  a4 issued 2024-02-01, due 2024-03-02, 200, paid 50 on 03-10 and 150 on 04-16 -> 45 late
  a5 issued 2024-05-01, due 2024-05-31, 300, open                   ->  30 DPD at t
  a6 issued 2024-06-15, due 2024-07-15, 400, open, not due
customer b
  b1 issued 2023-03-01, due 2023-03-31,  50, paid 2023-06-29        ->  90 days late
  b2 issued 2024-06-01, due 2024-06-30,  80, paid 2024-06-30        ->   0
customer c: first invoice 2024-07-10 (unknown at t)
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from riskmodels.data.features import (
    DefaultDefinition,
    FeatureConfig,
    ageing_report,
    build_panel,
    default_flags,
    early_warning,
    payment_features,
    taiwan_features,
)
from riskmodels.data.ledger import Ledger, ibm_ar_ledger
from riskmodels.data.loaders import load_ibm_ar, load_taiwan
from riskmodels.data.synthetic import make_portfolio
from riskmodels.errors import DataValidationError

T = pd.Timestamp("2024-06-30")


def _tables():
    inv = pd.DataFrame({
        "customer_id": ["a"] * 6 + ["b", "b", "c"],
        "invoice_id": ["a1", "a2", "a3", "a4", "a5", "a6", "b1", "b2", "c1"],
        "issue_date": pd.to_datetime(["2023-06-01", "2023-11-01", "2024-01-01", "2024-02-01", "2024-05-01",
                                      "2024-06-15", "2023-03-01", "2024-06-01", "2024-07-10"]),
        "due_date": pd.to_datetime(["2023-07-01", "2023-12-01", "2024-01-31", "2024-03-02", "2024-05-31",
                                    "2024-07-15", "2023-03-31", "2024-06-30", "2024-08-09"]),
        "amount": [100.0, 100.0, 100.0, 200.0, 300.0, 400.0, 50.0, 80.0, 10.0],
        "disputed": [False, False, False, True, False, False, False, True, False],
    })
    pay = pd.DataFrame({
        "invoice_id": ["a1", "a2", "a3", "a4", "a4", "b1", "b2", "c1"],
        "payment_date": pd.to_datetime(["2023-10-09", "2024-02-29", "2024-01-25", "2024-03-10", "2024-04-16",
                                        "2023-06-29", "2024-06-30", "2024-08-01"]),
        "amount": [100.0, 100.0, 100.0, 50.0, 150.0, 50.0, 80.0, 10.0],
    })
    limits = pd.DataFrame({"customer_id": ["a", "a"], "limit": [1000.0, 2000.0],
                           "valid_from": pd.to_datetime(["2023-01-01", "2024-07-01"])})
    return inv, pay, limits


def _ledger(**kw):
    inv, pay, limits = _tables()
    return Ledger(inv, pay, credit_limits=limits, **kw)


@pytest.fixture(scope="module")
def features():
    return payment_features(_ledger(), T).set_index("customer_id")


def test_only_known_customers_get_a_row(features):
    assert features.index.tolist() == ["a", "b"]
    assert (features["as_of"] == T).all()


def test_days_past_due_by_hand(features):
    a, b = features.loc["a"], features.loc["b"]
    # a: a5 is 30 days past due at t; a4 reached 45 after 2024-03-30 (3m window); a2 reached 90 and was
    # unpaid after 2023-12-30 (6m); a1 reached 100 and was unpaid after 2023-06-30 (12m)
    assert (a["dpd_current"], a["dpd_max_3m"], a["dpd_max_6m"], a["dpd_max_12m"]) == (30, 45, 90, 100)
    # b: b1 (90 late) was settled on 2023-06-29, before the 12-month window; b2 paid on its due date
    assert (b["dpd_current"], b["dpd_max_3m"], b["dpd_max_6m"], b["dpd_max_12m"]) == (0, 0, 0, 0)


def test_timeliness_by_hand(features):
    a, b = features.loc["a"], features.loc["b"]
    # a: invoices due in (2023-06-30, 2024-06-30]: a1..a5, late 100, 90, 0, 45, 30 (a5 still open)
    assert a["on_time_share"] == pytest.approx(1 / 5)
    assert a["avg_days_late"] == pytest.approx(265 / 5)
    assert a["weighted_days_late"] == pytest.approx((100 * 100 + 100 * 90 + 200 * 45 + 300 * 30) / 800)
    # recent half (due after 2023-12-30): a3, a4, a5 -> 25; earlier: a1, a2 -> 95
    assert a["late_trend"] == pytest.approx(25 - 95)
    assert (b["on_time_share"], b["avg_days_late"], b["weighted_days_late"]) == (1.0, 0.0, 0.0)
    assert np.isnan(b["late_trend"])            # nothing fell due in the earlier half


def test_counts_tenure_and_amounts_by_hand(features):
    a, b = features.loc["a"], features.loc["b"]
    assert (a["n_invoices"], b["n_invoices"]) == (5, 1)     # a1 and b1 issued before the window
    # calendar months (民法典 第二百零二条): 2023-06-01 -> 2024-06-01 is 12, then 29 of June's 30 days
    assert a["tenure_months"] == pytest.approx(12 + 29 / 30)
    assert b["tenure_months"] == pytest.approx(15 + 29 / 30)    # 2023-03-01 -> 2024-06-30
    assert (a["outstanding"], a["overdue_amount"]) == (700.0, 300.0)
    assert (b["outstanding"], b["overdue_amount"]) == (0.0, 0.0)
    assert a["limit_utilisation"] == pytest.approx(0.7)     # the 2000 limit starts after t
    assert np.isnan(b["limit_utilisation"])
    assert (a["n_disputes"], b["n_disputes"]) == (1, 1)


def test_written_off_invoices_leave_the_outstanding_amount():
    """004 第十七条 「列销账项」: a written-off receivable leaves the books. a5 (300, due 2024-05-31,
    unpaid) written off on 2024-06-20: at t a owes a6's 400 only, none of it overdue, 400 / 1000 of
    the limit, all of it 0-30 days old (a6 issued 2024-06-15); a5's 30 days late stay in the payment
    history. The day before the write-off a5 is still on the books (700, 300 overdue), as in the
    ageing report and the early-warning table of the same ledger."""
    wo = pd.DataFrame({"customer_id": ["a"], "write_off_date": pd.to_datetime(["2024-06-20"]), "amount": [300.0],
                       "reason": ["bankruptcy"], "invoice_id": ["a5"]})
    ledger = _ledger(write_offs=wo)
    f = payment_features(ledger, ["2024-06-19", T]).set_index(["customer_id", "as_of"])
    before, after = f.loc[("a", pd.Timestamp("2024-06-19"))], f.loc[("a", T)]
    assert (before["outstanding"], before["overdue_amount"]) == (700.0, 300.0)
    assert (after["outstanding"], after["overdue_amount"]) == (400.0, 0.0)
    assert after["limit_utilisation"] == pytest.approx(0.4)
    assert (after["age_0_30"], after["age_31_60"]) == (1.0, 0.0)
    assert (after["dpd_current"], after["dpd_max_3m"]) == (30.0, 45.0)
    assert ageing_report(ledger, T).loc["a", "total"] == 400.0
    assert early_warning(ledger, T).set_index("customer_id").loc["a", "outstanding"] == 400.0


def test_ageing_shares_by_issue_and_due_date(features):
    a = features.loc["a"]
    # by issue date: a5 is 60 days old (31-60), a6 15 days (0-30)
    assert a["age_0_30"] == pytest.approx(4 / 7) and a["age_31_60"] == pytest.approx(3 / 7)
    assert features.loc["b", ["age_0_30", "age_31_60", "age_3y_or_more"]].tolist() == [0.0, 0.0, 0.0]
    by_due = payment_features(_ledger(), T, FeatureConfig(ageing_basis="due")).set_index("customer_id")
    assert by_due.loc["a", "age_0_30"] == 1.0                # 30 days past due and not yet due


def test_custom_buckets_and_windows():
    cfg = FeatureConfig(dpd_windows=(1, 24), ageing_bounds=(45,), ageing_years=None, lookback_months=24,
                        trend_months=3)
    f = payment_features(_ledger(), T, cfg).set_index("customer_id")
    assert {"dpd_max_1m", "dpd_max_24m", "age_0_45", "age_over_45"} <= set(f.columns)
    assert f.loc["a", "dpd_max_1m"] == 30 and f.loc["b", "dpd_max_24m"] == 90
    assert f.loc["a", "age_over_45"] == pytest.approx(3 / 7)


def test_no_look_ahead_future_rows_change_nothing():
    inv, pay, limits = _tables()
    before = payment_features(Ledger(inv, pay, credit_limits=limits), T)
    future_inv = pd.DataFrame({"customer_id": ["a", "b", "d"], "invoice_id": ["a7", "b3", "d1"],
                               "issue_date": pd.to_datetime(["2024-07-01", "2024-09-01", "2024-07-02"]),
                               "due_date": pd.to_datetime(["2024-07-31", "2024-10-01", "2024-08-01"]),
                               "amount": [5.0, 6.0, 7.0], "disputed": [True, True, False]})
    future_pay = pd.DataFrame({"invoice_id": ["a5", "a6", "a7"],
                               "payment_date": pd.to_datetime(["2024-07-01", "2024-07-20", "2024-08-30"]),
                               "amount": [300.0, 400.0, 5.0]})
    write_offs = pd.DataFrame({"customer_id": ["b"], "write_off_date": pd.to_datetime(["2024-12-01"]),
                               "amount": [6.0], "reason": ["bankruptcy"]})
    longer = Ledger(pd.concat([inv, future_inv], ignore_index=True),
                    pd.concat([pay, future_pay], ignore_index=True), credit_limits=limits,
                    write_offs=write_offs)
    after = payment_features(longer, T)
    pd.testing.assert_frame_equal(before, after)
    assert payment_features(longer, "2024-07-25").set_index("customer_id").loc["a", "outstanding"] == 5.0


def test_no_look_ahead_on_the_synthetic_ledger():
    p = make_portfolio(n_firms=150, n_years=2, random_state=11, payment_features=False)
    t = pd.Timestamp("2019-12-31")
    full = p.ledger()
    cut = Ledger(p.invoices[p.invoices["issue_date"] <= t], p.payments[p.payments["payment_date"] <= t],
                 p.credit_limits[p.credit_limits["valid_from"] <= t])
    pd.testing.assert_frame_equal(payment_features(full, t), payment_features(cut, t))


def test_matches_a_per_invoice_loop_on_the_synthetic_ledger():
    p = make_portfolio(n_firms=60, n_years=2, random_state=4, payment_features=False)
    t = pd.Timestamp("2020-12-31")
    ours = payment_features(p.ledger(), t).set_index("customer_id")
    paid_by = p.payments.groupby("invoice_id")["amount"].sum()
    last_pay = p.payments.groupby("invoice_id")["payment_date"].max()
    expected = {}
    for row in p.invoices.itertuples():
        if row.issue_date > t:
            continue
        fully = paid_by.get(row.invoice_id, 0.0) >= row.amount - 0.01
        settled = last_pay[row.invoice_id] if fully else pd.NaT
        open_at_t = pd.isna(settled) or settled > t
        end = t if open_at_t else settled
        late = max((end - row.due_date).days, 0)
        rec = expected.setdefault(row.customer_id, {"dpd": 0, "late": [], "ontime": []})
        if open_at_t:
            rec["dpd"] = max(rec["dpd"], late)
        if t - pd.DateOffset(months=12) < row.due_date <= t:
            rec["late"].append(late)
            rec["ontime"].append(not open_at_t and settled <= row.due_date)
    for cid, rec in expected.items():
        assert ours.loc[cid, "dpd_current"] == rec["dpd"]
        assert ours.loc[cid, "avg_days_late"] == pytest.approx(np.mean(rec["late"]))
        assert ours.loc[cid, "on_time_share"] == pytest.approx(np.mean(rec["ontime"]))


def test_several_dates_stack_one_row_per_customer_and_date():
    f = payment_features(_ledger(), ["2023-12-31", T, "2024-07-31"])
    assert f.groupby("as_of").size().tolist() == [2, 2, 3]
    assert not f.duplicated(["customer_id", "as_of"]).any()


def test_ageing_report_sums_open_amounts():
    report = ageing_report(_ledger(), T)
    assert report.index.tolist() == ["a", "all"]
    assert report.loc["a", ["age_0_30", "age_31_60", "total"]].tolist() == [400.0, 300.0, 700.0]
    assert report.loc["all", "total"] == 700.0


def test_default_flags_by_hand():
    flags = default_flags(_ledger(), T).set_index("customer_id")
    # a5 (300 unpaid) reaches 90 DPD on 2024-08-29, inside (t, t + 12 months]
    assert flags.loc["a", "default"] == 1 and flags.loc["a", "default_date"] == pd.Timestamp("2024-08-29")
    assert flags.loc["b", "default"] == 0 and pd.isna(flags.loc["b", "default_date"])
    assert not flags["defaulted_at_obs"].any()
    # at the end of 2023: a2 is paid on the very day it reaches 90 DPD (2024-02-29): a default
    early = default_flags(_ledger(), "2023-12-31").set_index("customer_id")
    assert early.loc["a", "default_date"] == pd.Timestamp("2024-02-29")
    # on 2023-09-30, a1 is 91 days past due: already in default at the observation date
    obs = default_flags(_ledger(), "2023-09-30").set_index("customer_id")
    assert bool(obs.loc["a", "defaulted_at_obs"]) and not bool(obs.loc["b", "defaulted_at_obs"])


def test_default_definition_threshold_materiality_and_window():
    assert default_flags(_ledger(), T, DefaultDefinition(dpd_threshold=120)).set_index(
        "customer_id").loc["a", "default_date"] == pd.Timestamp("2024-09-28")
    material = default_flags(_ledger(), T, DefaultDefinition(materiality_abs=350.0)).set_index("customer_id")
    assert material.loc["a", "default_date"] == pd.Timestamp("2024-10-13")   # a6 (400), not a5 (300)
    assert default_flags(_ledger(), T, DefaultDefinition(materiality_abs=401.0))["default"].sum() == 0
    short = default_flags(_ledger(), T, DefaultDefinition(horizon_months=1))
    assert short["default"].sum() == 0 and short["window_complete"].all()   # last event 2024-08-01
    assert not default_flags(_ledger(), T)["window_complete"].any()


def test_material_residual_of_a_partial_payment():
    inv = pd.DataFrame({"customer_id": ["x"], "invoice_id": ["1"], "issue_date": pd.to_datetime(["2024-01-01"]),
                        "due_date": pd.to_datetime(["2024-01-31"]), "amount": [100.0]})
    pay = pd.DataFrame({"invoice_id": ["1"], "payment_date": pd.to_datetime(["2024-02-10"]), "amount": [95.0]})
    ledger = Ledger(inv, pay)
    assert default_flags(ledger, "2024-01-15")["default"].item() == 1            # 5 unpaid at 90 DPD
    assert default_flags(ledger, "2024-01-15", DefaultDefinition(materiality_rel=0.1))["default"].item() == 0
    assert payment_features(ledger, "2024-03-01")["outstanding"].item() == pytest.approx(5.0)


def test_write_offs_are_default_events_when_asked():
    inv, pay, limits = _tables()
    wo = pd.DataFrame({"customer_id": ["b"], "write_off_date": pd.to_datetime(["2025-01-15"]),
                       "amount": [0.0], "reason": ["death"]})
    ledger = Ledger(inv, pay, credit_limits=limits, write_offs=wo)
    flags = default_flags(ledger, T).set_index("customer_id")
    assert flags.loc["b", "default"] == 1 and flags.loc["b", "default_date"] == pd.Timestamp("2025-01-15")
    assert default_flags(ledger, T, DefaultDefinition(write_offs=False)).set_index(
        "customer_id").loc["b", "default"] == 0
    assert bool(default_flags(ledger, "2025-02-01").set_index("customer_id").loc["b", "defaulted_at_obs"])


def test_build_panel_joins_features_and_flags():
    panel = build_panel(_ledger(), [T])
    assert len(panel) == 2 and {"dpd_current", "default", "window_complete"} <= set(panel.columns)
    assert panel.set_index("customer_id").loc["a", "default"] == 1


def test_ibm_features_agree_with_the_data_sets_own_days_late():
    raw = load_ibm_ar()
    t = raw["settled_date"].max()
    f = payment_features(ibm_ar_ledger(raw), t, FeatureConfig(lookback_months=48, trend_months=6))
    f = f.set_index("customer_id")
    own = raw.groupby("customer_id")["days_late"].mean()
    assert np.allclose(f.loc[own.index, "avg_days_late"], own.to_numpy())
    on_time = raw.assign(ok=raw["days_late"] == 0).groupby("customer_id")["ok"].mean()
    assert np.allclose(f.loc[on_time.index, "on_time_share"], on_time.to_numpy())
    assert (f["n_disputes"] == raw.groupby("customer_id")["disputed"].sum()[f.index]).all()


def test_early_warning_rules():
    inv, pay, _ = _tables()
    limits = pd.DataFrame({"customer_id": ["a"], "limit": [750.0], "safe_age_days": [70.0],
                           "contract_end": pd.to_datetime(["2024-07-10"])})
    ew = early_warning(Ledger(inv, pay, credit_limits=limits), T).set_index("customer_id")
    a = ew.loc["a"]
    # oldest open invoice a5 is 60 days old: within 15 days of the 70-day safe age; 700/750 = 93 %
    assert a["oldest_age_days"] == 60 and a["near_safe_age"] and not a["past_safe_age"]
    assert a["near_limit"] and not a["over_limit"] and a["near_contract_end"]
    assert a["action"] == "warning"
    limits["safe_age_days"] = 59.0   # a5 is 60 days old: over (超过) a 59-day safe age
    limits["limit"] = 600.0
    ew = early_warning(Ledger(inv, pay, credit_limits=limits), T).set_index("customer_id")
    assert ew.loc["a", "past_safe_age"] and ew.loc["a", "over_limit"] and ew.loc["a", "action"] == "collect now"
    assert ew.index.tolist() == ["a"]                        # b has nothing open


def test_taiwan_mapping_by_hand():
    frame = pd.DataFrame({
        "ID": [1, 2], "LIMIT_BAL": [1000, 2000],
        "PAY_0": [2, -1], "PAY_2": [1, -1], "PAY_3": [0, -2], "PAY_4": [-1, -2], "PAY_5": [3, -2], "PAY_6": [0, 0],
        "BILL_AMT1": [500, 100], "BILL_AMT2": [400, 50], "BILL_AMT3": [300, 0], "BILL_AMT4": [200, 0],
        "BILL_AMT5": [100, 0], "BILL_AMT6": [100, 10],
        "PAY_AMT1": [40, 50], "PAY_AMT2": [0, 0], "PAY_AMT3": [0, 0], "PAY_AMT4": [0, 0], "PAY_AMT5": [0, 0],
        "PAY_AMT6": [0, 0], "target": [1, 0]}).astype("int64")
    t = taiwan_features(frame)
    one, two = t.iloc[0], t.iloc[1]
    assert (one["dpd_current"], one["dpd_max_3m"], one["dpd_max_6m"]) == (60, 60, 90)
    assert one["on_time_share"] == pytest.approx(3 / 6) and one["avg_days_late"] == pytest.approx(180 / 6)
    assert one["weighted_days_late"] == pytest.approx((500 * 60 + 400 * 30 + 100 * 90) / 1600)
    assert one["late_trend"] == pytest.approx(30 - 30)
    assert one["limit_utilisation"] == 0.5 and one["payment_ratio"] == pytest.approx(0.1)
    assert (two["n_invoices"], two["on_time_share"], two["dpd_max_6m"]) == (3, 1.0, 0)
    assert np.isnan(one["dpd_max_12m"]) and np.isnan(one["tenure_months"])
    assert t["default"].tolist() == [1, 0]


def test_taiwan_features_order_defaults():
    t = taiwan_features()
    raw = load_taiwan()
    assert (t["dpd_current"] == 30 * raw["PAY_0"].clip(lower=0)).all()
    assert roc_auc_score(t["default"], t["dpd_max_6m"]) > 0.65
    billed = t["on_time_share"].notna()         # customers with no bill in the six months have NaN
    assert billed.mean() > 0.9
    assert roc_auc_score(t["default"][billed], -t["on_time_share"][billed]) > 0.65


def test_bad_inputs_raise_naming_the_field():
    with pytest.raises(DataValidationError, match="as_of"):
        payment_features(_ledger(), "not a date")
    with pytest.raises(DataValidationError, match="as_of"):
        default_flags(_ledger(), [pd.NaT])
    with pytest.raises(DataValidationError, match="single date"):
        ageing_report(_ledger(), [T, T])
    with pytest.raises(DataValidationError, match="ledger"):
        payment_features(_tables()[0], T)
    with pytest.raises(DataValidationError, match="ageing_bounds"):
        FeatureConfig(ageing_bounds=(60, 30))
    with pytest.raises(DataValidationError, match="ageing_basis"):
        FeatureConfig(ageing_basis="paid")
    with pytest.raises(DataValidationError, match="trend_months"):
        FeatureConfig(trend_months=12)
    with pytest.raises(DataValidationError, match="dpd_threshold"):
        DefaultDefinition(dpd_threshold=0)
    with pytest.raises(DataValidationError, match="materiality"):
        DefaultDefinition(materiality_rel=2.0)
    with pytest.raises(DataValidationError, match="PAY_3"):
        taiwan_features(load_taiwan().drop(columns="PAY_3"))


def test_default_definition_refuses_nan():
    # a NaN materiality used to pass the checks and then silently flag no default at all
    for kw, field in (({"materiality_abs": float("nan")}, "materiality"),
                      ({"dpd_threshold": float("nan")}, "dpd_threshold"),
                      ({"horizon_months": float("nan")}, "horizon_months")):
        with pytest.raises(DataValidationError, match=field):
            DefaultDefinition(**kw)


def test_early_warning_uses_the_limit_row_valid_at_the_date():
    inv, pay, _ = _tables()
    limits = pd.DataFrame({"customer_id": ["a", "a"], "limit": [750.0, 5000.0], "safe_age_days": [70.0, 30.0],
                           "valid_from": pd.to_datetime(["2023-01-01", "2024-07-01"]),
                           "contract_end": pd.to_datetime(["2024-07-10", None])})
    a = early_warning(Ledger(inv, pay, credit_limits=limits), T).set_index("customer_id").loc["a"]
    # on 30 June the 2023 row applies: safe age 70, limit 750 (700 open), contract end 10 July
    assert a["safe_age_days"] == 70.0 and a["limit_utilisation"] == pytest.approx(700 / 750)
    assert a["contract_end"] == pd.Timestamp("2024-07-10") and a["action"] == "warning"
    b = early_warning(Ledger(inv, pay, credit_limits=limits), "2024-07-05").set_index("customer_id").loc["a"]
    assert b["safe_age_days"] == 30.0 and pd.isna(b["contract_end"]) and b["action"] == "collect now"


def test_build_panel_refuses_repeated_dates():
    with pytest.raises(DataValidationError, match=r"as_of.*repeats \['2024-06-30'\]"):
        build_panel(_ledger(), [T, "2024-03-31", "2024-06-30"])


def test_the_limit_in_force_is_the_latest_valid_from_on_or_before_the_date():
    """Limit utilisation against the limit row a per-customer pandas lookup finds (rows shuffled,
    several per customer, some starting after the date)."""
    rng = np.random.default_rng(3)
    customers = [f"c{i}" for i in range(6)]
    inv = pd.DataFrame({"customer_id": customers, "invoice_id": [f"i{i}" for i in range(6)],
                        "issue_date": pd.to_datetime(["2023-01-02"] * 6),
                        "due_date": pd.to_datetime(["2025-12-31"] * 6), "amount": [100.0] * 6})
    limits = pd.DataFrame({"customer_id": rng.choice(customers[:5], 40),
                           "limit": rng.uniform(50, 500, 40).round(2),
                           "valid_from": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, 40), "D")})
    limits = limits.drop_duplicates(["customer_id", "valid_from"]).sample(frac=1, random_state=1)
    ledger = Ledger(inv, Ledger.empty_payments(), credit_limits=limits)
    for t in pd.to_datetime(["2023-01-02", "2023-06-30", "2024-03-31", "2025-06-30"]):
        got = payment_features(ledger, t).set_index("customer_id")["limit_utilisation"]
        for c in customers:
            rows = limits[(limits["customer_id"] == c) & (limits["valid_from"] <= t)]
            expected = np.nan if rows.empty else 100.0 / rows.loc[rows["valid_from"].idxmax(), "limit"]
            assert got.get(c, np.nan) == pytest.approx(expected, nan_ok=True), (t, c)
