"""Tests of riskmodels.binning: WoE/IV, the exact optimiser, OptimalBinning, BinningProcess."""

import itertools
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from riskmodels import scoring
from riskmodels.binning import (
    BinningProcess,
    BinningTable,
    OptimalBinning,
    iv_strength,
    optimal_partition,
    quantile_splits,
    woe_iv,
)
from riskmodels.binning.optimizer import TRENDS
from riskmodels.binning.prebinning import MANY_SPLITS, values_below
from riskmodels.data.loaders import load_german, load_taiwan
from riskmodels.errors import DataValidationError, NotFittedError, ParameterError, RiskModelsError

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def taiwan():
    return load_taiwan()


@pytest.fixture(scope="module")
def german():
    return load_german()


# --------------------------------------------------------------------------- WoE / IV
def test_woe_iv_known_answer():
    # Siddiqi (2006), Credit Risk Scorecards, Wiley, ch. 6: WoE = ln(%good/%bad),
    # IV = sum (%good - %bad) WoE and the strength bands, worked by hand for this table
    woe, iv = woe_iv([100, 200, 300, 250, 150], [30, 25, 20, 15, 10])
    np.testing.assert_allclose(woe, [-1.098612, -0.223144, 0.405465, 0.510826, 0.405465], atol=5e-7)
    assert iv == pytest.approx(0.3427820, abs=5e-8)
    assert iv_strength(iv) == "strong"
    assert [iv_strength(v) for v in (0.01, 0.05, 0.2, 0.6)] == ["useless", "weak", "medium", "suspicious"]


def test_woe_orientation_flips_sign_not_iv():
    w1, iv1 = woe_iv([100, 200], [30, 25])
    w2, iv2 = woe_iv([100, 200], [30, 25], orientation="bad/good")
    np.testing.assert_allclose(w1, -w2)
    assert iv1 == iv2


def test_woe_of_bin_without_bads_is_neutral():
    woe, iv = woe_iv([10, 20, 5], [3, 7, 0])
    assert woe[2] == 0.0 and np.isfinite(iv)


def test_woe_iv_one_class_raises():
    with pytest.raises(DataValidationError, match="target"):
        woe_iv([10, 20], [0, 0])


# --------------------------------------------------------------------------- exact optimiser
def _brute_force(e, n, trend, min_count, max_bins):
    """Best IV over every subset of pre-bin boundaries (the definition of the optimum)."""
    m, te, tn = len(e), sum(e), sum(n)
    best = -np.inf
    for r in range(m):
        for cuts in itertools.combinations(range(1, m), r):
            starts, ends = [0, *cuts], [*cuts, m]
            if max_bins and len(starts) > max_bins:
                continue
            ge = [sum(e[a:b]) for a, b in zip(starts, ends, strict=False)]
            gn = [sum(n[a:b]) for a, b in zip(starts, ends, strict=False)]
            if any(a + b < min_count or a < 1 or b < 1 for a, b in zip(ge, gn, strict=False)):
                continue
            d = np.diff([a / (a + b) for a, b in zip(ge, gn, strict=False)])
            shape = {"ascending": all(d >= 0), "descending": all(d <= 0), "none": True,
                     "peak": any(all(d[:k] >= 0) and all(d[k:] <= 0) for k in range(len(d) + 1)),
                     "valley": any(all(d[:k] <= 0) and all(d[k:] >= 0) for k in range(len(d) + 1))}
            if shape[trend]:
                best = max(best, sum((b / tn - a / te) * np.log((b / tn) / (a / te)) for a, b in zip(ge, gn, strict=False)))
    return best


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 30)), min_size=1, max_size=7),
       st.sampled_from(sorted(TRENDS)), st.sampled_from([None, 2, 3]), st.integers(0, 25))
