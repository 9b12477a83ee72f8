"""riskmodels.spark: fitting on a Spark DataFrame equals fitting the same rows locally.

Parity is the specification (design.md, "After adoption, at scale": the
entry point ``riskmodels.spark.fit(estimator, spark_df, target)`` equals
``estimator.fit(X, y)`` on the same rows: same bins, same selected features,
coefficients and p-values to 1e-8). The references are the local
BinningProcess / LogisticScorecard and statsmodels' Logit.
"""

import numpy as np
import pandas as pd
import pytest

import riskmodels.spark as rs
from riskmodels import scoring
from riskmodels.binning import BinningProcess
from riskmodels.binning.optimizer import SHAPES
from riskmodels.binning.prebinning import quantile_splits
from riskmodels.data.loaders import load_german
from riskmodels.errors import DataValidationError
from riskmodels.models.logistic import LogisticScorecard
from riskmodels.models.stepwise import collapse_rows
from riskmodels.spark.binning import exact_order_statistics, fit_binning
from riskmodels.spark.grouped import group_bins
from riskmodels.spark.session import local_session
from riskmodels.spark.woe import woe_frame


@pytest.fixture(scope="module")
def spark():
    return local_session(2)


@pytest.fixture(scope="module")
def mixed():
    """Numbers with missing values and a special code, ties, few distinct values, categories."""
    rng = np.random.default_rng(7)
    n = 4000
    f = pd.DataFrame({"a": rng.normal(size=n), "ties": np.round(rng.exponential(size=n), 1),
                      "few": rng.integers(0, 6, n).astype(float),
                      "cat": rng.choice(["u", "v", "w", "z"], n), "given": rng.uniform(0, 10, n)})
    f.loc[rng.random(n) < 0.05, "a"] = np.nan
    f.loc[rng.random(n) < 0.04, "ties"] = -1.0
    f.loc[rng.random(n) < 0.03, "cat"] = None
    logit = -2 + f["a"].fillna(0) + 0.5 * (f["cat"] == "u") - 0.3 * f["few"] + 0.2 * f["ties"]
    f["default"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return f


def _same_binning(a, b):
    assert a.dtype == b.dtype and a.n_prebins_ == b.n_prebins_
    if a.dtype == "numerical":
        np.testing.assert_array_equal(a.prebin_splits_, b.prebin_splits_)
    else:
        assert a.prebin_groups_ == b.prebin_groups_
    np.testing.assert_array_equal(a.prebin_events_, b.prebin_events_)
    np.testing.assert_array_equal(a.prebin_nonevents_, b.prebin_nonevents_)
    np.testing.assert_array_equal(a.table_.events, b.table_.events)
    np.testing.assert_array_equal(a.table_.non_events, b.table_.non_events)
    assert a.to_bundle() == b.to_bundle()
    assert a.iv_ == b.iv_ and a.status_ == b.status_


def test_exact_order_statistics_equal_numpy_sort(spark):
    rng = np.random.default_rng(3)
    x = np.concatenate([np.round(rng.normal(size=2000), 2), np.zeros(1000)])  # ties and a mass point
    sdf = spark.createDataFrame(pd.DataFrame({"x": x}))
    from pyspark.sql import functions as F

    pos = np.array([0, 17, 999, 1500, 2999])
    found = exact_order_statistics(sdf, {"x": (F.col("x").isNotNull(), len(x), pos)}, relative_error=0.01)
    np.testing.assert_array_equal(found["x"], np.sort(x)[pos])


def test_binning_equals_local_binning_process(spark, mixed):
    params = dict(special_codes=[-1.0], categorical_variables=["cat"],
                  binning_fit_params={"given": {"user_splits": [2.5, 5.0, 7.5]}})
    local = BinningProcess(**params).fit(mixed.drop(columns="default"), mixed["default"])
    remote = fit_binning(BinningProcess(**params), spark.createDataFrame(mixed), "default")
    assert remote.features_ == local.features_
    for name in local.features_:
        _same_binning(remote.binnings_[name], local.binnings_[name])
    pd.testing.assert_series_equal(remote.iv_, local.iv_)
    # the local pre-binning rule (quantile_splits) on the clean values, as a third opinion
    clean = mixed["a"].dropna().to_numpy()
    np.testing.assert_array_equal(remote.binnings_["a"].prebin_splits_, quantile_splits(clean, 20))


def test_approximate_edges_are_observed_values_and_close(spark, mixed):
    remote = fit_binning(BinningProcess(features=["a"]), spark.createDataFrame(mixed), "default",
                         prebin="approx", relative_error=0.01)
    local = BinningProcess(features=["a"]).fit(mixed, mixed["default"])
    approx, exact = remote.binnings_["a"].prebin_splits_, local.binnings_["a"].prebin_splits_
    clean = np.sort(mixed["a"].dropna().to_numpy())
    assert np.isin(approx, clean).all() and len(approx) == len(exact)
    ranks = np.searchsorted(clean, approx) - np.searchsorted(clean, exact)
    assert np.abs(ranks).max() <= 0.01 * len(clean) + 1  # approxQuantile's rank guarantee


def test_woe_columns_equal_local_transform(spark, mixed):
    local = BinningProcess(special_codes=[-1.0]).fit(mixed.drop(columns="default"), mixed["default"])
    extra = mixed.head(3).assign(cat=["never-seen", None, "u"], a=[np.nan, 99.0, -99.0])
    frame = pd.concat([mixed, extra], ignore_index=True)
    sdf = spark.createDataFrame(frame.drop(columns="default").assign(row=np.arange(len(frame))))
    out = woe_frame(local, sdf, keep=("row",)).toPandas().sort_values("row")
    expected = local.transform(frame.drop(columns="default"))
    np.testing.assert_array_equal(out[local.features_].to_numpy(), expected)  # bit for bit


def _same_scorecard(remote, local, X):
    assert remote.features_ == local.features_
    a, b = remote.coef_table_, local.coef_table_
    for col in ("coef", "std_err", "z", "p_value", "ci_low", "ci_high", "vif", "iv"):
        np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float), rtol=0, atol=1e-8,
                                   err_msg=col)
    assert remote.selection_log_[["action", "feature"]].equals(local.selection_log_[["action", "feature"]])
    for name in local.features_:
        _same_binning(remote.binning_.binnings_[name], local.binning_.binnings_[name])
    scorer = scoring.Scorer(remote.to_bundle())  # the exported bundle scores as the local model
    np.testing.assert_allclose(scorer.score(X)["pd"], local.predict_proba(X)[:, 1], rtol=0, atol=1e-12)


