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
# # 09 · Fitting on Spark: the same model as on one machine
#
# When the application history outgrows one machine, the scorecard is fitted on Spark —
# and it must be **the same model**: the model a reviewer signed off on a sample is the model
# fitted on the whole book. `riskmodels.spark.fit(estimator, spark_df, target=...)` does that:
# Spark makes a fixed handful of passes over the data (totals, exact pre-bin edges, pre-bin
# counts, one `groupBy` over the tuple of bin indices); the optimiser, the selection, the logit
# and the points are the local functions on the driver, run on the grouped rows.
#
# This notebook fits a logistic scorecard and a cross-tab model on a small generated
# application set, once with pandas and once on a `local[2]` Spark session, and checks that
# bins, selected characteristics, coefficients, p-values and PDs agree.

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import riskmodels as rm
import riskmodels.spark as rs
from riskmodels.models.crosstab import CrossTabModel
from riskmodels.models.logistic import LogisticScorecard
from riskmodels.spark.session import local_session

# PySpark 4.0 warns that it does not yet support pandas 3 (this project's pandas). The paths
# used here are checked against the local fit below and in tests/test_spark_*.py: that one
# warning is silenced, every other stays on.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas >= 3", category=FutureWarning)
print("riskmodels", rm.__version__)

# %% [markdown]
# ## A generated application set
#
# Six characteristics: days past due, a debt ratio with missing values, an on-time share with a
# special code (−1 = "no invoices yet"), an industry, an invoice count and pure noise.

# %%
rng = np.random.default_rng(0)
n = 20_000
z = rng.normal(size=n)
apps = pd.DataFrame({
    "dpd_max_12m": np.round(np.maximum(0, 10 * z + rng.normal(0, 10, n)), 0),
    "debt_ratio": np.where(rng.random(n) < 0.03, np.nan, rng.beta(2, 3, n) + 0.1 * (z > 1)),
    "on_time_share": np.where(rng.random(n) < 0.02, -1.0, rng.beta(5, 1, n) - 0.05 * z),
    "industry": rng.choice(["trade", "manufacturing", "services", "construction"], n),
    "n_invoices": rng.poisson(12, n).astype(float),
    "noise": rng.normal(size=n),
})
apps["default"] = (rng.random(n) < 1 / (1 + np.exp(3 - 0.8 * z - 0.4 * (apps["industry"] == "construction")))).astype(int)
apps.describe().T.round(3)

# %% [markdown]
# ## The local fit and the Spark fit
#
# `local_session(2)` is a `local[2]` session for notebooks and tests; on a cluster, pass the
# DataFrames of your own session (`spark-submit`, YARN or Kubernetes) — nothing else changes.

# %%
spark = local_session(2)
sdf = spark.createDataFrame(apps)
params = dict(special_codes=[-1.0], selection="forward", criterion="bic")
local = LogisticScorecard(**params).fit(apps.drop(columns="default"), apps["default"])
remote = rs.fit(LogisticScorecard(**params), sdf, target="default")
print("selected locally :", local.features_)
print("selected on Spark:", remote.features_)

# %% [markdown]
# The Spark passes, with their seconds, and how many grouped rows reached the driver (one per
# distinct combination of the candidates' bins — bounded by the bins, not by the records):

# %%
print(pd.DataFrame(remote.grouping_["passes"], columns=["pass", "seconds"]).round(2))
print("grouped rows on the driver:", remote.grouping_["grouped_rows"], "for", n, "records")

# %% [markdown]
# ## Same bins, same coefficients, same PDs

# %%
same_bins = all(remote.binning_.binnings_[f].to_bundle() == local.binning_.binnings_[f].to_bundle()
                for f in local.features_)
difference = (remote.coef_table_[["coef", "std_err", "p_value"]] - local.coef_table_[["coef", "std_err", "p_value"]]).abs()
pd_gap = np.abs(remote.predict_proba(apps)[:, 1] - local.predict_proba(apps)[:, 1]).max()
print("same bins:", same_bins)
print("largest coefficient / std error / p-value difference:", float(difference.to_numpy().max()))
print("largest PD difference:", float(pd_gap))
assert same_bins and difference.to_numpy().max() < 1e-8 and pd_gap < 1e-10
remote.coef_table_.round(4)

# %% [markdown]
# Each record's PD from the Spark fit against the local fit (they lie on the diagonal), and the
# time of each Spark pass:

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
left.scatter(local.predict_proba(apps)[:, 1], remote.predict_proba(apps)[:, 1], s=3, alpha=0.3)
left.plot([0, 0.5], [0, 0.5], color="grey", lw=1)
left.set(xlabel="PD, local fit", ylabel="PD, Spark fit", title="Same model")
passes = pd.DataFrame(remote.grouping_["passes"], columns=["pass", "seconds"])
right.barh(passes["pass"], passes["seconds"])
right.invert_yaxis()
right.set(xlabel="seconds", title=f"Spark passes ({n:,} rows, local[2])")
fig.tight_layout()
plt.show()

# %% [markdown]
# The exported bundle is the usual one: the numpy scorer (or the Spark scorer) scores it.

# %%
scored = rm.Scorer(remote.to_bundle()).score(apps.head(5))
pd.DataFrame({"pd (bundle)": scored["pd"], "grade": scored["grade"],
              "pd (local fit)": local.predict_proba(apps.head(5))[:, 1]})

# %% [markdown]
# ## A cross-tab model on Spark
#
# The same entry point fits a `CrossTabModel`: the factors' bins are learned as locally, the
# cells are counted by one `groupBy`, and the credibility smoothing and monotone calibration
# run on the driver on those counts.

# %%
factors = ["dpd_max_12m", "industry"]
ct_local = CrossTabModel(factors, max_bins=4).fit(apps[factors], apps["default"])
ct_remote = rs.fit(CrossTabModel(factors, max_bins=4), sdf.select(*factors, "default"), target="default")
gap = max(np.abs(a - b).max() for a, b in zip(ct_remote.level_rates_, ct_local.level_rates_, strict=True))
print("largest rate difference over all levels:", float(gap))
ct_remote.cells_.head(8)

# %% [markdown]
# ## Next
#
# `benchmarks/bench_spark_fit.py` runs this at 1M, 5M and 20M generated rows (Parquet) and
# prints the wall times, the driver's peak memory and the parity check; the README's
# "Fitting on Spark" section has the table. Next: deploy the bundle (notebook 07) or monitor it
# (notebook 08) — the Spark-fitted scorecard is exported and scored exactly like the local one.