def test_optimiser_equals_brute_force(counts, trend, max_bins, min_count):
    e = [c[0] for c in counts]
    n = [c[1] for c in counts]
    if sum(e) == 0 or sum(n) == 0:
        return
    part = optimal_partition(e, n, trend=trend, min_bin_count=min_count, max_bins=max_bins)
    best = _brute_force(e, n, trend, min_count, max_bins)
    if np.isfinite(best):
        assert part.feasible and part.iv == pytest.approx(best, abs=1e-9)
        assert part.starts[0] == 0 and list(part.starts) == sorted(set(part.starts))
    else:
        assert not part.feasible and part.starts == (0,)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 90)), min_size=2, max_size=16),
       st.sampled_from([None, 1, 3, 5]), st.integers(0, 60), st.lists(st.integers(1, 15), max_size=2))
def test_auto_solves_each_shape_as_it_is_solved_alone(counts, max_bins, min_count, fixed):
    """"auto" solves the four shapes in one programme whose tracks they share ("up" is the
    ascending shape and the first phase of a peak): each shape's optimum (bins and IV) must be
    the one its own programme finds, itself checked against brute force above."""
    e, n = [c[0] for c in counts], [c[1] for c in counts]
    if sum(e) == 0 or sum(n) == 0:
        return
    options = {"min_bin_count": min_count, "max_bins": max_bins, "fixed_starts": [f for f in fixed if f < len(e)]}
    auto = optimal_partition(e, n, trend="auto", **options)
    for asked, _, bins, iv, _ in auto.shapes:
        alone = optimal_partition(e, n, trend=asked, **options)
        assert (bins, iv) == (len(alone.starts), alone.iv)


def test_auto_trend_takes_better_of_ascending_and_descending():
    e, n = [1, 2, 8, 9], [9, 8, 2, 1]
    auto = optimal_partition(e, n, trend="auto")
    assert auto.trend == "ascending"
    assert auto.iv >= optimal_partition(e, n, trend="descending").iv


def test_optimiser_rejects_unknown_trend():
    with pytest.raises(DataValidationError, match="monotonic_trend"):
        optimal_partition([1, 2], [3, 4], trend="sideways")


# --------------------------------------------------------------------------- oracle: optbinning CP
@pytest.mark.parametrize("column", ["LIMIT_BAL", "PAY_0", "PAY_AMT1", "AGE"])
@pytest.mark.parametrize("trend,their_trend", [("ascending", "ascending"), ("descending", "descending"),
                                               ("valley", "valley"), ("peak", "peak")])
