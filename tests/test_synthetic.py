"""The synthetic portfolio: the shared column contract, determinism, and that the truth is the truth."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtr
from sklearn.metrics import roc_auc_score

from riskmodels.data.features import default_flags
from riskmodels.data.synthetic import (
    LEVELS,
    QUALITATIVE,
    QUALITY_LEVELS,
    RATIOS,
    make_portfolio,
)
from riskmodels.errors import DataValidationError
from riskmodels.models.kmv import merton_equity

PAYMENT = ["dpd_current", "dpd_max_3m", "dpd_max_6m", "dpd_max_12m", "on_time_share", "avg_days_late",
           "weighted_days_late", "n_invoices", "tenure_months", "limit_utilisation", "age_0_30"]

TIMELINESS = ["on_time_share", "avg_days_late", "weighted_days_late"]


@pytest.fixture(scope="module")
def small():
    return make_portfolio(n_firms=200, n_years=3, random_state=7)


@pytest.fixture(scope="module")
def large():
    """About 20,000 firm-years, without payment features to stay fast."""
    return make_portfolio(n_firms=5000, n_years=4, random_state=2024, payment_features=False)


def test_contract_columns_and_types(small):
    fy = small.firm_years
    ratios = [f"{r}{s}" for r in RATIOS for s in ("", "_lag1", "_lag2")]
    expected = (["firm_id", "year", "industry", "listed", "default", "true_pd"] + ratios + list(LEVELS)
                + ["equity_value", "equity_vol", "asset_value", "asset_vol", "rate"] + list(QUALITATIVE)
                + PAYMENT)
    assert not set(expected) - set(fy.columns)
    assert fy["firm_id"].map(type).eq(str).all()
    assert fy["year"].dtype == np.int64 and fy["default"].dtype == np.int8
    assert fy["listed"].dtype == bool and isinstance(fy["industry"].dtype, pd.CategoricalDtype)
    for name in QUALITATIVE:
        assert fy[name].cat.categories.tolist() == list(QUALITY_LEVELS)
    assert not fy.duplicated(["firm_id", "year"]).any()
    assert sorted(fy["year"].unique()) == [2019, 2020, 2021]
    assert fy["true_pd"].between(0, 1).all()
    for name in ratios + list(LEVELS) + PAYMENT:
        if name.startswith("roe") or name in TIMELINESS:
            continue                 # NaN where book equity <= 0 / no invoice fell due, by design
        assert fy[name].notna().all(), name
    gap = fy["on_time_share"].isna()
    assert gap.mean() < 0.03 and fy.loc[gap, "avg_days_late"].isna().all()


def test_tables_are_consistent(small):
    fy = small.firm_years
    listed = fy["listed"]
    assert fy.loc[listed, ["equity_value", "equity_vol"]].notna().all().all()
    assert fy.loc[~listed, ["equity_value", "equity_vol"]].isna().all().all()
    prices = small.equity_prices
    assert set(prices["firm_id"]) == set(fy.loc[listed, "firm_id"])
    assert prices["equity_value"].gt(0).all()
    ledger = small.ledger()                     # validates the ledger tables
    assert set(ledger.invoices["customer_id"]) == set(small.firms["firm_id"])
    defaulted = fy.loc[fy["default"] == 1, "firm_id"]
    assert set(small.write_offs["customer_id"]) == set(defaulted)
    assert (fy.groupby("firm_id")["default"].sum() <= 1).all()   # a defaulted firm leaves the panel


def test_same_seed_same_frames_other_seed_differs(small):
    again = make_portfolio(n_firms=200, n_years=3, random_state=7)
    for name in ("firm_years", "firms", "equity_prices", "invoices", "payments", "credit_limits", "write_offs"):
        pd.testing.assert_frame_equal(getattr(small, name), getattr(again, name))
    other = make_portfolio(n_firms=200, n_years=3, random_state=8)
    assert not np.allclose(other.firm_years["true_pd"].to_numpy()[:50], small.firm_years["true_pd"].to_numpy()[:50])


def test_true_pd_is_the_merton_pd_of_the_latent_state(small):
    fy = small.firm_years.merge(small.firms[["firm_id", "asset_drift"]], on="firm_id")
    dp = fy["short_term_debt"] + 0.5 * fy["long_term_debt"]
    sigma = fy["asset_vol"]
    dd = (np.log(fy["asset_value"] / dp) + fy["asset_drift"] - 0.5 * sigma**2) / sigma
    assert np.allclose(ndtr(-dd), fy["true_pd"], rtol=1e-9, atol=1e-12)
    listed = fy[fy["listed"]]
    e, s = merton_equity(listed["asset_value"], listed["asset_vol"],
                         listed["short_term_debt"] + 0.5 * listed["long_term_debt"], listed["rate"])
    assert np.allclose(e, listed["equity_value"]) and np.allclose(s, listed["equity_vol"])


def test_realised_default_rate_matches_true_pd_within_binomial_error(large):
    fy = large.firm_years
    assert len(fy) > 18_000
    expected, observed = fy["true_pd"].sum(), fy["default"].sum()
    sd = np.sqrt((fy["true_pd"] * (1 - fy["true_pd"])).sum())
    assert abs(observed - expected) < 3 * sd
    first = fy[fy["year"] == fy["year"].min()]
    assert first["true_pd"].mean() == pytest.approx(0.03, abs=0.004)   # the default_rate argument
    assert 0.02 <= fy["default"].mean() <= 0.05


def test_true_pd_orders_defaults_and_observables_are_noisy(large):
    fy = large.firm_years
    truth = roc_auc_score(fy["default"], fy["true_pd"])
    assert truth > 0.8
    for name, sign in (("debt_ratio", 1), ("current_ratio", -1), ("roa", -1), ("interest_cover", -1)):
        auc = roc_auc_score(fy["default"], sign * fy[name])
        assert 0.6 < auc < truth, name
    poor = fy["management_quality"] == "poor"
    assert fy.loc[poor, "default"].mean() > 3 * fy.loc[fy["management_quality"] == "good", "default"].mean()


def test_payment_delays_grow_with_risk():
    medium = make_portfolio(n_firms=1500, n_years=2, random_state=3)
    fy = medium.firm_years
    auc = roc_auc_score(fy["default"], fy["avg_days_late"])
    assert 0.6 < auc < roc_auc_score(fy["default"], fy["true_pd"])


def test_ledger_defaults_follow_the_portfolio_defaults():
    p = make_portfolio(n_firms=800, n_years=2, random_state=5, payment_features=False)
    flags = default_flags(p.ledger(), ["2019-12-31", "2020-12-31"])
    flags = flags.assign(year=flags["as_of"].dt.year).rename(columns={"customer_id": "firm_id"})
    both = p.firm_years.merge(flags, on=["firm_id", "year"])
    assert len(both) == len(p.firm_years)
    # every firm that defaults is written off in the window; 90 DPD alone flags a few late payers
    assert (both.loc[both["default_x"] == 1, "default_y"] == 1).all()
    assert both["default_y"].mean() < both["default_x"].mean() + 0.05


def test_parameters_shift_the_portfolio():
    risky = make_portfolio(n_firms=3000, n_years=1, random_state=1, default_rate=0.08, listed_share=0.0,
                           industry_mix={"technology": 1.0}, payment_features=False)
    fy = risky.firm_years
    assert fy["true_pd"].mean() == pytest.approx(0.08, abs=0.01)
    assert (fy["industry"] == "technology").all() and not fy["listed"].any() and risky.equity_prices.empty


def test_summary_and_html(small):
    assert "firm-years" in small.summary() and "2019" in small.summary()
    assert "<table" in small._repr_html_()
    rates = small.default_rates()
    assert rates["firms"].sum() == len(small.firm_years)


@pytest.mark.parametrize("kwargs, field", [({"n_firms": 0}, "n_firms"), ({"n_years": 1.5}, "n_years"),
                                           ({"default_rate": 0.0}, "default_rate"),
                                           ({"listed_share": 1.2}, "listed_share"), ({"noise": -1}, "noise"),
                                           ({"industry_mix": {"mining": 1.0}}, "industry_mix"),
                                           ({"industry_mix": {"services": 0.0}}, "industry_mix")])
def test_bad_parameters_raise(kwargs, field):
    with pytest.raises(DataValidationError) as err:
        make_portfolio(**kwargs)
    assert err.value.columns == [field]


def test_order_by_is_numpy_lexsort():
    """The ledger's row order: numpy's ``lexsort`` (stable, major key last) on random integer keys,
    ties included, and where one int64 key would overflow."""
    from riskmodels.data.synthetic import order_by

    rng = np.random.default_rng(5)
    for _ in range(100):
        n = int(rng.integers(0, 60))
        major, minor = rng.integers(-4, 4, n), rng.integers(-3, 3, n)
        assert order_by(major, minor).tolist() == np.lexsort((minor, major)).tolist()
    major, minor = np.array([0, 2**40, 5, 0]), np.array([2**40, 0, -(2**40), 2**40])
    assert order_by(major, minor).tolist() == np.lexsort((minor, major)).tolist()
