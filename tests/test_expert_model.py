"""ExpertScorecardModel (issue 5): fit calibrates score → PD; bundle == in-memory, exactly."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.isotonic import IsotonicRegression

from riskmodels import scoring
from riskmodels.calibration import CentralTendencyCalibrator, IsotonicCalibrator, PlattCalibrator
from riskmodels.errors import DataValidationError, NotFittedError, ParameterError
from riskmodels.models.expert import ExpertScorecardModel
from riskmodels.scorecards import CardEngine
from tests.test_scorecards import firms, worked_firm

SCALE = {"name": "test", "grades": ["A", "B", "C", "D"], "upper_bounds": [0.01, 0.05, 1.0],
         "floor": None, "midpoints": [0.005, 0.02, 0.2, 1.0]}


def labelled(n=1500, seed=0):
    """Firms whose default odds fall with the card's score (a known, monotone link)."""
    X = firms(n, seed)
    score = CardEngine.from_spec("enterprise_five_aspect").score(X).score
    rng = np.random.default_rng(seed + 100)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp((score - 45.0) / 6.0))).astype(int)
    return X, y, score


@pytest.fixture(scope="module")
def data():
    return labelled()


@pytest.mark.parametrize("calibration", ["logistic", "isotonic"])
def test_bundle_round_trip_and_calibration_oracle(data, tmp_path, calibration):
    X, y, _ = data
    model = ExpertScorecardModel(calibration=calibration).fit(X, y)
    path = model.export(tmp_path / "expert.json")
    scorer = scoring.load_scorer(path)
    out = scorer.score(X)
    np.testing.assert_array_equal(out["pd"], model.predict_proba(X)[:, 1])
    inner = model.score_frame(X)
    np.testing.assert_array_equal(out["score"], inner["score"])
    np.testing.assert_array_equal(out["grade"], model.grade(X))
    # the bundle's points are the engine's points (capped score)
    np.testing.assert_array_equal(out["score"], model.score_card(X).score)
    # independent oracle of score -> PD: the logistic formula by hand, or scikit-learn's isotonic fit
    score = model.score_card(X).score
    if calibration == "logistic":
        expected = 1 / (1 + np.exp(-(model.calibrator_.a_ * score + model.calibrator_.b_)))
    else:
        iso = IsotonicRegression(increasing=False, out_of_bounds="clip").fit(score, y)
        expected = np.clip(iso.predict(score), *model.pd_bounds)
    np.testing.assert_allclose(out["pd"], expected, rtol=1e-12, atol=1e-15)


def test_bundle_content(data):
    X, y, _ = data
    model = ExpertScorecardModel().fit(X, y)
    bundle = model.to_bundle()
    assert bundle["kind"] == "expert" and bundle["name"] == "enterprise_five_aspect"
    assert bundle["model"] == model.card_.compiled
    assert bundle["calibration"] == model.calibrator_.to_bundle_steps()
    assert bundle["calibration"][0]["method"] == "logistic"
    assert bundle["credit_limit"]["basis"] == "score" and bundle["credit_limit"]["bands"][0] == [90.0, 1.0]
    assert bundle["master_scale"]["name"] == "enterprise10"
    assert bundle["metadata"]["spec"] == "enterprise_five_aspect"


def test_logistic_calibration_pd_falls_with_score(data):
    X, y, score = data
    model = ExpertScorecardModel().fit(X, y)
    assert model.calibrator_.a_ < 0          # more points → lower PD
    pd_ = model.predict_proba(X)[:, 1]
    order = np.argsort(score)
    assert np.all(np.diff(pd_[order]) <= 1e-15)
    # the simulated link is logit PD = −(score − 45) / 6: slope −1/6 recovered roughly
    assert model.calibrator_.a_ == pytest.approx(-1 / 6, rel=0.25)


def test_isotonic_pd_bounds_and_monotone(data):
    X, y, score = data
    model = ExpertScorecardModel(calibration="isotonic", pd_bounds=(0.001, 0.9)).fit(X, y)
    pd_ = model.predict_proba(X)[:, 1]
    assert pd_.min() >= 0.001 and pd_.max() <= 0.9
    order = np.argsort(score)
    assert np.all(np.diff(pd_[order]) <= 1e-15)


def test_reasons_and_limits_in_the_bundle(data):
    X, y, _ = data
    model = ExpertScorecardModel(master_scale=SCALE).fit(X, y)
    scorer = scoring.Scorer(model.to_bundle())
    one = scorer.score(worked_firm())
    assert one["reasons"][0] == "debt_ratio"
    # the bundle's grade and limit are the card's whatever the master scale (issue 16 item 1):
    # the worked firm is capped at BB → coefficient 0.4; 3e7 × 0.4 × (4e7 / 3e7) / 2 = 8e6
    assert one["grade"] == one["policy_grade"] == "BB"
    assert one["scale_grade"] in SCALE["grades"]
    assert one["limit"] == pytest.approx(8.0e6)


