"""KMV-style structural models: Merton solver, DD forms, iterative estimator, DD→PD, KMVModel.

Known answers: Crosbie & Bohn, "Modeling Default Risk" (Moody's KMV, 2003) for the default
point, DD and the DD→EDF table (KMV-1..3); Bharath & Shumway, "Forecasting Default with the
Merton Distance to Default Model", RFS 21(3), 2008 for the naive DD (BS-1); Merton (1974)
priced back for the round trip; and Hull, Options, Futures, and Other Derivatives (8th ed., ch. 24 "Credit risk"): E = 3,
σE = 80 %, r = 5 %, D = 10, T = 1 → V = 12.40, σV = 21.23 %, risk-neutral PD 12.7 %.
"""

import json

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import fsolve
from scipy.special import erfc as scipy_erfc
from scipy.special import ndtr
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from riskmodels import scoring
from riskmodels.data.synthetic import make_portfolio
from riskmodels.errors import ConvergenceError, DataValidationError, ParameterError, RiskModelsError
from riskmodels.models.kmv import (
    MERTON_STATUS,
    KMVModel,
    default_point,
    distance_to_default,
    fit_empirical_pd_map,
    history_asset_volatility,
    iterative_kmv,
    iterative_kmv_frame,
    merton_equity,
    naive_distance_to_default,
    pd_sensitivities,
    peer_asset_volatility,
    plot_dd_by_outcome,
    solve_merton,
)
from riskmodels.models.kmv.checks import DD_CLIP

matplotlib.use("Agg")

SCALE = {"name": "test", "grades": ["A", "B", "C", "D"], "upper_bounds": [0.01, 0.05, 1.0],
         "floor": None, "midpoints": [0.005, 0.02, 0.2, 1.0]}


def random_firms(n, seed):
    rng = np.random.default_rng(seed)
    equity = rng.lognormal(3.0, 1.0, n)
    debt = equity * rng.lognormal(0.0, 1.5, n)
    return equity, rng.uniform(0.05, 1.5, n), debt, rng.uniform(0.0, 0.08, n)


# ---------------------------------------------------------------- normal CDF without scipy
def test_cody_erfc_and_norm_cdf_match_scipy():
    x = np.linspace(-26.0, 26.0, 40001)
    ours, ref = scoring.erfc(x), scipy_erfc(x)
    assert np.max(np.abs(ours - ref) / ref) < 1e-13
    z = np.linspace(-37.0, 8.0, 20001)
    assert np.max(np.abs(scoring.norm_cdf(z) - ndtr(z)) / ndtr(z)) < 1e-13
    assert scoring.erfc(np.array([np.nan]))[0] != scoring.erfc(np.array([np.nan]))[0]  # NaN stays NaN
    assert scoring.norm_cdf(np.array([-np.inf, np.inf])).tolist() == [0.0, 1.0]


# ---------------------------------------------------------------- known answers
def test_default_point_and_kmv1_simple_dd():
    # KMV-1 (Crosbie & Bohn 2003 default point): V 1200, STD 500, LTD 300, σV 10 %
    dpt = default_point(500.0, 300.0)
    assert float(dpt) == 650.0
    assert float(distance_to_default(1200.0, 0.10, dpt, form="simple")) == pytest.approx(4.5833, abs=1e-4)
    assert float(default_point(500.0, 300.0, long_term_weight=1.0)) == 800.0


def test_kmv2_absolute_asset_sd():
    # KMV-2: V 700, current liabilities 120, long-term 300, st.dev of asset value 76
    dpt = default_point(120.0, 300.0)
    dd = distance_to_default(700.0, 76.0 / 700.0, dpt, form="simple")
    assert float(dd) == pytest.approx(5.6579, abs=1e-4)


def test_kmv3_empirical_map_exact_at_table_points_and_monotone_between():
    table = {1.0: 0.05, 2.0: 0.025, 3.0: 0.01, 4.0: 0.004, 5.0: 0.002}
    dd = np.repeat(list(table), 5000)
    y = np.concatenate([np.r_[np.ones(round(p * 5000)), np.zeros(5000 - round(p * 5000))]
                        for p in table.values()])
    pd_map = fit_empirical_pd_map(dd, y)
    assert pd_map(4.0) == 0.004
    assert pd_map(np.array(list(table))).tolist() == list(table.values())
    grid = pd_map(np.linspace(0.0, 6.0, 601))
    assert np.all(np.diff(grid) <= 0)
    assert pd_map.n.tolist() == [5000] * 5


def test_bharath_shumway_naive_dd_bs1():
    dd, pd_, vol = naive_distance_to_default(3.0, 10.0, 0.80, 0.05, 1.0)
    assert float(vol) == pytest.approx(0.3769231, abs=1e-6)
    assert float(dd) == pytest.approx(0.6402600, abs=1e-6)
    assert float(pd_) == pytest.approx(0.2610018, abs=1e-6)


