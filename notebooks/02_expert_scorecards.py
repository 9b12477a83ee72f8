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
# # 02 · The documents' expert scorecards
#
# The source documents rate customers with 100-point expert scorecards. In `riskmodels` a
# scorecard is **data, not code**: a YAML spec (validated with pydantic, read with
# `yaml.safe_load`) that lists the aspects, indicators, reference values per grade, caps and
# credit-limit rule. One engine scores every spec. This notebook
#
# - loads the enterprise five-aspect card (documents 003 「企业信用评级方法规则」): five
#   aspects, three-year values averaged with weights 0.2/0.3/0.5 (oldest to newest), linear
#   interpolation between the grade reference values;
# - scores firms and opens one firm's points breakdown;
# - shows the grade caps (等级限定指标, 003 「企业信用评级标准」) and the re-rating rule;
# - computes credit limits (002 六: `monthly sales × coefficient(score) × min(current assets /
#   monthly sales, 2) / 2`, bounded by monthly sales and half the current assets, 五.4)
#   and the rule-based customer classes A/B/C (002 「客户资信管理评估制度」);
# - links the score to a PD, so the expert card can sit on the same master scale as the
#   statistical models.

# %%
import matplotlib.pyplot as plt
import pandas as pd

import riskmodels as rm

pd.set_option("display.max_columns", 30)

# %% [markdown]
# ## The shipped specs
# Each variant in the documents is a file: the enterprise card, the 15-grade bank card, the
# personal card (002) and the fully specified environmental card (003).

# %%
rm.shipped_specs()

# %%
card = rm.CardEngine.from_spec("enterprise_five_aspect")
print(card.summary())

# %% [markdown]
# `table()` lists every indicator with its weight, its inputs (three yearly columns where the
# 0.2/0.3/0.5 weights apply) and how it scores.

# %%
card.table()[["aspect", "indicator", "points", "inputs", "year_weights", "scoring"]]

# %% [markdown]
# ## Scoring firms
# We score the latest year of a small synthetic portfolio. The firm-year frame carries the
# ratios of the last three years (`*_lag1`, `*_lag2`) and the qualitative answers
# (good / fairly good / average / poor, 好/较好/一般/差).

# %%
portfolio = rm.make_portfolio(n_firms=300, n_years=3, random_state=0)
firm_years = portfolio.firm_years
latest = firm_years[firm_years["year"] == firm_years["year"].max()]
result = card.score(latest)
result

# %%
print(result.summary())

# %% [markdown]
# ### One firm's breakdown
# For each indicator: the value it read (the weighted three-year average where it applies),
# the points earned, the maximum and the points lost. The indicators that lost the most
# points are the firm's reason codes.

# %%
breakdown = result.breakdown(0)
breakdown

# %%
breakdown.plot()
plt.show()

# %% [markdown]
# ## Grade caps
# A failing capping indicator limits the best grade reachable whatever the score (003): for
# example a debt ratio above 85 % in the latest year caps the grade at BB. `grade_before` is
# the grade of the score, `grade` the one after the caps; the score itself is kept, and
# `caps_bound` names the cap that is the reason.

# %%
frame = result.frame()
capped = frame[frame["grade"] != frame["grade_before"]]
print(f"{len(capped)} of {len(frame)} firms capped")
capped[["score", "grade_before", "grade", "caps_bound"]].head()

# %%
result.caps_bound.sum().rename("firms capped")

# %% [markdown]
# Re-rating: a score that falls by 10 points or more triggers a new rating (003).

# %%
previous = firm_years[firm_years["year"] == firm_years["year"].max() - 1].set_index("firm_id")
now = latest.set_index("firm_id")
both = now.index.intersection(previous.index)
drop_flags = card.needs_rerating(card.score(previous.loc[both]).score, card.score(now.loc[both]).score)
print(f"{int(drop_flags.sum())} of {len(both)} firms need re-rating")

# %% [markdown]
# ## Credit limits and customer classes
# The enterprise spec carries the documents' limit rule; `result.frame()["limit"]` already
# holds it. The coefficient is keyed to the score (对应得分系数); a capped firm's score counts
# at most up to its capped grade. `rm.credit_limit` applies the same formula to scores from
# any source:

# %%
bands = [(b.min, b.coefficient) for b in card.spec.credit_limit.coefficients]
rm.credit_limit([95.0, 65.0, 35.0], current_assets=[4e6, 4e6, 4e6],
                monthly_sales=[1.5e6, 1.5e6, 1.5e6], bands=bands)

# %%
fig, ax = plt.subplots(figsize=(6, 3))
frame.groupby("grade", observed=True)["limit"].median().reindex(card.grades).dropna().plot.bar(ax=ax, rot=0)
ax.set_ylabel("median credit limit")
plt.show()

# %% [markdown]
# The rule-based classes (002) are a spec too (`customer_rules.yaml`): class C if ANY of its
# conditions holds (a 90+ DPD debt, often broken promises, weak solvency), class A if ALL of
# its conditions hold, else B. Late payers then lose notches, and terms follow the class (000).

# %%
rules = rm.CustomerRules.from_spec()
classes = rules.classify(latest, "abc")
pd.crosstab(pd.Series(classes, index=latest.index, name="class"), frame["grade"]).reindex(
    columns=[g for g in card.grades if g in set(frame["grade"])])

# %% [markdown]
# ## Other specs: the environmental card
# The environmental card (003) is fully specified in the document — compliance, violations,
# fees and impact assessment — and promotes two years of A in a row to AA, three to AAA.

# %%
env_card = rm.CardEngine.from_spec("environmental")
env_result = env_card.score([
    {"discharge_compliance": 96.0, "facilities_running": 100.0, "violations": 0,
     "fee_paid_share": 100.0, "fee_on_time": "on_time", "impact_assessment": "done_accepted",
     "other_points": 40.0},
    {"discharge_compliance": 88.0, "facilities_running": 92.0, "violations": 2,
     "fee_paid_share": 90.0, "fee_on_time": "late", "impact_assessment": "not_done",
     "other_points": 30.0}])
env_result.frame()[["score", "grade", "reason_1"]]

# %%
env_card.promote(["A", "A", "A"])

# %% [markdown]
# ## From score to PD
# An expert score is not a probability. `rm.ExpertScorecardModel` wraps a spec in the
# scikit-learn contract: `fit` only calibrates the score → PD link (logistic by default,
# isotonic as an option) on observed defaults; the points themselves stay the spec's.
# We calibrate on the earlier years and score the latest.

# %%
train = firm_years[firm_years["year"] < firm_years["year"].max()]
expert = rm.ExpertScorecardModel("enterprise_five_aspect", calibration="logistic")
expert.fit(train, train["default"])
latest_pd = expert.predict_proba(latest)[:, 1]
print(f"AUC on the latest year: {rm.auc(latest['default'], latest_pd):.3f}")

# %% [markdown]
# The card's grade and limit stay policy: the model and its bundle give exactly the card's
# grade (`policy_grade`) and limit; the calibrated PD's master-scale grade is reported beside
# it (`scale_grade`). Per card grade, the PD it realises and the master-scale grade of that PD:

# %%
expert.grade_table(latest, latest["default"])

# %%
fig, ax = plt.subplots(figsize=(6, 3))
ax.scatter(result.score, latest_pd, s=8)
ax.set_yscale("log")
ax.set_xlabel("expert score (points)")
ax.set_ylabel("calibrated one-year PD")
plt.show()

# %% [markdown]
# ## Writing your own spec
# Copy a shipped YAML (`riskmodels/scorecards/specs/`), change reference values or weights
# and load it with `rm.CardEngine.from_spec("my_card.yaml")`. A broken spec is refused
# with a `SpecError` that names the field:

# %%
try:
    rm.CardEngine.from_spec("no_such_card")
except rm.SpecError as error:
    print(error)

# %% [markdown]
# ## What to look at next
# - `03_logistic_scorecard` builds a statistical scorecard from the same firms.
# - `06_calibration_and_comparison` puts this expert card next to the statistical models on
#   the AAA–D master scale.
# - The personal (002) and bank 15-grade (003) specs score the same way:
#   `rm.CardEngine.from_spec("personal").table()`.
