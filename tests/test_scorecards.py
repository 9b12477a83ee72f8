"""Expert scorecards (issue 5): specs, engine, caps, the documents' tables, rules, limits.

Sources: 003 「企业信用评级方法规则」 (five aspects, year weights 0.2/0.3/0.5, linear
interpolation between reference values), 003 「企业信用评级标准」 (10 grades, capping
indicators, re-rating at −10 points), 003 「企业环保信用等级评定办法」 (environmental
points table), 002 「个人资信等级评定办法」 (personal cut-offs and guarantee amounts),
002 「客户资信管理评估制度」/「客户分级管理制度」 and 000 「企业授信评价管理制度」 (classes,
tiers, terms, limits). Files in /work/shared/seeds.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from riskmodels import scoring
from riskmodels.errors import DataValidationError, SpecError
from riskmodels.scorecards import CardEngine, load_spec, shipped_specs
from riskmodels.scorecards.rules import CustomerRules, credit_limit
from riskmodels.scorecards.spec import (
    SPECS_DIR,
    compile_spec,
    input_rules,
    limit_rule,
    reference_curve,
)

QUAL = ["management_quality", "industry_outlook", "market_position", "contract_fulfilment"]
RATIOS = ["debt_ratio", "current_ratio", "quick_ratio", "interest_cover", "sales_margin", "roa", "roe",
          "asset_turnover", "receivables_turnover", "revenue_growth"]


def firms(n: int, seed: int = 0) -> pd.DataFrame:
    """Hand-made firms with the synthetic portfolio's column names."""
    rng = np.random.default_rng(seed)
    bounds = {"debt_ratio": (0.2, 0.95), "current_ratio": (0.5, 3), "quick_ratio": (0.3, 2),
              "interest_cover": (-2, 12), "sales_margin": (-0.05, 0.2), "roa": (-0.05, 0.12),
              "roe": (-0.1, 0.25), "asset_turnover": (0.2, 2), "receivables_turnover": (1, 15),
              "revenue_growth": (-0.2, 0.3)}
    data = {}
    for base, (lo, hi) in bounds.items():
        for suffix in ("_lag2", "_lag1", ""):
            data[base + suffix] = rng.uniform(lo, hi, n)
    data["profit_growth"] = rng.uniform(-1, 1, n)
    data["total_assets"] = rng.uniform(3e6, 2e9, n)
    data["on_time_share"] = rng.uniform(0.5, 1, n)
    for col in QUAL:
        data[col] = pd.Categorical(rng.choice(["good", "fairly good", "average", "poor"], n))
    data["current_assets"] = rng.uniform(1e6, 1e8, n)
    data["monthly_sales"] = rng.uniform(1e5, 1e7, n)
    return pd.DataFrame(data)


def worked_firm(**overrides) -> dict:
    """The firm of the hand-computed example (see test_five_aspect_worked_example)."""
    firm = {
        "total_assets": 2.0e8, "management_quality": "较好", "industry_outlook": "good",
        "revenue_growth_lag2": 0.0, "revenue_growth_lag1": 0.10, "revenue_growth": 0.20,
        "market_position": "average", "contract_fulfilment": "good", "on_time_share": 0.90,
        "profit_growth": 0.1,
        "current_assets": 4.0e7, "monthly_sales": 3.0e7,
    }
    same = {"receivables_turnover": 8.0, "asset_turnover": 0.6, "sales_margin": 0.10, "roe": 0.06,
            "current_ratio": 1.2, "quick_ratio": 0.8, "interest_cover": 8.0}
    for base, value in same.items():
        for suffix in ("_lag2", "_lag1", ""):
            firm[base + suffix] = value
    firm.update({"roa_lag2": 0.03, "roa_lag1": 0.03, "roa": 0.10,
                 "debt_ratio_lag2": 0.80, "debt_ratio_lag1": 0.90, "debt_ratio": 0.90})
    firm.update(overrides)
    return firm


@pytest.fixture(scope="module")
def enterprise():
    return CardEngine.from_spec("enterprise_five_aspect")


@pytest.fixture(scope="module")
def environmental():
    return CardEngine.from_spec("environmental")


# ------------------------------------------------------------------ worked example (by hand)
def test_five_aspect_worked_example(enterprise):
    """Every indicator of the five-aspect card computed by hand.

    Points of an indicator = aspect weight × indicator weight / 100 × score %;
    score % interpolates between the reference values (grade → its band's lower
    bound: AAA 90, AA 80, A 70, BBB 60, BB 50, CCC 30), extended linearly when
    only two grades are given (profitability and financial quality).
    """
    r = enterprise.score(worked_firm())
    expected = {
        "size": 0.40 * 15 * 0.70,                        # 2e8 = A reference → 70 %
        "management_quality": 0.60 * 15 * 0.75,          # 较好 = fairly good → 75 %
        "industry_outlook": 0.60 * 15 * 1.00,
        # 3-year weights: 0.2·0 + 0.3·0.10 + 0.5·0.20 = 0.13, between A 0.10 (70) and AAA 0.20 (90)
        "revenue_growth": 0.40 * 15 * 0.76,
        "market_position": 0.25 * 20 * 0.50,
        "contract_fulfilment": 0.25 * 20 * 1.00,
        "on_time_repayment": 0.20 * 20 * 0.60,           # 0.90 between BB 0.85 (50) and A 0.95 (70)
        "receivables_turnover": 0.15 * 20 * 0.70,
        "asset_turnover": 0.15 * 20 * 0.50,
        "sales_margin": 0.30 * 20 * 0.75,                # 0.10 between BBB 0.05 (60) and AAA 0.15 (90)
        # 0.2·0.03 + 0.3·0.03 + 0.5·0.10 = 0.065 → 60 + 30·(0.035 / 0.07) = 75 %
        "roa": 0.35 * 20 * 0.75,
        "roe": 0.35 * 20 * 0.60,
        # 0.2·0.80 + 0.3·0.90 + 0.5·0.90 = 0.88; line through (0.40, 90) and (0.65, 60):
        # 60 − 120·(0.88 − 0.65) = 32.4 %
        "debt_ratio": 0.35 * 30 * 0.324,
        "current_ratio": 0.25 * 30 * 0.60,
        "quick_ratio": 0.15 * 30 * 0.60,
        "interest_cover": 0.25 * 30 * 0.90,
    }
    got = r.indicator_points.iloc[0]
    for name, points in expected.items():
        assert got[name] == pytest.approx(points, abs=1e-9), name
    total = sum(expected.values())
    assert total == pytest.approx(69.312, abs=1e-9)
    assert r.total[0] == pytest.approx(total, abs=1e-9)
    assert r.grade_before[0] == "BBB"                    # 60 <= 69.312 < 70
    # the cap tests the firm's latest-year debt ratio 0.90 > 0.85 (issue 16 item 5; 003
    # 企业信用评级标准 caps on the firm's ratio): at best BB; the firm keeps its score
    assert r.grade[0] == "BB"
    assert r.score[0] == pytest.approx(69.312, abs=1e-9)
    assert r.caps_bound.iloc[0].to_dict() == {"debt_ratio_cap": True, "profit_growth_cap": False,
                                              "contract_cap": False, "size_cap": False,
                                              "competitiveness_cap": False, "truthfulness_cap": False}
    assert r.frame()["caps_bound"].iloc[0] == "debt_ratio_cap"       # the cap named as the reason
    assert r.aspect_points.iloc[0]["financial_quality"] == pytest.approx(
        expected["debt_ratio"] + expected["current_ratio"] + expected["quick_ratio"]
        + expected["interest_cover"], abs=1e-9)
    # reasons: the indicators that cost the most points (max − points): debt ratio loses 7.098
    assert r.reasons[0, 0] == "debt_ratio"
    # limit (002 六): the score counts at most just below the capped grade's band (BB: 50..60)
    # → coefficient 0.4; 3e7 × 0.4 × min(4e7 / 3e7, 2) / 2 = 8e6
    assert r.limit[0] == pytest.approx(3.0e7 * 0.4 * (4.0e7 / 3.0e7) / 2)