def test_hull_merton_textbook_example():
    sol = solve_merton(3.0, 0.80, 10.0, 0.05, 1.0)
    assert float(sol.asset_value) == pytest.approx(12.40, abs=0.005)
    assert float(sol.asset_vol) == pytest.approx(0.2123, abs=0.00005)
    assert float(sol.pd) == pytest.approx(0.127, abs=0.0005)
    assert bool(sol.converged) and str(sol.status) == "converged"
    e, s = merton_equity(sol.asset_value, sol.asset_vol, 10.0, 0.05, 1.0)
    assert abs(float(e) - 3.0) < 1e-9 and abs(float(s) - 0.80) < 1e-9


def test_round_trip_on_a_portfolio_returns_the_inputs():
    equity, equity_vol, debt, rate = random_firms(20_000, 1)
    sol = solve_merton(equity, equity_vol, debt, rate, 1.0)
    assert sol.converged.all() and (sol.status == "converged").all()
    e, s = merton_equity(sol.asset_value, sol.asset_vol, debt, rate, 1.0)
    assert np.max(np.abs(e - equity) / equity) < 1e-9
    assert np.max(np.abs(s - equity_vol)) < 1e-9
    assert np.all(sol.asset_vol <= equity_vol) and np.all(sol.asset_value >= equity)
    np.testing.assert_allclose(sol.pd, ndtr(-sol.d2), rtol=1e-12)


def test_solver_agrees_with_per_firm_fsolve():
    equity, equity_vol, debt, rate = random_firms(40, 2)
    sol = solve_merton(equity, equity_vol, debt, rate, 2.0)

    def equations(x, e, se, d, r):
        v, s = x
        d1 = (np.log(v / d) + (r + s * s / 2) * 2.0) / (s * np.sqrt(2.0))
        d2 = d1 - s * np.sqrt(2.0)
        return [(v * ndtr(d1) - d * np.exp(-r * 2.0) * ndtr(d2)) / e - 1, v * ndtr(d1) * s / (e * se) - 1]

    for i in range(40):
        start = [equity[i] + debt[i], equity_vol[i] * equity[i] / (equity[i] + debt[i])]
        root, info, _, _ = fsolve(equations, start, args=(equity[i], equity_vol[i], debt[i], rate[i]),
                                  xtol=1e-12, full_output=True)
        assert np.max(np.abs(info["fvec"])) < 1e-12
        assert sol.asset_value[i] == pytest.approx(root[0], rel=1e-8)
        assert sol.asset_vol[i] == pytest.approx(root[1], rel=1e-8)


