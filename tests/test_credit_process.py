"""The documents' credit-process rules, worked by hand from the original sentences (issue 31).

Sources: the Chinese originals in ../shared/seeds/ (000 企业授信评价管理制度, 002 客户资信管理评估制度 /
客户资信调查管理办法, 004 清欠管理制度) and the Civil Code of the PRC (民法典): 第一千二百五十九条 (以上、以下
include the number; 超过、不满 exclude it) and 第二百零二条 (a span of months or years ends on the
corresponding day, or the month's last day when there is none).
"""

import numpy as np
import pandas as pd
import pytest

from riskmodels.data.features import (
    DefaultDefinition,
    FeatureConfig,
    ageing_report,
    bad_debt_candidates,
    default_flags,
    early_warning,
    payment_features,
)
from riskmodels.data.ledger import Ledger
from riskmodels.data.periods import (
    add_months,
    compare,
    date_to_day,
    day_to_date,
    months_between,
    operator,
    reached,
)
from riskmodels.errors import DataValidationError, ParameterError
from riskmodels.scorecards.rules import CustomerRules


def _ledger(customers, issues, dues, amounts, **tables):
    inv = pd.DataFrame({"customer_id": customers, "invoice_id": [f"i{k}" for k in range(len(customers))],
                        "issue_date": pd.to_datetime(issues), "due_date": pd.to_datetime(dues),
                        "amount": [float(a) for a in amounts]})
    return Ledger(inv, Ledger.empty_payments(), **tables)


# ------------------------------------------------------------------ the one reading of the words
def test_civil_code_boundary_words():
    """民法典 第一千二百五十九条: 以上/以下/以内/届满 include the number, 超过/不满/以外 exclude it."""
    values = [89.0, 90.0, 91.0]
    assert compare(values, "以上", 90).tolist() == [False, True, True]
    assert compare(values, "以下", 90).tolist() == [True, True, False]
    assert compare(values, "超过", 90).tolist() == [False, False, True]
    assert compare(values, "不满", 90).tolist() == [True, False, False]
    assert compare([np.nan], "以上", 0).tolist() == [False]        # a missing value satisfies nothing
    with pytest.raises(ParameterError, match="unknown boundary word"):
        operator("左右")


def test_calendar_spans_follow_article_202():
    """民法典 第二百零二条: the corresponding day, else the month's last day."""
    def plus(date, months):
        return str(day_to_date(add_months(date_to_day(date), months)[0]).date())
    assert plus("2024-01-31", 1) == "2024-02-29" and plus("2023-01-31", 1) == "2023-02-28"
    assert plus("2020-02-29", 36) == "2023-02-28" and plus("2021-03-31", 36) == "2024-03-31"
    start = date_to_day("2024-01-31")
    assert months_between([start], [date_to_day("2024-02-29")]).tolist() == [1.0]
    assert months_between([start], [date_to_day("2024-02-28")])[0] == pytest.approx(28 / 29)


def test_reached_on_one_day_is_the_elementwise_reading():
    """reached(start, one_day) finds the last start that reaches the day (add_months never decreases)
    and compares against it; it must equal reaching each start's own end (第二百零二条) on every
    start around month ends, 29 February and the never-sentinel."""
    starts = np.r_[np.arange(date_to_day("2019-12-01"), date_to_day("2021-04-01")), 2932896 + 5]
    for end in ("2023-02-27", "2023-02-28", "2023-03-01", "2024-02-29", "2023-03-31", "2020-03-31"):
        day = date_to_day(end)
        for years, months in ((3, 0), (0, 1), (0, 0), (0, -1), (1, 1)):
            one = reached(starts, day, years=years, months=months)
            each = reached(starts, np.full(len(starts), day), years=years, months=months)
            assert one.tolist() == each.tolist(), (end, years, months)
    # a debt issued 2020-02-29 is three years old on 2023-02-28, one issued 2020-03-01 on 2023-03-01
    assert reached([date_to_day("2020-02-29"), date_to_day("2020-03-01")], date_to_day("2023-02-28"),
                   years=3).tolist() == [True, False]
    assert reached(date_to_day("2020-02-29"), date_to_day("2023-02-28"), years=3).tolist() == [True]  # 1-d as before


