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
# # 01 · From an invoice ledger to features and default flags
#
# Every model in `riskmodels` starts from the same place a credit department does: the
# receivables ledger — our invoices to each customer, the payments received, the credit
# limits granted and the debts written off. This notebook turns that ledger into
#
# 1. the **ageing report** (账龄分析) and the **early warnings** the documents ask for
#    (documents 004 「清欠管理制度」: debts nearing the safe ageing period, the limit or the
#    contract end raise a warning; past them, collection starts at once);
# 2. **payment-history features** per customer at an observation date (days past due,
#    on-time share, days late, limit utilisation, ageing shares);
# 3. a **default flag** over the following 12 months (90 days past due on any amount, or a
#    write-off — documents 004 on bad debt), joined into a development panel.
#
# Everything is computed *as of* a date and uses only what was known on that day.

# %%
import matplotlib.pyplot as plt
import pandas as pd

import riskmodels as rm

pd.set_option("display.max_columns", 30)

# %% [markdown]
# ## The ledger
# We use the synthetic enterprise portfolio bundled with the toolkit (its firms' true PDs
# are known, which later notebooks use to check the models). A small one keeps this fast;
# `rm.make_portfolio()` with the defaults gives the 2,000-firm portfolio of the main
# comparison. The same seed always gives the same tables.

# %%
portfolio = rm.make_portfolio(n_firms=300, n_years=3, random_state=0)
portfolio

# %%
ledger = portfolio.ledger()  # validated: bad rows raise DataValidationError naming them
ledger

# %%
ledger.invoices.head()

# %%
ledger.credit_limits.head()

# %% [markdown]
# Your own ledger goes through the same checks: `rm.Ledger(invoices, payments,
# credit_limits, write_offs)` refuses a payment for an unknown invoice, a due date before
# the issue date, a negative amount and so on, and says which rows broke which rule.

# %%
bad_invoices = ledger.invoices.head(3).copy()
bad_invoices.loc[1, "due_date"] = bad_invoices.loc[1, "issue_date"] - pd.Timedelta(days=5)
try:
    rm.Ledger(bad_invoices, rm.Ledger.empty_payments())
except rm.DataValidationError as error:
    print(error)

# %% [markdown]
# ## Ageing report and early warnings at a year end
# The ageing report puts each customer's open amount into age buckets (by default counted
# from the issue date; `rm.FeatureConfig(ageing_basis="due")` counts from the due date).
# The last row sums the portfolio.

# %%
as_of = "2020-12-31"
ageing = rm.ageing_report(ledger, as_of)
ageing.tail(5).style.format("{:,.0f}")

# %%
buckets = ageing.drop(columns="total").loc["all"] / 1e6
ax = buckets.plot.bar(color="tab:blue", figsize=(6, 3), rot=0)
ax.set_ylabel("open amount (millions)")
ax.set_title(f"Portfolio ageing at {as_of}")
plt.show()

# %% [markdown]
# The early-warning table flags each customer with an open amount: near or past its safe
# ageing period (保险账龄期, per customer in the credit-limits table), near or over its
# limit, near or past the contract end. `action` is "collect now", "warning" or "ok",
# most urgent first.

# %%
warnings = rm.early_warning(ledger, as_of, margin_days=15, limit_warning=0.9)
warnings["action"].value_counts()

# %%
warnings.head(8)

# %% [markdown]
# ## Payment-history features
# One row per customer and observation date. The windows (3/6/12 months) and ageing bounds
# are set in `rm.FeatureConfig`.

# %%
features = rm.payment_features(ledger, ["2019-12-31", "2020-12-31"])
features[["customer_id", "as_of", "dpd_current", "dpd_max_12m", "on_time_share",
          "avg_days_late", "late_trend", "limit_utilisation", "tenure_months"]].head()

# %%
features.groupby("as_of")[["dpd_max_12m", "on_time_share", "limit_utilisation"]].describe().T

# %% [markdown]
# ## Default flags and the development panel
# `rm.DefaultDefinition` holds the definition: 90 days past due on a material amount, or a
# write-off, within the 12 months after the observation date. `build_panel` joins the
# features at each date with the flag of the window that follows it. Customers already in
# default at the observation date (`defaulted_at_obs`) are usually left out of a
# development sample, and a window that runs past the end of the data
# (`window_complete == False`) cannot yet be scored.

# %%
definition = rm.DefaultDefinition(dpd_threshold=90, horizon_months=12, write_offs=True)
panel = rm.build_panel(ledger, ["2019-12-31", "2020-12-31"], definition=definition)
sample = panel[~panel["defaulted_at_obs"] & panel["window_complete"]]
sample.groupby("as_of").agg(customers=("default", "size"), defaults=("default", "sum"),
                            default_rate=("default", "mean"))

# %% [markdown]
# Does payment behaviour separate the customers who default? Default rate by the worst
# days past due of the past year — the pattern the logistic and cross-tab models learn:

# %%
dpd_band = pd.cut(sample["dpd_max_12m"], [-1, 0, 15, 30, 60, 10_000],
                  labels=["on time", "1-15", "16-30", "31-60", ">60"])
by_band = sample.groupby(dpd_band, observed=False)["default"].agg(["size", "mean"])
by_band.columns = ["customers", "default_rate"]
ax = by_band["default_rate"].plot.bar(figsize=(6, 3), rot=0, color="tab:red")
ax.set_xlabel("worst days past due over the past 12 months")
ax.set_ylabel("12-month default rate")
plt.show()
by_band

# %% [markdown]
# The synthetic portfolio already carries these features in `portfolio.firm_years`, next to
# the firms' financial ratios, market data and qualitative factors — the frame the models in
# the next notebooks are fitted on. A real ledger is also bundled: `rm.ibm_ar_ledger()` (IBM
# accounts-receivable sample) works the same way.

# %%
portfolio.firm_years[["firm_id", "year", "default", "true_pd", "dpd_max_12m", "on_time_share",
                      "debt_ratio", "current_ratio"]].head()

# %% [markdown]
# ## What to look at next
# - `02_expert_scorecards` scores these firms with the documents' expert scorecards.
# - `03_logistic_scorecard` fits a WoE logistic scorecard on these features.
# - Try your own definition of default: `rm.DefaultDefinition(dpd_threshold=60,
#   materiality_abs=1000)` and see how the default rate moves.
