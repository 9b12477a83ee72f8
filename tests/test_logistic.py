"""Tests of riskmodels.models.logistic and the "logistic" kernel of riskmodels.scoring."""

import json
import math
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from riskmodels import scoring
from riskmodels.data.loaders import load_german
from riskmodels.errors import DataValidationError, NotFittedError, ParameterError
from riskmodels.models.logistic import (
    LogisticScorecard,
    attribute_points,
    correlation_filter,
    scaling_constants,
    selection_note,
    variance_inflation,
    vif_from_correlation,
)
from riskmodels.models.stepwise import select_and_fit, stepwise_select

matplotlib.use("Agg")

SCALE = {"name": "test", "grades": ["A", "B", "C", "D"], "upper_bounds": [0.1, 0.3, 0.6], "floor": None,
         "midpoints": [0.05, 0.2, 0.45, 0.8]}


@pytest.fixture(scope="module")
def german():
    g = load_german()
    return g.drop(columns="target"), g["target"]


@pytest.fixture(scope="module")
def card(german):
    X, y = german
    return LogisticScorecard(master_scale=SCALE).fit(X, y)


# --------------------------------------------------------------------------- known answers
def test_scaling_constants_siddiqi():
    # Siddiqi (2006), Credit Risk Scorecards, Wiley, ch. 6, scaling example: 600 points at
    # good:bad odds 50:1, PDO 20 -> factor 20/ln 2 = 28.8539, offset 600 - factor ln 50 = 487.1229
    factor, offset = scaling_constants(20, 600, 50)
    assert factor == pytest.approx(28.8539008, abs=5e-8)
    assert offset == pytest.approx(487.1228762, abs=5e-8)
    assert offset + factor * math.log(100) == pytest.approx(620.0, abs=1e-9)


def test_attribute_points_known_answer():
    # Siddiqi (2006), Credit Risk Scorecards, Wiley, ch. 6: attribute points
    # -(beta WoE + alpha/n) factor + offset/n, worked by hand for n 2, alpha -3.0,
    # beta (-0.8, -1.1), WoE (0.5, -0.3) at 600 points for 50:1, PDO 20
    factor, offset = scaling_constants(20, 600, 50)
    pts, base = attribute_points([-0.8, -1.1], [0.5, -0.3], -3.0, 2, factor, offset)
    np.testing.assert_allclose(pts, [298.38385, 277.32050], atol=5e-6)
    assert pts.sum() == pytest.approx(575.70435, abs=5e-6) and base == 0.0
    pts_b, base_b = attribute_points([-0.8, -1.1], [0.5, -0.3], -3.0, 2, factor, offset, "base")
    assert base_b + pts_b.sum() == pytest.approx(575.70435, abs=5e-6)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 0), st.floats(-2, 2)), min_size=1, max_size=8),
       st.floats(-5, 2), st.floats(5, 100), st.floats(300, 900), st.floats(1, 200),
       st.sampled_from(["spread", "base"]))
def test_points_sum_to_offset_plus_factor_ln_odds(pairs, alpha, pdo, base_score, base_odds, mode):
    beta = np.array([p[0] for p in pairs])
    woe = np.array([p[1] for p in pairs])
    factor, offset = scaling_constants(pdo, base_score, base_odds)
    pts, base = attribute_points(beta, woe, alpha, len(pairs), factor, offset, mode)
    eta = alpha + float(beta @ woe)  # ln(bad odds)
    assert base + pts.sum() == pytest.approx(offset + factor * (-eta), abs=1e-7 * (1 + abs(offset)))


def test_variance_inflation_matches_regression_r2():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=400), rng.normal(size=400)
    c = a + 0.5 * b + 0.3 * rng.normal(size=400)
    X = np.column_stack([a, b, c])
    design = np.column_stack([np.ones(400), a, b])
    resid = c - design @ np.linalg.lstsq(design, c, rcond=None)[0]
    r2 = 1 - resid.var() / c.var()
    assert variance_inflation(X)[2] == pytest.approx(1 / (1 - r2), rel=1e-9)


def test_correlation_filter_keeps_higher_ranked():
    rng = np.random.default_rng(0)
    a = rng.normal(size=200)
    W = pd.DataFrame({"a": a, "b": a + 0.01 * rng.normal(size=200), "c": rng.normal(size=200)})
    kept, dropped = correlation_filter(W, ["b", "a", "c"], 0.9)
    assert kept == ["b", "c"] and dropped[0][:2] == ("a", "b")