def test_cap_does_not_bind_when_the_grade_is_already_worse(enterprise):
    # a weak firm with a high debt ratio is below BB anyway: the cap is not reported as binding
    weak = worked_firm(management_quality="poor", industry_outlook="poor", market_position="poor",
                       sales_margin=-0.1, sales_margin_lag1=-0.1, sales_margin_lag2=-0.1)
    r = enterprise.score(weak)
    assert r.grade_before[0] == r.grade[0]
    assert not r.caps_bound.iloc[0]["debt_ratio_cap"]
    assert r.score[0] == r.total[0]


def test_lower_debt_lifts_cap_and_grade(enterprise):
    r = enterprise.score(worked_firm(debt_ratio_lag2=0.40, debt_ratio_lag1=0.40, debt_ratio=0.40))
    # debt ratio 0.40 = AAA reference → 90 % of 10.5 instead of 32.4 %
    assert r.total[0] == pytest.approx(69.312 + 0.35 * 30 * (0.90 - 0.324), abs=1e-9)
    assert r.grade[0] == r.grade_before[0] == "A"
    assert not r.caps_bound.to_numpy().any()


def test_multi_year_missing_lag_renormalises_weights(enterprise):
    # revenue growth lag2 missing: (0.3·0.10 + 0.5·0.20) / 0.8 = 0.1625 → 70 + 20·0.625 = 82.5 %
    r = enterprise.score(worked_firm(revenue_growth_lag2=np.nan))
    assert r.indicator_values.iloc[0]["revenue_growth"] == pytest.approx(0.1625)
    assert r.indicator_points.iloc[0]["revenue_growth"] == pytest.approx(6 * 0.825)


def test_interpolation_is_clipped_and_extrapolated_as_documented(enterprise):
    spec = load_spec("enterprise_five_aspect")
    debt = next(i for i in spec.indicators if i.name == "debt_ratio")
    xs, ys = reference_curve(spec, debt)
    # (0.40, 90), (0.65, 60) extended to 100 % at 0.40 − 10/120 and 0 % at 0.65 + 60/120
    assert xs == pytest.approx([0.40 - 10 / 120, 0.40, 0.65, 1.15])
    assert ys == [100.0, 90.0, 60.0, 0.0]
    r = enterprise.score(pd.DataFrame([worked_firm(debt_ratio_lag2=v, debt_ratio_lag1=v, debt_ratio=v)
                                       for v in (0.05, 1.5)]))
    assert r.indicator_points["debt_ratio"].tolist() == [10.5, 0.0]


def test_analyst_adjustment_bounded_and_needs_reason(enterprise):
    base = enterprise.score(worked_firm(debt_ratio=0.4, debt_ratio_lag1=0.4, debt_ratio_lag2=0.4))
    up = enterprise.score(worked_firm(debt_ratio=0.4, debt_ratio_lag1=0.4, debt_ratio_lag2=0.4,
                                      analyst_adjustment=3.0, adjustment_reason="industry upturn"))
    assert up.total[0] == pytest.approx(base.total[0] + 3.0)
    with pytest.raises(DataValidationError, match="adjustment_reason"):
        enterprise.score(worked_firm(analyst_adjustment=3.0))
    with pytest.raises(DataValidationError, match="analyst_adjustment"):
        enterprise.score(worked_firm(analyst_adjustment=8.0, adjustment_reason="too much"))


def test_rerating_trigger_at_ten_points(enterprise):
    assert enterprise.needs_rerating([75.0, 75.0, 75.0], [65.0, 65.01, 80.0]).tolist() == [True, False, False]


# ------------------------------------------------------------------ environmental points table (003)
ENV_BASE = {"discharge_compliance": 100.0, "facilities_running": 100.0, "violations": 0,
            "fee_paid_share": 100.0, "fee_on_time": "on_time", "impact_assessment": "done_accepted",
            "other_points": 0.0}


@pytest.mark.parametrize("compliance, points", [(95, 5), (99, 5), (85, 3), (94.9, 3), (60, 1), (84.9, 1),
                                                (59.9, 0)])
def test_env_discharge_compliance_rows(environmental, compliance, points):
    # 监测合格率 ≥95% → 5, ≥85% → 3, 达到60% → 1, 低于60% → 0
    r = environmental.score({**ENV_BASE, "discharge_compliance": compliance})
    assert r.indicator_points.iloc[0]["discharge_compliance"] == pytest.approx(points)


@pytest.mark.parametrize("running, points", [(100, 5), (90, 3), (99.9, 3), (80, 1), (89.9, 1), (79.9, 0)])
def test_env_facilities_rows(environmental, running, points):
    # 设施正常运转率 100% → 5, 90% → 3, 80% → 1, 低于80% → 0
    r = environmental.score({**ENV_BASE, "facilities_running": running})
    assert r.indicator_points.iloc[0]["facilities_running"] == pytest.approx(points)


@pytest.mark.parametrize("violations, points", [(0, 20), (1, 15), (2, 8), (3, 0), (5, 0)])
def test_env_violation_rows(environmental, violations, points):
    # 无 → 20, 1次 → 15, 2次 → 8, 3次 → 0
    r = environmental.score({**ENV_BASE, "violations": violations})
    assert r.aspect_points.iloc[0]["violations"] == pytest.approx(points)


@pytest.mark.parametrize("paid, timing, points", [(100, "on_time", 20), (100, "late", 15), (90, "on_time", 15),
                                                  (99, "按时", 19.5), (90, "late", 10), (60, "on_time", 0),
                                                  (80, "late", 5), (60, "late", 0), (0, "on_time", 0)])
def test_env_fee_rows(environmental, paid, timing, points):
    # 003 企业环保信用等级评定办法 三(三) 缴纳排污费 (20分): 按时足额 → 20, 足额但不按时 → 15,
    # 每少缴一个百分点扣0.5分, down to 0: 60 % on time = 20 − 0.5·40 = 0 (issue 16 item 6)
    r = environmental.score({**ENV_BASE, "fee_paid_share": paid, "fee_on_time": timing})
    assert r.aspect_points.iloc[0]["fees"] == pytest.approx(points)


@pytest.mark.parametrize("status, points", [("done_accepted", 10), ("done_not_accepted_no_pollution", 5),
                                            ("not_done", 0)])
def test_env_impact_assessment_rows(environmental, status, points):
    # 执行率100%且通过验收 → 10; 未通过验收、未造成污染 → 5; 未执行 → 0
    r = environmental.score({**ENV_BASE, "impact_assessment": status})
    assert r.aspect_points.iloc[0]["impact_assessment"] == pytest.approx(points)


@pytest.mark.parametrize("other, grade", [(30.0, "A"), (29.9, "B"), (20.0, "B"), (19.9, "C"), (0.0, "C")])
def test_env_grade_bands(environmental, other, grade):
    # the table gives 60 points at best; A ≥ 90, B 80–90, C 60–80, D < 60
    assert environmental.score({**ENV_BASE, "other_points": other}).grade[0] == grade


