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
# # 06 · Master scale, calibration by grade, and the full comparison
#
# The documents end their review of methods with a recommendation: combine the methods and
# compare them (003 「企业信用评级方法比较分析」). That needs one yardstick. Here it is the
# **AAA–D master scale** (003 「企业信用评级标准」: ten grades, D = default): every model's
# one-year PD lands on it, and each grade's PD is tested against the defaults observed.
#
# This notebook
#
# 1. shows the master scale;
# 2. reproduces the main comparison — expert card, logistic scorecard, KMV and cross-tab on
#    the synthetic enterprise portfolio, trained 2019–2021 and tested out of time — on a
#    reduced portfolio so it runs in seconds;
# 3. reads the calibration tests grade by grade;
# 4. opens the logged runs in MLflow, and shows how to run the full comparison yourself.

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import mlflow
import numpy as np
import pandas as pd
import yaml

import riskmodels as rm

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"


workdir = Path(tempfile.mkdtemp(prefix="riskmodels-nb06-"))  # everything this notebook writes
print(f"outputs: {workdir}")

# %% [markdown]
# ## The master scale
# Grades are ordered best to worst; each has an upper PD bound (a PD in [lower, upper) gets
# the grade), a midpoint PD for pricing and capital, and the last grade is default. The PD
# floor (Basel II ¶285: 0.03 %) is a parameter of the scale.

# %%
scale = rm.MasterScale.standard("enterprise10")
scale

# %%
example_pds = [0.0002, 0.004, 0.02, 0.15, 0.6]
pd.DataFrame({"pd": example_pds, "grade": scale.grade(example_pds),
              "midpoint_pd": [scale.midpoint_pd(g) for g in scale.grade(example_pds)]})

# %% [markdown]
# ## The comparison, reduced
# The comparison is driven by a YAML config: data, split, master scale and one entry per
# model. We read the shipped config and shrink it — 600 firms instead of 2,000 — and send the
# outputs (HTML report, MLflow store) to the temporary folder, never the project's
# `mlflow.db`. `rm.compare` takes the path of a config file or, as here, its contents as a dict.

# %%
shipped = rm.shipped_experiments()  # the configs that ship with the package, by name
print(sorted(shipped))
reduced = yaml.safe_load(shipped["synthetic_enterprise"].read_text(encoding="utf-8"))
print(reduced["description"])
pd.DataFrame([{"model": m["name"], "type": m["type"], "features": len(m.get("features", [])),
               "params": m.get("params", {})} for m in reduced["models"]])

# %%
reduced["data"]["params"] = {"n_firms": 600, "n_years": 5}
reduced["output_dir"] = str(workdir / "reports")
reduced["tracking"]["uri"] = f"sqlite:///{workdir / 'mlflow.db'}"
reduced["tracking"]["register_models"] = False
# keep the run artifacts next to the store (MLflow's default is ./mlruns in the working folder)
mlflow.MlflowClient(reduced["tracking"]["uri"]).create_experiment(
    reduced["tracking"]["experiment"], artifact_location=(workdir / "artifacts").as_uri())

comparison = rm.compare(reduced, progress=False)
comparison

# %% [markdown]
# How to read the table:
# - **auc** with its DeLong 95 % interval (`auc_lower`, `auc_upper`), **gini** = 2·AUC − 1,
#   **ks** — discrimination on the test years;
# - **brier**, **hosmer_lemeshow_p**, **grades_rejected** (grades whose binomial test rejects
#   the PD), **grades_red** (traffic light) — calibration;
# - **psi** (train → test grade distribution) and **herfindahl_index** (concentration in
#   grades) — stability;
# - the **truth** row scores the firms' true PDs, known on synthetic data: the best any model
#   could do on this sample.
#
# With a reduced portfolio the test years hold few defaults, so the intervals are wide; the
# full run narrows them.

# %%
print(f"test sample: {len(comparison.test)} firm-years, {int(comparison.test['target'].sum())} defaults")
table = comparison.table
ax = table["auc"].plot.bar(yerr=[table["auc"] - table["auc_lower"], table["auc_upper"] - table["auc"]],
                           rot=0, figsize=(6, 3), ylim=(0.4, 1.0), title="test AUC with DeLong 95 % CI")
plt.show()

# %% [markdown]
# ## Calibration by grade
# Each model's validation report holds the per-grade table: obligors, defaults, observed
# default rate, mean PD, the one-sided binomial and Jeffreys tests (is the PD too low?) and
# a traffic light.