# ------------------------------------------------------------------ "three years": one calendar reading
def test_three_years_is_one_calendar_reading_in_all_three_places():
    """004 第十四条 3: 「较长时期内(一般指3年以上)未履行」. 以上 includes the number: a debt due
    2020-01-31 is a candidate on 2023-01-31 (not on 2023-01-30); the old 3 × 365.25 days put it
    on 2023-02-01. Due on 29 February 2020: three years end on 2023-02-28 (第二百零二条)."""
    ledger = _ledger(["a", "b"], ["2020-01-01", "2020-01-30"], ["2020-01-31", "2020-02-29"], [10, 20])
    assert bad_debt_candidates(ledger, "2023-01-30").empty
    assert bad_debt_candidates(ledger, "2023-01-31")["invoice_id"].tolist() == ["i0"]
    assert bad_debt_candidates(ledger, "2023-02-27")["invoice_id"].tolist() == ["i0"]
    on = bad_debt_candidates(ledger, "2023-02-28")
    assert on["invoice_id"].tolist() == ["i0", "i1"] and set(on["reason"]) == {"unpaid 3 years or more"}
    # the ageing bucket: issued 2020-01-01 → 3 years or more on 2023-01-01, not the day before
    before = ageing_report(ledger, "2022-12-31")
    on_day = ageing_report(ledger, "2023-01-01")
    assert before.loc["a", "age_3y_or_more"] == 0.0 and before.loc["a", "age_366_under_3y"] == 10.0
    assert on_day.loc["a", "age_3y_or_more"] == 10.0
    # the default definition: the event is the due date + 3 calendar years
    flags = default_flags(ledger, "2022-06-30", DefaultDefinition(dpd_years=3)).set_index("customer_id")
    assert flags.loc["a", "default_date"] == pd.Timestamp("2023-01-31")
    assert flags.loc["b", "default_date"] == pd.Timestamp("2023-02-28")
    with pytest.raises(DataValidationError, match="dpd_years"):
        DefaultDefinition(dpd_years=2.5)


# ------------------------------------------------------------------ tenure in calendar months
def test_tenure_reaches_one_year_on_the_anniversary():
    """002 4.4.1.4 A 「双方业务合作一年或以上」 and 客户分级管理制度 「合作满六个月后,进行评估」:
    first invoice 2023-06-15 → 12.0 months on 2024-06-15 (以上: A's tenure condition holds that day);
    first invoice 2024-01-31 → 6 months on 2024-07-31, so no longer a new customer."""
    ledger = _ledger(["a", "n"], ["2023-06-15", "2024-01-31"], ["2023-07-15", "2024-03-01"], [10, 10])
    f = payment_features(ledger, ["2024-06-14", "2024-06-15"]).set_index(["customer_id", "as_of"])
    assert f.loc[("a", pd.Timestamp("2024-06-15")), "tenure_months"] == 12.0
    assert f.loc[("a", pd.Timestamp("2024-06-14")), "tenure_months"] < 12.0
    rules = CustomerRules.from_spec()
    n = payment_features(ledger, ["2024-07-30", "2024-07-31"]).set_index("customer_id").loc["n"]
    assert n["tenure_months"].tolist()[1] == 6.0
    tiers = rules.value_tier(n.assign(revenue=3e6))
    assert tiers["tier"].tolist() == ["C", "B"] and tiers["review_due"].tolist() == [False, True]


# ------------------------------------------------------------------ 不良欠款: one definition for A and C
def _a_quality(dpd):
    return pd.DataFrame({"tenure_months": 36.0, "dpd_max_24m": dpd, "contract_fulfilment": "good",
                         "roa": 0.05, "roa_lag1": 0.04, "debt_ratio": 0.5, "on_time_share": 0.95},
                        index=range(len(dpd)))


def test_bad_debt_is_one_term_in_the_a_and_c_rules():
    """002 4.4.1.4: A 「过去2年内…没有发生不良欠款」, C 「过往2年内…曾发生过不良欠款」: the same term,
    so a customer is in exactly one of them. With the default (90 days or more, 以上), 30–89
    days late is not 不良欠款: an otherwise-A customer 45 or 89 days late is A (before: B);
    90 days is C."""
    rules = CustomerRules.from_spec()
    assert rules.classify(_a_quality([0.0, 45.0, 89.0, 90.0]), "abc").tolist() == ["A", "A", "A", "C"]
    defined = rules.spec.definitions["bad_debt"]
    assert (defined.column, defined.op, defined.value) == ("dpd_max_24m", "以上", 90)