def test_stepwise_directions_and_criteria():
    rng = np.random.default_rng(1)
    W = pd.DataFrame(rng.normal(size=(1500, 4)), columns=["a", "b", "n1", "n2"])
    y = (rng.random(1500) < 1 / (1 + np.exp(1 + W["a"] + 0.5 * W["b"]))).astype(int).to_numpy()
    for direction in ("forward", "backward", "stepwise"):
        chosen, log = stepwise_select(W, y, ["a", "b", "n1", "n2"], direction)
        assert {"a", "b"} <= set(chosen) and len(chosen) <= 3, direction
    aic_chosen, aic_log = stepwise_select(W, y, ["a", "b", "n1", "n2"], "forward", criterion="aic")
    assert aic_chosen[:2] == ["a", "b"]
    assert all(later < earlier for earlier, later in zip([v for _, _, v in aic_log], [v for _, _, v in aic_log][1:], strict=False))
    assert stepwise_select(W, y, ["a", "b", "n1"], "forward", max_features=1)[0] == ["a"]
    with pytest.raises(ParameterError, match="p_remove"):
        stepwise_select(W, y, ["a"], p_enter=0.2, p_remove=0.1)


# --------------------------------------------------------------------------- fitted scorecard
def test_bundle_reproduces_predict_proba_exactly(card, german, tmp_path):
    X, _ = german
    path = card.export(tmp_path / "card.json")
    scorer = scoring.load_scorer(path)
    out = scorer.score(X)
    np.testing.assert_array_equal(out["pd"], card.predict_proba(X)[:, 1])
    np.testing.assert_array_equal(out["score"], card.points(X))
    assert scorer.kind == "logistic"
    assert json.loads(path.read_text())["model"]["features"][0]["name"] == card.features_[0]


def test_fitted_points_follow_the_scaling(card, german):
    X, _ = german
    out = card.score_frame(X)
    eta = scoring.logit(out["pd"])
    np.testing.assert_allclose(out["score"], card.offset_ - card.factor_ * eta, atol=1e-8)
    assert (card.coef_ < 0).all() and card.sign_violations_ == []


def test_reason_codes_rank_points_lost(card, german):
    X, _ = german
    out = card.score_frame(X.head(50))
    lost = out["contributions"]
    assert (lost >= -1e-12).all()
    reasons = card.reason_codes(X.head(50), n_reasons=2)
    worst = np.asarray(card.features_)[np.argmax(lost, axis=1)]
    np.testing.assert_array_equal(reasons[:, 0], worst)
    best = {}
    for name in card.features_:
        b = card.binning_.binnings_[name]
        populated = np.flatnonzero(b.table_.count[: b.n_bins_] > 0)
        top = populated[np.argmax(card.points_[name][populated])]
        best[name] = b.splits_[top][0] if b.dtype == "categorical" else (
            b.splits_[top - 1] if top > 0 else b.splits_[0] - 1)
    ideal = card.score_frame(pd.DataFrame({n: [v] for n, v in best.items()}))
    np.testing.assert_allclose(ideal["contributions"], 0.0, atol=1e-12)


def test_selection_log_and_summary(card, german):
    log = card.selection_log_
    assert "add" in set(log["action"]) and log["action"].str.startswith("trend").any()
    X, y = german
    strict = LogisticScorecard(min_iv=0.02, master_scale=SCALE).fit(X, y)
    assert strict.selection_log_["action"].str.startswith("drop (IV").any()
    assert (strict.binning_.iv_[strict.features_] >= 0.02).all()
    text = card.summary()
    assert "Logit (maximum likelihood" in text and "Sign check" in text and "PDO 20" in text
    assert list(card.coef_table_.index) == ["const", *card.features_]
    assert (card.coef_table_["vif"].iloc[1:] <= 5).all()
    assert "<table" in card._repr_html_() and card.plot() is not None
    table = card.scorecard_table()
    assert set(table["feature"]) == set(card.features_)