def test_env_grade_d_and_promotion(environmental):
    r = environmental.score({**ENV_BASE, "violations": 3, "fee_paid_share": 70.0, "fee_on_time": "late"})
    assert r.total[0] == pytest.approx(20.0) and r.grade[0] == "D"
    # 连续两年A → AA, 连续三年A → AAA
    assert environmental.promote(["A", "A"]) == "AA"
    assert environmental.promote(["C", "A", "A", "A"]) == "AAA"
    assert environmental.promote(["A", "A", "B"]) == "B"
    assert environmental.promote(["A"]) == "A"


# ------------------------------------------------------------------ personal card (002)
PERSON = {"age": 40, "marital_status": "已婚", "health": "good", "education": "postgraduate",
          "household_registration": "local_urban", "employer_type": "government", "employer_condition": "好",
          "industry_prospects": "good", "position": "senior_manager", "years_in_position": 12, "title": "senior",
          "monthly_income": 30000.0, "dependants": 0, "home": "owned_no_mortgage",
          "bank_relationship": "deposits_and_loans_repaid", "officer_impression": "good"}


def test_personal_cutoffs_and_guarantee_amounts():
    card = CardEngine.from_spec("personal")
    c = card.compiled
    scores = np.array([100, 95, 94.99, 90, 89.99, 80, 79.99, 70, 69.99, 60, 59.99, 50, 49.99, 0])
    got = np.asarray(c["grades"])[scoring.expert_grade_index(c["lower_bounds"], scores)].tolist()
    assert got == ["AAA", "AAA", "AA", "AA", "A", "A", "BBB", "BBB", "BB", "BB", "B", "B", "none", "none"]
    assert card.spec.grade_amounts == {"AAA": 300000, "AA": 250000, "A": 200000, "BBB": 150000,
                                       "BB": 100000, "B": 50000, "none": 0}
    best = card.score(PERSON)
    assert best.score[0] == pytest.approx(100.0) and best.grade[0] == "AAA" and best.amount[0] == 300000
    weaker = card.score({**PERSON, "officer_impression": "poor", "monthly_income": 3000.0})
    # impression 10 points lost; income at the B reference 3000 → 50 % of 12.5 points
    assert weaker.score[0] == pytest.approx(100 - 10 - 12.5 * 0.5)
    assert weaker.grade[0] == "A" and weaker.amount[0] == 200000


# ------------------------------------------------------------------ every shipped spec scores
def test_every_shipped_spec_loads_and_scores():
    assert set(shipped_specs()) == {"enterprise_five_aspect", "bank_15_grade", "personal", "environmental"}
    frames = {"enterprise_five_aspect": firms(300), "bank_15_grade": firms(300),
              "personal": pd.DataFrame([PERSON, {**PERSON, "age": 22, "health": "poor"}]),
              "environmental": pd.DataFrame([ENV_BASE, {**ENV_BASE, "violations": 2}])}
    for name in shipped_specs():
        card = CardEngine.from_spec(name)
        r = card.score(frames[name])
        assert len(r) == len(frames[name])
        assert np.all((r.score >= 0) & (r.score <= 100))
        assert set(r.grade) <= set(card.grades)
        # points add up: indicators → aspects → total
        assert np.allclose(r.indicator_points.sum(axis=1), r.aspect_points.sum(axis=1))


def test_bank_card_uses_its_15_grades_and_classes():
    card = CardEngine.from_spec("bank_15_grade")
    assert card.grades == ["AAA", "AA", "A", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B+", "B-",
                           "CCC", "CC", "C", "D"]
    r = card.score(firms(400, seed=3))
    # classes by letter (issue 16 item 8), as enterprise10 puts BBB/BB/B in B: B+ and B- are B
    cls = dict(zip(card.grades, ["A"] * 3 + ["B"] * 8 + ["C"] * 3 + ["D"], strict=True))
    assert [cls[g] for g in r.grade] == r.grade_class.tolist()
    # same indicators as the enterprise card: identical points before caps
    ent = CardEngine.from_spec("enterprise_five_aspect").score(firms(400, seed=3))
    np.testing.assert_array_equal(r.total, ent.total)


def test_synthetic_portfolio_scores_and_ranks_risk():
    from sklearn.metrics import roc_auc_score

    from riskmodels.data.synthetic import make_portfolio

    frame = make_portfolio(n_firms=300, n_years=3, random_state=1).firm_years
    for name in ("enterprise_five_aspect", "bank_15_grade"):
        r = CardEngine.from_spec(name).score(frame)
        assert len(r) == len(frame) and not np.isnan(r.score).any()
        # higher points = safer: the card must rank defaulters below survivors
        assert roc_auc_score(frame["default"], -r.score) > 0.7


def test_single_record_and_list_of_records(enterprise):
    one = enterprise.score(worked_firm())
    many = enterprise.score([worked_firm(), worked_firm(debt_ratio=0.4)])
    assert len(one) == 1 and len(many) == 2
    assert many.score[0] == one.score[0]


# ------------------------------------------------------------------ views
def test_html_views(enterprise):
    page = enterprise._repr_html_()
    assert "<table" in page and "debt_ratio" in page and "资产负债率" in page and "debt_ratio_cap" in page
    r = enterprise.score(worked_firm())
    b = r.breakdown(0)
    assert b.table["points"].sum() == pytest.approx(r.total[0])
    assert "capped from BBB by debt_ratio_cap" in b._repr_html_()
    assert "debt_ratio_cap" in b.summary()
    assert "<table" in r._repr_html_() and "BB" in r.summary()
    frame = r.frame()
    assert frame.loc[0, "caps_bound"] == "debt_ratio_cap" and frame.loc[0, "reason_1"] == "debt_ratio"
    assert "management_quality" in enterprise.summary()


def test_breakdown_plot(enterprise):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = enterprise.score(worked_firm()).breakdown(0).plot()
    assert len(ax.patches) == 2 * 16 and "grade BB" in ax.get_title()
    plt.close(ax.figure)


# ------------------------------------------------------------------ bad input
def test_missing_column_named(enterprise):
    firm = worked_firm()
    del firm["debt_ratio"]
    with pytest.raises(DataValidationError, match="'debt_ratio': missing column"):
        enterprise.score(firm)


def test_unknown_answer_named(enterprise):
    with pytest.raises(DataValidationError, match="market_position"):
        enterprise.score(worked_firm(market_position="excellent"))


def test_missing_current_year_refused_but_roe_scores_worst(enterprise):
    with pytest.raises(DataValidationError, match="current_ratio"):
        enterprise.score(worked_firm(current_ratio=np.nan))
    r = enterprise.score(worked_firm(roe=np.nan))   # negative equity: ROE undefined → lowest points
    assert r.indicator_points.iloc[0]["roe"] == 0.0


def test_bad_records_type(enterprise):
    with pytest.raises(DataValidationError, match="records"):
        enterprise.score(42)


