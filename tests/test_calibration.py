"""Master scales, calibrators, per-grade tests and Vasicek helpers (riskmodels.calibration).

Known answers: each test names its original source (S&P, Basel II/III, ECB 2019, Vasicek 2002,
the meliora documentation example).
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from riskmodels import scoring
from riskmodels.calibration import (
    CentralTendencyCalibrator,
    IsotonicCalibrator,
    LogisticScoreCalibrator,
    MasterScale,
    PlattCalibrator,
    basel_asset_correlation,
    binomial_test,
    fit_master_scale,
    grade_table,
    herfindahl,
    hosmer_lemeshow,
    intercept_shift,
    jeffreys_test,
    vasicek_cdf,
    vasicek_default_sf,
    vasicek_quantile,
)
from riskmodels.data import sp_long_run_default_rates
from riskmodels.errors import DataValidationError, NotFittedError, ParameterError, SpecError

D1_PD = np.array([0.01, 0.02, 0.03, 0.05, 0.08, 0.10, 0.15, 0.20, 0.30, 0.50])
D1_Y = np.array([0, 0, 0, 0, 1, 0, 0, 1, 0, 1])
MELIORA = (np.array([0.10, 0.15, 0.20]), np.array([401, 489, 110]), np.array([36, 73, 23]))


def simulated_portfolio(n, seed):
    """Obligors with known PDs (logit-normal around 1.5 %) and Bernoulli defaults."""
    rng = np.random.default_rng(seed)
    pd_ = 1 / (1 + np.exp(-rng.normal(-4.2, 1.3, n)))
    return pd_, (rng.random(n) < pd_).astype(int), rng


# --------------------------------------------------------------------------- master scales
@pytest.mark.parametrize("name", ["enterprise10", "bank15", "agency7"])
def test_standard_scales_load_and_follow_the_bundle_contract(name):
    scale = MasterScale.standard(name)
    section = scale.to_bundle()
    assert set(section) == {"name", "grades", "upper_bounds", "floor", "midpoints"}
    assert len(section["upper_bounds"]) == len(section["grades"]) - 1
    assert len(section["midpoints"]) == len(section["grades"])
    assert np.all(np.diff(section["upper_bounds"]) > 0)
    assert section["upper_bounds"][-1] == 1.0 and section["grades"][-1] == "D"
    assert section["midpoints"][-1] == 1.0
    # every midpoint grades to its own grade
    assert scale.grade(scale.midpoints).tolist() == scale.grades


def test_shipped_grade_lists_match_the_documents():
    # seeds/003: enterprise 10-grade and bank 15-grade lists (domain.md section 1)
    assert MasterScale.standard("enterprise10").grades == [
        "AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"]
    assert MasterScale.standard("bank15").grades == [
        "AAA", "AA", "A", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B+", "B-", "CCC", "CC", "C", "D"]


def test_enterprise_scale_is_anchored_on_sp_default_rates_and_the_basel_floor():
    # S&P Global, 2016 Annual Global Corporate Default Study (1981-2016 one-year rates); Basel II ¶285 floor 0.03 %
    sp = sp_long_run_default_rates()
    scale = MasterScale.standard("enterprise10")
    for grade in ("A", "BBB", "BB", "B"):
        assert scale.midpoint_pd(grade) == pytest.approx(sp[grade], abs=1e-12)
        assert scale.grade([sp[grade]]).tolist() == [grade]
    assert scale.floor == pytest.approx(0.0003)
    # Basel III CRE32.4 corporate floor 0.05 %: AAA becomes unreachable, a 0 PD grades AA
    basel3 = MasterScale.standard("enterprise10", floor=0.0005)
    assert basel3.grade([0.0, 0.0001]).tolist() == ["AA", "AA"]
    assert MasterScale.standard("enterprise10", floor=None).floor is None
    agency = MasterScale.standard("agency7")
    for grade in ("AA", "A", "BBB", "BB", "B", "CCC/C"):
        assert agency.midpoint_pd(grade) == pytest.approx(sp[grade], abs=1e-12)


def naive_grade(grades, upper_bounds, floor, pd_value):
    """Second implementation: raise to the floor, then walk the bands [u(i-1), u(i)) one by one."""
    p = max(pd_value, floor) if floor is not None else pd_value
    for grade, upper in zip(grades, upper_bounds, strict=False):
        if p < upper:
            return grade
    return grades[-1]


def test_grade_round_trip_through_the_bundle_grade_of_and_a_naive_oracle():
    scale = MasterScale.standard("bank15")
    pds = np.r_[0.0, np.geomspace(1e-5, 0.99, 500), 1.0, scale.upper_bounds]  # the bounds themselves too
    # round trip: the in-memory scale and the bundle section give the same grades
    assert scale.grade(pds).tolist() == scoring.grade_of(scale.to_bundle(), pds).tolist()
    # independent oracle
    assert scale.grade(pds).tolist() == [naive_grade(scale.grades, scale.upper_bounds, scale.floor, p)
                                         for p in pds]


def test_bands_are_half_open_and_the_floor_applies():
    scale = MasterScale(["A", "B", "C", "D"], [0.01, 0.05, 1.0], floor=0.002)
    assert scale.grade([0.0, 0.00999999, 0.01, 0.05, 0.999, 1.0]).tolist() == \
        ["A", "A", "B", "C", "C", "D"]
    no_floor = MasterScale(["A", "D"], [1.0])
    assert no_floor.grade([0.0]).tolist() == ["A"]
    assert MasterScale(["A", "B", "D"], [0.01, 1.0], floor=0.02 - 0.0101).grade([0.0]).tolist() == ["A"]


def test_pd_exactly_zero_and_one_and_nan():
    scale = MasterScale.standard("enterprise10")
    assert scale.grade([0.0, 1.0]).tolist() == ["AAA", "D"]
    assert scale.grade([np.nan]).tolist() == [None]
    assert scale.grade_index([np.nan, 1.0]).tolist() == [-1, 9]


def test_geometric_scale_known_answer():
    # geometric scale by hand: m_k = 0.03 %·1000^((k−1)/19), bounds the geometric means of neighbours
    s = MasterScale.geometric(20, 0.0003, 0.30)
    assert s.n_grades == 21 and s.grades[-1] == "D"
    assert s.upper_bounds[0] * 100 == pytest.approx(0.0360, abs=5e-5)
    assert s.upper_bounds[9] * 100 == pytest.approx(0.9487, abs=5e-5)
    assert s.upper_bounds[18] * 100 == pytest.approx(25.0135, abs=5e-5)
    assert s.midpoints[0] == pytest.approx(0.0003) and s.midpoints[19] == pytest.approx(0.30)
    assert MasterScale.geometric(3, 0.01, 0.1, default_grade=None).grades == ["1", "2", "3"]


def test_yaml_round_trip(tmp_path):
    for name in ("enterprise10", "bank15", "agency7"):
        scale = MasterScale.standard(name)
        path = scale.to_yaml(tmp_path / f"{name}.yaml")
        assert MasterScale.from_yaml(path) == scale
    assert MasterScale.from_bundle(MasterScale.standard().to_bundle()).to_bundle() == \
        MasterScale.standard().to_bundle()


def test_mapping_between_scales_and_classes():
    ent, bank, agency = (MasterScale.standard(n) for n in ("enterprise10", "bank15", "agency7"))
    e2b = ent.map_to(bank)
    assert [e2b[g] for g in ("AAA", "A", "BBB", "BB", "CCC", "D")] == ["AAA", "A", "BBB", "BB", "CCC", "D"]
    b2e = bank.map_to(ent)
    assert b2e["BBB+"] == "BBB" and b2e["BB-"] == "BB" and b2e["B+"] == "B"
    assert ent.map_to(agency)["CC"] == "CCC/C" and agency.map_to(ent)["CCC/C"] == "CC"
    # mapped grades never get better as the source grade gets worse
    order = {g: i for i, g in enumerate(bank.grades)}
    assert all(order[a] <= order[b] for a, b in zip(list(e2b.values()), list(e2b.values())[1:], strict=False))
    assert ent.class_of(["AAA", "BB", "C", "D"]) == ["A", "B", "C", "D"]
    assert bank.class_of("BB-") == "B" and bank.class_of("B+") == "B" and bank.class_of("CCC") == "C"


@pytest.mark.parametrize("kwargs, path", [
    ({"grades": ["A", "B"], "upper_bounds": [0.1, 0.2]}, "upper_bounds"),
    ({"grades": ["A", "B", "C"], "upper_bounds": [0.2, 0.1]}, "upper_bounds"),
    ({"grades": ["A", "A"], "upper_bounds": [1.0]}, "grades"),
    ({"grades": ["A", "B"], "upper_bounds": [1.5]}, "upper_bounds"),
    ({"grades": ["A", "B"], "upper_bounds": [0.1], "midpoints": [0.2, 0.5]}, "midpoints[0]"),
    ({"grades": ["A", "B"], "upper_bounds": [0.1], "floor": 0.2}, "floor"),
    ({"grades": ["A", "B"], "upper_bounds": [0.1], "floor": -0.01}, "floor"),
    ({"grades": ["A", "B"], "upper_bounds": [0.1], "classes": {"x": ["A"]}}, "classes"),
])
def test_bad_scales_raise_spec_errors_naming_the_field(kwargs, path):
    with pytest.raises(SpecError) as err:
        MasterScale(**kwargs)
    assert err.value.path == path


def test_bad_yaml_and_unknown_names(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ngrades: [A, D]\nupper_bounds: [1.0]\nbands: 3\n")
    with pytest.raises(SpecError, match="bands"):
        MasterScale.from_yaml(bad)
    bad.write_text("name: x\ngrades: [A, B, D]\nupper_bounds: [0.5, 0.1]\n")
    with pytest.raises(SpecError, match="bad.yaml"):
        MasterScale.from_yaml(bad)
    with pytest.raises(SpecError, match="unknown standard scale"):
        MasterScale.standard("moodys21")
    with pytest.raises(SpecError, match="unknown grade 'Z'"):
        MasterScale.standard().midpoint_pd("Z")
    with pytest.raises(DataValidationError, match="outside") as err:
        MasterScale.standard().grade([0.1, 1.2])
    assert err.value.violations[0].rows == (1,)


# --------------------------------------------------------------------------- grade tests
def test_binomial_and_jeffreys_known_answers():
    # the meliora package documentation example (its binomial and Jeffreys tests): P(X >= D), BetaCDF
    pd_, n, d = MELIORA
    assert binomial_test(pd_, n, d) == pytest.approx([0.775347, 0.537039, 0.443273], abs=1e-6)
    assert jeffreys_test(pd_, n, d) == pytest.approx([0.748739, 0.511781, 0.397158], abs=1e-6)
    # N 1000, PD 1 %: D 16 rejects at 5 %, D 15 does not
    assert binomial_test(0.01, 1000, 16) == pytest.approx(0.0478706, abs=1e-7)
    assert binomial_test(0.01, 1000, 15) == pytest.approx(0.0824123, abs=1e-7)


def test_hosmer_lemeshow_known_answer_and_df_options():
    pd_, n, d = MELIORA
    stat, p, dof = hosmer_lemeshow(pd_, n, d, df="G-2")
    assert (stat, p, dof) == (pytest.approx(0.524563, abs=1e-6), pytest.approx(0.468902, abs=1e-6), 1)
    assert hosmer_lemeshow(pd_, n, d, df="G")[1] == pytest.approx(0.913463, abs=1e-6)
    assert hosmer_lemeshow(pd_, n, d, df=2)[2] == 2
    with pytest.raises(ValueError, match="degree"):
        hosmer_lemeshow(pd_[:2], n[:2], d[:2], df="G-2")


def test_two_sided_and_less_alternatives():
    lower = binomial_test(0.05, 1000, 20, alternative="less")
    assert lower < 0.001
    assert binomial_test(0.05, 1000, 20, alternative="two-sided") == pytest.approx(2 * lower)
    assert jeffreys_test(0.05, 1000, 20, alternative="less") < 0.001
    assert jeffreys_test(0.05, 1000, 20) > 0.999
    with pytest.raises(ValueError):
        binomial_test(0.05, 10, 1, alternative="bigger")


def test_grade_tests_edge_cases():
    # empty grade -> NaN and left out of HL; all defaults / none; PD 0 and 1
    p = binomial_test([0.1, 0.1, 0.0, 0.0, 1.0], [0, 10, 10, 10, 10], [0, 10, 0, 1, 10])
    assert np.isnan(p[0]) and p[1] == pytest.approx(1e-10) and p[2] == 1.0 and p[3] == 0.0 and p[4] == 1.0
    assert np.isnan(jeffreys_test(0.1, 0, 0))
    assert jeffreys_test(0.0, 10, 1) == 0.0 and jeffreys_test(1.0, 10, 10) == 1.0
    stat, _, dof = hosmer_lemeshow([0.1, 0.2, 0.3, 0.5], [0, 50, 50, 50], [0, 10, 15, 25], df="G")
    assert dof == 3 and stat == pytest.approx(0.0)
    assert hosmer_lemeshow([0.0, 0.2], [10, 10], [0, 2], df="G")[0] == pytest.approx(0.0)
    assert hosmer_lemeshow([0.0, 0.2], [10, 10], [1, 2], df="G")[0] == np.inf


def test_grade_tests_bad_input_names_column_and_rows():
    with pytest.raises(DataValidationError) as err:
        binomial_test([0.1, 1.2], [10, 10], [1, 11])
    text = str(err.value)
    assert "'pd'" in text and "[1]" in text and "'defaults'" in text and "defaults <= n" in text
    with pytest.raises(DataValidationError, match="whole numbers"):
        jeffreys_test(0.1, 10.5, 1)


def test_vasicek_known_answers():
    # Vasicek, "The distribution of loan portfolio value", Risk 15 (2002): PD 2 %, rho 0.15
    assert vasicek_cdf(0.01, 0.02, 0.15) == pytest.approx(0.4070816, abs=1e-7)
    assert vasicek_cdf(0.05, 0.02, 0.15) == pytest.approx(0.9173130, abs=1e-7)
    assert vasicek_quantile(0.999, 0.02, 0.15) * 100 == pytest.approx(17.63289, abs=5e-6)
    # quantile inverts the cdf
    assert vasicek_cdf(vasicek_quantile(0.9, 0.03, 0.2), 0.03, 0.2) == pytest.approx(0.9, abs=1e-12)


def test_basel_asset_correlation_limits_and_default_count_distribution():
    # BCBS (2006) para. 272: 0.24 at PD -> 0, 0.12 at high PDs
    assert basel_asset_correlation(1e-9) == pytest.approx(0.24, abs=1e-6)
    assert basel_asset_correlation(0.5) == pytest.approx(0.12, abs=1e-6)
    # correlation fattens the tail: P(X >= 16) of 1000 obligors at 1 %
    assert vasicek_default_sf(16, 1000, 0.01, 0.0) == pytest.approx(0.0478706, abs=1e-7)
    assert vasicek_default_sf(16, 1000, 0.01, 0.1) > vasicek_default_sf(16, 1000, 0.01, 0.05) > 0.0479
    # the distribution sums to one (tail at 0 defaults)
    assert float(vasicek_default_sf(0, 500, 0.02, 0.2)) == pytest.approx(1.0)


# --------------------------------------------------------------------------- calibrators
def test_central_tendency_intercept_shift_known_answer():
    # logit shift solved by hand (bisection on mean expit(logit p + δ)): D1 PDs (mean 14.4 %) to 5 %
    assert D1_PD.mean() == pytest.approx(0.144)
    cal = CentralTendencyCalibrator(target_pd=0.05).fit(D1_PD)
    assert cal.delta_ == pytest.approx(-1.3265269, abs=1e-7)
    assert cal.transform(D1_PD).mean() == pytest.approx(0.05, abs=1e-15)
    assert cal.to_bundle_steps() == [{"method": "logit_shift", "delta": cal.delta_}]


def test_central_tendency_bayes_odds_and_fixed_pds():
    cal = CentralTendencyCalibrator(target_pd=0.02, method="bayes").fit(D1_PD, D1_Y)
    assert cal.sample_rate_ == pytest.approx(0.3)
    odds = D1_PD / (1 - D1_PD) * (0.02 / 0.98) / (0.3 / 0.7)
    assert cal.transform(D1_PD) == pytest.approx(odds / (1 + odds), rel=1e-12)
    shifted = CentralTendencyCalibrator(0.15).fit(np.r_[D1_PD, 0.0, 1.0]).transform(np.r_[0.0, 1.0])
    assert shifted.tolist() == [0.0, 1.0]
    with pytest.raises(ParameterError, match="target"):
        intercept_shift(D1_PD, 1.5)
    with pytest.raises(DataValidationError, match="fix the mean"):
        intercept_shift([0.0, 1.0], 0.7)
    with pytest.raises(DataValidationError, match="mean PD in"):  # logit(0) would give δ = inf
        CentralTendencyCalibrator(0.05, method="bayes").fit([0.0, 0.0])


def test_isotonic_is_monotone_and_keeps_the_weighted_mean():
    # PAV properties (Barlow et al. 1972): non-decreasing and sum(w * fit) = sum(w * y)
    rng = np.random.default_rng(0)
    score = rng.normal(size=400)
    y = (rng.random(400) < 1 / (1 + np.exp(-(score - 2)))).astype(int)
    w = rng.uniform(0.5, 2.0, size=400)
    cal = IsotonicCalibrator(increasing=True).fit(score, y, sample_weight=w)
    fit = cal.transform(score)
    assert np.all(np.diff(fit[np.argsort(score)]) >= 0)
    assert np.sum(w * fit) == pytest.approx(np.sum(w * y), rel=1e-10)
    down = IsotonicCalibrator(increasing="auto").fit(-score, y)
    assert down.increasing_ is False
    clipped = IsotonicCalibrator(increasing=True, pd_bounds=(0.001, 0.999)).fit(score, y)
    assert clipped.transform(score).min() == 0.001


def test_platt_with_and_without_target_smoothing():
    score = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    y = np.array([0, 0, 0, 1, 1, 1])  # separable: plain maximum likelihood runs away
    smooth = PlattCalibrator().fit(score, y)
    raw = PlattCalibrator(smoothing=False).fit(score, y)
    assert 0.1 < smooth.transform([1.0])[0] < 0.5 < smooth.transform([6.0])[0] < 0.9
    assert raw.a_ > 3 * smooth.a_
    # Platt's targets (N+ + 1)/(N+ + 2) = 0.8 and 1/(N- + 2) = 0.2: the smoothed fit is the
    # maximum-likelihood fit to those soft targets, so its score gradient vanishes there
    t = np.where(y == 1, 0.8, 0.2)
    resid = smooth.transform(score) - t
    assert abs(resid.sum()) < 1e-6 and abs((resid * score).sum()) < 1e-5


def test_logistic_score_calibrator_matches_unpenalised_logistic_regression():
    rng = np.random.default_rng(1)
    points = rng.normal(600, 50, 3000)
    y = (rng.random(3000) < 1 / (1 + np.exp(-(-(points - 600) / 28.85 - 3)))).astype(int)
    cal = LogisticScoreCalibrator().fit(points, y)
    ref = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(points[:, None] - 600, y)
    assert cal.a_ == pytest.approx(ref.coef_[0, 0], rel=1e-5)
    assert cal.b_ - ref.intercept_[0] + 600 * cal.a_ == pytest.approx(0.0, abs=1e-4)
    assert cal.bse_.shape == (2,) and np.all(cal.bse_ > 0)
    assert "intercept" in cal.summary()
    unsmoothed = PlattCalibrator(smoothing=False).fit(points, y)
    assert unsmoothed.a_ == pytest.approx(cal.a_, rel=1e-6)


@pytest.mark.parametrize("cal", [IsotonicCalibrator(increasing=True), PlattCalibrator(),
                                 LogisticScoreCalibrator(), CentralTendencyCalibrator(0.05)])
def test_bundle_round_trip_reproduces_every_calibrator_and_matches_an_oracle(cal):
    rng = np.random.default_rng(2)
    raw = rng.uniform(0.001, 0.4, 500)
    y = (rng.random(500) < raw).astype(int)
    cal.fit(raw, y)
    content = {"schema_version": 1, "kind": "identity", "name": "cal", "model": {"input": "pd"},
               "inputs": [{"name": "pd", "type": "number", "min": 0.0, "max": 1.0}],
               "calibration": cal.to_bundle_steps(), "master_scale": MasterScale.standard().to_bundle(),
               "credit_limit": None, "metadata": {}}
    scorer = scoring.Scorer(scoring.seal(content))
    out = scorer.score({"pd": raw})
    assert np.array_equal(out["pd"], cal.transform(raw))
    assert out["grade"].tolist() == MasterScale.standard().grade(cal.transform(raw)).tolist()
    assert np.array_equal(cal.predict_proba(raw)[:, 1], cal.transform(raw))
    # independent oracles: the formula by hand, or scikit-learn's own isotonic prediction
    if isinstance(cal, IsotonicCalibrator):
        expected = IsotonicRegression(increasing=True, out_of_bounds="clip").fit(raw, y).predict(raw)
    elif isinstance(cal, CentralTendencyCalibrator):
        odds = raw / (1 - raw) * np.exp(cal.delta_)
        expected = odds / (1 + odds)
        assert expected.mean() == pytest.approx(0.05, abs=1e-12)  # the central tendency itself
    else:
        expected = 1 / (1 + np.exp(-(cal.a_ * raw + cal.b_)))
    np.testing.assert_allclose(cal.transform(raw), expected, rtol=1e-12, atol=1e-15)


def test_calibrator_bad_input_and_not_fitted():
    with pytest.raises(NotFittedError):
        PlattCalibrator().transform([0.1])
    with pytest.raises(DataValidationError) as err:
        PlattCalibrator().fit([0.1, np.nan, 0.3], [0, 1, 0])
    assert "'score'" in str(err.value) and "[1]" in str(err.value)
    with pytest.raises(DataValidationError, match="'y'"):
        IsotonicCalibrator().fit([0.1, 0.2, 0.3], [0, 2, 1])
    with pytest.raises(DataValidationError, match="single class"):
        LogisticScoreCalibrator().fit([0.1, 0.2], [0, 0])
    with pytest.raises(DataValidationError, match="one per score"):
        PlattCalibrator().fit([0.1, 0.2, 0.3], [0, 1])
    with pytest.raises(DataValidationError, match="above 1.0"):
        CentralTendencyCalibrator(0.05).fit([0.1, 1.5])


def test_calibrators_work_in_a_pipeline_with_tied_scores():
    score = np.repeat([1.0, 2.0, 3.0], 50)
    y = np.r_[np.zeros(48), np.ones(2), np.zeros(45), np.ones(5), np.zeros(40), np.ones(10)].astype(int)
    pd_ = IsotonicCalibrator(increasing=True).fit(score, y).transform([1.0, 2.0, 3.0])
    assert pd_.tolist() == pytest.approx([0.04, 0.10, 0.20])
    assert PlattCalibrator().fit(score[:, None], y).transform(score[:, None]).shape == (150,)


# --------------------------------------------------------------------------- grade tables and fitting
def test_herfindahl_known_answers():
    # ECB (2019), Instructions for reporting the validation results of internal models, §2.5.5.3
    assert herfindahl([100, 200, 300, 250, 150]) == pytest.approx((0.3535534, 0.0731827), abs=1e-7)
    assert herfindahl([50, 150, 400, 300, 100]) == pytest.approx((0.6519202, 0.2200593), abs=1e-7)
    assert herfindahl([10, 10, 10]) == pytest.approx((0.0, 0.0), abs=1e-12)
    assert herfindahl([0, 0, 30])[1] == pytest.approx(1.0)


def test_grade_table_counts_and_empty_grades():
    scale = MasterScale(["A", "B", "C", "D"], [0.01, 0.05, 1.0])
    t = grade_table([0.001, 0.002, 0.03, 1.0], [0, 0, 1, 1], scale)
    assert t["n"].tolist() == [2, 1, 0, 1, 4]
    assert np.isnan(t.loc["C", "binomial_p"]) and not t.loc["C", "reject"]
    assert t.loc["D", "binomial_p"] == 1.0
    assert t.loc["all", "defaults"] == 2
    # all defaults / no defaults are valid calibration samples
    assert grade_table([0.02, 0.03], [0, 0], scale).loc["all", "defaults"] == 0
    assert grade_table([0.02, 0.03], [1, 1], scale).loc["B", "reject"]
    mid = grade_table([0.02, 0.03], [0, 0], scale, reference="midpoint")
    assert mid.loc["B", "tested_pd"] == pytest.approx(scale.midpoint_pd("B"))


def test_fitted_scale_passes_with_true_pds_and_rejects_pds_times_three():
    pd_true, y, rng = simulated_portfolio(30_000, seed=0)
    fit = fit_master_scale(pd_true, y, n_grades=9, min_count=200, max_hi=0.2)
    body = fit.table.iloc[: fit.scale.n_grades - 1]
    assert fit.passed and not body["reject"].any()
    assert (body["n"] >= 200).all() and fit.hi <= 0.2
    assert np.all(np.diff(body["default_rate"]) > 0)
    assert fit.scale.grades[-1] == "D" and fit.scale.grades[0] == "AAA"
    # an independent sample from the same PDs passes the per-grade tests
    y_new = (rng.random(len(pd_true)) < pd_true).astype(int)
    fresh = grade_table(pd_true, y_new, fit.scale, level=0.01).iloc[: fit.scale.n_grades - 1]
    assert not fresh["reject"].any()
    # a mis-calibrated model (PDs x 3) is rejected in most grades
    wrong = grade_table(np.minimum(3 * pd_true, 1.0), y_new, fit.scale).iloc[: fit.scale.n_grades - 1]
    occupied = wrong[wrong["n"] >= 200]
    assert occupied["reject"].mean() >= 0.75
    assert "Trade-offs" in fit.summary() and "<caption>Trade-offs</caption>" in fit._repr_html_()


def test_fitting_reports_trade_offs_when_constraints_cannot_be_met():
    pd_true, y, _ = simulated_portfolio(3000, seed=5)
    fit = fit_master_scale(pd_true, y, n_grades=9, min_count=600, max_hi=0.01)
    assert not fit.passed
    assert any("Herfindahl" in t for t in fit.trade_offs)
    assert any("instead of 9" in t for t in fit.trade_offs)
    assert fit.log and all(("merged" in e) or ("split" in e) for e in fit.log)
    assert (fit.table["n"].iloc[: fit.scale.n_grades - 1] >= 600).all()


def test_fitting_is_deterministic_and_handles_pd_one():
    pd_true, y, _ = simulated_portfolio(5000, seed=3)
    pd_true[:5] = 1.0
    y[:5] = 1
    a = fit_master_scale(pd_true, y, n_grades=6, min_count=150)
    b = fit_master_scale(pd_true, y, n_grades=6, min_count=150)
    assert a.scale == b.scale and a.log == b.log
    assert a.table.loc["D", "n"] == 5


def test_fitting_bad_input():
    with pytest.raises(DataValidationError, match="single class"):
        fit_master_scale([0.1, 0.2], [0, 0])
    with pytest.raises(ParameterError, match="n_grades"):
        fit_master_scale([0.1, 0.2], [0, 1], n_grades=12)
    with pytest.raises(DataValidationError, match="'pd'"):
        fit_master_scale([0.1, -0.2], [0, 1])
    with pytest.raises(DataValidationError, match="every PD is 1"):
        fit_master_scale([1.0, 1.0], [0, 1])


def test_summary_and_html_of_scale():
    scale = MasterScale.standard("bank15")
    assert "BBB-" in scale.summary() and "<table" in scale._repr_html_()
    assert isinstance(scale.bands(), pd.DataFrame) and scale.bands().shape == (15, 4)