def test_total_iv_at_least_optbinning_cp(taiwan, column, trend, their_trend):
    from optbinning import OptimalBinning as OptbinningBinning

    x, y = taiwan[column].to_numpy(), taiwan["target"].to_numpy()
    ours = OptimalBinning(column, max_bins=6, min_bin_size=0.05, monotonic_trend=trend).fit(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = OptbinningBinning(column, solver="cp", user_splits=list(ours.prebin_splits_), max_n_bins=6,
                                   min_bin_size=0.05, monotonic_trend=their_trend).fit(x, y)
        their_iv = theirs.binning_table.build().loc["Totals", "IV"]
    # identical pre-bins: optbinning kept all of them (no pure pre-bin was merged away) and
    # its final splits are a subset of ours
    assert theirs._n_prebins == ours.n_prebins_
    assert set(theirs.splits).issubset(set(ours.prebin_splits_))
    assert theirs.status == "OPTIMAL"
    assert ours.iv_ >= their_iv - 1e-9
    assert ours.iv_ == pytest.approx(their_iv, rel=1e-6)  # CP is optimal too: equal up to tolerance


@pytest.mark.parametrize("column", ["checking_status", "credit_history", "purpose"])
def test_categorical_iv_at_least_optbinning_cp(german, column):
    from optbinning import OptimalBinning as OptbinningBinning

    y = german["target"].to_numpy()
    ours = OptimalBinning(column, dtype="categorical", min_bin_size=0.05, monotonic_trend="ascending").fit(
        german[column], y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = OptbinningBinning(column, dtype="categorical", solver="cp", min_bin_size=0.05,
                                   monotonic_trend="ascending").fit(german[column].astype(str).to_numpy(), y)
        their_iv = theirs.binning_table.build().loc["Totals", "IV"]
    assert ours.iv_ >= their_iv - 1e-9


# --------------------------------------------------------------------------- OptimalBinning
def test_constraints_hold_on_taiwan(taiwan):
    x, y = taiwan["LIMIT_BAL"], taiwan["target"]
    ob = OptimalBinning("LIMIT_BAL", max_bins=5, min_bin_size=0.08, min_bin_n_event=200,
                        monotonic_trend="descending").fit(x, y)
    t = ob.table_
    k = ob.n_bins_
    assert k <= 5 and ob.status_ == "optimal"
    assert (t.count[:k] >= np.ceil(0.08 * len(y))).all() and (t.events[:k] >= 200).all()
    assert (np.diff(t.event_rate[:k]) <= 0).all()
    assert t.count.sum() == len(y) and t.events.sum() == y.sum()


def test_peak_trend_rises_then_falls():
    rng = np.random.default_rng(3)
    x = rng.uniform(-3, 3, 6000)
    y = (rng.random(6000) < 0.5 * np.exp(-x ** 2)).astype(int)
    ob = OptimalBinning("x", monotonic_trend="peak").fit(x, y)
    rate = ob.table_.event_rate[: ob.n_bins_]
    top = int(np.argmax(rate))
    assert 0 < top < ob.n_bins_ - 1
    assert (np.diff(rate[: top + 1]) >= 0).all() and (np.diff(rate[top:]) <= 0).all()
    auto = OptimalBinning("x", monotonic_trend="auto").fit(x, y)  # the hump is worth its turning point
    assert auto.trend_ == "peak" and auto.iv_ == pytest.approx(ob.iv_)
    assert ob.iv_ > OptimalBinning("x", monotonic_trend="ascending").fit(x, y).iv_


def test_missing_and_special_codes_have_own_bins():
    rng = np.random.default_rng(1)
    x = rng.normal(size=3000)
    y = (rng.random(3000) < 0.2).astype(int)
    x[:100] = np.nan
    x[100:160] = -999.0
    y[100:160] = 1
    ob = OptimalBinning("x", special_codes=[-999]).fit(x, y)
    k = ob.n_bins_
    assert ob.table_.labels[k:] == ["Missing", "Special -999"]
    assert ob.table_.count[k] == 100 and ob.table_.count[k + 1] == 60 and ob.table_.events[k + 1] == 60
    bundle = ob.to_bundle()
    assert bundle["missing_bin"] == k and bundle["special_bins"] == {"-999": k + 1}
    idx = ob.transform(x, metric="index")
    np.testing.assert_array_equal(idx, scoring.bin_index(bundle, x))
    assert (idx[:100] == k).all() and (idx[100:160] == k + 1).all()
    np.testing.assert_array_equal(ob.transform(x), ob.table_.woe[idx])


def test_special_codes_that_leave_too_few_rows_for_two_bins_warn_and_say_so():
    # 75 % of the records carry code 98: the other 25 % cannot form two bins of >= 15 % of all records
    rng = np.random.default_rng(2)
    n = 2000
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(1 - 2 * x))).astype(int)
    x[: int(0.75 * n)] = 98.0
    with pytest.warns(UserWarning, match=r"'late'.*special codes \[98\] take 75\.0%.*other 25\.0% collapse "
                                         r"into a single bin \(min_bin_size 0\.15"):
        ob = OptimalBinning("late", special_codes=[98], min_bin_size=0.15).fit(x, y)
    assert ob.n_bins_ == 1 and "special codes collapse the feature to one bin" in ob.status_
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same data with a smaller share needs no warning
        assert OptimalBinning("late", special_codes=[98], min_bin_size=0.05).fit(x, y).n_bins_ > 1


def test_special_codes_flagging_the_same_rows_in_several_features_warn():
    rng = np.random.default_rng(4)
    n = 3000
    flagged = rng.random(n) < 0.05
    y = (rng.random(n) < np.where(flagged, 0.6, 0.15)).astype(int)
    X = pd.DataFrame({"late_30": rng.poisson(1.0, n).astype(float), "late_90": rng.poisson(0.5, n).astype(float),
                      "age": rng.normal(45, 10, n)})
    X.loc[flagged, ["late_30", "late_90"]] = 96.0
    X.loc[rng.random(n) < 0.05, "age"] = 96.0  # a special code on other rows: not collinear
    with pytest.warns(UserWarning, match=r"special-code bins of 'late_30' and 'late_90' flag the same "
                                         rf"{int(flagged.sum())} rows \(Jaccard 1\.00\)"):
        bp = BinningProcess(special_codes=[96], min_bin_size=0.02).fit(X, y)
    assert [(a, b, rows) for a, b, rows, _ in bp.special_overlaps_] == [("late_30", "late_90", int(flagged.sum()))]


