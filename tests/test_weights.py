"""Sample weights: binning, the binning process, the scorecard and the cross-tab model.

Oracles: repeated records (a whole-number weight w must act as w copies of
the record, exactly); optbinning 1.0.0's weighted ``OptimalBinning.fit(x, y,
sample_weight=w)`` on the same pre-bins; statsmodels 0.15's
``GLM(y, X, family=Binomial(), freq_weights=w)`` for the logit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from riskmodels.binning import BinningProcess, OptimalBinning
from riskmodels.data.loaders import load_german, load_taiwan
from riskmodels.errors import DataValidationError, RiskModelsError
from riskmodels.models.crosstab import CrossTabModel
from riskmodels.models.logistic import LogisticScorecard

SCALE = {"name": "t", "grades": ["A", "B", "C", "D"], "upper_bounds": [0.05, 0.15, 0.4],
         "floor": None, "midpoints": [0.03, 0.1, 0.25, 0.6]}


@pytest.fixture(scope="module")
def german():
    g = load_german()
    return g.drop(columns="target"), g["target"].to_numpy()


@pytest.fixture(scope="module")
def taiwan():
    return load_taiwan().head(12_000)


def _repeat(frame, y, w):
    index = np.repeat(np.arange(len(y)), w)
    return (frame.iloc[index].reset_index(drop=True) if hasattr(frame, "iloc") else np.asarray(frame)[index]), \
        np.asarray(y)[index]


def _same_binning(a: OptimalBinning, b: OptimalBinning):
    if a.dtype == "numerical":
        np.testing.assert_array_equal(a.prebin_splits_, b.prebin_splits_)
        np.testing.assert_array_equal(a.splits_, b.splits_)
    else:
        assert a.prebin_groups_ == b.prebin_groups_ and a.splits_ == b.splits_
    for field in ("events", "non_events"):
        np.testing.assert_array_equal(getattr(a.table_, field), getattr(b.table_, field))
        assert getattr(a.table_, field).dtype == getattr(b.table_, field).dtype
    np.testing.assert_array_equal(a.table_.woe, b.table_.woe)
    assert a.iv_ == b.iv_ and a.trend_ == b.trend_ and a.status_ == b.status_


# --------------------------------------------------------------------------- binning
@pytest.mark.parametrize("params", [
    {"name": "x"},
    {"name": "x", "special_codes": [-1.0], "max_bins": 4},
    {"name": "x", "prebinning_method": "cart", "monotonic_trend": "ascending"},
    {"name": "x", "max_pvalue": 0.05, "monotonic_trend": "auto"},
])
def test_whole_number_weights_bin_as_repeated_records(params):
    rng = np.random.default_rng(3)
    n = 3000
    x = rng.gamma(2.0, 10.0, n).round(1)
    x[rng.random(n) < 0.05] = np.nan
    x[rng.random(n) < 0.05] = -1.0
    y = (rng.random(n) < 1 / (1 + np.exp(3 - x / 15))).astype(int)
    w = rng.integers(0, 4, n)  # weight 0 drops a record
    xr, yr = _repeat(x, y, w)
    _same_binning(OptimalBinning(**params).fit(x, y, sample_weight=w), OptimalBinning(**params).fit(xr, yr))


def test_whole_number_weights_bin_categories_as_repeated_records(german):
    X, y = german
    w = np.random.default_rng(0).integers(1, 5, len(y))
    Xr, yr = _repeat(X, y, w)
    for column in ("purpose", "credit_history"):
        _same_binning(OptimalBinning(column, dtype="categorical").fit(X[column], y, sample_weight=w),
                      OptimalBinning(column, dtype="categorical").fit(Xr[column], yr))


def test_weights_of_one_equal_no_weights_bit_for_bit(german):
    X, y = german
    bp = BinningProcess().fit(X, y)
    weighted = BinningProcess().fit(X, y, sample_weight=np.ones(len(y)))
    for name in bp.features_:
        _same_binning(bp.binnings_[name], weighted.binnings_[name])
    np.testing.assert_array_equal(bp.transform(X), weighted.transform(X))


def test_fractional_weights_give_fractional_counts():
    rng = np.random.default_rng(1)
    x = rng.normal(size=2000)
    y = (rng.random(2000) < 1 / (1 + np.exp(1 - x))).astype(int)
    w = rng.uniform(0.5, 1.5, 2000)
    ob = OptimalBinning("x", max_bins=4).fit(x, y, sample_weight=w)
    assert ob.table_.events.dtype.kind == "f"
    assert ob.table_.count.sum() == pytest.approx(w.sum(), rel=1e-12)
    assert ob.table_.events.sum() == pytest.approx(w[y == 1].sum(), rel=1e-12)
    index = ob.transform(x, metric="index")
    np.testing.assert_allclose(ob.table_.events, np.bincount(index, weights=w * y, minlength=len(ob.table_.events)),
                               rtol=1e-12)


@pytest.mark.parametrize("column,trend", [("LIMIT_BAL", "descending"), ("PAY_AMT1", "descending"),
                                          ("AGE", "valley")])
def test_weighted_binning_equals_optbinning(taiwan, column, trend):
    """optbinning 1.0.0 OptimalBinning(solver="cp").fit(x, y, sample_weight=w) on the same pre-bins."""
    from optbinning import OptimalBinning as OptbinningBinning

    x, y = taiwan[column].to_numpy(dtype=float), taiwan["target"].to_numpy()
    w = np.random.default_rng(5).integers(1, 4, len(y)).astype(float)  # optbinning keeps integer counts
    ours = OptimalBinning(column, max_bins=6, min_bin_size=0.05, monotonic_trend=trend).fit(x, y, sample_weight=w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = OptbinningBinning(column, solver="cp", user_splits=list(ours.prebin_splits_), max_n_bins=6,
                                   min_bin_size=0.05, monotonic_trend=trend).fit(x, y, sample_weight=w)
        table = theirs.binning_table.build()
    assert theirs.status == "OPTIMAL" and theirs._n_prebins == ours.n_prebins_
    np.testing.assert_array_equal(theirs.splits, ours.splits_)
    k = ours.n_bins_
    np.testing.assert_array_equal(table["Event"].to_numpy()[:k].astype(float), ours.table_.events[:k])
    np.testing.assert_array_equal(table["Non-event"].to_numpy()[:k].astype(float), ours.table_.non_events[:k])
    assert ours.iv_ == pytest.approx(table.loc["Totals", "IV"], rel=1e-9)


@pytest.mark.parametrize("bad,rule", [
    (lambda w: np.r_[w[:3], -1.0, w[4:]], "negative"),
    (lambda w: np.r_[w[:3], np.nan, w[4:]], "missing"),
    (lambda w: np.r_[w[:3], np.inf, w[4:]], "infinite"),
])
def test_bad_weights_raise_naming_the_rows(bad, rule):
    x, y = np.arange(10.0), np.array([0, 1] * 5)
    w = bad(np.ones(10))
    for fit in (lambda: OptimalBinning("x").fit(x, y, sample_weight=w),
                lambda: BinningProcess().fit(pd.DataFrame({"x": x}), y, sample_weight=w),
                lambda: CrossTabModel(["x"], max_bins=2).fit(pd.DataFrame({"x": x}), y, sample_weight=w)):
        with pytest.raises(DataValidationError, match=rf"'sample_weight': .*{rule}.* in 1 row\(s\): \[3\]"):
            fit()


def test_wrong_length_zero_and_one_class_weights_raise():
    x, y = np.arange(10.0), np.array([0, 1] * 5)
    with pytest.raises(DataValidationError, match="has 9 values but the target 10"):
        OptimalBinning("x").fit(x, y, sample_weight=np.ones(9))
    with pytest.raises(DataValidationError, match="is all zero"):
        OptimalBinning("x").fit(x, y, sample_weight=np.zeros(10))
    with pytest.raises(RiskModelsError, match="zero on every default"):
        LogisticScorecard(master_scale=SCALE).fit(pd.DataFrame({"x": x}), y, sample_weight=1.0 - y)


# --------------------------------------------------------------------------- scorecard
def _same_card(a: LogisticScorecard, b: LogisticScorecard, X):
    assert a.features_ == b.features_
    for name in a.features_:
        _same_binning(a.binning_.binnings_[name], b.binning_.binnings_[name])
        np.testing.assert_array_equal(a.points_[name], b.points_[name])
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.intercept_ == b.intercept_
    np.testing.assert_array_equal(a.result_.bse, b.result_.bse)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    pd.testing.assert_frame_equal(a.selection_log_, b.selection_log_)


def test_card_with_whole_number_weights_equals_the_card_on_repeated_records(german):
    X, y = german
    w = np.random.default_rng(2).integers(0, 4, len(y))
    Xr, yr = _repeat(X, y, w)
    weighted = LogisticScorecard(master_scale=SCALE).fit(X, y, sample_weight=w)
    repeated = LogisticScorecard(master_scale=SCALE).fit(Xr, yr)
    _same_card(weighted, repeated, X)
    assert weighted.training_metadata_["n_train"] == int((w > 0).sum())
    assert weighted.training_metadata_["sum_of_weights"] == w.sum()


def test_card_with_weights_of_one_equals_the_unweighted_card(german):
    X, y = german
    _same_card(LogisticScorecard(master_scale=SCALE).fit(X, y, sample_weight=np.ones(len(y))),
               LogisticScorecard(master_scale=SCALE).fit(X, y), X)


def test_card_logit_equals_statsmodels_glm_with_freq_weights(german):
    """statsmodels 0.15 GLM(Binomial, freq_weights) on the card's WoE columns: the same optimum and inference."""
    import statsmodels.api as sm

    X, y = german
    w = np.random.default_rng(4).uniform(0.2, 3.0, len(y))
    card = LogisticScorecard(master_scale=SCALE, selection=None, max_vif=None).fit(X, y, sample_weight=w)
    woe = np.column_stack([card.binning_.binnings_[n].transform(X[n]) for n in card.features_])
    glm = sm.GLM(y, sm.add_constant(woe), family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-14)
    np.testing.assert_allclose(card.result_.params.to_numpy(), glm.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(card.result_.bse.to_numpy(), glm.bse, rtol=0, atol=1e-10)
    np.testing.assert_allclose(card.result_.pvalues.to_numpy(), glm.pvalues, rtol=0, atol=1e-10)
    assert card.result_.llf == pytest.approx(glm.llf, abs=1e-8)
    # the weighted VIF is the diagonal of the inverse of the weighted correlation matrix
    mean = w @ woe / w.sum()
    cov = ((woe - mean) * w[:, None]).T @ (woe - mean)
    sd = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(card.coef_table_["vif"].to_numpy()[1:], np.diag(np.linalg.inv(cov / np.outer(sd, sd))),
                               rtol=1e-9)


def test_stepwise_fit_equals_statsmodels_glm_with_freq_weights():
    """The one IRLS (selection and final fit) against statsmodels 0.15 GLM(Binomial, freq_weights)."""
    import statsmodels.api as sm

    from riskmodels.models.logit_result import LogitResult
    from riskmodels.models.stepwise import collapse_rows, fit_logit

    rng = np.random.default_rng(8)
    X = rng.integers(0, 4, size=(5000, 3)).astype(float) / 2
    y = (rng.random(5000) < 1 / (1 + np.exp(1 - X @ [0.8, -0.5, 0.1]))).astype(int)
    w = rng.uniform(0.1, 4.0, 5000)
    data = collapse_rows(X, y, weights=w)
    result = LogitResult.from_fit(fit_logit(data, range(3), tol=1e-9), ["a", "b", "c"], data)
    glm = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-14)
    for ours, theirs in ((result.params, glm.params), (result.bse, glm.bse), (result.pvalues, glm.pvalues)):
        np.testing.assert_allclose(ours.to_numpy(), theirs, rtol=0, atol=1e-10)