def test_broadcasting_keeps_shapes():
    sol = solve_merton(np.array([[3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]), 0.5, np.array([10.0, 5.0, 1.0]), 0.03)
    assert sol.asset_value.shape == (2, 3) and sol.status.shape == (2, 3)
    assert sol.to_frame().shape == (6, 12)


# ---------------------------------------------------------------- edge cases
def test_edge_cases_have_documented_results():
    sol = solve_merton([0.0, -1.0, 3.0, 3.0, 3.0], [0.5, 0.5, 0.5, 0.0, 50.0], [10.0, 10.0, 0.0, 10.0, 10.0],
                       0.05, 1.0)
    assert sol.status.tolist() == ["nonpositive_equity", "nonpositive_equity", "no_debt",
                                   "zero_volatility", "converged"]
    assert np.isnan(sol.asset_value[:2]).all() and sol.pd[:2].tolist() == [1.0, 1.0]
    assert not sol.converged[:2].any() and sol.converged[2:].all()
    assert sol.asset_value[2] == 3.0 and sol.asset_vol[2] == 0.5 and sol.pd[2] == 0.0   # zero debt
    assert sol.asset_value[3] == pytest.approx(3.0 + 10.0 * np.exp(-0.05)) and sol.asset_vol[3] == 0.0
    assert sol.pd[3] == 0.0 and sol.d2[3] == np.inf
    # huge equity volatility: the assets carry almost all of it and default is nearly certain
    assert sol.asset_vol[4] == pytest.approx(50.0, rel=1e-6) and sol.pd[4] > 0.999
    e, s = merton_equity(sol.asset_value[4], sol.asset_vol[4], 10.0, 0.05, 1.0)
    assert e == pytest.approx(3.0, rel=1e-9) and s == pytest.approx(50.0, rel=1e-9)


def test_deep_out_of_the_money_firms_are_solved_by_the_fallback():
    sol = solve_merton([1e-6, 1.0], [5.0, 5.0], [10.0, 1e9], [0.05, 0.0], 1.0)
    assert sol.converged.all()
    assert (sol.iterations > 50).all()  # Newton stalled, bisection finished the job
    e, s = merton_equity(sol.asset_value, sol.asset_vol, [10.0, 1e9], [0.05, 0.0], 1.0)
    np.testing.assert_allclose(e, [1e-6, 1.0], rtol=1e-6)
    np.testing.assert_allclose(s, [5.0, 5.0], rtol=1e-9)


def test_unsolved_firms_are_flagged_or_raise(monkeypatch):
    monkeypatch.setattr(scoring, "_BISECTION_STEPS", 0)
    sol = solve_merton([3.0, 3.0], [0.8, 0.8], [10.0, 0.0], 0.05, 1.0, max_iter=0)
    assert sol.status.tolist() == ["not_converged", "no_debt"]
    assert sol.converged.tolist() == [False, True]
    assert np.isnan(sol.asset_value[0]) and np.isnan(sol.pd[0])
    assert "not_converged" in sol.summary()
    with pytest.raises(ConvergenceError, match=r"first rows \[0\]"):
        solve_merton([3.0, 3.0], [0.8, 0.8], [10.0, 0.0], 0.05, 1.0, max_iter=0, on_failure="raise")


@pytest.mark.parametrize("kwargs, column, rule", [
    ({"equity": [3.0, np.nan]}, "equity", "missing"),
    ({"equity_vol": [0.5, np.inf]}, "equity_vol", "infinite"),
    ({"equity_vol": [-0.1, 0.5]}, "equity_vol", "negative"),
    ({"debt": [10.0, -1.0]}, "debt", "negative"),
    ({"rate": ["a", "b"]}, "rate", "not numbers"),
    ({"horizon": 0.0}, "horizon", "is 0.0"),
    ({"horizon": -1.0}, "horizon", "is -1.0"),
])
def test_bad_solver_input_names_the_field(kwargs, column, rule):
    args = {"equity": [3.0, 4.0], "equity_vol": [0.5, 0.4], "debt": [10.0, 8.0], "rate": 0.05, "horizon": 1.0}
    args.update(kwargs)
    with pytest.raises(DataValidationError) as info:
        solve_merton(**args)
    assert column in info.value.columns and rule in str(info.value)
    if column not in ("horizon", "rate"):
        assert info.value.violations[0].rows == (1,) or info.value.violations[0].rows == (0,)


def test_distance_to_default_log_form_and_errors():
    dd = distance_to_default(100.0, 0.25, 70.0, drift=0.08, horizon=2.0)
    expected = (np.log(100 / 70) + (0.08 - 0.25**2 / 2) * 2.0) / (0.25 * np.sqrt(2.0))
    assert float(dd) == pytest.approx(expected, rel=1e-14)
    assert float(distance_to_default(100.0, 0.25, 0.0)) == np.inf
    assert float(distance_to_default(100.0, 0.0, 70.0)) == np.inf
    with pytest.raises(DataValidationError, match="asset_value"):
        distance_to_default([100.0, 0.0], 0.25, 70.0)
    with pytest.raises(ValueError, match="form"):
        distance_to_default(100.0, 0.25, 70.0, form="linear")
    with pytest.raises(ParameterError, match="long_term_weight"):
        default_point(1.0, 1.0, long_term_weight=1.5)
    with pytest.raises(DataValidationError, match="equity"):
        naive_distance_to_default([3.0, 0.0], 10.0, 0.8, 0.05)


def test_pd_sensitivities_match_finite_differences():
    value, vol, dpt = np.array([100.0, 80.0]), np.array([0.25, 0.4]), np.array([70.0, 75.0])
    s = pd_sensitivities(value, vol, dpt, drift=0.03, horizon=1.0)

    def pd_of(v, sv, d):
        return ndtr(-distance_to_default(v, sv, d, drift=0.03))

    h = 1e-6
    lev = dpt / value
    fd_lev = (pd_of(value, vol, (lev + h) * value) - pd_of(value, vol, (lev - h) * value)) / (2 * h)
    fd_vol = (pd_of(value, vol + h, dpt) - pd_of(value, vol - h, dpt)) / (2 * h)
    np.testing.assert_allclose(s["dpd_dleverage"], fd_lev, rtol=1e-6)
    np.testing.assert_allclose(s["dpd_dasset_vol"], fd_vol, rtol=1e-6)
    np.testing.assert_allclose(s["pd"], pd_of(value, vol, dpt), rtol=1e-12)
    with pytest.raises(DataValidationError, match="asset_vol"):
        pd_sensitivities(100.0, 0.0, 70.0)


# ---------------------------------------------------------------- iterative estimator
def test_iterative_kmv_recovers_the_asset_path_exactly():
    rng = np.random.default_rng(3)
    days, sigmas, debt, rate = 253, np.array([0.2, 0.35]), np.array([60.0, 90.0]), 0.03
    shocks = rng.standard_normal((days - 1, 2))
    shocks = (shocks - shocks.mean(axis=0)) / shocks.std(axis=0, ddof=1)  # sample vol exactly σ
    log_v = np.log([100.0, 120.0]) + np.vstack([np.zeros(2), np.cumsum(shocks * sigmas / np.sqrt(252), axis=0)])
    assets = np.exp(log_v)
    equity, _ = merton_equity(assets, sigmas, debt, rate)
    res = iterative_kmv(equity, debt, rate)
    assert res.converged.all()
    np.testing.assert_allclose(res.asset_vol, sigmas, rtol=1e-8)
    np.testing.assert_allclose(res.asset_values, assets, rtol=1e-8)
    np.testing.assert_allclose(res.drift, 0.5 * sigmas**2, atol=1e-8)  # shocks centred: zero mean log return
    expected_dd = (np.log(assets[-1] / debt)) / sigmas
    np.testing.assert_allclose(res.dd, expected_dd, rtol=1e-7)
    assert "firm" in res.summary() and "<table" in res._repr_html_()


def test_iterative_kmv_rejects_bad_paths():
    with pytest.raises(DataValidationError, match="constant path"):
        iterative_kmv(np.full(10, 5.0), 3.0, 0.02)
    with pytest.raises(DataValidationError, match="equity"):
        iterative_kmv(np.array([5.0, -1.0, 4.0, 5.0]), 3.0, 0.02)
    with pytest.raises(DataValidationError, match="days >= 3"):
        iterative_kmv(np.array([5.0, 4.0]), 3.0, 0.02)


# ---------------------------------------------------------------- private firms
def test_private_firm_volatility_proxies():
    hist = np.array([[100.0, 50.0], [110.0, 50.0 * 1.2], [99.0, 50.0 * 1.44]])
    vol = history_asset_volatility(hist)
    assert vol[1] == pytest.approx(0.0, abs=1e-15)
    assert vol[0] == pytest.approx(np.std(np.diff(np.log(hist[:, 0])), ddof=1))
    assert history_asset_volatility(hist, periods_per_year=4)[0] == pytest.approx(2 * vol[0])
    table, overall = peer_asset_volatility([0.2, 0.3, np.nan, 0.5, 0.1], ["a", "a", "a", "a", "b"], min_peers=3)
    assert table == {"a": 0.3} and overall == pytest.approx(0.25)
    with pytest.raises(DataValidationError, match="history"):
        history_asset_volatility([100.0, 110.0])


# ---------------------------------------------------------------- empirical map
def test_empirical_map_pools_violations_and_floors():
    dd = np.repeat([0.0, 1.0, 2.0, 3.0], 100)
    y = np.concatenate([np.r_[np.ones(k), np.zeros(100 - k)] for k in (20, 5, 10, 0)])
    pd_map = fit_empirical_pd_map(dd, y, min_pd=0.001)
    # bins 1 and 2 violate monotonicity and pool to 7.5 % at their mean DD 1.5
    assert pd_map.dd.tolist() == [0.0, 1.5, 3.0]
    assert pd_map.pd.tolist() == [0.2, 0.075, 0.001]
    assert pd_map.defaults.tolist() == [20, 15, 0]
    assert pd_map.to_step() == {"method": "interp", "x": [0.0, 1.5, 3.0], "y": [0.2, 0.075, 0.001]}
    assert "defaults" in pd_map.summary() and "<table" in pd_map._repr_html_()


def test_empirical_map_is_monotone_on_noisy_data():
    rng = np.random.default_rng(5)
    dd = rng.normal(3.0, 1.5, 20_000)
    y = (rng.random(20_000) < ndtr(-dd)).astype(int)
    pd_map = fit_empirical_pd_map(dd, y, n_bins=25)
    assert np.all(np.diff(pd_map.dd) > 0) and np.all(np.diff(pd_map.pd) < 0)
    assert pd_map.n.sum() == 20_000 and pd_map.defaults.sum() == y.sum()
    assert abs(pd_map(1.0) - ndtr(-1.0)) < 0.04


@pytest.mark.parametrize("dd, y, column", [
    ([1.0, np.nan], [0, 1], "dd"),
    ([1.0, 2.0], [0, 2], "default"),
    ([1.0, 2.0], [0], "default"),
])
def test_empirical_map_bad_input(dd, y, column):
    with pytest.raises(DataValidationError) as info:
        fit_empirical_pd_map(dd, y)
    assert column in info.value.columns


# ---------------------------------------------------------------- KMVModel on the synthetic portfolio
@pytest.fixture(scope="module")
def synthetic():
    return make_portfolio(n_firms=1200, n_years=3, random_state=7)


@pytest.fixture(scope="module")
def portfolio(synthetic):
    fy = synthetic.firm_years
    last = fy["year"].max()
    return fy[fy["year"] < last].reset_index(drop=True), fy[fy["year"] == last].reset_index(drop=True)


@pytest.fixture(scope="module")
def fitted(portfolio):
    train, _ = portfolio
    return KMVModel(master_scale=SCALE).fit(train, train["default"])


def test_solver_recovers_the_simulated_asset_volatility(portfolio):
    train, test = portfolio
    listed = pd.concat([train, test])
    listed = listed[listed["listed"]]
    dpt = default_point(listed["short_term_debt"], listed["long_term_debt"])
    sol = solve_merton(listed["equity_value"], listed["equity_vol"], dpt, listed["rate"])
    assert sol.converged.all()
    error = np.abs(sol.asset_vol - listed["asset_vol"].to_numpy())
    assert np.quantile(error, 0.99) < 1e-9 and error.max() < 1e-8
    np.testing.assert_allclose(sol.asset_value, listed["asset_value"], rtol=1e-8)


def test_kmv_model_auc_close_to_true_pd_auc(fitted, portfolio):
    _, test = portfolio
    pd_ = fitted.predict_proba(test)[:, 1]
    frame = fitted.dd_frame(test)
    market = (frame["source"] == "market").to_numpy()
    assert market.sum() == test["listed"].sum()
    y = test["default"].to_numpy()
    auc_market, auc_true_market = roc_auc_score(y[market], pd_[market]), roc_auc_score(y[market], test["true_pd"][market])
    auc_all, auc_true = roc_auc_score(y, pd_), roc_auc_score(y, test["true_pd"])
    assert auc_market > auc_true_market - 0.05  # market DD is the true DD up to the drift
    assert 0.65 < auc_all <= auc_true + 0.02
    # the map is monotone: within each source a larger DD never gets a larger PD
    for source in ("market", "proxy"):
        rows = (frame["source"] == source).to_numpy()
        order = np.argsort(frame["dd"].to_numpy()[rows])
        assert np.all(np.diff(pd_[rows][order]) <= 1e-15)


def test_bundle_round_trip_and_a_per_firm_fsolve_oracle(fitted, portfolio, tmp_path):
    _, test = portfolio
    path = fitted.export(tmp_path / "kmv.json")
    bundle = json.loads(path.read_text())
    assert bundle["kind"] == "kmv" and bundle["calibration"][0]["method"] == "interp"
    scorer = scoring.load_scorer(path)
    out = scorer.score(test)
    assert np.array_equal(out["pd"], fitted.predict_proba(test)[:, 1])
    assert out["grade"].tolist() == fitted.grade(test).tolist()
    one = scorer.score({k: test.loc[0, k] for k in scorer.input_names})
    assert one["pd"] == fitted.predict_proba(test.iloc[[0]])[0, 1]
    # independent oracle for listed firms: scipy's fsolve on the two Merton equations, the DD by
    # hand, then the fitted DD -> PD knots by linear interpolation
    listed = test[test["equity_value"].notna()].head(20)
    dd = []
    for _, f in listed.iterrows():
        dpt = f["short_term_debt"] + 0.5 * f["long_term_debt"]

        def equations(x, f=f, dpt=dpt):
            v, s = x
            d1 = (np.log(v / dpt) + (f["rate"] + s * s / 2)) / s
            return [v * ndtr(d1) - dpt * np.exp(-f["rate"]) * ndtr(d1 - s) - f["equity_value"],
                    ndtr(d1) * s * v - f["equity_vol"] * f["equity_value"]]

        v, s = fsolve(equations, [f["equity_value"] + dpt, f["equity_vol"] * f["equity_value"] / (
            f["equity_value"] + dpt)], xtol=1e-13)
        dd.append((np.log(v / dpt) + (f["rate"] - s * s / 2)) / s)
    pd_map = fitted.market_map_
    expected = np.interp(np.clip(dd, -DD_CLIP, DD_CLIP), pd_map.dd, pd_map.pd)
    np.testing.assert_allclose(fitted.predict_proba(listed)[:, 1], expected, rtol=1e-6, atol=1e-9)


def test_proxy_is_flagged_and_uses_peer_volatility(fitted, portfolio):
    _, test = portfolio
    frame = fitted.dd_frame(test)
    private = ~test["listed"].to_numpy()
    assert (frame["source"][private] == "proxy").all() and (frame["status"][private] == "proxy").all()
    assert np.array_equal(frame["asset_value"][private], test["total_assets"][private])
    expected_vol = test["industry"][private].astype(str).map(fitted.peer_asset_vol_)
    np.testing.assert_array_equal(frame["asset_vol"][private], expected_vol.fillna(fitted.default_asset_vol_))
    # an industry never seen gets the overall median
    row = test[private].iloc[[0]].copy()
    row["industry"] = "space mining"
    assert fitted.dd_frame(row)["asset_vol"].iloc[0] == fitted.default_asset_vol_
    assert fitted.training_metadata_["status_counts"]["proxy"] > 0


def test_normal_map_is_n_of_minus_dd(portfolio):
    train, test = portfolio
    model = KMVModel(pd_map="normal", proxy=None, master_scale=SCALE)
    listed_train, listed_test = train[train["listed"]], test[test["listed"]]
    model.fit(listed_train, listed_train["default"])
    frame = model.dd_frame(listed_test)
    np.testing.assert_allclose(frame["pd"], ndtr(-frame["dd"]), rtol=1e-13)
    assert model.to_bundle()["calibration"] == []
    with pytest.raises(DataValidationError, match="equity_value"):
        model.predict_proba(test)  # private firms have no equity and the proxy is off


def test_sensitivities_and_plot(fitted, portfolio):
    _, test = portfolio
    sens = fitted.sensitivities(test.iloc[:50])
    assert (sens["dpd_dleverage"] > 0).all() and (sens["dpd_dasset_vol"].notna()).all()
    assert set(sens["source"]) <= {"market", "proxy"}
    ax = fitted.plot(test, test["default"])
    assert len(ax.patches) > 0 and "default" in " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert plot_dd_by_outcome([0.5, 2.0], [1, 0]).get_title() == "Distance to default by outcome"


@pytest.mark.parametrize("change, column", [
    (lambda X: X.drop(columns="short_term_debt"), "short_term_debt"),
    (lambda X: X.assign(equity_value=-X["equity_value"]), "equity_value"),
    (lambda X: X.assign(rate=np.nan), "rate"),
    (lambda X: X.assign(total_assets=np.nan), "total_assets"),
])
def test_kmv_model_bad_frames(fitted, portfolio, change, column):
    _, test = portfolio
    bad = change(test.iloc[:20].copy())
    with pytest.raises(DataValidationError) as info:
        fitted.predict_proba(bad)
    assert column in info.value.columns


def test_kmv_model_bad_fit_input(portfolio):
    train, _ = portfolio
    with pytest.raises(DataValidationError, match="y"):
        KMVModel().fit(train, np.full(len(train), 2))
    with pytest.raises(ParameterError, match="pd_map"):
        KMVModel(pd_map="logit").fit(train, train["default"])
    private = train[~train["listed"]]
    with pytest.raises(DataValidationError, match="no listed firm"):
        KMVModel().fit(private, private["default"])
    with pytest.raises(RiskModelsError, match="not fitted"):
        KMVModel().predict_proba(train)


def test_summary_and_html():
    sol = solve_merton([3.0, 0.0], [0.8, 0.5], 10.0, 0.05)
    text = sol.summary()
    assert "status nonpositive_equity" in text and "firms" in text
    assert "<table>" in sol._repr_html_() and sol.status_counts() == {"converged": 1, "nonpositive_equity": 1}
    assert MERTON_STATUS[scoring.MERTON_PROXY] == "proxy"


def test_iterative_estimator_on_the_synthetic_equity_prices(synthetic):
    fy, prices = synthetic.firm_years, synthetic.equity_prices
    year = fy["year"].max()
    window = prices[prices["date"].dt.year == year]
    listed = fy[(fy["year"] == year) & fy["listed"]].set_index("firm_id")
    days = window.groupby("firm_id").size()
    window = window[window["firm_id"].isin(days.index[days == days.max()])]
    dpt = pd.Series(default_point(listed["short_term_debt"], listed["long_term_debt"]), index=listed.index)
    out = iterative_kmv_frame(window, dpt, listed["rate"])
    assert out["converged"].all() and len(out) > 100
    rel = out["asset_vol"] / listed["asset_vol"].reindex(out.index) - 1
    # one year of daily data and a default point known only at the year end: sampling error only
    assert abs(rel.median()) < 0.08 and rel.abs().quantile(0.9) < 0.25
    with pytest.raises(DataValidationError, match="dates missing"):
        iterative_kmv_frame(window.iloc[1:], dpt, 0.02)
    with pytest.raises(DataValidationError, match="default_points"):
        iterative_kmv_frame(window, dpt.iloc[:3], 0.02)


def test_kmv_model_follows_the_sklearn_contract(fitted):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params() and not hasattr(copy, "classes_")
    assert fitted.classes_.tolist() == [0, 1] and fitted.n_features_in_ == 7


def test_earnings_multiple_proxy(portfolio):
    train, test = portfolio
    model = KMVModel(proxy_value="ebit", master_scale=SCALE).fit(train, train["default"])
    listed = train[train["listed"] & (train["ebit"] > 0)]
    dpt = default_point(listed["short_term_debt"], listed["long_term_debt"])
    solved = solve_merton(listed["equity_value"], listed["equity_vol"], dpt, listed["rate"]).asset_value
    assert model.proxy_multiple_ == pytest.approx(np.median(solved / listed["ebit"]))
    frame = model.dd_frame(test)
    private = ~test["listed"].to_numpy()
    np.testing.assert_allclose(frame["asset_value"][private], test["ebit"][private] * model.proxy_multiple_)
    losses = private & (test["ebit"].to_numpy() <= 0)
    assert losses.any() and (frame["dd"][losses] == -np.inf).all()
    assert (frame["pd"][losses] == frame["pd"][private].max()).all()  # at the barrier: the worst proxy PD
    fixed = KMVModel(proxy_value="ebit", ebit_multiple=6.0, master_scale=SCALE).fit(train, train["default"])
    assert fixed.to_bundle()["model"]["proxy"]["multiple"] == 6.0
    with pytest.raises(ParameterError, match="proxy_value"):
        KMVModel(proxy_value="sales").fit(train, train["default"])


# ---------------------------------------------------------------- extremes (issue 17)
@pytest.mark.parametrize("equity, equity_vol, debt", [
    (1e-12, 0.5, 100.0),   # equity 1e-12: the root has σV ~ 5e-15
    (1.0, 0.5, 1.4e8),     # equity 1 against debt 1.4e8: σV ~ 3.8e-9 and a DD of 1.9 (grade BB before)
    (100.0, 0.3, 1e15),    # short-term debt 1e15: DD 5.6e11, grade AAA before
])
def test_degenerate_merton_roots_are_flagged_not_converged(equity, equity_vol, debt):
    sol = solve_merton(equity, equity_vol, debt, 0.03)
    assert sol.status.tolist() == "degenerate" and not bool(sol.converged)
    assert np.isnan(sol.asset_value) and np.isnan(sol.asset_vol) and np.isnan(sol.pd)
    with pytest.raises(ConvergenceError, match="degenerate"):
        solve_merton(equity, equity_vol, debt, 0.03, on_failure="raise")


def test_an_ordinary_levered_firm_still_converges():
    # Hull's Merton example (Options, Futures, and Other Derivatives, 8th ed., ch. 24)
    sol = solve_merton(3.0, 0.80, 10.0, 0.05)
    assert sol.status.tolist() == "converged" and float(sol.asset_vol) == pytest.approx(0.2123, abs=1e-4)


def test_records_without_a_valid_pd_raise_or_are_reported_per_record(fitted, portfolio):
    _, test = portfolio
    listed = test[test["listed"]].head(4).reset_index(drop=True)
    bad = listed.copy()
    bad.loc[1, "equity_value"] = 1e-12
    bad.loc[2, "short_term_debt"] = 1e15
    bad.loc[3, "equity_value"], bad.loc[3, "short_term_debt"] = 1.0, 1.4e8
    with pytest.raises(scoring.InvalidPDError, match=r"3 record\(s\) \[1, 2, 3\].*Merton status") as info:
        fitted.predict_proba(bad)
    assert info.value.rows == [1, 2, 3]
    scorer = scoring.Scorer(fitted.to_bundle())
    with pytest.raises(scoring.InvalidPDError, match=r"\[1, 2, 3\]"):
        scorer.score(bad)
    out = scorer.score(bad, on_error="report")
    assert sorted(out["errors"]) == [1, 2, 3]
    assert all("degenerate" in m[0] or "not_converged" in m[0] for m in out["errors"].values())
    assert np.isnan(out["pd"][1:]).all() and out["grade"][1:].tolist() == [None, None, None]
    assert out["pd"][0] == pytest.approx(fitted.predict_proba(listed.iloc[[0]])[0, 1])
    single = scorer.score(bad.iloc[1].to_dict(), on_error="report")
    assert single["grade"] is None and list(single["errors"]) == [0]
    with pytest.raises(scoring.InvalidPDError):
        scorer.score(bad.iloc[1].to_dict())


def test_kmv_model_iterative_method_is_the_time_series_estimator():
    """KMVModel(method="iterative") against iterative_kmv and a known answer.

    Vassalou & Xing (2004), "Default Risk in Equity Returns", Journal of Finance 59(2),
    831-868, and Bharath & Shumway (2008), "Forecasting Default with the Merton Distance
    to Default Model", Review of Financial Studies 21(3), 1339-1369, §2: σV is the fixed
    point of inverting the Merton call day by day. When the asset path's sample volatility
    is exactly the σV that priced the equity, that σV is the fixed point and the implied
    path is the asset path itself, so σV, V_T and DD = (ln(V_T/D) + (r − σV²/2)T)/(σV√T)
    are known in closed form.
    """
    rng = np.random.default_rng(8)
    sigmas, start, debt, rate = np.array([0.2, 0.35, 0.3]), np.array([100.0, 120.0, 90.0]), \
        np.array([60.0, 90.0, 50.0]), np.array([0.03, 0.01, 0.02])
    histories, last_assets = [], []
    for k, days in enumerate((253, 253, 180)):  # two history lengths
        shocks = rng.standard_normal(days - 1)
        shocks = (shocks - shocks.mean()) / shocks.std(ddof=1)  # sample vol exactly σ
        assets = start[k] * np.exp(np.concatenate([[0.0], np.cumsum(shocks * sigmas[k] / np.sqrt(252))]))
        histories.append(merton_equity(assets, sigmas[k], debt[k], rate[k])[0])
        last_assets.append(assets[-1])
    X = pd.DataFrame({"equity_history": histories + [None], "short_term_debt": list(debt) + [40.0],
                      "long_term_debt": 0.0, "rate": list(rate) + [0.02],
                      "total_assets": [150.0, 150.0, 150.0, 70.0], "industry": "a"})
    y = np.array([0, 1, 0, 0])
    model = KMVModel(pd_map="normal", min_peers=1, master_scale=SCALE, method="iterative").fit(X, y)
    table = model.dd_frame(X)
    assert table["source"].tolist() == ["market", "market", "market", "proxy"]
    np.testing.assert_allclose(table["asset_vol"].iloc[:3], sigmas, rtol=1e-7)
    np.testing.assert_allclose(table["asset_value"].iloc[:3], last_assets, rtol=1e-7)
    expected_dd = (np.log(np.array(last_assets) / debt) + (rate - sigmas**2 / 2)) / sigmas
    np.testing.assert_allclose(table["dd"].iloc[:3], expected_dd, rtol=1e-6)
    # the same numbers as the function, firm by firm
    for k in range(3):
        res = iterative_kmv(histories[k], debt[k], rate[k])
        np.testing.assert_allclose(table["asset_vol"].iloc[k], res.asset_vol[0], rtol=1e-8)
        np.testing.assert_allclose(table["asset_value"].iloc[k], res.asset_values[-1, 0], rtol=1e-8)
    # the private firm takes the listed firms' median asset volatility
    assert table["asset_vol"].iloc[3] == pytest.approx(np.median(sigmas), rel=1e-7)
    # the bundle is the one-date Merton bundle, fed with market_inputs
    inputs = model.market_inputs(X)
    assert "equity_history" not in inputs and inputs["equity_value"].iloc[0] == histories[0][-1]
    np.testing.assert_array_equal(scoring.Scorer(model.to_bundle()).score(inputs)["pd"],
                                  model.predict_proba(X)[:, 1])
    assert "equity_history" in model.feature_names_in_
    # one date: method="merton" on the market inputs gives the same DDs
    merton = KMVModel(pd_map="normal", min_peers=1, master_scale=SCALE).fit(inputs, y)
    np.testing.assert_allclose(merton.dd_frame(inputs)["dd"], table["dd"], rtol=1e-9)
    with pytest.raises(ParameterError, match="method"):
        KMVModel(method="daily").fit(X, y)
    with pytest.raises(DataValidationError, match="equity_history"):
        KMVModel(method="iterative").fit(X.drop(columns="equity_history"), y)


def test_features_names_the_columns_of_each_role(portfolio, fitted, tmp_path):
    train, test = portfolio
    names = {"equity_value": "mktcap", "equity_vol": "sigma_e", "rate": "riskfree",
             "short_term_debt": "std", "total_assets": "assets"}
    renamed = names  # role -> column: also the rename of the default-named frames
    model = KMVModel(master_scale=SCALE, features=names).fit(train.rename(columns=renamed), train["default"])
    # the same firms under other column names: the same PDs as the default names give
    expected = fitted.predict_proba(test)[:, 1]
    got = model.predict_proba(test.rename(columns=renamed))[:, 1]
    assert np.array_equal(got, expected)
    bundle = json.loads(model.export(tmp_path / "kmv.json").read_text())
    assert {r["name"] for r in bundle["inputs"]} >= set(names.values())
    assert bundle["model"]["columns"] == {k: v for k, v in names.items() if k != "total_assets"}
    assert bundle["model"]["proxy"]["asset_value"] == "assets"
    scored = scoring.load_scorer(tmp_path / "kmv.json").score(test.rename(columns=renamed))
    assert np.array_equal(scored["pd"], expected)
    # the default names keep the bundle without a columns section
    assert "columns" not in fitted.to_bundle()["model"]


@pytest.mark.parametrize("features, message", [
    (["equity_value"], "a dict"), ({"equity": "e"}, "unknown role"), ({"rate": "x", "ebit": "x"}, "two roles")])
def test_bad_features_raise_parameter_error(portfolio, features, message):
    train, _ = portfolio
    with pytest.raises(ParameterError, match=message):
        KMVModel(features=features).fit(train, train["default"])