def test_no_missing_in_training_gives_neutral_missing_bin():
    ob = OptimalBinning("x").fit(np.arange(100.0), np.r_[np.zeros(50), np.ones(50)])
    assert ob.transform([np.nan]).tolist() == [0.0]


def test_categorical_unknown_category_policies(german):
    x, y = german["purpose"], german["target"]
    worst = OptimalBinning("purpose", dtype="categorical").fit(x, y)
    k = worst.n_bins_
    assert worst.transform(["never-seen"], metric="index")[0] == int(np.argmax(worst.table_.event_rate[:k]))
    missing = OptimalBinning("purpose", dtype="categorical", unknown_category="missing").fit(x, y)
    assert missing.transform(["never-seen"], metric="index")[0] == missing.n_bins_
    strict = OptimalBinning("purpose", dtype="categorical", unknown_category="error").fit(x, y)
    with pytest.raises(DataValidationError, match="'purpose'.*unseen.*\\[1\\]"):
        strict.transform(["A43", "never-seen"])


def test_user_splits_fixed_and_as_start(taiwan):
    x, y = taiwan["AGE"], taiwan["target"]
    fixed = OptimalBinning("AGE", user_splits=[30, 40, 50], user_splits_fixed=True).fit(x, y)
    assert fixed.splits_.tolist() == [30.0, 40.0, 50.0] and fixed.status_ == "fixed"
    start = OptimalBinning("AGE", user_splits=[25, 30, 35, 40, 50], monotonic_trend="ascending").fit(x, y)
    assert set(start.splits_.tolist()) <= {25.0, 30.0, 35.0, 40.0, 50.0}


def test_merge_and_split_recompute_the_table(taiwan):
    x, y = taiwan["AGE"], taiwan["target"]
    ob = OptimalBinning("AGE", user_splits=[30, 40, 50], user_splits_fixed=True).fit(x, y)
    ob.merge_bins(1)
    refit = OptimalBinning("AGE", user_splits=[30, 50], user_splits_fixed=True).fit(x, y)
    assert ob.splits_.tolist() == [30.0, 50.0]
    np.testing.assert_array_equal(ob.table_.events, refit.table_.events)
    assert ob.iv_ == pytest.approx(refit.iv_)
    ob.split_bin(40)
    assert ob.splits_.tolist() == [30.0, 40.0, 50.0] and ob.status_ == "edited"
    with pytest.raises(DataValidationError, match="cannot split"):
        ob.split_bin(33)
    with pytest.raises(DataValidationError, match="cannot merge"):
        ob.merge_bins(5)


def test_fixed_bins_without_events_or_non_events_are_flagged():
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    y = (rng.random(400) < 0.3).astype(int)
    with pytest.warns(UserWarning, match="'z'.*'\\(-inf, -10\\)'.*WoE 0"):
        ob = OptimalBinning("z", user_splits=[-10, 0], user_splits_fixed=True).fit(x, y)
    assert ob.status_.startswith("fixed") and "'(-inf, -10)'" in ob.status_ and "Missing" not in ob.status_
    assert ob.table_.woe[0] == 0.0 and ob.iv_ == BinningTable("z", ob.table_.labels, ob.table_.non_events,
                                                                ob.table_.events).iv
    with pytest.warns(UserWarning, match="'z'.*'\\[0, inf\\)'"):
        OptimalBinning("z", user_splits=[0], user_splits_fixed=True).fit(x, (x < 0).astype(int))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clean = OptimalBinning("z", user_splits=[0], user_splits_fixed=True).fit(x, y)
        clean.merge_bins(0)
    assert clean.status_ == "edited"