def test_bundle_bytes_are_deterministic(data, monkeypatch):
    X, y, _ = data
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    a = scoring.dumps_bundle(ExpertScorecardModel().fit(X, y).to_bundle())
    b = scoring.dumps_bundle(ExpertScorecardModel().fit(X, y).to_bundle())
    assert a == b


def test_scorer_reports_bad_records(data):
    X, y, _ = data
    scorer = scoring.Scorer(ExpertScorecardModel().fit(X, y).to_bundle())
    rows = [worked_firm(), worked_firm(market_position="excellent")]
    out = scorer.score(rows, on_error="report")
    assert not np.isnan(out["pd"][0]) and np.isnan(out["pd"][1])
    assert "market_position" in out["errors"][1][0]


def test_environmental_and_personal_models_fit():
    rng = np.random.default_rng(4)
    n = 300
    X = pd.DataFrame({"discharge_compliance": rng.uniform(50, 100, n), "facilities_running": rng.uniform(70, 100, n),
                      "violations": rng.integers(0, 4, n), "fee_paid_share": rng.uniform(60, 100, n),
                      "fee_on_time": rng.choice(["on_time", "late"], n),
                      "impact_assessment": rng.choice(["done_accepted", "not_done"], n),
                      "other_points": rng.uniform(0, 40, n)})
    score = CardEngine.from_spec("environmental").score(X).score
    y = (score < np.quantile(score, 0.2)).astype(int)
    model = ExpertScorecardModel("environmental", master_scale=SCALE).fit(X, y)
    assert model.predict_proba(X)[:, 1][y == 1].mean() > model.predict_proba(X)[:, 1][y == 0].mean()


def test_synthetic_portfolio_model():
    from sklearn.metrics import roc_auc_score

    from riskmodels.data.synthetic import make_portfolio

    frame = make_portfolio(n_firms=300, n_years=3, random_state=2).firm_years
    model = ExpertScorecardModel().fit(frame, frame["default"])
    pd_ = model.predict_proba(frame)[:, 1]
    assert roc_auc_score(frame["default"], pd_) > 0.7
    assert abs(pd_.mean() - frame["default"].mean()) < 0.01   # logistic fit reproduces the mean rate


def test_sklearn_contract(data):
    X, y, _ = data
    model = ExpertScorecardModel("enterprise_five_aspect", calibration="isotonic")
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert model.fit(X, y) is model
    assert model.classes_.tolist() == [0, 1] and model.n_features_in_ == len(model.card_.input_names)
    assert model.predict(X).dtype.kind == "i"


def test_bad_inputs(data):
    X, y, _ = data
    with pytest.raises(NotFittedError):
        ExpertScorecardModel().predict_proba(X)
    with pytest.raises(DataValidationError, match="y"):
        ExpertScorecardModel().fit(X, np.full(len(X), 2))
    with pytest.raises(DataValidationError, match="rows"):
        ExpertScorecardModel().fit(X, y[:-1])


def test_parameters_are_checked_in_one_place_with_parameter_error(data):
    X, y, _ = data
    with pytest.raises(ParameterError) as err:
        ExpertScorecardModel(spec=3, calibration="magic", pd_bounds=(0.5, 0.1), master_scale=[1], name=7).fit(X, y)
    assert err.value.parameters == ["spec", "calibration", "pd_bounds", "master_scale", "name"]
    assert isinstance(err.value, ValueError) and isinstance(err.value, TypeError)
    with pytest.raises(ParameterError, match="pd_bounds: is 'ab'"):
        ExpertScorecardModel(pd_bounds="ab").fit(X, y)
    for calibrator, bad in ((IsotonicCalibrator(increasing="up"), "increasing"),
                            (IsotonicCalibrator(pd_bounds=(0.2, 0.2)), "pd_bounds"),
                            (PlattCalibrator(smoothing="yes"), "smoothing"),
                            (CentralTendencyCalibrator(target_pd=1.5, method="odds"), "target_pd")):
        with pytest.raises(ParameterError, match=bad):
            calibrator.fit([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1])
    with pytest.raises(DataValidationError, match="debt_ratio"):
        ExpertScorecardModel().fit(X.drop(columns="debt_ratio"), y)
    model = ExpertScorecardModel().fit(X, y)
    with pytest.raises(DataValidationError, match="adjustment_reason"):
        model.predict_proba(pd.DataFrame([worked_firm(analyst_adjustment=2.0)]))


def test_spec_objects_and_dicts_are_accepted(data):
    X, y, _ = data
    card = CardEngine.from_spec("enterprise_five_aspect")
    by_obj = ExpertScorecardModel(card.spec).fit(X, y).predict_proba(X)
    by_name = ExpertScorecardModel().fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(by_obj, by_name)
    assert "<table" in ExpertScorecardModel().fit(X, y)._repr_html_()


def test_refit_without_a_master_scale_drops_the_old_one(data):
    X, y, _ = data
    model = ExpertScorecardModel(master_scale=SCALE).fit(X, y)
    assert model.to_bundle()["master_scale"]["name"] == "test"
    model.set_params(master_scale=None).fit(X, y)
    assert model.to_bundle()["master_scale"]["name"] == "enterprise10"


