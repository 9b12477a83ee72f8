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
# # 07 · Deploying a model: the scorer bundle
#
# A model is only useful once operations can score with it, with **the same numbers** as at
# validation. In `riskmodels` every fitted model — expert card, logistic scorecard, KMV,
# cross-tab — exports to one JSON **bundle**: the input rules, the model's parameters, the
# calibration steps, the master scale, the training data fingerprint and a sha256 of its own
# content. One small module, `riskmodels.scoring` (numpy and the standard library only, a
# single file that can be copied into a service), scores any bundle. Around it:
#
# - an **MLflow pyfunc** wrapper, to serve or register the scorer like any MLflow model;
# - a **Spark** adapter, for portfolios that outgrow one machine.
#
# No pickle anywhere: a pickle is code execution; a bundle is data, verified on load.

# %%
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import mlflow
import numpy as np
import pandas as pd
from pyspark.sql import SparkSession

import riskmodels as rm
from riskmodels import export
from riskmodels.export.spark import score_dataframe
from riskmodels.scoring import load_scorer

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
# known, harmless notices of the pinned stack: PySpark 4 on pandas 3, MLflow's type-hint advice
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
warnings.filterwarnings("ignore", message=".*Add type hints to the `predict` method")
workdir = Path(tempfile.mkdtemp(prefix="riskmodels-nb07-"))  # everything this notebook writes

# %% [markdown]
# ## Fit a model and export it
# A logistic scorecard on a small synthetic portfolio (notebook 03 explains the steps).

# %%
portfolio = rm.make_portfolio(n_firms=600, n_years=3, random_state=0)
firm_years = portfolio.firm_years
features = ["debt_ratio", "current_ratio", "roa", "interest_cover", "dpd_max_12m", "on_time_share",
            "avg_days_late", "management_quality", "industry_outlook"]
train = firm_years[firm_years["year"] < firm_years["year"].max()]
new_firms = firm_years[firm_years["year"] == firm_years["year"].max()]
model = rm.LogisticScorecard(name="enterprise-logistic", features=features,
                             categorical=["management_quality", "industry_outlook"], rounding=True)
model.fit(train[features], train["default"])
print(f"selected characteristics: {model.features_}")

# %%
bundle_path = model.export(workdir / "enterprise-logistic.json")
bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
print(f"{bundle_path.name}: {bundle_path.stat().st_size:,} bytes, kind {bundle['kind']!r}, "
      f"sha256 {bundle['sha256'][:16]}…")
pd.DataFrame(bundle["inputs"]).reindex(columns=["name", "type", "required", "missing", "out_of_range"])

# %% [markdown]
# Only the selected characteristics are inputs. The bundle states, per input, what happens to
# a missing value, an out-of-range number or an unseen category ("error" refuses the record,
# "allow" lets the model handle it — here the scorecard's missing bin). It also carries the
# master scale:

# %%
pd.DataFrame({"grade": bundle["master_scale"]["grades"],
              "upper_bound": bundle["master_scale"]["upper_bounds"] + [None]})

# %% [markdown]
# ## Score with the numpy-only scorer
# This is what production code imports — `from riskmodels.scoring import load_scorer` — and
# nothing else of the toolkit. It verifies the hash, then scores one record or a million.

# %%
scorer = load_scorer(bundle_path)
scorer

# %%
one = new_firms[features].iloc[0].to_dict()
scorer.score(one)

# %%
batch = scorer.score(new_firms[features].to_dict(orient="list"))
scores = pd.DataFrame({"firm_id": new_firms["firm_id"].to_numpy(), "pd": batch["pd"],
                       "score": batch["score"], "grade": batch["grade"]})
scores.head()

# %%
ax = scores["grade"].value_counts().reindex(scorer.grades, fill_value=0).plot.bar(
    rot=0, figsize=(6, 3), title="new firms by grade (numpy-only scorer)")
plt.show()

# %% [markdown]
# The bundle gives exactly the in-memory model's PDs — one scoring path, not two copies of
# the maths:

# %%
in_memory = model.predict_proba(new_firms[features])[:, 1]
print("largest difference, bundle vs model:", np.max(np.abs(batch["pd"] - in_memory)))
assert np.array_equal(batch["pd"], in_memory)

# %% [markdown]
# Bad input is refused with a message naming the field — or, with `on_error="report"`, every
# good record is scored and the bad ones are listed:

# %%
first, second = model.features_[:2]
bad = new_firms[features].head(3).to_dict(orient="list")
bad[first][1] = None  # missing: allowed, scored in the missing bin
bad[second][2] = "n/a"  # not a number: refused
checked = scorer.score(bad, on_error="report")
print(checked["errors"])
checked["pd"]

# %%
try:
    scorer.score({name: values for name, values in bad.items() if name != first})
except rm.BundleError as error:
    print(error)

# %% [markdown]
# A changed byte is refused on load — the bundle cannot be edited by hand:

# %%
tampered = workdir / "tampered.json"
tampered.write_text(bundle_path.read_text(encoding="utf-8").replace('"pdo": 20.0', '"pdo": 21.0'),
                    encoding="utf-8")
try:
    load_scorer(tampered)
except rm.BundleError as error:
    print(error)

# %% [markdown]
# ## MLflow pyfunc
# `export.to_mlflow` logs the bundle as an MLflow model with a signature and an input
# example; anything that serves MLflow models (`mlflow models serve`, a registry, batch
# inference) can then use it. Here into a throw-away store:

# %%
mlflow.set_tracking_uri(f"sqlite:///{workdir / 'mlflow.db'}")
mlflow.create_experiment("deploy-demo", artifact_location=(workdir / "artifacts").as_uri())
mlflow.set_experiment("deploy-demo")
with mlflow.start_run(run_name="export-enterprise-logistic"):
    info = export.to_mlflow(bundle_path, name="scorer")
print(info.model_uri)

# %%
served = mlflow.pyfunc.load_model(info.model_uri)
pyfunc_scores = served.predict(export.pyfunc_input(new_firms[features].head(5), bundle))
pyfunc_scores

# %%
assert np.allclose(pyfunc_scores["pd"].to_numpy(), batch["pd"][:5], rtol=0, atol=0)

# %% [markdown]
# ## Spark
# For a portfolio on a cluster, `riskmodels.export.spark.score_dataframe` appends the score
# columns to a Spark DataFrame; each worker loads and verifies the same bundle. A local
# two-core session and a small frame are enough to show it.

# %%
os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers run this kernel's Python
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
spark = (SparkSession.builder.master("local[2]").appName("riskmodels-deploy")
         .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
         .config("spark.sql.warehouse.dir", str(workdir / "spark-warehouse")).getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
sample = new_firms[["firm_id", *features]].head(200)
spark_input = spark.createDataFrame(export.pyfunc_input(sample, bundle).assign(firm_id=sample["firm_id"].to_numpy()))
spark_scores = score_dataframe(spark_input, bundle_path).select("firm_id", "pd", "score", "grade").toPandas()
spark.stop()
spark_scores.head()

# %%
same = np.array_equal(spark_scores["pd"].to_numpy(), batch["pd"][:200])
print(f"Spark scores equal the numpy scorer's on {len(spark_scores)} firms: {same}")

# %% [markdown]
# ## Score inside the database (SQL)
# The same bundle as one SQL statement (`riskmodels export-sql`, `export.to_sql`): DuckDB here;
# SQLite, PostgreSQL and Spark SQL are the other dialects. Same PDs, grades and reason codes.

# %%
import duckdb

sql = export.to_sql(bundle_path, "duckdb", table="new_firms", keep=["firm_id"])
print(sql[:700] + f" … ({len(sql):,} characters)")
con = duckdb.connect()
con.register("new_firms", new_firms[["firm_id", *model.features_]])
in_db = con.execute(sql + " ORDER BY firm_id").fetchdf()
ordered = new_firms.sort_values("firm_id")
local = scorer.score(ordered[model.features_].to_dict(orient="list"))
reason_cols = [c for c in in_db.columns if c.startswith("reason_")]
print(f"{len(in_db)} firms scored in DuckDB; largest |PD difference| vs Scorer.score: "
      f"{np.max(np.abs(in_db['pd'].to_numpy() - local['pd'])):.1e}; grades equal: "
      f"{in_db['grade'].tolist() == local['grade'].tolist()}; reasons equal: "
      f"{in_db[reason_cols].to_numpy().tolist() == local['reasons'].tolist()}")
in_db.head()

# %% [markdown]
# ## A PMML scorecard for engines that are not Python
# `model.to_pmml(path)` / `riskmodels export-pmml BUNDLE -o scorer.pmml` writes the same bundle as
# a PMML 4.4 `Scorecard`: one characteristic per feature on the bundle's exact bin edges,
# reason codes ranked as the scorer ranks them, and the PD, grade and limit as output fields.
# Here PMML4S (`pypmml`, a JVM engine) scores it. Its DataFrame path rounds inputs to 10
# digits (pandas' `to_json`), so the records go in as JSON with every digit.

# %%
from pypmml import Model

pmml_path = workdir / "enterprise-logistic.pmml"
model.to_pmml(pmml_path)
print("\n".join(pmml_path.read_text().splitlines()[:12]) + "\n…")
engine = Model.load(str(pmml_path))
firms = new_firms[model.features_].head(200)
payload = json.dumps({"columns": list(firms.columns), "data": firms.to_numpy().tolist()})
result = json.loads(engine.call("predict", payload))
in_pmml = pd.DataFrame(result["data"], columns=result["columns"])
local = scorer.score(firms.to_dict(orient="list"))
print(f"{len(in_pmml)} firms scored by PMML4S; largest |PD difference| vs Scorer.score: "
      f"{np.max(np.abs(in_pmml['pd'].to_numpy() - local['pd'])):.1e}; grades equal: "
      f"{in_pmml['grade'].tolist() == local['grade'].tolist()}; reasons equal: "
      f"{in_pmml[['reason_1', 'reason_2', 'reason_3']].to_numpy().tolist() == local['reasons'].tolist()}")

# %% [markdown]
# ## From the command line
# Batch-score a CSV or Parquet file without writing Python:
#
# ```bash
# .venv/bin/riskmodels score enterprise-logistic.json firms.csv -o scores.csv
# ```
#
# ## What to look at next
# - The comparison (notebook 06) already exports every model's bundle into its MLflow child
#   run (artifact `bundle`): download it from there instead of re-fitting.
# - `riskmodels/standalone/scoring.py` is the whole production dependency: read it, copy it into your
#   service, and pin the bundle's sha256.
# - Set `SOURCE_DATE_EPOCH` to make bundle bytes reproducible across builds.
