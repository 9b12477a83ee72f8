"""riskmodels.spark: cross-tab and KMV fits on a Spark DataFrame equal the local fits on the same rows.

The references are the local estimators themselves (``CrossTabModel.fit``,
``KMVModel.fit``) on the same pandas rows: the Spark paths count or solve in
Spark and must reproduce them (rates exactly up to float summation order).
"""

import numpy as np
import pandas as pd
import pytest

import riskmodels.spark as rs
from riskmodels import scoring
from riskmodels.data.synthetic import make_portfolio
from riskmodels.errors import DataValidationError
from riskmodels.models.crosstab import CrossTabModel
from riskmodels.models.kmv import KMVModel
from riskmodels.spark.session import local_session


@pytest.fixture(scope="module")
def spark():
    return local_session(2)


@pytest.fixture(scope="module")
def portfolio():
    rng = np.random.default_rng(5)
    n = 3000
    f = pd.DataFrame({"dpd": rng.integers(0, 90, n).astype(float), "lev": rng.uniform(0, 1, n),
                      "sector": rng.choice(["retail", "build", "farm"], n)})
    f.loc[rng.random(n) < 0.04, "lev"] = np.nan
    logit = -4 + f["dpd"] / 30 + 1.5 * f["lev"].fillna(0.5) + 0.5 * (f["sector"] == "build")
    f["default"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return f


def _same_crosstab(remote, local, X):
    assert remote.features_ == local.features_ and remote.grid_shape_ == local.grid_shape_
    assert remote.bins_ == local.bins_ and remote.directions_ == local.directions_
    np.testing.assert_allclose(remote.prior_strength_, local.prior_strength_, rtol=1e-9)
    for a, b in zip(remote.level_rates_, local.level_rates_, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    pd.testing.assert_frame_equal(remote.cells_, local.cells_, check_exact=False, rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(remote.tests_, local.tests_, check_exact=False, rtol=1e-9)
    assert remote.training_metadata_ == local.training_metadata_
    scorer = scoring.Scorer(remote.to_bundle())
    np.testing.assert_allclose(scorer.score(X)["pd"], local.predict_proba(X)[:, 1], rtol=0, atol=1e-12)


def test_crosstab_cells_and_rates_equal_local_fit(spark, portfolio):
    X = portfolio.drop(columns="default")
    local = CrossTabModel(["dpd", "sector", "lev"], max_bins=3).fit(X, portfolio["default"])
    remote = rs.fit(CrossTabModel(["dpd", "sector", "lev"], max_bins=3), spark.createDataFrame(portfolio))
    _same_crosstab(remote, local, X)


def test_crosstab_with_a_fixed_binning_and_fixed_strength_equals_local(spark, portfolio):
    X = portfolio.drop(columns="default")
    fixed = {"dpd": {"type": "numeric", "edges": [30.0, 60.0], "missing_bin": 3, "special_bins": {}}}
    params = dict(features=["dpd", "lev"], binning=fixed, prior_strength=50.0, min_cell_size=5)
    local = CrossTabModel(**params).fit(X, portfolio["default"])
    remote = rs.fit(CrossTabModel(**params), spark.createDataFrame(portfolio))
    _same_crosstab(remote, local, X)


def test_crosstab_value_without_a_bin_names_column_and_rows(spark, portfolio):
    fixed = {"sector": {"type": "categorical", "categories": {"retail": 0, "build": 1}, "missing_bin": 2}}
    sdf = spark.createDataFrame(portfolio.head(50))
    with pytest.raises(DataValidationError, match=r"'sector'.*no bin in the given binning"):
        rs.fit(CrossTabModel(["sector"], binning=fixed), sdf)
    # weighted: the same message as the local fit's, counting rows (it counted their summed weight)
    weighted = portfolio.head(50).assign(w=2.5)
    with pytest.raises(DataValidationError) as local:
        CrossTabModel(["sector"], binning=fixed).fit(weighted.drop(columns=["default", "w"]), weighted["default"],
                                                     sample_weight=weighted["w"])
    with pytest.raises(DataValidationError) as remote:
        rs.fit(CrossTabModel(["sector"], binning=fixed), spark.createDataFrame(weighted), weight="w")
    assert str(remote.value) == str(local.value)


@pytest.fixture(scope="module")
def firms():
    fy = make_portfolio(n_firms=600, n_years=2, random_state=3).firm_years
    columns = ["equity_value", "equity_vol", "short_term_debt", "long_term_debt", "rate", "total_assets", "ebit"]
    return fy[columns].astype(float).assign(industry=fy["industry"].astype(str), default=fy["default"].astype(int))


@pytest.mark.parametrize("params", [dict(), dict(proxy_value="ebit", pd_map="empirical", n_bins=10)])
def test_kmv_solved_per_partition_equals_local_fit(spark, firms, params):
    local = KMVModel(**params).fit(firms, firms["default"])
    sdf = spark.createDataFrame(firms).repartition(3)  # several batches, solved separately
    remote = rs.fit(KMVModel(**params), sdf, target="default")
    assert remote.peer_asset_vol_ == pytest.approx(local.peer_asset_vol_, rel=1e-12)
    assert remote.default_asset_vol_ == pytest.approx(local.default_asset_vol_, rel=1e-12)
    assert remote.proxy_multiple_ == pytest.approx(local.proxy_multiple_, rel=1e-12)
    assert remote.peer_categories_ == local.peer_categories_
    assert remote.training_metadata_ == local.training_metadata_
    for attr in ("market_map_", "proxy_map_"):
        a, b = getattr(remote, attr), getattr(local, attr)
        assert (a is None) == (b is None)
        if a is not None:
            grid = np.linspace(-3, 12, 61)
            np.testing.assert_allclose(a(grid), b(grid), rtol=1e-12, atol=1e-15)
    X = firms.drop(columns="default")
    np.testing.assert_allclose(remote.predict_proba(X)[:, 1], local.predict_proba(X)[:, 1], rtol=1e-12, atol=1e-15)


def test_kmv_on_spark_reads_the_columns_features_names(spark, firms):
    names = {"equity_value": "mktcap", "rate": "riskfree", "ebit": "earnings"}
    renamed = firms.rename(columns=names)
    local = KMVModel(proxy_value="ebit").fit(firms, firms["default"])
    remote = rs.fit(KMVModel(proxy_value="ebit", features=names), spark.createDataFrame(renamed).repartition(3),
                    target="default")
    assert remote.peer_asset_vol_ == pytest.approx(local.peer_asset_vol_, rel=1e-12)
    assert remote.proxy_multiple_ == pytest.approx(local.proxy_multiple_, rel=1e-12)
    np.testing.assert_allclose(remote.predict_proba(renamed.drop(columns="default"))[:, 1],
                               local.predict_proba(firms.drop(columns="default"))[:, 1], rtol=1e-12, atol=1e-15)


def test_kmv_bad_firm_rows_raise_a_validation_error(spark, firms):
    bad = firms.copy()
    bad.loc[:4, "short_term_debt"] = -1.0
    with pytest.raises(DataValidationError, match="short_term_debt"):
        rs.fit(KMVModel(), spark.createDataFrame(bad), target="default")
