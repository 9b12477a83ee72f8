# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · KMV: distance to default
#
# The documents list KMV among the methods to compare (003 「企业信用评级方法比较分析」:
# distance to default from the firm's asset value and volatility). The idea (Merton 1974;
# Crosbie & Bohn, Moody's KMV 2003): equity is a call option on the firm's assets, struck at
# its debt. From the equity value and volatility we solve for the unobserved asset value V
# and volatility σV; the **distance to default** (DD) is the number of asset standard
# deviations between V and the default point (short-term debt + ½ long-term debt). KMV then
# maps DD to a PD **empirically**, from observed defaults, instead of N(−DD).
#
# This notebook: the Merton solve with textbook checks, DD distributions by outcome, the
# empirical DD→PD map, and the accounting proxy for private firms without share prices.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import norm

import riskmodels as rm

# %% [markdown]
# ## The building blocks, checked against published figures
# Crosbie & Bohn's example (KMV-1): asset value 1,200, short-term debt 500, long-term debt
# 300, asset volatility 10 % → default point 650, DD = (1200 − 650) / (0.10 × 1200) = 4.58.

# %%
dpt = rm.default_point(short_term_debt=500.0, long_term_debt=300.0, long_term_weight=0.5)
dd_simple = rm.distance_to_default(1200.0, 0.10, dpt, form="simple")
print(f"default point {float(dpt):.0f}, DD {float(dd_simple):.4f}")

# %% [markdown]
# The Merton solve works on whole arrays of firms at once; pricing the equity back from the
# solved (V, σV) returns the inputs (the round trip a validator checks).

# %%
equity = np.array([3.0, 8.0, 40.0])
equity_vol = np.array([0.80, 0.35, 0.25])
debt = np.array([10.0, 10.0, 10.0])
solution = rm.solve_merton(equity, equity_vol, debt, rate=0.05, horizon=1.0)
solution.to_frame()

# %%
equity_back, equity_vol_back = rm.merton_equity(solution.asset_value, solution.asset_vol, debt, 0.05, 1.0)
print("max round-trip error:", np.max(np.abs(equity_back - equity)), np.max(np.abs(equity_vol_back - equity_vol)))

# %% [markdown]
# Bharath & Shumway (2008) showed a "naive" DD without solving anything does about as well:
# σD = 0.05 + 0.25 σE, σV = E/(E+F) σE + F/(E+F) σD, drift = last year's stock return.

# %%
naive_dd, naive_pd, naive_vol = rm.naive_distance_to_default(equity=3.0, debt=10.0, equity_vol=0.80,
                                                             prior_return=0.05)
print(f"naive DD {float(naive_dd):.4f}, PD {float(naive_pd):.4f}, asset vol {float(naive_vol):.4f}")

# %% [markdown]
# ## A portfolio: listed and private firms
# The synthetic portfolio has market data (equity value and volatility) for about 30 % of
# the firms; the others only have book values. We fit on the first years and look at the
# last one.

# %%
portfolio = rm.make_portfolio(n_firms=1000, n_years=3, random_state=0)
firm_years = portfolio.firm_years
last_year = firm_years["year"].max()
train = firm_years[firm_years["year"] < last_year]
test = firm_years[firm_years["year"] == last_year]
columns = ["equity_value", "equity_vol", "short_term_debt", "long_term_debt", "rate",
           "total_assets", "industry"]
train[columns].head()

# %% [markdown]
# `rm.KMVModel` solves Merton for every listed firm and, for private firms, uses the proxy:
# asset value = book total assets, asset volatility = the median solved σV of listed peers in
# the same industry. `fit` learns those peer volatilities and the empirical DD→PD maps
# (one for market DDs, one for proxy DDs).

# %%
kmv = rm.KMVModel(long_term_weight=0.5, pd_map="empirical", proxy="peer", peer_group="industry")
kmv.fit(train[columns], train["default"])
dd_table = kmv.dd_frame(test[columns])
dd_table.head()

# %%
dd_table.groupby("source").agg(firms=("dd", "size"), median_dd=("dd", "median"),
                               median_asset_vol=("asset_vol", "median"), mean_pd=("pd", "mean"))

# %% [markdown]
# ## DD by outcome
# Firms that went on to default should sit closer to their default point.

# %%
kmv.plot(test[columns], test["default"])
plt.show()

# %% [markdown]
# ## Empirical DD → PD
# `rm.fit_empirical_pd_map` bins the DDs, takes the default frequency per bin, makes it
# monotone (pool-adjacent-violators) and interpolates between knots — KMV's EDF table. Here
# on the market DDs of the training years, next to the Merton N(−DD):

# %%
train_dd = kmv.dd_frame(train[columns])
market = (train_dd["source"] == "market").to_numpy() & np.isfinite(train_dd["dd"].to_numpy())
pd_map = rm.fit_empirical_pd_map(train_dd["dd"][market], train["default"][market], n_bins=10)
pd_map

# %%
ax = pd_map.plot()
grid = np.linspace(0, 8, 100)
ax.plot(grid, norm.cdf(-grid), "--", label="Merton N(-DD)")
ax.legend()
plt.show()

# %% [markdown]
# ## How good is it, and how sensitive?

# %%
test_pd = kmv.predict_proba(test[columns])[:, 1]
for source in ["market", "proxy"]:
    rows = (dd_table["source"] == source).to_numpy()
    print(f"{source:6s}: {rows.sum():4d} firms, AUC {rm.auc(test['default'][rows], test_pd[rows]):.3f}")

# %% [markdown]
# Sensitivities of the structural PD N(−DD) to leverage and asset volatility tell a reviewer
# which input drives each firm's PD:

# %%
kmv.sensitivities(test[columns]).dropna().head()

# %% [markdown]
# ## From daily share prices: the iterative estimator
# `KMVModel(method="iterative")` reads each listed firm's year of daily equity values (a
# column of arrays, `equity_history`) and estimates σV as the fixed point of inverting the
# Merton call day by day (Vassalou & Xing 2004) instead of taking one equity volatility.
# `market_inputs` shows what the scorer then reads: the last equity value and the equity
# volatility Merton pairs with that (V, σV).

# %%
year_prices = portfolio.equity_prices[portfolio.equity_prices["date"].dt.year == last_year]
histories = year_prices.sort_values("date").groupby("firm_id")["equity_value"].agg(lambda v: v.to_numpy())
ts = test.assign(equity_history=test["firm_id"].map(histories))
ts_columns = [c for c in columns if c not in ("equity_value", "equity_vol")] + ["equity_history"]
iterative = rm.KMVModel(method="iterative", pd_map="normal", peer_group="industry").fit(ts[ts_columns], ts["default"])
side_by_side = pd.DataFrame({"one date": kmv.dd_frame(test[columns])["asset_vol"],
                             "iterative": iterative.dd_frame(ts[ts_columns])["asset_vol"]})
side_by_side[ts["equity_history"].notna().to_numpy()].describe()

# %% [markdown]
# ## What to look at next
# - `proxy_value="ebit"` values private firms at an EBIT multiple instead of book assets.
# - `06_calibration_and_comparison` puts KMV on the master scale next to the other models.