def test_sign_check_reports_and_drops_wrong_signs():
    rng = np.random.default_rng(5)
    n = 4000
    a = rng.normal(size=n)
    b = a + 0.3 * rng.normal(size=n)  # marginally risky like a, conditionally protective
    y = (rng.random(n) < 1 / (1 + np.exp(1.0 - 2.0 * a + 0.8 * b))).astype(int)
    X = pd.DataFrame({"a": a, "b": b})
    params = dict(selection=None, max_correlation=1.0, max_vif=None, master_scale=SCALE)
    report = LogisticScorecard(sign_policy="report", **params).fit(X, y)
    assert report.sign_violations_ == ["b"] and report.coef_table_.loc["b", "sign_ok"] == False  # noqa: E712
    dropped = LogisticScorecard(**params).fit(X, y)
    assert dropped.features_ == ["a"] and dropped.sign_violations_ == ["b"]
    assert "drop (sign)" in set(dropped.selection_log_["action"])


def test_rounding_and_base_points(german):
    X, y = german
    common = dict(selection=None, max_features=4, master_scale=SCALE)
    rounded = LogisticScorecard(rounding=True, **common).fit(X, y)
    assert all(np.array_equal(p, np.round(p)) for p in rounded.points_.values())
    scores = rounded.points(X.head(20))
    assert np.array_equal(scores, np.round(scores))
    spread = LogisticScorecard(**common).fit(X, y)
    base = LogisticScorecard(intercept_mode="base", **common).fit(X, y)
    np.testing.assert_allclose(spread.points(X.head(20)), base.points(X.head(20)), atol=1e-9)
    assert base.base_points_ != 0.0
    assert np.abs(scores - spread.points(X.head(20))).max() <= 0.5 * len(rounded.features_) + 1e-9


def test_sklearn_contract_and_determinism(german, monkeypatch):
    X, y = german
    est = LogisticScorecard(max_features=3, master_scale=SCALE)
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        est.predict_proba(X)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    first = scoring.dumps_bundle(clone(est).fit(X, y).to_bundle())
    second = scoring.dumps_bundle(clone(est).fit(X, y).to_bundle())
    assert first == second
    fitted = clone(est).fit(X, y)
    assert fitted.predict_proba(X).shape == (1000, 2) and set(fitted.predict(X)) <= {0, 1}
    assert fitted.n_features_in_ == X.shape[1]


# --------------------------------------------------------------------------- bad inputs
def test_bad_targets_raise(german):
    X, y = german
    with pytest.raises(DataValidationError, match="single class"):
        LogisticScorecard(master_scale=SCALE).fit(X, np.zeros(len(y)))
    with pytest.raises(DataValidationError, match="values other than 0/1"):
        LogisticScorecard(master_scale=SCALE).fit(X, np.where(y == 1, 2, 0))


def test_a_failed_fit_leaves_no_scratch_state(german):
    X, y = german
    card = LogisticScorecard(master_scale=SCALE, min_iv=10.0)  # no characteristic has IV 10: selection leaves none
    with pytest.raises(DataValidationError, match="no characteristic survived"):
        card.fit(X, y)
    assert not [name for name in vars(card) if name.startswith("_codes")]
    assert card.set_params(min_iv=0.0).fit(X, y).features_


def test_infinite_values_raise_at_fit_and_predict(card, german):
    X, y = german
    bad = X.copy()
    bad["credit_amount"] = bad["credit_amount"].astype(float)
    bad.loc[7, "credit_amount"] = np.inf
    with pytest.raises(DataValidationError, match="'credit_amount'.*infinite.*\\[7\\]"):
        LogisticScorecard(master_scale=SCALE).fit(bad, y)
    if "credit_amount" in card.features_:
        with pytest.raises(DataValidationError, match="credit_amount"):
            card.predict_proba(bad)


def test_unknown_category_policies_at_scoring(german):
    X, y = german
    strict = LogisticScorecard(unknown_category="error", max_features=3, master_scale=SCALE).fit(X, y)
    row = X.head(2).copy()
    row["checking_status"] = row["checking_status"].astype(str)
    row.loc[1, "checking_status"] = "A99"
    assert "checking_status" in strict.features_
    with pytest.raises(DataValidationError, match="checking_status"):
        strict.predict_proba(row)
    lenient = LogisticScorecard(max_features=3, master_scale=SCALE).fit(X, y)
    pd_ = lenient.predict_proba(row)[:, 1]
    worst = lenient.predict_proba(X[X["checking_status"] == "A11"].head(1).assign(
        **{c: row.loc[1, c] for c in lenient.features_ if c != "checking_status"}))[:, 1]
    assert pd_[1] == pytest.approx(worst[0])