def test_scorecard_on_german_equals_local_fit(spark):
    german = load_german().rename(columns={"target": "default"})
    X = german.drop(columns="default")
    local = LogisticScorecard(max_features=6).fit(X, german["default"])
    remote = rs.fit(LogisticScorecard(max_features=6), spark.createDataFrame(german), target="default")
    _same_scorecard(remote, local, X)
    assert "Logit (maximum likelihood" in remote.summary()
    # a fixed number of passes: totals, quantile brackets, bracket histogram, values inside, pre-bin
    # counts, distinct values of the few-valued columns, the one group-by
    labels = [label for label, _ in remote.grouping_["passes"]]
    assert labels.count("group by the tuple of bin indices") == 1 and len(labels) <= 8, labels


def test_forward_selection_equals_local(spark, mixed):
    X = mixed.drop(columns="default")
    params = dict(features=["a", "cat", "ties"], selection="forward", criterion="aic", special_codes=[-1.0])
    local = LogisticScorecard(**params).fit(X, mixed["default"])
    remote = rs.fit(LogisticScorecard(**params), spark.createDataFrame(mixed))
    _same_scorecard(remote, local, X)
    assert remote.grouping_["grouped_rows"] < len(mixed) / 10  # bounded by bin combinations, not rows


def test_sign_rescue_regroups_by_prebins_and_equals_local(spark):
    """A near-copy of the risk driver gets a wrong-signed coefficient: rescue tried, then dropped, in both fits."""
    rng = np.random.default_rng(1)
    n = 3000
    a = rng.normal(size=n)
    f = pd.DataFrame({"a": a, "b": a + 0.3 * rng.normal(size=n), "c": rng.uniform(-3, 3, n)})
    f["default"] = (rng.random(n) < 1 / (1 + np.exp(1.5 - a - 0.4 * f["c"] ** 2))).astype(int)
    X = f.drop(columns="default")
    params = dict(max_vif=None, max_correlation=1.0, selection=None)
    local = LogisticScorecard(**params).fit(X, f["default"])
    remote = rs.fit(LogisticScorecard(**params), spark.createDataFrame(f))
    _same_scorecard(remote, local, X)
    assert remote.selection_log_["action"].tolist()[-2:] == [
        "rescue (sign) failed: no shape gives a negative coefficient", "drop (sign)"]