def test_a_term_reference_must_name_a_definition(tmp_path):
    import yaml

    from riskmodels.errors import SpecError
    from riskmodels.scorecards.spec import SPECS_DIR

    data = yaml.safe_load((SPECS_DIR / "customer_rules.yaml").read_text(encoding="utf-8"))
    data["rulesets"]["abc"]["classes"][0]["any"][0] = {"term": "bad_dept"}
    with pytest.raises(SpecError, match="a term reference"):
        CustomerRules.from_dict(data)


# ------------------------------------------------------------------ 超过: one reading for collection and the limit
def test_over_the_safe_age_and_the_limit_is_strictly_over():
    """004 第二十九条 「对超过保险帐龄期、授信额度以及合同期限的债权…立即…追讨」 and 第二十八条
    「即将到达…进行预警」. 超过 excludes the number: an invoice exactly 60 days old with a 60-day safe
    age, or a limit used exactly 100 %, is a warning; one day / any amount more is collected."""
    inv_days = ["2024-03-01", "2024-03-01"]
    limits = pd.DataFrame({"customer_id": ["a", "b"], "limit": [100.0, 99.0], "safe_age_days": [60.0, 60.0]})
    ledger = _ledger(["a", "b"], inv_days, ["2024-03-31", "2024-03-31"], [100, 100], credit_limits=limits)
    at = early_warning(ledger, "2024-04-30").set_index("customer_id")     # both invoices 60 days old
    assert at.loc["a", "oldest_age_days"] == 60 and not at.loc["a", "past_safe_age"] and at.loc["a", "near_safe_age"]
    assert at.loc["a", "limit_utilisation"] == 1.0 and not at.loc["a", "over_limit"] and at.loc["a", "near_limit"]
    assert at.loc["a", "action"] == "warning"
    assert at.loc["b", "over_limit"] and at.loc["b", "action"] == "collect now"     # 100 over a 99 limit
    after = early_warning(ledger, "2024-05-01").set_index("customer_id")
    assert after.loc["a", "past_safe_age"] and after.loc["a", "action"] == "collect now"


# ------------------------------------------------------------------ 风控部 C: a share of the business volume
def test_small_share_of_business_not_few_invoices():
    """002 风控部 「C类用户:业务量占公司总业务量比例很小…款到发货」. A customer with four 2,000,000
    invoices is most of the company's volume (8M of 8.01M), not class C (before: C, < 6 invoices);
    one with one 10,000 invoice has 10,000 / 8,010,000 = 0.125 % < 0.5 % (不满) → C."""
    issues = ["2024-01-10", "2024-02-10", "2024-03-10", "2024-04-10", "2024-04-10"]
    dues = ["2024-02-09", "2024-03-11", "2024-04-09", "2024-05-10", "2024-05-10"]
    inv = pd.DataFrame({"customer_id": ["big"] * 4 + ["tiny"], "invoice_id": list("12345"),
                        "issue_date": pd.to_datetime(issues), "due_date": pd.to_datetime(dues),
                        "amount": [2e6] * 4 + [1e4]})
    pay = pd.DataFrame({"invoice_id": list("12345"), "payment_date": pd.to_datetime(dues),
                        "amount": [2e6] * 4 + [1e4]})
    f = payment_features(Ledger(inv, pay), "2024-06-30").set_index("customer_id")
    assert f.loc["big", "volume_share"] == pytest.approx(8e6 / 8.01e6)
    assert f.loc["tiny", "volume_share"] == pytest.approx(1e4 / 8.01e6)
    assert CustomerRules.from_spec().classify(f, "risk").tolist() == ["A", "C"]
    # the boundary: 不满 excludes the number, so a share of exactly 0.5 % is not "very small"
    at = f.iloc[[0, 0]].assign(volume_share=[0.005, np.nextafter(0.005, 0)])
    assert CustomerRules.from_spec().classify(at, "risk").tolist() == ["A", "C"]