def test_repeated_or_non_numeric_special_codes_raise_naming_the_column():
    x, y = np.r_[np.arange(20.0), [-1.0] * 4], [0, 1] * 12
    with pytest.raises(ParameterError, match="x.special_codes.*repeats"):
        OptimalBinning("x", special_codes=[-1, -1.0]).fit(x, y)
    with pytest.raises(ParameterError, match="x.special_codes.*'none'"):
        OptimalBinning("x", special_codes=["none"]).fit(x, y)
    with pytest.raises(ParameterError, match="c.special_codes.*repeats"):
        OptimalBinning("c", dtype="categorical", special_codes=["a", "a"]).fit(["a", "b", "c", "b"], [0, 1, 0, 1])
    ob = OptimalBinning("x", special_codes=[-1]).fit(x, y)
    assert ob.table_.count.sum() == len(x)


# --------------------------------------------------------------------------- bad inputs
def test_constant_column_is_one_bin_with_zero_iv():
    ob = OptimalBinning("c").fit(np.full(50, 3.0), np.r_[np.zeros(25), np.ones(25)])
    assert ob.n_bins_ == 1 and ob.iv_ == 0.0 and ob.status_.startswith("single bin")


def test_single_value_after_prebinning_besides_specials_is_one_bin():
    x = np.r_[np.full(40, 7.0), np.full(10, -1.0)]
    y = np.r_[np.zeros(30), np.ones(10), np.ones(10)]
    ob = OptimalBinning("s", special_codes=[-1]).fit(x, y)
    assert ob.n_bins_ == 1 and ob.status_.startswith("single bin") and ob.iv_ > 0


def test_all_missing_column_raises():
    with pytest.raises(DataValidationError, match="'m'.*no value outside missing"):
        OptimalBinning("m").fit(np.full(10, np.nan), [0, 1] * 5)


def test_one_class_and_non_binary_targets_raise():
    with pytest.raises(DataValidationError, match="single class"):
        OptimalBinning("x").fit(np.arange(10.0), np.zeros(10))
    with pytest.raises(DataValidationError, match="values other than 0/1.*\\[2\\]"):
        OptimalBinning("x").fit(np.arange(4.0), [0, 1, 2, 1])


def test_infinite_values_raise_naming_rows():
    x = np.arange(10.0)
    x[3] = np.inf
    with pytest.raises(DataValidationError, match="'x'.*infinite values.*\\[3\\]"):
        OptimalBinning("x").fit(x, [0, 1] * 5)


@pytest.mark.parametrize("fit", [lambda x, y: OptimalBinning("x").fit(x, y),
                                 lambda x, y: OptimalBinning("x", user_splits=[20.0]).fit(x, y),
                                 lambda x, y: OptimalBinning("x").fit(x, y, sample_weight=np.ones(len(y))),
                                 lambda x, y: BinningProcess().fit(pd.DataFrame({"x": x}), y)])
def test_infinities_among_missing_values_raise_naming_rows_on_every_path(fit):
    """The unweighted fit finds infinities at the ends of the sorted values, the weighted one
    row by row: both name the same rows."""
    x = np.arange(100.0)
    x[[3, 50]], x[70], x[[7, 99]] = -np.inf, np.inf, np.nan
    with pytest.raises(DataValidationError, match="'x'.*infinite values in 3 row.*\\[3, 50, 70\\]"):
        fit(x, (np.arange(100) % 3 == 0).astype(int))


def test_text_in_numeric_column_and_bad_params_raise():
    with pytest.raises(DataValidationError, match="not numeric"):
        OptimalBinning("t").fit(["a", "b"], [0, 1])
    with pytest.raises(ParameterError, match="max_bins"):
        OptimalBinning("t", max_bins=0).fit([1.0, 2.0], [0, 1])
    with pytest.raises(DataValidationError, match="length|values but the target"):
        OptimalBinning("t").fit([1.0, 2.0, 3.0], [0, 1])
    with pytest.raises(NotFittedError):
        OptimalBinning("t").transform([1.0])
    assert issubclass(NotFittedError, RiskModelsError)