# ------------------------------------------------------------------ issue 16: one grade, one limit
@pytest.fixture(scope="module")
def portfolio():
    from riskmodels.data.synthetic import make_portfolio

    return make_portfolio(n_firms=400, n_years=5, random_state=0).firm_years


@pytest.mark.parametrize("spec, scale", [("enterprise_five_aspect", "enterprise10"), ("bank_15_grade", "bank15")])
def test_bundle_gives_the_cards_grade_and_limit_for_every_firm_year(portfolio, spec, scale):
    """Issue 16 item 1/2: the document's grade, class and limit are policy (003 企业信用评级标准,
    村镇银行客户信用评级管理办法; limit 002 六): the bundle gives exactly the card's grade and
    limit for every firm-year; the calibrated PD's master-scale grade is reported beside it.
    The card uses its own scale by default (bank card → bank15)."""
    from riskmodels.calibration import MasterScale

    X, y = portfolio, portfolio["default"].to_numpy()
    model = ExpertScorecardModel(spec).fit(X, y)
    card = CardEngine.from_spec(spec).score(X)
    out = scoring.Scorer(model.to_bundle()).score(X)
    assert model.to_bundle()["master_scale"]["name"] == scale
    np.testing.assert_array_equal(out["grade"], card.grade)
    np.testing.assert_array_equal(out["policy_grade"], card.grade)
    np.testing.assert_array_equal(out["limit"], card.limit)
    np.testing.assert_array_equal(out["score"], card.score)
    np.testing.assert_array_equal(model.grade(X), card.grade)
    np.testing.assert_array_equal(model.limit(X), card.limit)
    expected_scale = MasterScale.standard(scale).grade(out["pd"])
    np.testing.assert_array_equal(out["scale_grade"], expected_scale)
    np.testing.assert_array_equal(model.scale_grade(X), expected_scale)
    # no silent zero limits: every firm the card gives a coefficient gets a positive limit
    positive = card.limit_basis >= 40
    assert (out["limit"][positive] > 0).all()


def test_grade_table_card_grade_realised_pd_scale_grade(portfolio):
    """The reviewer's table: per card grade, the PD it realises and the master-scale grade of it."""
    from riskmodels.calibration import MasterScale

    X, y = portfolio, portfolio["default"].to_numpy()
    model = ExpertScorecardModel().fit(X, y)
    table = model.grade_table(X, y)
    grades = CardEngine.from_spec("enterprise_five_aspect").score(X).grade
    assert int(table["n"].sum()) == len(X)
    for grade, row in table.iterrows():
        rows = grades == grade
        assert row["n"] == rows.sum() and row["defaults"] == y[rows].sum()
        assert row["realised_pd"] == pytest.approx(y[rows].mean())
        assert row["scale_grade_of_realised"] == MasterScale.standard("enterprise10").grade([row["realised_pd"]])[0]


def test_hand_worked_firm_one_grade_one_limit(data):
    """The worked firm with an AAA debt ratio scores 75.36 = A (70..80): card and bundle both give
    A and 3e7 × 0.8 × (4e7 / 3e7) / 2 = 1.6e7, whatever grade its calibrated PD has on the scale."""
    X, y, _ = data
    model = ExpertScorecardModel().fit(X, y)
    one = scoring.Scorer(model.to_bundle()).score(worked_firm(debt_ratio_lag2=0.4, debt_ratio_lag1=0.4,
                                                              debt_ratio=0.4))
    assert one["score"] == pytest.approx(75.36, abs=1e-9)
    assert one["grade"] == one["policy_grade"] == "A"
    assert one["limit"] == pytest.approx(1.6e7)
    from riskmodels.calibration import MasterScale

    assert one["scale_grade"] == MasterScale.standard("enterprise10").grade([one["pd"]])[0]


def test_one_fiscal_year_is_refused_not_scored(data):
    """003 企业信用评级标准 (1): rated once the firm has at least two fiscal years of statements."""
    X, y, _ = data
    model = ExpertScorecardModel().fit(X, y)
    young = X.head(3).assign(debt_ratio_lag1=[0.5, None, 0.5])
    with pytest.raises(DataValidationError, match="insufficient history") as info:
        model.predict_proba(young)
    assert "debt_ratio_lag1" in str(info.value) and "[1]" in str(info.value)
    out = scoring.Scorer(model.to_bundle()).score(young, on_error="report")
    assert list(out["errors"]) == [1] and out["grade"][1] is None and np.isnan(out["limit"][1])
    assert out["grade"][0] is not None


def test_deprecated_engine_name_warns():
    import riskmodels as rm
    import riskmodels.scorecards as sc

    with pytest.warns(DeprecationWarning, match="renamed CardEngine"):
        old = sc.ExpertScorecard
    assert old is CardEngine and rm.CardEngine is CardEngine