# ------------------------------------------------------------------ late payers: no grace unless chosen
def test_late_payers_are_downgraded_without_a_grace_period():
    """000 五 5 「对延迟付清款物的客户,视情节轻重给予信用等级的降级处理」: 1 day late is late. The
    default (grace_days 0) costs one notch from 1 day; a grace of 29 days is a policy option."""
    rules = CustomerRules.from_spec()
    rows = pd.DataFrame({"dpd_max_12m": [0.0, 1.0, 29.0, 30.0, 60.0]})
    assert rules.downgrade(["A"] * 5, rows, priced_in=False)["notches"].tolist() == [0, 1, 1, 1, 2]
    import yaml

    from riskmodels.scorecards.spec import SPECS_DIR

    data = yaml.safe_load((SPECS_DIR / "customer_rules.yaml").read_text(encoding="utf-8"))
    data["late_payers"]["grace_days"] = 29
    graced = CustomerRules.from_dict(data)
    assert graced.downgrade(["A"] * 5, rows, priced_in=False)["notches"].tolist() == [0, 0, 0, 1, 2]


# ------------------------------------------------------------------ signals and write-offs
def test_lawsuit_signal_kept_with_nothing_open_and_write_offs_not_open_debt():
    """002 客户资信调查管理办法 第五条 (受到法律诉讼、仲裁 is a danger signal) — kept even when the
    customer owes nothing today; 004 第十八条: a written-off debt is filed, not aged as open debt."""
    inv = pd.DataFrame({"customer_id": ["a", "b", "b"], "invoice_id": ["a1", "b1", "b2"],
                        "issue_date": pd.to_datetime(["2024-01-01", "2020-01-01", "2024-05-01"]),
                        "due_date": pd.to_datetime(["2024-01-31", "2020-01-31", "2024-05-31"]),
                        "amount": [10.0, 50.0, 20.0]})
    pay = pd.DataFrame({"invoice_id": ["a1"], "payment_date": pd.to_datetime(["2024-01-20"]), "amount": [10.0]})
    wo = pd.DataFrame({"customer_id": ["b"], "write_off_date": pd.to_datetime(["2024-03-01"]), "amount": [50.0],
                       "reason": ["unpaid_3y"], "invoice_id": ["b1"]})
    ledger = Ledger(inv, pay, write_offs=wo)
    ew = early_warning(ledger, "2024-06-10", signals=pd.DataFrame({"customer_id": ["a"], "lawsuits": [True]}))
    ew = ew.set_index("customer_id")
    assert ew.loc["a", "outstanding"] == 0 and ew.loc["a", "warning_signals"] == "lawsuits"
    assert ew.loc["a", "action"] == "warning"
    assert ew.loc["b", "outstanding"] == 20.0 and ew.loc["b", "oldest_age_days"] == 40
    table = ageing_report(ledger, "2024-06-10")
    assert table.loc["b", "total"] == 20.0 and table.loc["b", "age_3y_or_more"] == 0.0
    assert ageing_report(ledger, "2024-02-29").loc["b", "age_3y_or_more"] == 50.0   # before the write-off


def test_dunning_steps_are_dated_ledger_events_early_warning_shows():
    """004 第二十九条 (立即采取有效措施实施追讨) and 000 (商账追讨记录): the steps taken are dated
    events of the ledger; the warning table shows the last one on or before the date."""
    events = pd.DataFrame({"customer_id": ["a", "a", "a"], "invoice_id": ["i0", None, "i0"],
                           "event_date": pd.to_datetime(["2024-05-05", "2024-05-20", "2024-07-01"]),
                           "step": ["written_notice", "call", "agreement"]})
    ledger = _ledger(["a"], ["2024-03-01"], ["2024-03-31"], [100], collection_events=events)
    row = early_warning(ledger, "2024-06-01").iloc[0]
    assert (row["last_step"], row["last_step_date"]) == ("call", pd.Timestamp("2024-05-20"))
    aged = ageing_report(ledger, "2024-06-01")
    assert aged.loc["a", "last_step"] == "call" and aged.loc["a", "last_step_date"] == pd.Timestamp("2024-05-20")
    assert aged.loc["all", "last_step"] == "" and aged.loc["all", "total"] == 100.0
    with pytest.raises(DataValidationError, match="collection_events.step"):
        _ledger(["a"], ["2024-03-01"], ["2024-03-31"], [100], collection_events=events.assign(step="visit"))
    with pytest.raises(DataValidationError, match="collection_events.invoice_id"):
        _ledger(["a"], ["2024-03-01"], ["2024-03-31"], [100], collection_events=events.assign(invoice_id="zz"))