def test_categorical_special_codes_score_under_the_error_policy(german):
    X, y = german
    card = LogisticScorecard(features=["checking_status", "duration_months"], unknown_category="error",
                             binning_fit_params={"checking_status": {"special_codes": ["A14"]}},
                             selection=None, min_iv=0.0, master_scale=SCALE).fit(X, y)
    binning = card.binning_.binnings_["checking_status"]
    rows = X[X["checking_status"] == "A14"].head(3)
    assert (binning.transform(rows["checking_status"], metric="index") == binning.n_bins_ + 1).all()
    pd_ = card.predict_proba(rows)[:, 1]
    np.testing.assert_array_equal(scoring.Scorer(card.to_bundle()).score(rows)["pd"], pd_)
    with pytest.raises(DataValidationError, match="checking_status"):
        card.predict_proba(rows.assign(checking_status="A99"))


def test_no_feature_survives_raises(german):
    X, y = german
    with pytest.raises(DataValidationError, match="no characteristic survived"):
        LogisticScorecard(min_iv=10.0, master_scale=SCALE).fit(X, y)
    with pytest.raises(ParameterError, match="selection"):
        LogisticScorecard(selection="sideways", master_scale=SCALE).fit(X, y)


def test_logistic_kernel_by_hand():
    model = {"intercept": -1.0, "base_points": 10.0, "features": [
        {"name": "x", "binning": {"type": "numeric", "edges": [5.0], "missing_bin": 2, "special_bins": {}},
         "woe": [0.5, -0.5, 0.0], "coef": -2.0, "points": [30.0, 10.0, 20.0], "best_points": 30.0},
        {"name": "c", "binning": {"type": "categorical", "categories": {"u": 0, "v": 1}, "missing_bin": 2,
                                  "unknown_bin": None},
         "woe": [1.0, -1.0, 0.0], "coef": -1.0, "points": [40.0, 0.0, 20.0], "best_points": 40.0}]}
    cols = {"x": np.array([1.0, 7.0, np.nan]), "c": np.array(["v", "u", None], dtype=object)}
    out = scoring.KERNELS["logistic"](model, cols, 3)
    eta = np.array([-1 - 2 * 0.5 - 1 * -1.0, -1 - 2 * -0.5 - 1 * 1.0, -1.0])
    np.testing.assert_allclose(out["raw"], 1 / (1 + np.exp(-eta)))
    np.testing.assert_allclose(out["points"], [40.0, 60.0, 50.0])
    np.testing.assert_allclose(out["contributions"], [[0.0, 40.0], [20.0, 0.0], [10.0, 20.0]])
    assert out["reason_names"] == ["x", "c"]
    with pytest.raises(scoring.BundleError, match="'c'.*no bin"):
        scoring.KERNELS["logistic"](model, {"x": np.array([1.0]), "c": np.array(["w"], dtype=object)}, 1)


def test_jupyter_shows_the_scorecard_not_the_estimator_diagram():
    from riskmodels.data import load_taiwan

    data = load_taiwan().head(3000)
    model = LogisticScorecard(features=["PAY_0", "LIMIT_BAL"], selection=None).fit(
        data[["PAY_0", "LIMIT_BAL"]], data["target"])
    shown = model._repr_mimebundle_()
    assert "Scorecard" in shown["text/html"] and "PAY_0" in shown["text/html"]