# --------------------------------------------------------------------------- cross-tab
def test_crosstab_with_whole_number_weights_equals_repeated_records(german):
    X, y = german
    w = np.random.default_rng(6).integers(0, 4, len(y))
    Xr, yr = _repeat(X, y, w)
    factors = ["duration_months", "checking_status"]
    weighted = CrossTabModel(factors, max_bins=3).fit(X, y, sample_weight=w)
    repeated = CrossTabModel(factors, max_bins=3).fit(Xr, yr)
    pd.testing.assert_frame_equal(weighted.cells_, repeated.cells_)
    np.testing.assert_array_equal(weighted.predict_proba(X), repeated.predict_proba(X))


# --------------------------------------------------------------------------- comparison
def test_comparison_weight_column_feeds_sample_weight(tmp_path):
    from riskmodels.comparison.runner import compare
    from riskmodels.errors import ConfigError

    g = load_german()
    g["w"] = np.random.default_rng(9).integers(1, 4, len(g)).astype(float)
    g.to_csv(tmp_path / "g.csv", index=False)
    features = ["duration_months", "credit_amount", "checking_status", "age_years"]
    cfg = {"name": "weighted", "data": {"source": "file", "path": str(tmp_path / "g.csv"), "weight": "w"},
           "models": [{"name": "logistic", "type": "logistic", "features": features}],
           "tracking": {"enabled": False}}
    cmp = compare(cfg, progress=False, output_dir=tmp_path)
    train = cmp.train
    direct = LogisticScorecard().fit(train[features], train["target"], sample_weight=train["w"])
    _same_card(cmp.models["logistic"], direct, train[features])
    unweighted = LogisticScorecard().fit(train[features], train["target"])
    assert not np.array_equal(direct.coef_, unweighted.coef_) or direct.features_ != unweighted.features_
    refused = {**cfg, "models": [{"name": "kmv", "type": "kmv", "features": features}]}
    with pytest.raises(ConfigError, match="takes no sample weights"):
        compare(refused, progress=False, output_dir=tmp_path)