def test_ageing_years_must_exceed_the_day_bounds():
    with pytest.raises(DataValidationError, match="ageing_years"):
        FeatureConfig(ageing_bounds=(30, 2000), ageing_years=3)


# ------------------------------------------------------------------ reviews due and limit validity
def _due(customers, reviews, as_of, **kw):
    from riskmodels.register import reviews_due

    return reviews_due(pd.DataFrame(customers), None if reviews is None else pd.DataFrame(reviews), as_of,
                       **kw).set_index("customer_id")


def test_year_end_review_in_the_last_months_25th_to_30th():
    """002 客户分级管理制度 5.1.1 「一般在每年末月的25—30日」 (other version 「每年初3月份的25—30日」);
    000 五 4 「每年末…年审评价报告…调整客户信用等级与授信额度」."""
    customers = {"customer_id": ["a"], "first_invoice": ["2022-05-01"]}
    held = {"customer_id": ["a"], "review_date": ["2023-12-28"], "kind": ["year_end"]}
    assert not _due(customers, held, "2024-12-24").loc["a", "year_end"]
    assert _due(customers, held, "2024-12-25").loc["a", "year_end"]
    held2 = {"customer_id": ["a", "a"], "review_date": ["2023-12-28", "2024-12-27"], "kind": ["year_end"] * 2}
    assert not _due(customers, held2, "2024-12-28").loc["a", "year_end"]
    assert _due(customers, held2, "2025-03-25", year_end_month=3).loc["a", "year_end"]
    assert not _due(customers, held2, "2025-03-24", year_end_month=3).loc["a", "year_end"]


def test_vip_quarterly_over_limit_half_yearly_new_customers_and_new_statements():
    """VIP 「不采用终身制,依季度评定」; 002 4.2 over-limit customers 半年; 「合作满六个月后,进行评估」;
    003 「每年根据客户最新年度财务报表…进行评级更新」."""
    customers = {"customer_id": ["vip", "a", "over", "new", "stm"], "tier": ["VIP", "A", "B", "C", "B"],
                 "first_invoice": ["2020-01-01", "2020-01-01", "2020-01-01", "2024-01-31", "2020-01-01"],
                 "over_limit": [False, False, True, False, False],
                 "statement_date": [None, None, None, None, "2024-04-30"],
                 "last_rated": [None, None, None, None, "2024-03-31"]}
    held = {"customer_id": ["vip", "a", "over", "stm"],
            "review_date": ["2024-09-30", "2024-09-30", "2024-01-31", "2023-12-28"],
            "kind": ["vip_quarterly", "vip_quarterly", "over_limit", "year_end"]}
    before = _due(customers, held, "2024-07-30")
    assert not before.loc["over", "over_limit"] and not before.loc["new", "new_customer"]
    on = _due(customers, held, "2024-07-31")            # six calendar months after 01-31 (满 includes it)
    assert on.loc["over", "over_limit"] and on.loc["new", "new_customer"]
    assert on.loc["stm", "new_statements"] and "003" in on.loc["stm", "why"]
    q4 = _due(customers, held, "2024-10-01")
    assert q4.loc["vip", "vip_quarterly"] and not q4.loc["a", "vip_quarterly"]
    assert not _due(customers, held, "2024-09-30").loc["vip", "vip_quarterly"]