# --------------------------------------------------------------------------- issue 15 / 18
def _naive_stepwise(W, y, candidates, p_enter=0.05, p_remove=0.10):
    """The Wald stepwise this package used before the fast one (an independent, slow oracle).

    Forward: refit every remaining candidate with statsmodels and add the one
    whose own Wald p-value is smallest while below p_enter; after each entry,
    remove the largest Wald p-value while above p_remove (a removed column does
    not come back). Hosmer & Lemeshow (2013), Applied Logistic Regression, §4.3.
    """
    import statsmodels.api as sm

    def fit(names):
        design = sm.add_constant(W[names].astype(float), has_constant="add")
        return sm.Logit(np.asarray(y, dtype=float), design).fit(disp=0, method="newton", maxiter=100)

    chosen, removed = [], set()
    while True:
        pool = [c for c in candidates if c not in chosen and c not in removed]
        trials = [(float(np.asarray(fit(chosen + [c]).pvalues)[-1]), i, c) for i, c in enumerate(pool)]
        if not trials or min(trials)[0] >= p_enter:
            return chosen
        chosen.append(min(trials)[2])
        while chosen:
            p = np.asarray(fit(chosen).pvalues)[1:]
            if p.max() <= p_remove:
                break
            removed.add(chosen.pop(int(np.argmax(p))))


def _bundled_sets():
    """Bundled sets with a binary target; Taiwan and Polish years 1 and 5 (slow for the statsmodels
    oracle) are compared in ``benchmarks/bench_logistic.py``, which prints the same check."""
    import yaml

    from riskmodels.comparison.config import shipped_experiments
    from riskmodels.data import loaders
    from riskmodels.data.synthetic import make_portfolio

    config = yaml.safe_load(shipped_experiments()["synthetic_enterprise"].read_text())["models"][1]
    firm_years = make_portfolio(n_firms=2000, n_years=5, random_state=0).firm_years
    yield "german", load_german(), "target", None, None
    yield "south_german", loaders.load_south_german(), "target", None, None
    yield "firm_years", firm_years, "default", config["features"], config["params"]["categorical"]


def test_fast_stepwise_selects_what_the_wald_stepwise_selects_on_the_bundled_sets(monkeypatch):
    import riskmodels.models.logistic as module

    seen = {}

    def spy(data, candidates, *args, **kwargs):
        seen["candidates"] = list(candidates)
        return select_and_fit(data, candidates, *args, **kwargs)

    monkeypatch.setattr(module, "select_and_fit", spy)
    for name, frame, target, features, categorical in _bundled_sets():
        y = frame[target].to_numpy()
        X = frame.drop(columns=[c for c in (target, "ID") if c in frame])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            card = LogisticScorecard(features=features, categorical=categorical, sign_policy="report").fit(X, y)
        W = pd.DataFrame(card.binning_.transform(X), columns=card.binning_.features_)
        fast = stepwise_select(W, y, seen["candidates"])[0]
        assert set(fast) == set(_naive_stepwise(W, y, seen["candidates"])), name


def test_sign_constrained_entry_only_enters_admissible_columns():
    # b is marginally risky like a but conditionally protective: unconstrained, it enters with a
    # positive coefficient (wrong for WoE ln(%good/%bad)); with sign=-1 it is never eligible
    rng = np.random.default_rng(5)
    n = 4000
    a = rng.normal(size=n)
    b = a + 0.3 * rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(1.0 + 2.0 * a - 0.8 * b))).astype(int)
    W = pd.DataFrame({"a": a, "b": b})
    from riskmodels.models.stepwise import collapse_rows

    data = collapse_rows(W.to_numpy(), y)
    free, _, fit_free = select_and_fit(data, ["a", "b"], criterion="aic")
    assert free == ["a", "b"] and fit_free.params[2] > 0
    signed, _, fit_signed = select_and_fit(data, ["a", "b"], criterion="aic", sign=-1)
    assert signed == ["a"] and (fit_signed.params[1:] < 0).all()


def test_aic_stepwise_beats_pvalue_entry_in_cross_validation_on_small_samples():
    # the default criterion: on 1,000 records p < 0.05 entry leaves out characteristics that still
    # predict (Akaike 1974; AIC ~ leave-one-out CV, Stone 1977); out-of-fold AUC, German credit
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    X, y = load_german().drop(columns="target"), load_german()["target"].to_numpy()
    auc = {"aic": [], "pvalue": []}
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        for criterion in auc:
            card = LogisticScorecard(criterion=criterion, master_scale=SCALE).fit(X.iloc[train], y[train])
            auc[criterion].append(roc_auc_score(y[test], card.predict_proba(X.iloc[test])[:, 1]))
    assert np.mean(auc["aic"]) > np.mean(auc["pvalue"])
    assert LogisticScorecard().criterion == "aic"