# %%
report = comparison.results["logistic"].report
print(report.summary())

# %%
figure = report.plot("calibration")  # one figure; report.figures() draws them all
plt.close(figure)  # shown once below, not again by the inline backend
figure

# %% [markdown]
# The same tests are plain functions: `rm.grade_table` grades PDs and tests every grade;
# `rm.binomial_test` and `rm.jeffreys_test` take a grade's PD, obligors and defaults.

# %%
predictions = comparison.results["crosstab"].predictions
rm.grade_table(predictions["pd"], predictions["target"], scale)

# %%
print("binomial p (PD 1 %, 200 obligors, 5 defaults):", round(float(rm.binomial_test(0.01, 200, 5)), 4))
print("Jeffreys p (same):                            ", round(float(rm.jeffreys_test(0.01, 200, 5)), 4))

# %% [markdown]
# Where do the models put the test firms? One column per model:

# %%
grade_mix = pd.DataFrame({name: pd.Series(scale.grade(result.predictions["pd"])).value_counts()
                          for name, result in comparison.results.items() if result.status == "ok"})
grade_mix = grade_mix.reindex(scale.grades).fillna(0).astype(int)
grade_mix

# %% [markdown]
# ## Opening the comparison in MLflow
# The comparison is one **parent run** (config, data fingerprint, comparison table, HTML
# report) with one **child run per model** (parameters, metrics, per-grade tables, plots and
# the exported scorer bundle). In code:

# %%
client = mlflow.MlflowClient(tracking_uri=reduced["tracking"]["uri"])
experiment = client.get_experiment_by_name(reduced["tracking"]["experiment"])
children = client.search_runs([experiment.experiment_id],
                              filter_string=f"tags.mlflow.parentRunId = '{comparison.run_id}'")
pd.DataFrame([{"model": run.info.run_name, "auc": run.data.metrics.get("auc"),
               "brier": run.data.metrics.get("brier"),
               "artifacts": ", ".join(a.path for a in client.list_artifacts(run.info.run_id))}
              for run in children]).sort_values("model")

# %% [markdown]
# In the browser, start the MLflow UI on the same store and open the experiment
# `riskmodels`:

# %%
print(f".venv/bin/mlflow ui --backend-store-uri {reduced['tracking']['uri']}  # from the repository root")

# %% [markdown]
# ## Reproducing the full comparison
# From the repository root, in a terminal:
#
# ```bash
# make demo     # builds .venv from uv.lock once, then runs the command below
# .venv/bin/riskmodels compare synthetic_enterprise   # a shipped name, or a path to your YAML
# .venv/bin/mlflow ui --backend-store-uri sqlite:///mlflow.db   # then open http://127.0.0.1:5000
# ```
#
# The command prints the comparison table, writes the HTML report to `reports/` and logs the
# runs to `sqlite:///mlflow.db` in the repository (set `MLFLOW_TRACKING_URI` to log to a team
# server instead). The same seed gives the same numbers and the same bundle bytes. Two runs
# are compared with `riskmodels runs compare RUN_A RUN_B` (or `rm.diff_runs` in Python).
#
# Or in Python — the full config, about a minute on a laptop:
#
# ```python
# comparison = rm.compare("synthetic_enterprise")
# ```
#
# From an installed package (no checkout) the same runs: `riskmodels demo`,
# `riskmodels experiments`, `riskmodels compare taiwan --set data.sample=5000`.

# %%
truth_auc = comparison.table.loc["truth", "auc"]
best = comparison.table.drop(index="truth")["auc"].idxmax()
print(f"best model on this reduced run: {best} (AUC {comparison.table.loc[best, 'auc']:.3f}; "
      f"true PDs reach {truth_auc:.3f})")
print(f"HTML report: {comparison.report_path.name} in {comparison.report_path.parent}")
assert np.isfinite(comparison.table["auc"]).all()

# %% [markdown]
# ## What to look at next
# - `07_deploy_scorer` exports the winning model and scores it with the numpy-only scorer,
#   MLflow pyfunc and Spark.
# - Change the config: `calibration: {method: central_tendency}` recalibrates every model to
#   the training default rate; `master_scale: bank15` uses the bank 15-grade scale.
# - Other data: the shipped `taiwan` and `german` experiments run the statistical
#   models on public credit data sets.
