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
# # 05 · Cross-tab default rates and rating migration
#
# Two tools a credit committee reads directly:
#
# - a **cross-tabulation model**: the default rate in each cell of a small grid of binned
#   factors (here the worst days past due of the past year × the debt ratio). Small cells
#   are noisy, so each cell's rate is **smoothed** towards its parent (beta-binomial
#   credibility) and made **monotone** along each factor (pool-adjacent-violators);
# - **migration matrices**: how ratings move from one year to the next and into default —
#   by the cohort method and the duration (continuous-time) method — and the multi-year
#   PDs they imply. The documents grade firms every year (003: re-rate when the score falls
#   by 10 points; 003 environmental card: two years of A → AA) — the matrix shows how stable
#   those grades are.

# %%
import matplotlib.pyplot as plt
import pandas as pd

import riskmodels as rm

# %%
portfolio = rm.make_portfolio(n_firms=1500, n_years=4, random_state=0)
firm_years = portfolio.firm_years
last_year = firm_years["year"].max()
train = firm_years[firm_years["year"] < last_year]
test = firm_years[firm_years["year"] == last_year]
print(f"train {len(train)} firm-years, {train['default'].sum()} defaults")

# %% [markdown]
# ## The cross-tab grid
# Each factor is binned optimally (at most four bins here); the cells are the combinations.
# The summary shows the directions found, the prior strength of the smoothing (estimated by
# empirical Bayes per level), χ² and G² tests that each factor matters, and every cell:
# records, defaults, the raw rate with its Jeffreys interval, the parent's rate, the
# smoothed rate and the final monotone PD.

# %%
crosstab = rm.CrossTabModel(features=["dpd_max_12m", "debt_ratio"], max_bins=4,
                            smoothing="beta-binomial", prior_strength="empirical-bayes",
                            monotone="auto", min_cell_size=20, ci="jeffreys")
crosstab.fit(train, train["default"])
print(crosstab.summary())

# %%
crosstab.plot()
plt.show()

# %% [markdown]
# ### What the smoothing does
# Without smoothing a cell with 5 firms and no default gets a PD of 0 — a firm in the
# highest-DPD band rated as riskless. Compare the raw and final rates cell by cell:

# %%
cells = crosstab.cells_
cells[cells["n"] > 0][["dpd_max_12m", "debt_ratio", "n", "defaults", "raw_rate", "ci_low", "ci_high",
                       "smoothed", "pd", "merged"]]

# %%
raw = rm.CrossTabModel(features=["dpd_max_12m", "debt_ratio"], max_bins=4, smoothing="none",
                       monotone=None, min_cell_size=0).fit(train, train["default"])
for name, model in [("raw rates", raw), ("smoothed + monotone", crosstab)]:
    pd_test = model.predict_proba(test)[:, 1]
    print(f"{name:20s} AUC {rm.auc(test['default'], pd_test):.3f}  Brier {rm.brier(test['default'], pd_test):.4f}  "
          f"min PD {pd_test.min():.4%}")

# %% [markdown]
# ## Rating migration
# We rate every firm every year with the documents' enterprise expert card (notebook 02) and
# add a "D" in the year after a default. `rm.cohort_matrix` counts, per cohort, where the
# firms rated in each grade at the start are one year later.

# %%
card = rm.CardEngine.from_spec("enterprise_five_aspect")
grades = card.grades  # AAA ... C, D
ratings = pd.DataFrame({"firm_id": firm_years["firm_id"].to_numpy(), "year": firm_years["year"].to_numpy(),
                        "grade": card.score(firm_years).grade})
defaulted = firm_years[firm_years["default"] == 1]
panel = pd.concat([ratings, pd.DataFrame({"firm_id": defaulted["firm_id"].to_numpy(),
                                          "year": defaulted["year"].to_numpy() + 1, "grade": "D"})],
                  ignore_index=True).sort_values(["firm_id", "year"])
panel.head()

# %%
cohort = rm.cohort_matrix(panel, grades, entity="firm_id", date="year", grade="grade")
cohort

# %%
cohort.plot()
plt.show()

# %% [markdown]
# Grades with no firm at the start of any cohort keep an identity row (nothing observed);
# read the counts before the rates.
#
# The duration estimator (Lando & Skødeberg 2002) uses every move and the time spent in each
# grade; its generator gives matrices for any horizon and captures moves through a grade
# within the year.

# %%
duration = rm.duration_matrix(panel, grades, entity="firm_id", date="year", grade="grade")
duration.frame().round(3)

# %% [markdown]
# ### Multi-year PDs and stability
# The k-year PD is the default column of the k-th matrix power. The stability table reports,
# per grade, the share that stays, moves up or down, the matrix-weighted bandwidth and the
# z-tests of monotone rows.

# %%
cohort.cumulative_pd([1, 2, 3]).round(4)

# %%
rm.stability_table(cohort.counts, grades)

# %% [markdown]
# ## Published matrices: S&P one-year transitions
# The bundled S&P 1981–2016 average one-year matrix has a "not rated" column.
# `rm.complete_matrix` spreads it over the rated columns; `rm.generator_from_matrix` finds a
# valid generator for any horizon.

# %%
sp = rm.complete_matrix(rm.load_sp_transitions(1))
sp.style.format("{:.2%}")

# %%
generator = rm.generator_from_matrix(sp.to_numpy())
pd.DataFrame(generator, index=sp.index, columns=sp.columns).round(4)

# %% [markdown]
# ## What to look at next
# - A third factor: `rm.CrossTabModel(features=["dpd_max_12m", "debt_ratio", "industry"])` —
#   watch the merged cells grow.
# - `06_calibration_and_comparison` puts the cross-tab model on the master scale next to the
#   expert, logistic and KMV models.
# - `rm.duration_matrix(..., method="aalen-johansen")` gives the non-parametric estimate.