# --------------------------------------------------------------------------- table, process
def test_binning_table_outputs(german):
    ob = OptimalBinning("duration", max_bins=4).fit(german["duration_months"], german["target"])
    frame = ob.table_.to_frame()
    assert frame["bin"].iloc[-1] == "Totals" and frame["count"].iloc[-1] == 1000
    assert frame["iv"].iloc[-1] == pytest.approx(frame["iv"].iloc[:-1].sum())
    assert "IV =" in ob.summary() and "<table" in ob._repr_html_()
    assert ob.plot() is not None
    assert isinstance(ob.table_, BinningTable)


def test_binning_process_in_pipeline_and_clone(german):
    X, y = german.drop(columns="target"), german["target"]
    bp = BinningProcess(max_bins=5)
    assert clone(bp).get_params() == bp.get_params()
    pipe = make_pipeline(BinningProcess(max_bins=5), LogisticRegression(max_iter=500)).fit(X, y)
    assert pipe.predict_proba(X).shape == (1000, 2)
    fitted = pipe[0]
    assert fitted.get_feature_names_out().tolist() == list(X.columns)
    assert fitted.binnings_["checking_status"].dtype == "categorical"
    assert fitted.binnings_["age_years"].dtype == "numerical"
    summary = fitted.summary_frame()
    assert summary["iv"].is_monotonic_decreasing and summary.loc[0, "variable"] == "checking_status"
    out = BinningProcess(max_bins=5).set_output(transform="pandas").fit_transform(X, y)
    assert list(out.columns) == list(X.columns)
    with pytest.raises(DataValidationError, match="'age_years'.*missing column"):
        fitted.transform(X.drop(columns="age_years"))
    with pytest.raises(DataValidationError, match="<X>.*has 2 columns"):
        fitted.transform(X.to_numpy()[:, :2])


def test_binning_process_matches_single_binnings(taiwan):
    X = taiwan[["LIMIT_BAL", "PAY_0"]]
    y = taiwan["target"]
    bp = BinningProcess(max_bins=6, binning_fit_params={"PAY_0": {"monotonic_trend": "ascending"}}).fit(X, y)
    single = OptimalBinning("LIMIT_BAL", max_bins=6).fit(X["LIMIT_BAL"], y)
    assert bp.iv_["LIMIT_BAL"] == single.iv_
    assert bp.binnings_["PAY_0"].trend_ == "ascending"
    np.testing.assert_array_equal(bp.transform(X)[:, 0], single.transform(X["LIMIT_BAL"]))
    with pytest.raises(ParameterError, match="binning_fit_params.nope"):
        BinningProcess(binning_fit_params={"nope": {}}).fit(X, y)


@pytest.mark.parametrize("n_splits", [5, MANY_SPLITS + 20])
def test_values_below_compares_or_sorts_to_the_same_counts(n_splits):
    """Few splits: a comparison pass each; many: one sort. Both must count what a loop counts
    (NaN below nothing, ties not below)."""
    rng = np.random.default_rng(4)
    x = rng.integers(0, 30, 5000).astype(float)
    x[rng.random(5000) < 0.1] = np.nan
    splits = np.sort(rng.choice(np.arange(-1.0, 32.0), n_splits, replace=n_splits > 33))
    expected = [sum(1 for v in x if v < s) for s in splits]
    assert values_below(x, splits).tolist() == expected


def test_quantile_splits_are_observed_values():
    x = np.random.default_rng(0).exponential(size=1001)
    splits = quantile_splits(x, 10)
    assert len(splits) == 9 and np.isin(splits, x).all()
    counts = np.bincount(np.searchsorted(splits, x, side="right"))
    assert counts.min() >= 99 and counts.max() <= 101
    frame = pd.DataFrame({"v": x})
    assert len(frame) == 1001


