"""Cross-tabulation model: smoothing, PAV, grid isotonic, tests, intervals, the estimator and its kernel."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from scipy import stats as sstats
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

import riskmodels as rm
from riskmodels import scoring
from riskmodels.binning import OptimalBinning
from riskmodels.errors import DataValidationError, NotFittedError, ParameterError
from riskmodels.migration import cohort_matrix
from riskmodels.models.crosstab import CrossTabModel, beta_binomial_rates, empirical_bayes_strength
from riskmodels.validation import (
    chi2_g2_test,
    fisher_exact_2x2,
    isotonic_grid,
    jeffreys_interval,
    weighted_pav,
    wilson_interval,
)

SCALE = {"name": "test", "grades": ["A", "B", "C", "D"], "upper_bounds": [0.01, 0.05, 1.0], "floor": None,
         "midpoints": [0.005, 0.02, 0.2, 1.0]}


# ---------------------------------------------------------------- known answers
def test_beta_binomial_known_answer():
    # beta-binomial posterior mean (d + m·μ) / (n + m) (Bühlmann credibility; Klugman, Panjer &
    # Willmot, Loss Models, ch. 18): prior mean 2 %, strength 100, by hand
    rates = beta_binomial_rates([3, 15, 0], [50, 500, 0], 0.02, 100.0)
    np.testing.assert_allclose(rates, [0.0333333, 0.0283333, 0.02], atol=5e-8)
    with pytest.raises(ParameterError, match="prior_strength"):
        beta_binomial_rates([1], [2], 0.02, 0.0)


def test_weighted_pav_known_answer():
    # weighted PAV (Barlow et al. 1972, Statistical Inference under Order Restrictions, ch. 1),
    # worked by hand: N (100, 200, 300, 200, 100), D (1, 1, 6, 5, 8)
    n = np.array([100, 200, 300, 200, 100])
    fit = weighted_pav(np.array([1, 1, 6, 5, 8]) / n, n)
    np.testing.assert_allclose(fit * 100, [0.6667, 0.6667, 2.0, 2.5, 8.0], atol=5e-5)
    down = weighted_pav(np.array([0.05, 0.06, 0.02]), np.array([1.0, 1.0, 2.0]), increasing=False)
    np.testing.assert_allclose(down, [0.055, 0.055, 0.02])
    with pytest.raises(DataValidationError, match=r"'weights': negative weights .*\[1\]"):
        weighted_pav(np.array([1.0, 2.0]), np.array([1.0, -1.0]))


def test_chi2_g2_known_answer():
    # Zelterman, Models for Discrete Data (2006), [[4, 5], [12, 74]], no continuity correction
    t = chi2_g2_test([[4, 5], [12, 74]])
    assert t.chi2 == pytest.approx(5.408285, abs=5e-7)
    assert t.g2 == pytest.approx(4.267360, abs=5e-7)
    assert t.df == 1
    assert t.p_chi2 == pytest.approx(sstats.chi2.sf(5.408285, 1), rel=1e-6)
    # an empty row does not count towards the degrees of freedom
    assert chi2_g2_test([[4, 5], [0, 0], [12, 74]]).df == 1


def test_fisher_exact_known_answer_and_scipy():
    # Fisher's tea-tasting table (Agresti 2002, §3.5.2): one-sided P = 0.243, two-sided 0.486
    odds, p_greater = fisher_exact_2x2([[3, 1], [1, 3]], "greater")
    assert odds == 9.0 and p_greater == pytest.approx(0.2429, abs=5e-5)
    assert fisher_exact_2x2([[3, 1], [1, 3]])[1] == pytest.approx(0.4857, abs=5e-5)
    rng = np.random.default_rng(1)
    for _ in range(20):
        table = rng.integers(0, 15, size=(2, 2))
        for alt in ("two-sided", "less", "greater"):
            assert fisher_exact_2x2(table, alt)[1] == pytest.approx(sstats.fisher_exact(table, alt)[1], rel=1e-9)
    with pytest.raises(DataValidationError, match="2 × 2"):
        fisher_exact_2x2([[1, 2, 3], [4, 5, 6]])
    assert fisher_exact_2x2([[3, 1], [1, 3]], "less").p_value == pytest.approx(sstats.fisher_exact(
        [[3, 1], [1, 3]], "less")[1], rel=1e-9)
    with pytest.raises(ParameterError, match="alternative: is 'bigger'"):  # a parameter, not data
        fisher_exact_2x2([[3, 1], [1, 3]], "bigger")


def test_wilson_interval_known_answers():
    # Newcombe (1998), Stat. Med. 17:857, Table II, method 3 (Wilson score)
    lo, hi = wilson_interval([81, 15, 0, 1], [263, 148, 20, 29])
    np.testing.assert_allclose(lo, [0.2553, 0.0624, 0.0, 0.0061], atol=5e-5)
    np.testing.assert_allclose(hi, [0.3662, 0.1605, 0.1611, 0.1718], atol=5e-5)


def test_jeffreys_interval_is_the_beta_quantile_interval():
    lo, hi = jeffreys_interval([0, 3, 10, 0], [10, 10, 10, 0])
    assert lo[0] == 0.0 and hi[2] == 1.0 and np.isnan(lo[3])
    assert lo[1] == pytest.approx(sstats.beta.ppf(0.025, 3.5, 7.5))
    assert hi[1] == pytest.approx(sstats.beta.ppf(0.975, 3.5, 7.5))


def test_empirical_bayes_strength_recovers_the_prior():
    rng = np.random.default_rng(3)
    n = rng.integers(100, 2000, size=600)
    p = rng.beta(0.04 * 150, 0.96 * 150, size=600)
    m = empirical_bayes_strength(rng.binomial(n, p), n, 0.04)
    assert 100 < m < 230
    # no heterogeneity beyond binomial noise: the strength runs to the upper bound
    same = empirical_bayes_strength(rng.binomial(n, 0.04), n, 0.04, bounds=(1.0, 1e5))
    assert same > 1e3


def test_isotonic_grid_is_the_weighted_least_squares_projection():
    rng = np.random.default_rng(5)
    v = rng.uniform(0, 0.2, size=(3, 4))
    w = rng.uniform(1, 50, size=(3, 4))
    fit = isotonic_grid(v, w, ["ascending", "descending"])
    assert (np.diff(fit, axis=0) >= -1e-10).all() and (np.diff(fit, axis=1) <= 1e-10).all()
    # brute force: the same quadratic programme solved by SLSQP
    cons = []
    for i in range(3):
        for j in range(4):
            k = i * 4 + j
            if i < 2:
                cons.append({"type": "ineq", "fun": lambda x, a=k, b=k + 4: x[b] - x[a]})
            if j < 3:
                cons.append({"type": "ineq", "fun": lambda x, a=k, b=k + 1: x[a] - x[b]})
    res = optimize.minimize(lambda x: np.sum(w.ravel() * (x - v.ravel()) ** 2), v.ravel(), constraints=cons,
                            method="SLSQP", options={"ftol": 1e-14, "maxiter": 500})
    np.testing.assert_allclose(fit.ravel(), res.x, atol=1e-6)
    # a single ordered axis is plain PAV; missing/special positions are left free
    single = isotonic_grid(v, w, [None, "ascending"], ordered=[3, 3])
    for r in range(3):
        np.testing.assert_allclose(single[r, :3], weighted_pav(v[r, :3], w[r, :3]))
        assert single[r, 3] == v[r, 3]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0.01, 100)), min_size=1, max_size=30), st.booleans())
def test_pav_is_monotone_and_keeps_the_weighted_total(pairs, increasing):
    y, w = np.array(pairs).T
    fit = weighted_pav(y, w, increasing)
    step = np.diff(fit) if increasing else -np.diff(fit)
    assert (step >= -1e-12).all()
    assert np.sum(w * fit) == pytest.approx(np.sum(w * y), rel=1e-9, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), rows=st.integers(1, 4), cols=st.integers(1, 5))
def test_grid_isotonic_is_monotone_and_keeps_the_weighted_total(seed, rows, cols):
    rng = np.random.default_rng(seed)
    v, w = rng.uniform(0, 0.3, (rows, cols)), rng.integers(1, 100, (rows, cols)).astype(float)
    fit = isotonic_grid(v, w, ["ascending", "ascending"])
    assert (np.diff(fit, axis=0) >= -1e-9).all() and (np.diff(fit, axis=1) >= -1e-9).all()
    assert np.sum(w * fit) == pytest.approx(np.sum(w * v), rel=1e-8)


@settings(max_examples=40, deadline=None)
@given(d=st.integers(0, 50), extra=st.integers(0, 500), mu=st.floats(0.001, 0.5), m=st.floats(0.5, 1000))
def test_smoothed_rate_lies_between_raw_rate_and_prior(d, extra, mu, m):
    n = d + extra
    r = beta_binomial_rates([d], [n], mu, m)[0]
    raw = d / n if n else mu
    assert min(raw, mu) - 1e-12 <= r <= max(raw, mu) + 1e-12


# ---------------------------------------------------------------- the estimator
def toy(n=4000, seed=0, with_region=True):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"dpd": rng.integers(0, 120, n).astype(float), "lev": rng.uniform(0, 1, n),
                      "region": rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2])})
    z = -4 + X["dpd"] / 35 + 1.5 * X["lev"] + (X["region"] == "east") * 0.7
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-z))).astype(int)
    return (X if with_region else X.drop(columns="region")), y


def test_raw_cell_rates_match_a_pandas_groupby_oracle():
    """Without smoothing, merging or monotonicity a record's PD is its cell's default rate:
    recomputed here from the fitted edges with np.digitize and a pandas groupby."""
    X, y = toy(n=3000, seed=4, with_region=False)
    model = CrossTabModel(["dpd", "lev"], max_bins=3, smoothing="none", monotone=None, min_cell_size=0,
                          master_scale=SCALE).fit(X, y)
    cell = [np.digitize(X[f].to_numpy(), model.bins_[k]["edges"]) for k, f in enumerate(["dpd", "lev"])]
    rates = pd.Series(y).groupby([cell[0], cell[1]]).transform("mean").to_numpy()
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], rates, rtol=1e-12)


def test_two_factor_model_bundle_round_trip():
    X, y = toy(with_region=False)
    model = CrossTabModel(["dpd", "lev"], max_bins=4, master_scale=SCALE).fit(X, y)
    assert model.grid_shape_ == (5, 5)  # 4 regular bins + the (empty) missing bin each
    assert model.directions_ == ["ascending", "ascending"]
    pd_mem = model.predict_proba(X)[:, 1]
    pd_bundle = scoring.Scorer(model.to_bundle()).score(X)["pd"]
    np.testing.assert_array_equal(pd_mem, pd_bundle)  # bit for bit
    rates = model.level_rates_[2].reshape(5, 5)[:4, :4]
    assert (np.diff(rates, axis=0) >= 0).all() and (np.diff(rates, axis=1) >= 0).all()
    cells = model.cells_
    assert cells["n"].sum() == len(y) and cells["defaults"].sum() == y.sum()
    assert roc_auc_score(y, pd_mem) > 0.75


def test_three_factor_model_with_a_categorical_factor_and_empty_cells():
    X, y = toy()
    X.loc[(X["region"] == "east") & (X["dpd"] > 100), "region"] = "south"  # leaves cells empty
    model = CrossTabModel(["dpd", "region", "lev"], max_bins=3, master_scale=SCALE).fit(X, y)
    assert len(model.grid_shape_) == 3
    empty = model.cells_["n"] == 0
    assert empty.any()
    p = model.predict_proba(X)[:, 1]
    assert np.isfinite(p).all() and ((p > 0) & (p < 1)).all()
    np.testing.assert_array_equal(p, scoring.Scorer(model.to_bundle()).score(X)["pd"])
    tests = model.tests_
    assert list(tests.index) == ["dpd", "region", "lev", "cells"]
    assert tests.loc["region", "df"] == tests.loc["region", "cells"] - 1 and tests.loc["dpd", "p_chi2"] < 1e-6


def test_unseen_cells_and_missing_values_fall_back_to_the_parent():
    X, y = toy(with_region=False)
    model = CrossTabModel(["dpd", "lev"], max_bins=3, monotone=None, min_cell_size=0,
                          master_scale=SCALE).fit(X, y)
    # the missing bin of "lev" was never seen: a missing lev gets its dpd margin's rate
    record = pd.DataFrame({"dpd": [5.0], "lev": [np.nan]})
    dpd_bin = int(model.binnings_[0].transform(record["dpd"], metric="index")[0])
    assert model.predict_proba(record)[0, 1] == pytest.approx(model.level_rates_[1][dpd_bin], abs=0)
    assert model.cells_.query("n == 0")["pd"].equals(model.cells_.query("n == 0")["parent_rate"])


def test_fixed_binning_without_unknown_bin_falls_back_to_the_margin_in_the_kernel():
    X, y = toy()
    region_bins = {"type": "categorical", "categories": {"north": 0, "south": 1, "east": 2},
                   "missing_bin": None, "unknown_bin": None}
    model = CrossTabModel(["dpd", "region"], binning={"region": region_bins}, max_bins=3,
                          master_scale=SCALE).fit(X, y)
    assert model.directions_[1] is None  # a fixed categorical grouping has no order
    new = pd.DataFrame({"dpd": [10.0, 10.0], "region": ["west", "north"], "lev": [0.5, 0.5]})
    out = model.score_frame(new)
    dpd_bin = int(model.binnings_[0].transform(new["dpd"], metric="index")[0])
    assert out["pd"][0] == model.level_rates_[1][dpd_bin] and out["extra"]["cell"][0] == -1
    assert out["extra"]["cell"][1] == dpd_bin * 3 + 0
    bad = X.assign(region=X["region"].replace({"east": "west"}))
    with pytest.raises(DataValidationError, match=r"'region': values with no bin"):
        CrossTabModel(["dpd", "region"], binning={"region": region_bins}).fit(bad, y)
    dpd_bins = {"type": "numeric", "edges": [30.0, 60.5], "missing_bin": 3, "special_bins": {}}
    fixed = CrossTabModel(["dpd"], binning={"dpd": dpd_bins}, master_scale=SCALE).fit(X, y)
    assert fixed.labels_[0] == ["(-inf, 30)", "[30, 60.5)", "[60.5, inf)", "Missing"]


def test_unknown_category_error_policy_means_parent_fallback():
    X, y = toy()
    model = CrossTabModel(["dpd", "region"], binning=OptimalBinning(unknown_category="error", max_bins=3),
                          master_scale=SCALE).fit(X, y)
    assert model.bins_[1]["unknown_bin"] is None
    out = model.score_frame(pd.DataFrame({"dpd": [10.0], "region": ["west"]}))
    dpd_bin = int(model.binnings_[0].transform([10.0], metric="index")[0])
    assert out["extra"]["cell"][0] == -1 and out["pd"][0] == model.level_rates_[1][dpd_bin]
    worst = CrossTabModel(["dpd", "region"], max_bins=3, master_scale=SCALE).fit(X, y)
    east = worst.predict_proba(pd.DataFrame({"dpd": [10.0], "region": ["east"]}))[0, 1]
    assert worst.predict_proba(pd.DataFrame({"dpd": [10.0], "region": ["west"]}))[0, 1] == east  # worst bin


def test_no_smoothing_no_merging_no_monotone_gives_raw_rates():
    X, y = toy(with_region=False)
    model = CrossTabModel(["dpd", "lev"], max_bins=3, smoothing="none", monotone=None, min_cell_size=0,
                          master_scale=SCALE).fit(X, y)
    seen = model.cells_["n"] > 0
    np.testing.assert_allclose(model.cells_.loc[seen, "pd"], model.cells_.loc[seen, "raw_rate"])
    fixed = CrossTabModel(["dpd"], prior_strength=100.0, monotone=None, min_cell_size=0,
                          master_scale=SCALE).fit(X, y)
    c = fixed.cells_
    np.testing.assert_allclose(c["pd"], (c["defaults"] + 100 * y.mean()) / (c["n"] + 100))


def test_sparse_cells_are_merged_into_their_parent():
    X, y = toy(n=600, with_region=False)
    model = CrossTabModel(["dpd", "lev"], max_bins=4, monotone=None, min_cell_size=50,
                          master_scale=SCALE).fit(X, y)
    merged = model.cells_[model.cells_["merged"]]
    assert len(merged) > 0 and (merged["n"] < 50).all()
    np.testing.assert_allclose(merged["pd"], merged["parent_rate"])


def test_monotone_directions_can_be_given():
    X, y = toy(with_region=False)
    model = CrossTabModel(["dpd"], max_bins=4, monotone={"dpd": "descending"}, master_scale=SCALE).fit(X, y)
    rates = model.level_rates_[1][:4]
    assert (np.diff(rates) <= 1e-15).all()  # forced against the data: pooled flat


def test_bad_inputs_are_named():
    X, y = toy(n=500)
    with pytest.raises(DataValidationError, match="'income': missing column"):
        CrossTabModel(["dpd", "income"]).fit(X, y)
    with pytest.raises(DataValidationError, match="'target': values other than 0/1"):
        CrossTabModel(["dpd"]).fit(X, np.where(y == 1, 2, 0))
    with pytest.raises(DataValidationError, match="'target': has 10 values for 500 rows"):
        CrossTabModel(["dpd"]).fit(X, y[:10])
    with pytest.raises(ParameterError, match="smoothing"):
        CrossTabModel(["dpd"], smoothing="laplace").fit(X, y)
    with pytest.raises(ParameterError, match="prior_strength"):
        CrossTabModel(["dpd"], prior_strength=-1).fit(X, y)
    with pytest.raises(ParameterError, match="monotone.dpd"):
        CrossTabModel(["dpd"], monotone={"dpd": "up"}).fit(X, y)
    with pytest.raises(ParameterError, match="features"):
        CrossTabModel(["dpd", "dpd"]).fit(X, y)
    with pytest.raises(ParameterError, match="ci"):
        CrossTabModel(["dpd"], ci="exact").fit(X, y)
    with pytest.raises(DataValidationError, match="'dpd': infinite values"):
        CrossTabModel(["dpd"]).fit(X.assign(dpd=np.inf), y)
    with pytest.raises(NotFittedError):
        CrossTabModel(["dpd"]).predict_proba(X)
    model = CrossTabModel(["dpd", "region"], max_bins=3, master_scale=SCALE).fit(X, y)
    with pytest.raises(DataValidationError, match="'dpd'"):
        model.predict_proba(X.assign(dpd="high"))


def test_sklearn_contract_and_determinism():
    X, y = toy(n=1500)
    model = CrossTabModel(["dpd", "region"], max_bins=3, master_scale=SCALE)
    assert clone(model).get_params() == model.get_params()
    a = model.fit(X, y).predict_proba(X)
    b = clone(model).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (1500, 2) and np.allclose(a.sum(axis=1), 1.0)
    assert set(model.predict(X)) <= {0, 1} and set(model.grade(X)) <= set(SCALE["grades"])
    template = OptimalBinning(max_bins=2, min_bin_size=0.1)
    two = CrossTabModel(["dpd"], binning=template, master_scale=SCALE).fit(X, y)
    assert two.grid_shape_ == (3,)  # 2 regular bins + missing
    row = two.tests_.loc["dpd"]
    table = two.cells_.iloc[:2][["n", "defaults"]].to_numpy()
    expected = fisher_exact_2x2(np.column_stack([table[:, 0] - table[:, 1], table[:, 1]]))[1]
    assert row["fisher_p"] == pytest.approx(expected)


def test_bundle_file_is_deterministic_and_uses_the_default_scale(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    X, y = toy(n=1500)
    paths = [CrossTabModel(["dpd", "region"], max_bins=3).fit(X, y).export(tmp_path / f"m{i}.json")
             for i in range(2)]
    assert paths[0].read_bytes() == paths[1].read_bytes()
    scorer = scoring.load_scorer(paths[0])
    assert scorer.kind == "crosstab" and scorer.content["master_scale"]["grades"][-1] == "D"
    one = scorer.score({"dpd": 30.0, "region": "east", "lev": 0.2})
    assert 0 < one["pd"] < 1 and isinstance(one["grade"], str)


def test_outputs_summary_html_plots():
    X, y = toy(n=2000)
    for factors in (["dpd"], ["dpd", "lev"], ["dpd", "lev", "region"]):
        model = CrossTabModel(factors, max_bins=3, master_scale=SCALE).fit(X, y)
        assert "CrossTabModel" in model.summary() and "<table" in model._repr_html_()
        assert model.plot() is not None
    axes = model.plot()
    assert len(axes) == 3 and axes[0].get_ylabel() == "dpd"
    matplotlib.pyplot.close("all")


# ---------------------------------------------------------------- real and synthetic data
def test_taiwan_auc_and_brier_against_the_portfolio_rate():
    df = rm.load_taiwan()
    rng = np.random.default_rng(0)
    test = rng.uniform(size=len(df)) < 0.3
    model = CrossTabModel(["PAY_0", "LIMIT_BAL", "PAY_AMT1"], master_scale=SCALE)
    model.fit(df[~test], df["target"][~test])
    p = model.predict_proba(df[test])[:, 1]
    y = df["target"][test].to_numpy()
    assert roc_auc_score(y, p) > 0.72  # logistic regression on all 23 features: 0.7185 (bench)
    brier = np.mean((p - y) ** 2)
    assert brier < np.mean((y.mean() - y) ** 2) * 0.85  # clearly better than the flat portfolio rate


def test_synthetic_portfolio_model_and_migration_panel():
    from riskmodels.data.synthetic import make_portfolio

    frame = make_portfolio(n_firms=300, n_years=4, random_state=0).firm_years
    model = CrossTabModel(["dpd_max_12m", "debt_ratio"], max_bins=3, master_scale=SCALE)
    model.fit(frame, frame["default"])
    panel = frame[["firm_id", "year"]].assign(grade=model.grade(frame))
    # the default grade D comes from the observed defaults, the others from the model's PDs
    panel.loc[frame["default"].to_numpy() == 1, "grade"] = "D"
    result = cohort_matrix(panel, SCALE["grades"], entity="firm_id", date="year")
    np.testing.assert_allclose(result.matrix.sum(axis=1), 1.0)
    assert result.info["cohorts"] == 3 and result.counts.sum() > 0


def test_one_stray_string_in_a_numeric_factor_is_refused_not_made_categorical():
    # issue 17: one "250000" among amounts used to turn the factor into labels, status ok
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"amount": rng.uniform(1e4, 5e5, 600), "region": rng.choice(["n", "s"], 600)})
    y = (rng.uniform(size=600) < 0.05 + 0.15 * (X["amount"] > 2.5e5)).astype(int)
    stray = X.assign(amount=X["amount"].astype(object))
    stray.loc[7, "amount"] = "250000"
    with pytest.raises(DataValidationError, match=r"'amount': non-numbers among numbers in 1 row\(s\): \[7\]"):
        CrossTabModel(features=["amount", "region"]).fit(stray, y)
    # numbers held in an object column are still numbers: same bins as the float column
    as_object = CrossTabModel(features=["amount", "region"]).fit(X.assign(amount=X["amount"].astype(object)), y)
    plain = CrossTabModel(features=["amount", "region"]).fit(X, y)
    assert as_object.labels_[0] == plain.labels_[0]


def test_features_is_the_columns_parameter_and_factors_a_deprecated_alias():
    X, y = toy(n=3000, seed=11, with_region=False)
    model = CrossTabModel(["dpd", "lev"], max_bins=3, master_scale=SCALE).fit(X, y)
    assert model.features_ == ["dpd", "lev"] and model.get_params()["features"] == ["dpd", "lev"]
    with pytest.warns(FutureWarning, match="renamed features"):
        old = CrossTabModel(factors=["dpd", "lev"], max_bins=3, master_scale=SCALE).fit(X, y)
    np.testing.assert_array_equal(old.predict_proba(X), model.predict_proba(X))
    with pytest.warns(FutureWarning, match="renamed features_"):
        assert old.factors_ == ["dpd", "lev"]
    with pytest.warns(FutureWarning), pytest.raises(ParameterError, match="factors: is given with features"):
        CrossTabModel(["dpd"], factors=["lev"]).fit(X, y)
    assert list(CrossTabModel(max_bins=3).fit(X[["lev", "dpd"]], y).features_) == ["lev", "dpd"]