def test_rows_grouped_by_prebins_give_the_woe_rows_of_every_shape(spark, mixed):
    """The sign rescue's data: rows grouped by one column's pre-bins, re-binned under each shape on the driver."""
    sdf = spark.createDataFrame(mixed)
    bp = fit_binning(BinningProcess(features=["a", "ties"], special_codes=[-1.0]), sdf)
    by_prebins = group_bins(bp, sdf, ["a", "ties"], "default", prebins="ties")
    for shape in SHAPES:
        binnings = {**bp.binnings_, "ties": bp.binnings_["ties"].with_trend(shape)}
        got = by_prebins.as_bins(binnings).design(binnings, ["a", "ties"])
        W = np.column_stack([binnings[n].transform(mixed[n]) for n in ("a", "ties")])
        expected = collapse_rows(W, mixed["default"])
        order = np.lexsort(got.X.T[::-1])
        np.testing.assert_array_equal(got.X[order], expected.X)  # collapse_rows sorts its rows
        np.testing.assert_array_equal(got.counts[order], expected.counts)
        np.testing.assert_array_equal(got.events[order], expected.events)
    bp.replace_binning("ties", binnings["ties"])
    by_bins = group_bins(bp, sdf, ["a", "ties"], "default")  # the last shape, grouped by its bins in Spark
    regrouped = by_prebins.as_bins(bp.binnings_)
    np.testing.assert_array_equal(regrouped.codes, by_bins.codes)
    np.testing.assert_array_equal(regrouped.events, by_bins.events)
    np.testing.assert_array_equal(regrouped.nonevents, by_bins.nonevents)


def test_bad_target_names_column_and_rows(spark):
    sdf = spark.createDataFrame(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "default": [0, 1, 2, 0]}))
    with pytest.raises(DataValidationError, match=r"'default'.*other than 0/1.*\[2\]"):
        rs.fit(BinningProcess(), sdf)
    with pytest.raises(DataValidationError, match="a LogisticScorecard, CrossTabModel, KMVModel or BinningProcess"):
        rs.fit(object(), sdf)


# --------------------------------------------------------------------------- sample weights
@pytest.fixture(scope="module")
def weights(mixed):
    """Weights in quarters (exact in binary floating point, so any summation order gives the same sums)."""
    w = np.random.default_rng(11).integers(0, 12, len(mixed)) / 4.0
    w[:3] = 0.0
    return w


def test_weighted_binning_equals_local_weighted_binning(spark, mixed, weights):
    params = dict(special_codes=[-1.0], max_bins=5)
    X = mixed.drop(columns="default")
    local = BinningProcess(**params).fit(X, mixed["default"], sample_weight=weights)
    remote = rs.fit(BinningProcess(**params), spark.createDataFrame(mixed.assign(w=weights)), weight="w")
    for name in local.features_:
        _same_binning(remote.binnings_[name], local.binnings_[name])
    assert remote.binnings_["a"].table_.events.dtype.kind == "f"  # quarter weights: fractional counts


