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
# # 12 · Provisions: expected credit loss from the ledger
#
# The documents end where the money is lost: ageing, bad debt, write-offs and a bad-debt reserve
# (004 「坏账准备金」). IFRS 9 (and CAS 22) turned that reserve into expected credit loss. This
# notebook puts riskmodels' pieces together:
#
# 1. the **provision matrix** of the simplified approach (cohort and roll-rate methods) on the
#    IBM receivables ledger and on the synthetic portfolio's ledger;
# 2. **lifetime PD curves by grade** from the S&P 1981–2016 one-year transition matrix;
# 3. **workout LGD and EAD** per defaulted customer from the ledger;
# 4. **stages** and the **ECL** per customer: 12 months in stage 1, lifetime in stages 2 and 3.
# 5. the same **ECL from the exported scorer** (numpy only), beside PD and grade.

# %%
import numpy as np
import pandas as pd

import riskmodels as rm
from riskmodels import provisions as pv
from riskmodels.data.ledger import ibm_ar_ledger

# %% [markdown]
# ## 1 · Provision matrix on the IBM receivables ledger
#
# 2,466 invoices of 2012–2013. Loss rates come from the invoices issued in the history window;
# the matrix is applied to the ageing on `as_of`.

# %%
ibm = ibm_ar_ledger(rm.load_ibm_ar())
ibm_cohort = rm.provision_matrix(ibm, "2013-06-30", buckets=(0, 15, 30), method="cohort",
                                 history=("2012-01-01", "2013-03-31"))
ibm_cohort.table

# %% [markdown]
# Every invoice of this ledger was paid in the end (at most 45 days late), so no amount was ever
# lost and the historical loss rates are zero: the allowance is 0 by either method. The roll-rate
# method shows the same through its chained rates (the last bucket counts as lost by definition,
# but holds no balance on the date).

# %%
ibm_roll = rm.provision_matrix(ibm, "2013-06-30", buckets=(0, 15, 30), method="roll_rate",
                               history=("2012-01-01", "2013-03-31"))
print(ibm_cohort.allowance, ibm_roll.allowance)
ibm_roll.table

# %% [markdown]
# ## 2 · Provision matrix on the synthetic portfolio
#
# 300 firms over 2019–2021 with their invoices, payments and write-offs. History: invoices issued
# 2019–2021; ageing on 2022-12-31; default buckets (not yet due, 1–30, 31–60, 61–90, over 90).

# %%
portfolio = rm.make_portfolio(n_firms=300, n_years=3, random_state=0)
ledger = portfolio.ledger()
matrices = {m: rm.provision_matrix(ledger, "2022-12-31", method=m, history=("2019-01-01", "2021-12-31"))
            for m in ("cohort", "roll_rate")}
pd.concat({m: r.table[["balance", "loss_rate", "allowance"]] for m, r in matrices.items()}, axis=1).round(4)

# %%
{m: round(r.allowance, 2) for m, r in matrices.items()}

# %%
matrices["cohort"].plot()

# %% [markdown]
# The roll-rate method counts the whole last bucket as lost; the cohort method only what was
# finally lost (written off, or still unpaid past the last edge on `as_of`), hence its lower
# rate for "over 90".
#
# The allowance's **movement** over 2022, quarter by quarter (IFRS 7.35H's reconciliation):
# opening + new invoices + paid (the opening allowance released by payments) + written off (the
# opening allowance used) + ageing (moves to later buckets at the opening rates) + loss rates
# (the change of the rates) = closing, per invoice and exact; the gross balance alike.

# %%
movement = rm.allowance_movement(ledger, "2021-12-31", "2022-12-31", freq="quarter",
                                 history=("2019-01-01", "2021-12-31"))
movement.table.round(2)

# %%
movement.plot()

# %% [markdown]
# ## 3 · Lifetime PD by grade from the S&P one-year matrix
#
# `complete_matrix` spreads the withdrawn ratings (NR) and adds the absorbing default row;
# matrix powers give the cumulative PD per grade (equal to transitionMatrix's `default_curves`,
# `tests/test_provisions.py`).

# %%
sp = rm.complete_matrix(rm.load_sp_transitions(1))
curves = rm.term_structure(sp, years=10)
curves.cumulative.round(4)

# %%
curves.plot()

# %% [markdown]
# ## 4 · Workout LGD and EAD from the ledger
#
# The default date is riskmodels' own definition (90 days past due or a write-off in the 12
# months after an observation date); EAD is the balance on that day; recoveries are the payments
# from that day on, discounted at 5 % a year to the default date.

# %%
workout = pv.workout_lgd(ledger, ["2019-12-31", "2020-12-31", "2021-12-31"], rate=0.05)
workout.table.head(10)

# %%
industry = portfolio.firms.set_index("firm_id")["industry"]
by_industry = workout.by_segment(industry)
by_industry.round(4)