def test_one_time_limit_lapses_when_used_and_blacklist_voids_the_limit():
    """002 五.5 「客户本次所申请的信用额度若被批准,只适用本次,若有需要,再行申请」; 000 五 5 limit 0."""
    out = _due({"customer_id": ["once", "used", "standing", "black"],
                "limit_kind": ["one_time", "one_time", "standing", "standing"],
                "limit_used": [None, "2024-05-02", "2024-05-02", None],
                "blacklisted": [False, False, False, True]}, None, "2024-06-01")
    assert out["limit_valid"].tolist() == [True, False, True, False]
    assert "只适用本次" in out.loc["used", "limit_note"] and "limit 0" in out.loc["black", "limit_note"]
    assert _due({"customer_id": ["used"], "limit_kind": ["one_time"], "limit_used": ["2024-05-02"]},
                None, "2024-05-01").loc["used", "limit_valid"]           # not yet used on that day


# ------------------------------------------------------------------ limitation period (004 第二十六条)
def test_limitation_period_runs_three_years_from_the_last_written_confirmation():
    """004 第二十六条 「定期组织对债权进行书面签认,以确保债权追索上的法律时效性」; 民法典 第一百八十八条
    (three years), 第一百九十五条 (a demand or the debtor's consent restarts it), 第二百零二条. Due
    2021-01-31, no confirmation: the period ends 2024-01-31; within 90 days → confirm in writing."""
    from riskmodels.data.features import limitation_watch

    ledger = _ledger(["a"], ["2021-01-01"], ["2021-01-31"], [100])
    assert limitation_watch(ledger, "2023-11-01")["action"].tolist() == ["ok"]               # 91 days left
    assert limitation_watch(ledger, "2023-11-02")["action"].tolist() == ["confirm in writing"]  # 90
    assert limitation_watch(ledger, "2024-01-31")["days_left"].tolist() == [0]
    assert limitation_watch(ledger, "2024-02-01")["action"].tolist() == ["lapsed"]
    events = pd.DataFrame({"customer_id": ["a", "a"], "event_date": pd.to_datetime(["2023-05-01", "2023-06-30"]),
                           "step": ["confirmation", "call"]})
    confirmed = _ledger(["a"], ["2021-01-01"], ["2021-01-31"], [100], collection_events=events)
    row = limitation_watch(confirmed, "2023-12-01").iloc[0]
    assert row["last_confirmation"] == pd.Timestamp("2023-05-01")          # the call does not count
    assert row["limitation_ends"] == pd.Timestamp("2026-05-01") and row["action"] == "ok"


# ------------------------------------------------------------------ the blacklist reaches every limit
def test_blacklist_gives_limit_zero_on_every_path(tmp_path):
    """000 五 5 / 001 「对恶意拖欠款物的客户授信额度为0,要求采用即时清结的方式或列入黑名单」: the card,
    the model, the bundle's scorer (batch and one record), SQL and the rule helpers all give 0 to a
    blacklisted customer; the others keep the limit they had; a record without the field is not
    blacklisted (the optional input ``blacklisted``)."""
    import duckdb

    from riskmodels import scoring
    from riskmodels.export.sql import to_sql
    from riskmodels.models.expert import ExpertScorecardModel
    from riskmodels.scorecards import CardEngine
    from riskmodels.scorecards.rules import credit_limit
    from tests.test_scorecards import firms

    X = firms(200, 3)
    card = CardEngine.from_spec("enterprise_five_aspect")
    plain = card.score(X).limit
    granted = np.flatnonzero(plain > 0)[:4]
    assert len(granted) == 4                                 # customers who were granted a limit
    black = np.zeros(len(X))
    black[granted[:2]] = 1.0
    Xb = X.assign(blacklisted=black)
    expected = np.where(black == 1.0, 0.0, plain)
    np.testing.assert_array_equal(card.score(Xb).limit, expected)
    y = (np.random.default_rng(0).random(len(X)) < 1 / (1 + np.exp((card.score(X).score - 45) / 6))).astype(int)
    model = ExpertScorecardModel().fit(X, y)
    np.testing.assert_array_equal(model.limit(Xb), expected)
    scorer = scoring.load_scorer(model.export(tmp_path / "card.json"))
    np.testing.assert_array_equal(scorer.score(Xb)["limit"], expected)
    np.testing.assert_array_equal(scorer.score(X)["limit"], plain)                 # absent = not blacklisted
    assert [scorer.score(Xb.iloc[i].to_dict())["limit"] for i in granted] == list(expected[granted])
    con = duckdb.connect()
    con.register("t", Xb)
    bundle = model.to_bundle()
    absent = [r["name"] for r in bundle["inputs"] if not r.get("required", True) and r["name"] not in Xb.columns]
    sql_limit = con.execute(to_sql(bundle, "duckdb", "t", absent=absent)).df()["credit_limit"].to_numpy()
    np.testing.assert_allclose(sql_limit, expected, rtol=1e-12)
    bands = [(90, 1.0), (50, 0.4), (0, 0.0)]
    assert credit_limit([95.0, 95.0], [1e3, 1e3], [800.0, 800.0], bands, blacklisted=[True, False]).tolist() == [
        0.0, 500.0]
    terms = CustomerRules.from_spec().terms(["A", "A"], [1e3, 1e3], blacklist=[True, False])
    assert terms["limit"].tolist() == [0.0, 1000.0]