def test_vif_from_correlation_equals_vif_of_the_data_and_notes_large_samples():
    rng = np.random.default_rng(3)
    a = rng.normal(size=400)
    X = np.column_stack([a, a + 0.5 * rng.normal(size=400), rng.normal(size=400)])
    np.testing.assert_allclose(vif_from_correlation(np.corrcoef(X, rowvar=False)), variance_inflation(X))
    assert vif_from_correlation(np.array([[1.0, np.nan], [np.nan, np.nan]]))[1] == np.inf
    assert "AIC entry kept every candidate" in selection_note("aic", 5, 5, 60_000)[0]
    assert selection_note("aic", 5, 4, 60_000) is None and selection_note("aic", 5, 5, 1_000) is None


def test_numpy_irls_matches_statsmodels(german):
    import statsmodels.api as sm

    from riskmodels.models.stepwise import collapse_rows, fit_logit

    X, y = german
    W = pd.DataFrame(LogisticScorecard(master_scale=SCALE).fit(X, y).binning_.transform(X))
    W = W.iloc[:, :5]
    ours = fit_logit(collapse_rows(W.to_numpy(), y), range(5))
    theirs = sm.Logit(y.to_numpy(dtype=float), sm.add_constant(W)).fit(disp=0)
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-6)
    assert ours.llf == pytest.approx(theirs.llf, rel=1e-10)
    assert len(collapse_rows(W.to_numpy(), y).counts) < len(y)  # identical WoE rows were collapsed


def test_score_test_matches_the_likelihood_ratio_direction(german):
    # Rao's score statistic for one added column is close to the LR statistic (both chi2(1))
    from riskmodels.models.stepwise import collapse_rows, fit_logit, score_tests

    X, y = german
    W = LogisticScorecard(master_scale=SCALE).fit(X, y).binning_.transform(X)[:, :4]
    data = collapse_rows(W, y)
    base = fit_logit(data, [0])
    stats = score_tests(data, base, [0], [1, 2, 3])
    lr = [2 * (fit_logit(data, [0, j]).llf - base.llf) for j in (1, 2, 3)]
    np.testing.assert_allclose(stats, lr, rtol=0.15)
    assert np.argmax(stats) == np.argmax(lr)


def test_bic_criterion_is_stricter_than_pvalue_and_large_samples_are_logged():
    rng = np.random.default_rng(0)
    n = 60_000
    W = pd.DataFrame(rng.normal(size=(n, 7)), columns=["a", "w1", "w2", "w3", "w4", "w5", "w6"])
    # weak columns: z about 2-3.5 at this n, past p_enter = 0.05 (chi2 3.84) but short of ln N = 11.0
    y = (rng.random(n) < 1 / (1 + np.exp(1.5 - W["a"] - 0.025 * W.iloc[:, 1:].sum(axis=1)))).astype(int)
    by_p = stepwise_select(W, y, list(W.columns))[0]
    by_bic = stepwise_select(W, y, list(W.columns), criterion="bic")[0]
    assert "a" in by_bic and set(by_bic) < set(by_p)
    X = W[["a"]].assign(b=rng.normal(size=n))
    y2 = (rng.random(n) < 1 / (1 + np.exp(1.5 - X["a"] - 0.5 * X["b"]))).astype(int)
    card = LogisticScorecard(max_n_prebins=10, master_scale=SCALE).fit(X, y2)
    assert card.features_ == ["a", "b"]
    assert card.selection_log_["action"].str.contains("criterion='bic' is stricter").any()


def test_single_bin_feature_is_dropped_with_a_logged_reason(german):
    X, y = german
    X = X.assign(constant=1.0, mostly=np.r_[np.zeros(995), np.arange(5.0)])
    card = LogisticScorecard(min_iv=0.0, selection=None, max_vif=None, max_correlation=1.0,
                             master_scale=SCALE).fit(X, y)
    assert "constant" not in card.features_
    log = card.selection_log_
    reason = log.loc[log["feature"] == "constant", "action"].tolist()
    assert any(r.startswith("drop (single bin") for r in reason)