# %%
pooled = workout.by_segment(dict.fromkeys(workout.table["customer_id"], "all"))
lgd = float(pooled.loc["all", "ead_weighted_lgd"])
round(lgd, 4)

# %% [markdown]
# ## 5 · Stages and expected credit loss per customer
#
# For the last year of the portfolio: the PD now against the PD at origination (the first year)
# and the days past due give the IFRS 9 stage (3: in default or more than 90 days past due;
# 2: more than 30 days, or a PD at least twice its origination PD and 0.5 pp above it). The
# exposure is the firm's outstanding balance; the LGD the pooled workout LGD above. Stage 1 takes
# 12 months of expected loss, stages 2 and 3 the lifetime (5 years, constant hazard from the
# one-year PD, discounted at 5 %); stage 3 counts the PD as 1.

# %%
fy = portfolio.firm_years.sort_values(["firm_id", "year"])
now = fy.groupby("firm_id").last()
origin = fy.groupby("firm_id").first()
stages = pv.stage(now["true_pd"], origin["true_pd"], now["dpd_current"], in_default=now["default"] == 1)
pd_used = np.where(stages == 3, 1.0, now["true_pd"].to_numpy())
marginal = rm.term_structure(pd_used, years=5, kind="pd").marginal.to_numpy()
ead = now["outstanding"].to_numpy(float)
ecl = np.where(stages == 1, pv.expected_loss(pd_used, lgd, ead), pv.lifetime_ecl(marginal, lgd, ead, rate=0.05))
table = pd.DataFrame({"stage": stages, "pd": now["true_pd"], "ead": ead, "ecl": ecl}, index=now.index)
table.groupby("stage").agg(firms=("ead", "size"), ead=("ead", "sum"), ecl=("ecl", "sum")).round(2)

# %% [markdown]
# The expected loss of the defaulted customers themselves, PD × LGD × EAD with their own workout
# LGD and a PD of 1, is what is left to lose on them:

# %%
workout.expected_loss(dict.fromkeys(workout.table["customer_id"], 1.0)).sum().round(2)

# %% [markdown]
# ## 6 · ECL from the exported scorer
#
# The same inputs in a scorer bundle: `with_ecl` (or `model.export(path, ecl={...})`) stores the
# master scale's lifetime PD curves (constant hazard from each grade's PD), the pooled LGD, the
# 5 % rate, the EAD field (the outstanding balance) and the staging fields. The numpy-only scorer
# then returns `ecl_12m`, `ecl_lifetime`, `stage` and `ecl` beside PD and grade — the same numbers
# from `riskmodels score`, the MLflow pyfunc, Spark, SQL and PMML. Here the "model" passes the
# portfolio's true PD through; the ECL reads the curve of the PD's grade, so it differs from
# section 5's, which used each firm's own PD (and the scorer has no in-default flag: stage 3 by
# days past due only).

# %%
from riskmodels import scoring

scale = rm.MasterScale.standard("enterprise10")
passthrough = scoring.seal({"schema_version": 1, "kind": "identity", "name": "true PD",
                            "inputs": [{"name": "true_pd", "type": "number", "min": 0.0, "max": 1.0}],
                            "model": {"input": "true_pd"}, "calibration": [], "master_scale": scale.to_bundle()})
curves = rm.term_structure(scale.midpoints, years=5, grades=scale.grades, kind="pd")
bundle = pv.with_ecl(passthrough, curves, lgd=lgd, discount_rate=0.05, ead="outstanding",
                     origination_pd="pd_at_origination", days_past_due="dpd_current")
records = now[["true_pd", "outstanding", "dpd_current"]].assign(pd_at_origination=origin["true_pd"])
scored = scoring.Scorer(bundle).score(records)
by_scorer = pd.DataFrame({k: scored[k] for k in ("grade", "stage", "ecl_12m", "ecl_lifetime", "ecl")},
                         index=records.index)
assert (by_scorer["stage"].to_numpy() == pv.stage(now["true_pd"], origin["true_pd"], now["dpd_current"])).all()
by_scorer.groupby("stage").agg(firms=("ecl", "size"), ecl_12m=("ecl_12m", "sum"),
                               ecl_lifetime=("ecl_lifetime", "sum"), ecl=("ecl", "sum")).round(2)

# %% [markdown]
# ## What next
#
# - `riskmodels provisions INVOICES.csv --payments PAYMENTS.csv --as-of DATE` prints the matrix
#   and the allowance from the command line (README, "Provisions").
# - `--from START [--freq quarter]` adds the allowance's movement; `riskmodels monitor ... --ledger
#   INVOICES.csv` shows the allowance per period in the monitoring report; a `provisions:` section
#   of an experiment YAML puts the matrix and the lifetime PD curves per grade into the comparison
#   report and MLflow (`riskmodels compare receivables`).
# - `rm.provisions.with_ecl(bundle, term_structure, lgd=..., ead=...)` makes a scorer bundle return
#   the 12-month and lifetime ECL beside PD, grade and limit (section 6).