def test_blacklist_in_a_grade_keyed_limit_rule(tmp_path):
    """The grade-keyed limit rule (coefficient(grade) × min(assets / 2, sales)) honours the same
    ``blacklist`` input in the scorer (batch and one record), in SQL and in PMML (evaluated by
    JPMML-Evaluator, as tests/test_pmml.py does)."""
    import sqlite3

    from jpmml_evaluator import make_evaluator

    from riskmodels import scoring
    from riskmodels.export.pmml import to_pmml
    from riskmodels.export.sql import to_sql

    bundle = scoring.seal({
        "schema_version": 1, "kind": "logistic", "name": "grade-keyed",
        "inputs": [{"name": "x", "type": "number", "missing": "error"},
                   {"name": "assets", "type": "number", "missing": "error"},
                   {"name": "sales", "type": "number", "missing": "error"},
                   {"name": "blacklisted", "type": "number", "required": False, "missing": "impute", "fill": 0.0,
                    "min": 0.0, "max": 1.0, "out_of_range": "error"}],
        "model": {"intercept": -2.0, "base_points": 0.0, "features": [
            {"name": "x", "binning": {"type": "numeric", "edges": [0.5], "missing_bin": None, "special_bins": {}},
             "coef": -1.0, "woe": [0.5, -1.5], "points": [10.0, 0.0], "best_points": 10.0}]},
        "calibration": [],
        "master_scale": {"grades": ["A", "B", "C", "D"], "upper_bounds": [0.05, 0.12, 0.5], "floor": None},
        "credit_limit": {"coefficients": {"A": 1.0, "B": 0.6, "C": 0.2}, "current_assets": "assets",
                         "monthly_sales": "sales", "blacklist": "blacklisted"}})
    rows = pd.DataFrame({"x": [0.0, 0.0, 1.0, 1.0], "assets": [100.0] * 4, "sales": [80.0] * 4,
                         "blacklisted": [0.0, 1.0, 0.0, 1.0]})
    out = scoring.Scorer(bundle).score(rows)
    # by hand: x = 0 → woe 0.5, eta = -2 - 0.5, PD = expit(-2.5) = 0.076 → B, 0.6 × min(100 / 2, 80) = 30;
    # x = 1 → woe -1.5, eta = -0.5, PD 0.378 → C, 0.2 × 50 = 10; blacklisted → 0
    assert out["grade"].tolist() == ["B", "B", "C", "C"] and out["limit"].tolist() == [30.0, 0.0, 10.0, 0.0]
    assert [scoring.Scorer(bundle).score(rows.iloc[i].to_dict())["limit"] for i in range(4)] == [30.0, 0.0, 10.0, 0.0]
    assert scoring.Scorer(bundle).score(rows.drop(columns="blacklisted"))["limit"].tolist() == [30.0, 30.0, 10.0, 10.0]
    con = sqlite3.connect(":memory:")
    rows.to_sql("t", con, index=False)
    sql = pd.read_sql_query(to_sql(bundle, "sqlite", "t", keep=[]), con)
    assert sql["credit_limit"].tolist() == [30.0, 0.0, 10.0, 0.0]
    to_pmml(bundle, tmp_path / "card.pmml")
    evaluator = make_evaluator(str(tmp_path / "card.pmml")).verify()
    assert [float(evaluator.evaluate(r)["credit_limit"]) for r in rows.to_dict("records")] == [30.0, 0.0, 10.0, 0.0]