# --------------------------------------------------------------------------- issue 15: shapes
def _shaped(kind, n=6000, seed=5):
    """x uniform on [-3, 3]; event rate rising, falling, U-shaped (valley) or humped (peak) in x."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, n)
    rate = {"ascending": 0.05 + 0.25 * (x + 3) / 6, "descending": 0.30 - 0.25 * (x + 3) / 6,
            "valley": 0.04 + 0.04 * x ** 2, "peak": 0.40 - 0.04 * x ** 2}[kind]
    return x, (rng.random(n) < rate).astype(int)


@pytest.mark.parametrize("kind", ["ascending", "descending", "peak", "valley"])
def test_auto_trend_finds_each_of_the_four_shapes(kind):
    x, y = _shaped(kind)
    ob = OptimalBinning("x", monotonic_trend="auto").fit(x, y)
    assert ob.trend_ == kind
    assert set(ob.shapes_["asked"]) == {"ascending", "descending", "peak", "valley"}
    chosen = ob.shapes_.loc[ob.shapes_["obtained"] == kind, "bic"].min()
    assert chosen == ob.shapes_["bic"].min()  # the lowest BIC wins
    assert ob.trend_reason_.startswith(f"{kind} by BIC") and ob.trend_reason_ in ob.summary()
    assert kind in BinningProcess().fit(pd.DataFrame({"x": x}), y).summary_frame()["trend_reason"][0]


def test_bic_penalises_the_turning_point():
    # BIC = -2 LL + (bins + turns) ln N (Schwarz 1978): by hand for a 3-bin peak, N = 300
    e, n = np.array([10.0, 30.0, 12.0]), np.array([90.0, 70.0, 88.0])
    ll = float(np.sum(e * np.log(e / (e + n)) + n * np.log(n / (e + n))))
    from riskmodels.binning.optimizer import binned_bic, shape_of

    assert binned_bic(e, n, 300, "peak") == pytest.approx(-2 * ll + 4 * np.log(300))
    assert binned_bic(e, n, 300, "ascending") == pytest.approx(-2 * ll + 3 * np.log(300))
    assert shape_of(e / (e + n)) == "peak"
    # a weak hump that does not pay for its turning point stays monotone
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 3000)
    y = (rng.random(3000) < 0.05 + 0.1 * x + 0.004 * np.sin(9 * x)).astype(int)
    ob = OptimalBinning("x", monotonic_trend="auto").fit(x, y)
    assert ob.trend_ == "ascending"


def test_categorical_auto_trend_is_ascending_by_event_rate():
    rng = np.random.default_rng(2)
    x = rng.choice(list("abcd"), 2000)
    y = (rng.random(2000) < np.select([x == "a", x == "b", x == "c"], [0.05, 0.3, 0.15], 0.1)).astype(int)
    ob = OptimalBinning("c", dtype="categorical").fit(x, y)
    assert ob.trend_ == "ascending" and len(ob.shapes_) == 0
    assert (np.diff(ob.table_.event_rate[: ob.n_bins_]) >= 0).all()


def test_with_trend_resolves_without_the_data():
    x, y = _shaped("valley")
    ob = OptimalBinning("x", monotonic_trend="auto").fit(x, y)
    asc = ob.with_trend("ascending")
    direct = OptimalBinning("x", monotonic_trend="ascending").fit(x, y)
    assert asc.splits_.tolist() == direct.splits_.tolist() and asc.iv_ == pytest.approx(direct.iv_)
    assert ob.trend_ == "valley"  # the original is untouched


# --------------------------------------------------------------------------- issue 15: pre-binning, p-values
def test_cart_prebinning_finds_the_step():
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 100, 5000)
    y = (rng.random(5000) < np.where(x < 37.3, 0.05, 0.4)).astype(int)
    ob = OptimalBinning("x", prebinning_method="cart", max_n_prebins=4).fit(x, y)
    assert ob.splits_[0] == pytest.approx(37.3, abs=1.0)
    assert ob.n_prebins_ <= 4
    with pytest.raises(ParameterError, match="prebinning_method"):
        OptimalBinning("x", prebinning_method="tree").fit(x, y)


def test_max_pvalue_merges_bins_whose_rates_do_not_differ():
    from scipy.stats import chi2_contingency

    from riskmodels.binning.optimizer import pvalue_merge

    # Pearson chi2 without continuity correction, as scipy computes it (by hand: oracle)
    e, n = [10, 11, 40], [90, 89, 60]
    p01 = chi2_contingency([[10, 90], [11, 89]], correction=False)[1]
    assert p01 > 0.05
    assert pvalue_merge(e, n, (0, 1, 2), 0.05) == (0, 2)
    assert pvalue_merge(e, n, (0, 1, 2), p01 + 1e-9) == (0, 1, 2)
    x, y = _shaped("ascending", n=3000)
    free = OptimalBinning("x", max_n_prebins=40, min_bin_size=0.02).fit(x, y)
    merged = OptimalBinning("x", max_n_prebins=40, min_bin_size=0.02, max_pvalue=0.05).fit(x, y)
    assert merged.n_bins_ < free.n_bins_ and "merged" in merged.status_
    t = merged.table_
    for i in range(merged.n_bins_ - 1):
        table = [[t.events[i], t.non_events[i]], [t.events[i + 1], t.non_events[i + 1]]]
        assert chi2_contingency(table, correction=False)[1] <= 0.05


# --------------------------------------------------------------------------- issue 15: category labels
def test_category_labels_one_normalisation():
    assert scoring.category_label(3.0) == scoring.category_label(3) == scoring.category_label(np.int64(3)) == "3"
    assert scoring.category_label(np.nan) is None and scoring.category_label("3.0") == "3.0"
    from riskmodels.binning.optimal import category_values

    assert category_values(pd.Series([1.0, np.nan, 2.0]), "c").tolist() == ["1", None, "2"]


def test_user_splits_labels_absent_from_the_data_are_refused():
    x = np.array(["a", "b", "c", "a", "b", "c"] * 50)
    y = np.tile([0, 1, 0, 1, 0, 0], 50)
    with pytest.raises(DataValidationError, match=r"user_splits.*\['zz', 'q'\]"):
        OptimalBinning("c", dtype="categorical", user_splits=[["a", "zz"], ["q"]]).fit(x, y)
    with pytest.raises(DataValidationError, match="more than one group"):
        OptimalBinning("c", dtype="categorical", user_splits=[["a", "b"], ["b"]]).fit(x, y)


def test_optbinning_categorical_user_splits_case():
    # optbinning tests/test_binning.py::test_categorical_user_splits: integer codes, user_splits given
    # as floats; its binning table IV is 0.09345086993827473 (str labels gave 1.218 here before)
    np.random.seed(0)
    n = 100000
    x = sum([[i] * n for i in [-1, 2, 3, 4, 7, 8, 9, 10]], [])
    y = list(np.random.binomial(1, 0.011665, n)) + list(np.zeros(n)) + \
        list(np.random.binomial(1, 0.0133333, n)) + list(np.random.binomial(1, 0.166667, n)) + \
        list(np.zeros(n)) + list(np.random.binomial(1, 0.0246041, n)) + list(np.zeros(n)) + \
        list(np.random.binomial(1, 0.025641, n))
    splits = [[2.0, 7.0, 9.0, 3.0, 10.0, 4.0], [8], [-1]]
    ob = OptimalBinning("c", dtype="categorical", user_splits=splits, user_splits_fixed=True,
                        min_bin_size=0.0).fit(np.array(x), np.array(y, dtype=int))
    assert ob.n_bins_ == 3
    assert ob.iv_ == pytest.approx(0.09345086993827473, rel=1e-6)


def test_shape_margin_ignores_single_bin_rivals():
    # a rising feature: "descending" can only give one bin, which must not count as a rival
    rng = np.random.default_rng(8)
    x = rng.uniform(0, 10, 4000)
    y = (rng.random(4000) < 0.03 + 0.02 * x).astype(int)
    ob = OptimalBinning("x").fit(x, y)
    shapes = ob.shapes_
    assert ob.trend_ == "ascending"
    rivals = shapes[(shapes["obtained"] != "ascending") & (shapes["bins"] > 1)]
    expected = rivals["bic"].min() - shapes.loc[shapes["obtained"] == "ascending", "bic"].min() if len(rivals) \
        else np.nan
    assert ob.shape_margin() == pytest.approx(expected, nan_ok=True)
    assert not ob.shape_margin() < 0
    assert np.isnan(OptimalBinning("x", monotonic_trend="ascending").fit(x, y).shape_margin())