def test_category_codes_as_floats_with_a_gap_score_the_same_everywhere(tmp_path):
    # issue 15: integer codes plus one NaN make a float column; the bundle must read "1", not "1.0"
    rng = np.random.default_rng(7)
    n = 3000
    code = rng.integers(1, 5, n).astype(float)
    code[5] = np.nan
    other = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(1.5 - 0.5 * code.astype(float).clip(0) - other))).astype(int)
    X = pd.DataFrame({"code": code, "other": other})
    card = LogisticScorecard(categorical=["code"], min_iv=0.0, master_scale=SCALE).fit(X, y)
    assert "code" in card.features_
    assert set(card.binning_.binnings_["code"].categories_) == {"1", "2", "3", "4"}
    woe = np.column_stack([card.binning_.binnings_[n].transform(X[n]) for n in card.features_])
    fitted = 1 / (1 + np.exp(-(card.intercept_ + woe @ card.coef_)))  # the logit's own linear predictor
    np.testing.assert_allclose(card.predict_proba(X)[:, 1], fitted, atol=1e-12)
    scorer = scoring.load_scorer(card.export(tmp_path / "codes.json"))
    np.testing.assert_array_equal(scorer.score(X)["pd"], card.predict_proba(X)[:, 1])
    # fitted on integer codes, then given the same codes as floats (a NaN appeared): same PDs
    ints = X.dropna().astype({"code": "int64"})
    card_int = LogisticScorecard(categorical=["code"], min_iv=0.0, master_scale=SCALE).fit(ints, y[X["code"].notna()])
    as_float = ints.astype({"code": "float64"})
    np.testing.assert_array_equal(card_int.predict_proba(as_float)[:, 1], card_int.predict_proba(ints)[:, 1])


def test_points_is_not_score_and_score_keeps_sklearn_meaning(card, german):
    from sklearn.model_selection import cross_val_score

    X, y = german
    assert card.points(X.head(5)).shape == (5,)
    assert card.score(X, y) == pytest.approx(np.mean(card.predict(X) == y))
    folds = cross_val_score(LogisticScorecard(master_scale=SCALE, max_features=4), X, y, cv=2)
    assert np.isfinite(folds).all()


def test_fit_resets_every_learned_attribute(german):
    X, y = german
    card = LogisticScorecard(master_scale=SCALE).fit(X, y)
    card.recalibration_ = "stale"
    card.fit(X, y)
    assert not hasattr(card, "recalibration_")


def test_rescue_before_dropping_for_low_iv():
    # a hump-shaped feature whose best monotone binning is useless (IV < min_iv)
    rng = np.random.default_rng(11)
    n = 8000
    hump = rng.uniform(-3, 3, n)
    base = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(2.0 - base - 0.9 * np.exp(-hump ** 2)))).astype(int)
    X = pd.DataFrame({"base": base, "hump": hump})
    card = LogisticScorecard(monotonic_trend="auto", min_iv=0.02, master_scale=SCALE).fit(X, y)
    b = card.binning_.binnings_["hump"]
    assert b.trend_ == "peak"
    asc = b.with_trend("ascending")
    assert asc.iv_ < b.iv_
    log = card.selection_log_
    assert log["action"].str.startswith("trend").sum() == 2


def test_a_candidate_that_separates_the_sample_is_skipped_not_fatal():
    """The first 200 rows of South German credit hold 7 bad loans: with the 8 characteristics AIC
    selects, adding ``amount`` leaves no maximum-likelihood estimate (statsmodels 0.15's GLM
    "converges" to a coefficient over 1,000 with 189 fitted probabilities of 0: separation).
    The search skips it, says so in the log, and fits; it used to stop with a ConvergenceError."""
    import statsmodels.api as sm

    from riskmodels.data.loaders import data_dir

    frame = pd.read_csv(data_dir() / "german_credit" / "SouthGermanCredit.asc", sep=" ").head(200)
    y = 1 - frame.pop("credit_risk")  # credit_risk 1 = good (codetable.txt)
    card = LogisticScorecard().fit(frame, y)
    skipped = card.selection_log_[card.selection_log_["action"].str.startswith("skip")]
    assert skipped["feature"].tolist() == ["amount"] and "amount" not in card.features_
    woe = pd.DataFrame(card.binning_.transform(frame), columns=card.binning_.features_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outside = sm.GLM(y.to_numpy(), sm.add_constant(woe[card.features_ + ["amount"]].to_numpy()),
                         family=sm.families.Binomial()).fit()
    assert np.abs(outside.params).max() > 100 and (outside.fittedvalues < 1e-8).sum() > 100