def test_weighted_exact_order_statistics_equal_the_weighted_local_quantiles(spark, weights):
    from pyspark.sql import functions as F

    x = np.round(np.random.default_rng(3).normal(size=len(weights)), 2)
    sdf = spark.createDataFrame(pd.DataFrame({"x": x, "w": weights})).where(F.col("w") > 0)
    keep = weights > 0
    total = weights[keep].sum()
    pos = np.ceil(np.arange(1, 10) * (total - 1) / 10)
    found = exact_order_statistics(sdf, {"x": (F.lit(True), int(keep.sum()), pos)}, relative_error=0.01, weight="w")
    order = np.argsort(x[keep], kind="stable")
    cumulative = np.cumsum(weights[keep][order])
    np.testing.assert_array_equal(found["x"], x[keep][order][np.searchsorted(cumulative, pos, side="right")])
    np.testing.assert_array_equal(np.unique(found["x"]), quantile_splits(x[keep], 10, weights=weights[keep]))


def test_weighted_scorecard_equals_local_weighted_fit(spark, mixed, weights):
    X = mixed.drop(columns="default")
    params = dict(special_codes=[-1.0], max_vif=None)
    local = LogisticScorecard(**params).fit(X, mixed["default"], sample_weight=weights)
    remote = rs.fit(LogisticScorecard(**params), spark.createDataFrame(mixed.assign(w=weights)), weight="w")
    _same_scorecard(remote, local, X)
    assert remote.training_metadata_ == local.training_metadata_


def test_weighted_crosstab_equals_local_weighted_fit(spark, mixed, weights):
    from riskmodels.models.crosstab import CrossTabModel

    X = mixed.drop(columns="default")
    local = CrossTabModel(["few", "cat"], max_bins=3).fit(X, mixed["default"], sample_weight=weights)
    remote = rs.fit(CrossTabModel(["few", "cat"], max_bins=3), spark.createDataFrame(mixed.assign(w=weights)),
                    weight="w")
    pd.testing.assert_frame_equal(remote.cells_, local.cells_, check_exact=False, rtol=1e-12)
    np.testing.assert_allclose(remote.predict_proba(X), local.predict_proba(X), rtol=0, atol=1e-12)


@pytest.fixture(scope="module")
def counts(mixed):
    """Whole-number weights 0..3: a record of weight k stands for k copies of itself."""
    return np.random.default_rng(5).integers(0, 4, len(mixed))


def test_integer_weights_on_spark_equal_repeated_rows(spark, mixed, counts):
    """Binning and card fitted in Spark with a weight column of whole numbers equal the local fits on
    the records repeated that many times (a frequency weight's definition, as statsmodels' ``freq_weights``
    and optbinning's ``sample_weight`` read it)."""
    repeated = mixed.loc[mixed.index.repeat(counts)].reset_index(drop=True)
    X, sdf = repeated.drop(columns="default"), spark.createDataFrame(mixed.assign(w=counts.astype(float)))
    params = dict(special_codes=[-1.0], max_bins=5)
    local = BinningProcess(**params).fit(X, repeated["default"])
    remote = rs.fit(BinningProcess(**params), sdf, weight="w")
    for name in local.features_:
        _same_binning(remote.binnings_[name], local.binnings_[name])
    card = dict(special_codes=[-1.0], max_vif=None)
    local_card = LogisticScorecard(**card).fit(X, repeated["default"])
    remote_card = rs.fit(LogisticScorecard(**card), sdf, weight="w")
    _same_scorecard(remote_card, local_card, X)
    assert remote_card.training_metadata_["n_train"] == int((counts > 0).sum())
    assert remote_card.training_metadata_["sum_of_weights"] == len(repeated) == local_card.training_metadata_["n_train"]


def test_bad_spark_weights_name_the_column_and_rows(spark):
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "default": [0, 1, 1, 0], "w": [1.0, -2.0, 1.0, 1.0]})
    with pytest.raises(DataValidationError, match=r"'w'.*negative.*\[1\]"):
        rs.fit(BinningProcess(), spark.createDataFrame(frame), weight="w")
    with pytest.raises(DataValidationError, match=r"'w'.*zero on every default"):
        rs.fit(BinningProcess(), spark.createDataFrame(frame.assign(w=1.0 - frame["default"])), weight="w")