# ------------------------------------------------------------------ invalid specs → SpecError with the path
def _enterprise_dict() -> dict:
    return yaml.safe_load((SPECS_DIR / "enterprise_five_aspect.yaml").read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "card.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _breaks(tmp_path, mutate, path, match):
    data = _enterprise_dict()
    mutate(data)
    with pytest.raises(SpecError, match=match) as info:
        load_spec(_write(tmp_path, data))
    assert info.value.path == path
    assert "card.yaml" in str(info.value)


def test_spec_aspect_weights_must_sum_to_100(tmp_path):
    _breaks(tmp_path, lambda d: d["aspects"][0].update(weight=20), "aspects", "sum to 105")


def test_spec_indicator_weights_must_sum_to_100(tmp_path):
    _breaks(tmp_path, lambda d: d["aspects"][2]["indicators"][0].update(weight=30),
            "aspects[2].indicators", "sum to 105")


def test_spec_reference_values_must_be_monotone(tmp_path):
    def mutate(d):
        d["aspects"][2]["indicators"][2]["reference"] = {"AAA": 0.99, "A": 0.80, "BB": 0.85, "CCC": 0.6}
    _breaks(tmp_path, mutate, "aspects[2].indicators[2].reference", "fall strictly")


def test_spec_reference_unknown_grade(tmp_path):
    _breaks(tmp_path, lambda d: d["aspects"][4]["indicators"][0]["reference"].update(ZZZ=0.5),
            "aspects[4].indicators[0].reference.ZZZ", "unknown grade")


def test_spec_cap_unknown_indicator(tmp_path):
    _breaks(tmp_path, lambda d: d["caps"][0].update(indicator="leverage"), "caps[0].indicator",
            "unknown indicator 'leverage'")


def test_spec_cap_unknown_grade(tmp_path):
    _breaks(tmp_path, lambda d: d["caps"][1].update(max_grade="B+"), "caps[1].max_grade", "unknown grade 'B\\+'")


def test_spec_overlapping_grade_bands(tmp_path):
    _breaks(tmp_path, lambda d: d["grades"][3].update(max=72), "grades[3].max", "overlaps")


def test_spec_gap_between_bands(tmp_path):
    _breaks(tmp_path, lambda d: d["grades"][3].update(max=68), "grades[3].max", "gap")


def test_spec_unknown_field_and_kind(tmp_path):
    _breaks(tmp_path, lambda d: d["aspects"][1]["indicators"][1].update(weigth=3),
            "aspects[1].indicators[1].weigth", "Extra inputs")
    _breaks(tmp_path, lambda d: d["aspects"][1]["indicators"][1].update(kind="formula"),
            "aspects[1].indicators[1].kind", "numeric")


def test_spec_bad_yaml(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\naspects: [\n  - {name: a\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML") as info:
        load_spec(path)
    assert info.value.path.startswith("line ")


def test_spec_is_data_not_code(tmp_path):
    # safe_load refuses Python object tags: a spec cannot run code
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo hacked']\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(path)


def test_unknown_shipped_name():
    with pytest.raises(SpecError, match="no shipped spec 'nope'"):
        load_spec("nope")


def test_compiled_spec_is_json_and_input_rules_cover_columns():
    spec = load_spec("enterprise_five_aspect")
    compiled = compile_spec(spec)
    assert scoring.canonical_bytes({"model": compiled})  # JSON without NaN / objects
    names = {r["name"] for r in input_rules(spec)}
    assert {"debt_ratio", "debt_ratio_lag1", "debt_ratio_lag2", "management_quality", "profit_growth",
            "analyst_adjustment", "current_assets", "monthly_sales"} <= names
    lag = next(r for r in input_rules(spec) if r["name"] == "debt_ratio_lag2")
    assert lag["missing"] == "allow"


# ------------------------------------------------------------------ rules: classes, tiers, terms, limits
@pytest.fixture(scope="module")
def rules():
    return CustomerRules.from_spec()


def _customers():
    return pd.DataFrame({
        "tenure_months": [36, 36, 8, 36, 3],
        "dpd_max_12m": [0, 120, 10, 45, 0],
        "dpd_max_24m": [0, 150, 10, 45, 0],
        "dpd_current": [0, 95, 0, 10, 0],
        "contract_fulfilment": ["good", "good", "fairly good", "average", "好"],
        "roa": [0.05, 0.05, 0.05, 0.02, 0.04], "roa_lag1": [0.04, 0.04, 0.04, -0.01, 0.03],
        "debt_ratio": [0.5, 0.5, 0.5, 0.7, 0.5],
        "on_time_share": [0.97, 0.3, 0.92, 0.8, 0.99],
        "n_invoices": [30, 30, 30, 30, 3],
        "volume_share": [0.2, 0.2, 0.2, 0.2, 0.001],
        "revenue": [25e6, 6e6, 2e6, 5e5, 8e6],
        "malicious_default": [False, True, False, False, False],
    })


def test_abc_rule_set(rules):
    # row 0 meets all A conditions; row 1 had 90+ days arrears (C); row 2: < 1 year of business (B);
    # row 3: neither; row 4: only 3 months of business → not A
    assert rules.classify(_customers(), "abc").tolist() == ["A", "C", "B", "B", "B"]


def test_risk_classes_and_downgrade(rules):
    frame = _customers()
    classes = rules.classify(frame, "risk")
    assert classes.tolist() == ["A", "D", "B", "B", "C"]
    # classes from an earlier review (priced_in=False): 10 and 45 days late → one notch each
    # (B → C; 000 5 downgrades every late payer, no grace); the malicious defaulter → D and the blacklist
    down = rules.downgrade(classes, frame, priced_in=False)
    assert down["class"].tolist() == ["A", "D", "C", "C", "C"]
    assert down["blacklist"].tolist() == [False, True, False, False, False]
    terms = rules.terms(down["class"].tolist(), [1000.0] * 5, down["blacklist"])
    assert terms["limit"].tolist() == [1000.0, 0.0, 0.0, 0.0, 0.0]
    assert terms["credit_days"].tolist() == [60, 0, 0, 0, 0]
    assert terms.loc[1, "payment"] == "blacklist"


def test_value_tiers_and_new_customers(rules):
    tiers = rules.value_tier(_customers())
    # VIP > 20M, A 5–20M, B 1–5M, C < 1M; the 3-month customer starts at C whatever its sales
    assert tiers["tier"].tolist() == ["VIP", "A", "B", "C", "C"]
    due = rules.value_tier(pd.DataFrame({"revenue": [2e6, 2e6], "tenure_months": [6, 7]}))
    assert due["tier"].tolist() == ["B", "B"] and due["review_due"].tolist() == [True, False]


def test_rules_bad_input(rules):
    with pytest.raises(DataValidationError, match="on_time_share"):
        rules.classify(_customers().drop(columns="on_time_share"), "abc")
    with pytest.raises(SpecError, match="unknown rule set"):
        rules.classify(_customers(), "xyz")
    with pytest.raises(DataValidationError, match="no terms"):
        rules.terms(["Z"], [1.0])


def test_rules_spec_errors(tmp_path):
    data = yaml.safe_load((SPECS_DIR / "customer_rules.yaml").read_text(encoding="utf-8"))
    data["rulesets"]["abc"]["classes"].append({"class": "X", "all": [{"column": "a", "op": ">", "value": 1}]})
    with pytest.raises(SpecError) as info:
        CustomerRules.from_dict(data)
    assert info.value.path == "rulesets.abc.classes[2]"
    data = yaml.safe_load((SPECS_DIR / "customer_rules.yaml").read_text(encoding="utf-8"))
    data["value_tiers"]["tiers"][1]["min"] = 3e7
    with pytest.raises(SpecError, match="highest minimum"):
        CustomerRules.from_dict(data)


def test_credit_limit_formula():
    """002 「客户资信评估管理办法」 六 (OPPLE): 授信金额 = 月均签约销量 × 对应得分系数 ×
    流动资产/月均签约销量 / 2, the ratio counted at most 2; 五.4: at most this year's monthly
    contracted sales and half of quarter-end current assets. Coefficient keyed to the score.

    By hand, bands 90 → 1.0, 70 → 0.8, 0 → 0:
    (1) score 95, CA 1e6, sales 3e5: ratio 3.33 → 2; 3e5 × 1.0 × 2 / 2 = 3e5 (= sales bound)
    (2) score 75, CA 1e6, sales 8e5: ratio 1.25; 8e5 × 0.8 × 1.25 / 2 = 4e5 (= 0.8 × CA / 2)
    (3) score 70 (band edge, inclusive), CA 4e5, sales 1e6: 1e6 × 0.8 × 0.4 / 2 = 1.6e5
    (4) score 69.99: coefficient 0 → 0
    """
    bands = [(90, 1.0), (70, 0.8), (0, 0.0)]
    got = credit_limit([95.0, 75.0, 70.0, 69.99], [1.0e6, 1.0e6, 4.0e5, 1.0e6], [3.0e5, 8.0e5, 1.0e6, 3.0e5],
                       bands)
    np.testing.assert_allclose(got, [3.0e5, 4.0e5, 1.6e5, 0.0], rtol=1e-12)
    # a coefficient above 1 is bounded by 五.4: at most the monthly sales and half the assets
    over = credit_limit([95.0], [1.0e6], [3.0e5], [(0, 1.5)])
    assert over.tolist() == [3.0e5]


def test_cap_on_an_answer_also_catches_its_chinese_alias(enterprise):
    # contract fulfilment 差 (= poor) fails the 履约 cap: at best BB
    strong = dict(debt_ratio=0.4, debt_ratio_lag1=0.4, debt_ratio_lag2=0.4)
    good = enterprise.score(worked_firm(**strong))
    poor = enterprise.score(worked_firm(contract_fulfilment="差", **strong))
    assert good.grade[0] == "A" and poor.grade[0] == "BB"
    assert poor.caps_bound.iloc[0]["contract_cap"]
    # 0 % of 5 points instead of 100 %
    assert poor.total[0] == pytest.approx(good.total[0] - 5.0)


def test_spec_cap_answer_and_operator_checked(tmp_path):
    _breaks(tmp_path, lambda d: d["caps"][2].update(value=["terrible"]), "caps[2].value", "unknown answer")
    _breaks(tmp_path, lambda d: d["caps"][2].update(op=">", value=1.0), "caps[2].op", "categorical")


def test_spec_base_file_and_cycle(tmp_path):
    (tmp_path / "a.yaml").write_text("base: b.yaml\nname: a\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("base: a.yaml\nname: b\n", encoding="utf-8")
    with pytest.raises(SpecError, match="cycle"):
        load_spec(tmp_path / "a.yaml")
    variant = tmp_path / "variant.yaml"
    variant.write_text(f"base: {SPECS_DIR / 'environmental.yaml'}\nname: env_variant\n", encoding="utf-8")
    spec = load_spec(variant)
    assert spec.name == "env_variant" and len(spec.aspects) == 5


# ------------------------------------------------------------------ review fixes
def test_unknown_spec_error_lists_only_scorecards():
    # customer_rules.yaml is the rules file, not a scorecard: the error lists what load_spec accepts
    for name in ("nope", "customer_rules"):
        with pytest.raises(SpecError, match="no shipped spec") as info:
            load_spec(name)
        assert str(shipped_specs()) in str(info.value) and "customer_rules" not in str(info.value).split(";")[1]


def test_missing_spec_or_base_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError, match="file not found"):
        load_spec(tmp_path / "absent.yaml")
    (tmp_path / "v.yaml").write_text("base: gone.yaml\nname: v\n", encoding="utf-8")
    with pytest.raises(SpecError, match="file not found"):
        load_spec(tmp_path / "v.yaml")
    with pytest.raises(SpecError, match="file not found"):
        CustomerRules.from_spec(tmp_path / "absent.yaml")
    (tmp_path / "bad.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML") as info:
        CustomerRules.from_spec(tmp_path / "bad.yaml")
    assert "line" in info.value.path


def test_grade_classes_must_cover_every_grade(tmp_path):
    def partial(d):
        d["grade_classes"] = {"AAA": "A"}
    _breaks(tmp_path, partial, "grade_classes", "every grade needs a class")


def test_short_reprs(enterprise):
    result = enterprise.score(firms(3))
    text = repr(result)
    assert text.startswith("ScoreResult(enterprise_five_aspect: 3 record(s), mean score ")
    assert "\n" not in text
    one = repr(result.breakdown(0))
    assert one.startswith("RecordBreakdown(score ") and "indicators)" in one and "\n" not in one


def test_limit_is_the_bundle_formula(enterprise):
    frame = firms(50)
    r = enterprise.score(frame)
    bands = [(b.min, b.coefficient) for b in enterprise.spec.credit_limit.coefficients]
    coef = np.array([next(c for m, c in bands if s >= m) for s in r.limit_basis])
    ms, ca = frame["monthly_sales"].to_numpy(), frame["current_assets"].to_numpy()
    expected = ms * coef * np.minimum(ca / ms, 2.0) / 2.0          # 002 六, as written
    np.testing.assert_allclose(r.limit, expected, rtol=1e-12)
    uncapped = ~r.caps_bound.any(axis=1).to_numpy()
    np.testing.assert_array_equal(r.limit_basis[uncapped], r.score[uncapped])


def test_adjustment_without_reason_names_rows(enterprise):
    frame = firms(8).assign(analyst_adjustment=[0, 2, 0, 1, 1, 1, 1, 1], adjustment_reason=None)
    with pytest.raises(DataValidationError, match=r"adjustment_reason.*in 6 row\(s\): \[1, 3, 4, 5, 6\] \(\+1 more\)"):
        enterprise.score(frame)


def test_class_rule_with_all_and_any_is_refused():
    data = yaml.safe_load((SPECS_DIR / "customer_rules.yaml").read_text(encoding="utf-8"))
    data["rulesets"]["risk"]["classes"][2]["any"] = [{"column": "n_invoices", "op": "<", "value": 1}]
    with pytest.raises(SpecError, match="'all' or 'any'") as info:
        CustomerRules.from_dict(data)
    assert info.value.path == "rulesets.risk.classes[2]"
    data = yaml.safe_load((SPECS_DIR / "customer_rules.yaml").read_text(encoding="utf-8"))
    data["rulesets"]["risk"]["classes"][2]["all"] = []
    with pytest.raises(SpecError, match="non-empty"):
        CustomerRules.from_dict(data)


def test_review_due_with_fractional_tenure(rules):
    # payment_features gives tenure in fractional calendar months
    due = rules.value_tier(pd.DataFrame({"revenue": [2e6] * 4, "tenure_months": [5.9, 6.0, 6.4, 7.0]}))
    assert due["review_due"].tolist() == [False, True, True, False]


def test_downgrade_bad_classes(rules):
    frame = _customers()
    with pytest.raises(DataValidationError, match=r"unknown classes \['Z'\]"):
        rules.downgrade(["A", "Z", "B", "B", "C"], frame)
    with pytest.raises(DataValidationError, match="one class per row"):
        rules.downgrade(["A", "B"], frame)


def test_numeric_condition_on_text_names_the_rows(rules):
    frame = _customers().assign(on_time_share=["0.97", "high", 0.92, 0.8, None])
    with pytest.raises(DataValidationError, match=r"on_time_share.*not numbers in 1 row\(s\): \[1\]"):
        rules.classify(frame, "abc")


# ------------------------------------------------------------------ issue 16: the documents' rules, exactly
LOW_DEBT = dict(debt_ratio_lag2=0.40, debt_ratio_lag1=0.40, debt_ratio=0.40)


def test_capped_firm_keeps_its_score_and_names_the_cap(enterprise):
    """003 企业信用评级标准 (4) 等级限定指标: a failing cap limits the grade whatever the score.

    The worked firm with an AAA debt ratio (0.40 → 90 %: 0.35·30·0.9 = 9.45 points instead of
    3.402) scores 69.312 − 3.402 + 9.45 = 75.36 = A. With untrue statements (报表真实性, the
    sixth capping indicator) it is capped at BB: the score stays 75.36, the grade is BB, the
    reason is the cap, and the limit reads at most the top of the BB band (coefficient 0.4).
    """
    clean = enterprise.score(worked_firm(**LOW_DEBT))
    assert clean.score[0] == pytest.approx(75.36, abs=1e-9) and clean.grade[0] == "A"
    untrue = enterprise.score(worked_firm(**LOW_DEBT, statements_truthful=0))
    assert untrue.score[0] == pytest.approx(75.36, abs=1e-9)
    assert untrue.grade_before[0] == "A" and untrue.grade[0] == "BB"
    assert untrue.frame()["caps_bound"].iloc[0] == "truthfulness_cap"
    # 002 六: 3e7 × 0.8 × (4e7 / 3e7) / 2 = 1.6e7 uncapped; 0.4 when capped at BB
    assert clean.limit[0] == pytest.approx(1.6e7) and untrue.limit[0] == pytest.approx(8.0e6)
    verified = enterprise.score(worked_firm(**LOW_DEBT, statements_truthful=1))
    assert verified.grade[0] == "A"


@pytest.mark.parametrize("period, lags, latest, capped", [
    # latest-year reading (default): the firm's ratio this year
    ("latest", (0.50, 0.50), 0.90, True),     # weighted 0.70, latest 0.90 > 0.85
    ("latest", (0.90, 0.90), 0.80, False),    # weighted 0.85 (not > 0.85), latest 0.80
    ("weighted", (0.50, 0.50), 0.90, False),  # 0.2·0.5 + 0.3·0.5 + 0.5·0.9 = 0.70
    ("weighted", (0.95, 0.95), 0.80, True),   # 0.19 + 0.285 + 0.40 = 0.875 > 0.85
])
def test_debt_ratio_cap_period(period, lags, latest, capped):
    """003 企业信用评级标准: the debt-ratio cap is on the firm's ratio (latest year, default);
    ``period: weighted`` is the option testing the 0.2/0.3/0.5 weighted ratio."""
    data = yaml.safe_load((SPECS_DIR / "enterprise_five_aspect.yaml").read_text(encoding="utf-8"))
    data["caps"][0]["period"] = period
    card = CardEngine.from_dict(data)
    r = card.score(worked_firm(debt_ratio_lag2=lags[0], debt_ratio_lag1=lags[1], debt_ratio=latest))
    assert bool(r.caps_bound["debt_ratio_cap"].iloc[0]) is capped
    assert (r.grade[0] == "BB") is capped


def test_default_definition_gives_d_and_a_low_score_does_not():
    """003 村镇银行客户信用评级管理办法 第五条: D 级为违约级别. An obligor meeting the default
    definition is D with limit 0 whatever its score; a score below the lowest band is C."""
    card = CardEngine.from_spec("bank_15_grade")
    strong = worked_firm(**LOW_DEBT)                     # 75.36 → BBB+ (75..80) on the bank scale
    r = card.score([strong, {**strong, "in_default": 1}])
    assert r.grade.tolist() == ["BBB+", "D"] and r.grade_class.tolist() == ["B", "D"]
    assert r.score[1] == pytest.approx(75.36, abs=1e-9)
    # 3e7 × 0.8 × (4e7 / 3e7) / 2 = 1.6e7 for BBB+ (band 75 → 0.8); D → 0
    assert r.limit.tolist() == [pytest.approx(1.6e7), 0.0]
    weak = {**worked_firm(), "management_quality": "poor", "industry_outlook": "poor",
            "market_position": "poor", "contract_fulfilment": "poor", "on_time_share": 0.5,
            "total_assets": 1.0e6}
    for base in ("revenue_growth", "sales_margin", "roa", "roe", "current_ratio", "quick_ratio",
                 "interest_cover", "receivables_turnover", "asset_turnover", "debt_ratio"):
        for suffix in ("_lag2", "_lag1", ""):
            weak[base + suffix] = -1.0 if base != "debt_ratio" else 0.99
    weak.update(analyst_adjustment=-5.0, adjustment_reason="industry in decline")   # 10.09 − 5
    w = card.score(weak)
    assert w.score[0] < 10 and w.grade[0] == "C" and not w.in_default[0]
    assert CardEngine.from_spec("enterprise_five_aspect").score(weak).grade[0] == "C"


def test_bank_card_limit_coefficient_for_every_grade_or_spec_error(tmp_path):
    """Issue 16 item 2: every graded score has a limit coefficient, or the spec is refused."""
    data = yaml.safe_load((SPECS_DIR / "bank_15_grade.yaml").read_text(encoding="utf-8"))
    data["credit_limit"]["coefficients"] = data["credit_limit"]["coefficients"][:-1]  # no band below 40
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (tmp_path / "enterprise_five_aspect.yaml").write_text(
        (SPECS_DIR / "enterprise_five_aspect.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(SpecError, match=r"\['CCC', 'CC', 'C'\] have no limit coefficient") as info:
        load_spec(path)
    assert info.value.path == "credit_limit.coefficients"
    # the shipped bank card: scores 47 (B+) and 42 (B-) get their coefficients 0.2 and 0.1, never 0
    spec = load_spec("bank_15_grade")
    compiled = compile_spec(spec)
    scores = np.array([47.0, 42.0])
    grades = np.asarray(compiled["grades"], dtype=object)[
        scoring.expert_grade_index(compiled["lower_bounds"], scores)]
    assert grades.tolist() == ["B+", "B-"]
    limit = scoring.credit_limit(limit_rule(spec), grades, {"current_assets": np.array([4.0e6, 4.0e6]),
                                                            "monthly_sales": np.array([3.0e6, 3.0e6])}, scores)
    np.testing.assert_allclose(limit, [3.0e6 * 0.2 * (4 / 3) / 2, 3.0e6 * 0.1 * (4 / 3) / 2], rtol=1e-12)


def test_document_b_customer_stays_b(rules):
    """002 客户资信调查管理办法 第四条: "B类用户 … 偶有拖欠货款记录,经催收能归还". A customer 65
    days late once, paid after chasing (nothing open now), is B; classify → downgrade must not
    count the same lateness again (issue 16 item 3), so it stays B with B's terms (000)."""
    frame = pd.DataFrame({"dpd_current": [0], "dpd_max_12m": [65], "dpd_max_24m": [65],
                          "n_invoices": [24], "volume_share": [0.1], "on_time_share": [0.8],
                          "malicious_default": [False]})
    classes = rules.classify(frame, "risk")
    assert classes.tolist() == ["B"]
    down = rules.downgrade(classes, frame)
    assert down["class"].tolist() == ["B"] and down["notches"].tolist() == [0]
    terms = rules.terms(down["class"].tolist(), [1000.0])
    assert terms[["limit", "credit_days", "payment"]].values.tolist() == [[600.0, 30, "credit"]]
    # the same lateness on an A customer of last year's review (not priced in) costs 2 notches
    assert rules.downgrade(["A"], frame, priced_in=False)["class"].tolist() == ["C"]
    # under the A/B/C rules the 65 days are priced in as well (B admits < 90 in 24 months)
    abc = frame.assign(tenure_months=40, contract_fulfilment="good", roa=0.05, roa_lag1=0.05, debt_ratio=0.5)
    assert rules.classify(abc, "abc").tolist() == ["B"]
    assert rules.downgrade(["B"], abc, ruleset="abc")["class"].tolist() == ["B"]


def test_past_two_years_reads_24_months(rules):
    """002 客户资信管理评估制度 4.4.1.4: A needs no bad arrears 过去2年内 (past two years); C
    any 过往2年内. An invoice 95 days late 20 months ago is outside 12 months but inside 24."""
    from riskmodels.data.features import payment_features
    from riskmodels.data.ledger import Ledger

    inv = pd.DataFrame({"customer_id": ["c", "c"], "invoice_id": ["1", "2"],
                        "issue_date": pd.to_datetime(["2022-04-01", "2023-11-01"]),
                        "due_date": pd.to_datetime(["2022-05-01", "2023-12-01"]),
                        "amount": [100.0, 100.0]})
    pay = pd.DataFrame({"invoice_id": ["1", "2"], "payment_date": pd.to_datetime(["2022-08-04", "2023-11-20"]),
                        "amount": [100.0, 100.0]})
    f = payment_features(Ledger(inv, pay), "2023-12-31")
    assert f["dpd_max_12m"].iloc[0] == 0 and f["dpd_max_24m"].iloc[0] == 95   # 2022-05-01 → 08-04
    firm = f.assign(tenure_months=40, contract_fulfilment="good", roa=0.05, roa_lag1=0.05, debt_ratio=0.5,
                    on_time_share=1.0)
    assert rules.classify(firm, "abc").tolist() == ["C"]                      # 90+ in the past 2 years
    assert rules.classify(firm.assign(dpd_max_24m=0), "abc").tolist() == ["A"]


def test_classes_by_letter_on_both_cards():
    """Issue 16 item 8 (domain §1: any grouping is a documented default: group by letter)."""
    ent = CardEngine.from_spec("enterprise_five_aspect").spec.grade_classes
    bank = CardEngine.from_spec("bank_15_grade").spec.grade_classes
    for classes in (ent, bank):
        for grade, cls in classes.items():
            assert cls == ("D" if grade == "D" else grade[0]), grade


# ------------------------------------------------------------------ issue 16: ageing, bad debt, warnings (004, 002)
def _old_ledger():
    from riskmodels.data.ledger import Ledger

    inv = pd.DataFrame({"customer_id": ["a", "a", "b", "c"], "invoice_id": ["a1", "a2", "b1", "c1"],
                        "issue_date": pd.to_datetime(["2019-12-01", "2023-06-01", "2020-11-01", "2023-10-01"]),
                        "due_date": pd.to_datetime(["2020-01-01", "2023-07-01", "2020-12-31", "2023-11-01"]),
                        "amount": [100.0, 50.0, 80.0, 40.0]})
    pay = pd.DataFrame({"invoice_id": ["a1"], "payment_date": pd.to_datetime(["2021-01-01"]), "amount": [30.0]})
    wo = pd.DataFrame({"customer_id": ["b"], "write_off_date": pd.to_datetime(["2024-01-15"]),
                       "amount": [80.0], "reason": ["unpaid over 3 years"], "invoice_id": ["b1"]})
    return Ledger(inv, pay, write_offs=wo)


def test_ageing_has_an_over_three_years_bucket():
    """004 清欠管理制度 第十四条 3: 较长时期内(一般指3年以上)未履行: the ageing table separates debts
    aged three calendar years or more. At 2024-03-31, a1 (issued 2019-12-01) is 3 years or more
    with 70 open; a2 (304 days) 181–365; c1 (182 days) 181–365."""
    from riskmodels.data.features import ageing_report

    table = ageing_report(_old_ledger(), "2024-03-31")
    assert table.loc["a", "age_3y_or_more"] == 70.0 and table.loc["a", "age_181_365"] == 50.0
    assert table.loc["c", "age_181_365"] == 40.0
    assert "b" not in table.index      # b1 was written off on 2024-01-15: no longer open debt (第十八条)
    assert table.loc["all", "age_366_under_3y"] == 0.0


def test_bad_debt_candidates():
    """004 清欠管理制度 第十四条: bad debt when the debtor died / went bankrupt, or unpaid 3 years or
    more; 第十八条: written-off debts are tracked (b1 was written off on 2024-01-15 → not listed)."""
    from riskmodels.data.features import bad_debt_candidates

    ledger = _old_ledger()
    early = bad_debt_candidates(ledger, "2024-01-10")           # before b1's write-off
    assert early["invoice_id"].tolist() == ["a1", "b1"]
    assert early["days_past_due"].tolist() == [(pd.Timestamp("2024-01-10") - pd.Timestamp("2020-01-01")).days,
                                               (pd.Timestamp("2024-01-10") - pd.Timestamp("2020-12-31")).days]
    assert early["open_amount"].tolist() == [70.0, 80.0]
    late = bad_debt_candidates(ledger, "2024-03-31", events=pd.DataFrame({"customer_id": ["c"],
                                                                         "event": ["bankruptcy"]}))
    assert late[["invoice_id", "reason"]].values.tolist() == [["a1", "unpaid 3 years or more"], ["c1", "bankruptcy"]]
    with pytest.raises(DataValidationError, match="events.event"):
        bad_debt_candidates(ledger, "2024-03-31", events=pd.DataFrame({"customer_id": ["c"], "event": ["fled"]}))


def test_warning_signals_raise_a_warning_and_rerating():
    """002 客户资信调查管理办法 第五条 危险信号: 办公地点由高档向低档搬迁; 频繁转换管理层、业务人员;
    受到法律诉讼、仲裁 — and 第四条: report them and re-rate the customer."""
    from riskmodels.data.features import early_warning

    signals = pd.DataFrame({"customer_id": ["c", "a"], "office_moved_down": [True, False],
                            "lawsuits": [True, False]})
    ew = early_warning(_old_ledger(), "2023-11-10", safe_age_days=400, signals=signals).set_index("customer_id")
    assert ew.loc["c", "warning_signals"] == "office_moved_down, lawsuits" and ew.loc["c", "rerate"]
    assert ew.loc["c", "action"] == "warning"               # c1 is 40 days old: ok without the signals
    assert ew.loc["a", "warning_signals"] == "" and not ew.loc["a", "rerate"]
    plain = early_warning(_old_ledger(), "2023-11-10", safe_age_days=400).set_index("customer_id")
    assert plain.loc["c", "action"] == "ok" and "warning_signals" not in plain.columns


# ------------------------------------------------------------------ issue 16: value tiers (002)
@pytest.mark.parametrize("sales, tier", [(20_000_001, "VIP"), (20_000_000, "A"), (5_000_001, "A"),
                                         (5_000_000, "B"), (1_000_001, "B"), (1_000_000, "C"), (0, "C")])
def test_value_tier_boundaries(rules, sales, tier):
    """002 客户评估分类管理办法 3.1: VIP 年度销售超过2000万以上 (超过 = more than: 20M itself is A);
    A 500--2000万档; B 100-500万档; C 100万以下 (以下 includes the number: 1M is C). The A and B
    ranges both name 5M; 超过/以下 decide it the same way: a boundary value is in the lower tier."""
    frame = pd.DataFrame({"revenue": [float(sales)], "tenure_months": [24]})
    assert rules.value_tier(frame)["tier"].tolist() == [tier]


@pytest.mark.parametrize("sales, tier", [(25e6, "VIP"), (20e6, "A"), (15e6, "A"), (10e6, "B"), (5e6, "B"),
                                         (2_000_001, "B"), (2e6, "C"), (1e6, "C")])
def test_other_value_tier_version(rules, sales, tier):
    """002 客户评估分类管理办法(定稿): VIP 超过2000万, A 1500万档, B 500万档, C 200万以下 (2M is C);
    the A/B boundary is not in the document: documented default 10M (10M itself is B)."""
    frame = pd.DataFrame({"revenue": [sales], "tenure_months": [24]})
    assert rules.value_tier(frame, "tiers_2m")["tier"].tolist() == [tier]
    with pytest.raises(SpecError, match="unknown value-tier version"):
        rules.value_tier(frame, "v3")


def test_eight_composite_indicators(rules):
    """002 客户评估分类管理办法 3.2 综合指标: eight indicators rated 好/较好/一般/差; reported with the
    tier. By hand: six 好 (4), one 一般 (2), one 差 (1) → 27 / 8 = 3.375 → nearest level 较好."""
    names = rules.spec.composite.indicators
    assert len(names) == 8
    row = {**dict.fromkeys(names, "好"), "loyalty": "一般", "cooperation": "差",
           "revenue": 6e6, "tenure_months": 24}
    out = rules.value_tier(pd.DataFrame([row, {**row, **dict.fromkeys(names, "average")}]))
    assert out["tier"].tolist() == ["A", "A"]
    assert out["composite_score"].tolist() == [3.375, 2.0]
    assert out["composite_rating"].tolist() == ["fairly good", "average"]
    with pytest.raises(DataValidationError, match="creditworthiness"):
        rules.composite(pd.DataFrame([{**row, "creditworthiness": "excellent"}]))


# ------------------------------------------------------------------ issue 16: contractor and development-bank ratings (003)
def test_contractor_ranking():
    """003 建设工程施工企业信用评价办法 第四条: 排名前10名 → A; 最后3名和存在重大不良行为 → C; 其他 B;
    第八条: 每半年为一个评价期 (ranked within each half year)."""
    from riskmodels.scorecards.ratings import contractor_grades

    scores = np.arange(20, 0, -1, dtype=float)                    # 20 contractors, 20 best … 1 worst
    violation = np.zeros(20, dtype=bool)
    violation[2] = True                                           # 3rd best, but a major violation
    grades = contractor_grades(scores, violation)
    assert grades.tolist() == ["A", "A", "C"] + ["A"] * 7 + ["B"] * 7 + ["C"] * 3
    # two half years, ranked separately: the best of the second is A even with a lower score
    both = contractor_grades(np.r_[scores, scores - 100], period=["2024H1"] * 20 + ["2024H2"] * 20)
    assert both[20] == "A" and both[:10].tolist() == ["A"] * 10 and (both == "C").sum() == 6
    # ties at 10th share the better rank (documented default)
    tied = contractor_grades(np.r_[np.arange(20, 11, -1), 11.0, 11.0, np.arange(10, 1, -1)].astype(float))
    assert (tied == "A").sum() == 11


def test_development_bank_seven_grades_signals_regions():
    """003 信用评级管理暂行办法 第九条: AAA, AA, A, BBB, BB, B, C (七级); industry 绿/黄/红信号;
    region 低/较低/中等/较高/高风险. Labels outside the scales are refused by column and row."""
    from riskmodels.scorecards.ratings import DEVELOPMENT_BANK_GRADES, development_bank_rating

    assert DEVELOPMENT_BANK_GRADES == ("AAA", "AA", "A", "BBB", "BB", "B", "C")
    frame = pd.DataFrame({"grade": ["AAA", "BB", "C"], "industry_signal": ["绿信号", "yellow", "红"],
                          "region_risk": ["低风险", "较高风险", "high"]})
    t = development_bank_rating(frame)
    assert t["grade_rank"].tolist() == [0, 4, 6] and t["signal_rank"].tolist() == [0, 1, 2]
    assert t["region_rank"].tolist() == [0, 3, 4] and t["industry_signal"].tolist() == ["green", "yellow", "red"]
    with pytest.raises(DataValidationError, match="'grade'.*\\[1\\]"):
        development_bank_rating(frame.assign(grade=["AAA", "CCC", "C"]))


# ------------------------------------------------------------------ issue 16: industry tables, re-rating, history (003)
def test_industry_reference_tables():
    """003 企业信用评级标准 (2)/(3): the indicator standards differ by firm type; 企业信用评级方法规则
    第十六条: 可根据行业特点适当调整. A construction table for the debt ratio (AAA 0.55, BBB 0.80)
    replaces the card's (AAA 0.40, BBB 0.65) for construction firms only. By hand, debt ratio
    0.65 in all three years: standard 60 % → 0.35·30·0.60 = 6.3 points; construction
    90 − 120·(0.65 − 0.55) = 78 % → 0.35·30·0.78 = 8.19 points."""
    data = yaml.safe_load((SPECS_DIR / "enterprise_five_aspect.yaml").read_text(encoding="utf-8"))
    data["industry"] = {"column": "industry",
                        "tables": {"construction": {"debt_ratio": {"AAA": 0.55, "BBB": 0.80}}}}
    card = CardEngine.from_dict(data)
    firm = worked_firm(debt_ratio_lag2=0.65, debt_ratio_lag1=0.65, debt_ratio=0.65)
    r = card.score([{**firm, "industry": "construction"}, {**firm, "industry": "manufacturing"},
                    {**firm, "industry": None}])
    np.testing.assert_allclose(r.indicator_points["debt_ratio"], [8.19, 6.3, 6.3], atol=1e-9)
    model = card.compiled["indicators"][[i["name"] for i in card.compiled["indicators"]].index("debt_ratio")]
    assert list(model["by_industry"]["curves"]) == ["construction"]
    data["industry"]["tables"]["construction"]["debt_ratio"] = {"AAA": 0.80, "BBB": 0.55}
    with pytest.raises(SpecError, match="rise strictly"):
        CardEngine.from_dict(data)


def test_rerating_on_events_and_on_a_ten_point_drop(enterprise):
    """003 企业信用评级标准 (5): re-rate when the score falls by 10 points or more, managers are
    involved in fraud or bribery, a major breach, falsified rating materials, major litigation."""
    events = pd.DataFrame({"fraud_or_bribery": [False, False, False, False, True],
                           "major_breach": [False, False, False, None, False],
                           "false_materials": [False, False, True, False, False],
                           "major_litigation": [False, False, False, False, False]})
    got = enterprise.needs_rerating([80, 80, 80, 80, 80], [70, 70.5, 79, 79, 79], events)
    assert got.tolist() == [True, False, True, False, True]
    with pytest.raises(DataValidationError, match="major_litigation"):
        enterprise.needs_rerating([80], [79], events.drop(columns="major_litigation").head(1))


def test_one_fiscal_year_is_refused_by_the_card(enterprise):
    """003 企业信用评级标准 (1): 已有至少两个会计年度经营期财务报表 — a firm with this year's
    statements only is refused ("insufficient history"), a firm with two years is scored."""
    one_year = {k: v for k, v in worked_firm().items() if not k.endswith("_lag1") and not k.endswith("_lag2")}
    with pytest.raises(DataValidationError, match="insufficient history"):
        enterprise.score({**one_year, **{f"{r}_lag1": None for r in RATIOS}})
    two_years = {k: (float("nan") if k.endswith("_lag2") else v) for k, v in worked_firm().items()}
    assert len(enterprise.score(two_years)) == 1


def test_the_limit_reference_is_the_records_own_column_or_nan_when_absent():
    # last year's monthly payments (002 六, 参考) are reported beside the limit: the given values,
    # or NaN for each firm when the column is absent (missing allowed) -- a writable array of
    # its own either way, though the scorer holds an absent input as one value
    data = _enterprise_dict()
    data["credit_limit"]["reference"] = "last_year_payments"
    card = CardEngine.from_dict(data)
    record = scoring.example_record(card.rules)
    record.pop("last_year_payments", None)
    absent = card.score([record, record]).limit_reference
    assert np.isnan(absent).all() and len(absent) == 2 and absent.flags.writeable
    given = card.score([dict(record, last_year_payments=5.0), dict(record, last_year_payments=7.5)])
    assert given.limit_reference.tolist() == [5.0, 7.5]
