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
# # 08 · Monitoring the adopted scorer
#
# Adoption is not the end. The documents re-rate customers every year and review new ones
# after six months, and every model-risk policy asks, period after period: does the adopted
# scorer still hold? This notebook tells that story on the synthetic portfolio:
#
# 1. **adopt** a logistic scorecard fitted on 2019–2021 and export it: the bundle carries the
#    reference distributions of its development sample (alone, it is enough to monitor it);
# 2. **score three months** in production with a **decision log** (one JSON line per decision);
# 3. monitor each month: population stability first (no outcome is needed for that);
# 4. **outcomes arrive** a year later: back-test by grade, discrimination, vintages — and
#    the verdict changes.
#
# The portfolio has a drift scenario built in (`make_portfolio(drift_year=2023, drift_dd=0.6)`):
# from the year-end 2023 on every firm's distance to default is 0.6 lower — weaker ratios and a
# higher default rate.

# %%
import json
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import mlflow
import numpy as np
import pandas as pd

import riskmodels as rm
from riskmodels import scoring
from riskmodels.calibration import MasterScale
from riskmodels.cli import main
from riskmodels.models.logistic import LogisticScorecard

work = Path(tempfile.mkdtemp(prefix="monitoring-"))
portfolio = rm.make_portfolio(n_firms=1200, n_years=5, random_state=3, payment_features=False,
                              drift_year=2023, drift_dd=0.6)
portfolio.default_rates()

# %% [markdown]
# ## 1 · Adopt: fit, export with the development distributions
#
# `fit` keeps what monitoring needs of its sample and `export(path)` stores it: per-characteristic
# bin counts (the scorecard's own bins), the score deciles, the grade distribution, the mean PD,
# the default rate and the AUC of the development sample. (`reference=(X, y)` would use another
# development sample instead.)

# %%
features = ["debt_ratio", "current_ratio", "interest_cover", "roa", "management_quality"]
fy = portfolio.firm_years
dev = fy[fy["year"] <= 2021]
model = LogisticScorecard(categorical=["management_quality"], selection=None, max_correlation=1.0,
                          max_vif=None, master_scale=MasterScale.standard("enterprise10"))
model.fit(dev[features], dev["default"])
bundle_path = model.export(work / "scorer.json")
bundle = scoring.read_bundle(bundle_path)
ref = bundle["reference"]
print(f"bundle {bundle['sha256'][:12]}..., development: {ref['n']} firm-years, mean PD {ref['mean_pd']:.2%}, "
      f"default rate {ref['default_rate']:.2%}, AUC {ref['auc']:.3f}")
pd.DataFrame({"grade": ref["grades"]["labels"], "development count": ref["grades"]["counts"]}).set_index("grade").T

# %% [markdown]
# ## 2 · Score three months with a decision log
#
# January and February re-rate the book as it stood at the end of 2022; March's batch is the
# population after the shock (the year-end 2023 statements). Each call appends one JSON line per
# record — time, bundle sha256, input hash, id, PD, grade, score, reasons and the canonical input
# — and flushes once per batch. The log is the production population, as decided.

# %%
scorer = scoring.load_scorer(bundle_path)
y2022 = fy[fy["year"] == 2022].sample(frac=1.0, random_state=0)
months = {"2023-01": y2022.iloc[: len(y2022) // 2], "2023-02": y2022.iloc[len(y2022) // 2:],
          "2023-03": fy[fy["year"] == 2023]}
logs = {}
for month, batch in months.items():
    logs[month] = work / f"decisions-{month}.jsonl"
    scorer.score(batch[features + ["firm_id"]], log=logs[month], log_id="firm_id")
line = json.loads(logs["2023-01"].read_text().splitlines()[0])
{k: line[k] for k in ("id", "pd", "grade", "score", "reasons", "bundle_sha256")}

# %% [markdown]
# ## 3 · Monitor each month: stability needs no outcome
#
# `rm.monitor(bundle, log)` reads the log as the period's population and compares it with the
# bundle's reference: score PSI and grade PSI, CSI per characteristic with each bin's
# contribution, missing and unknown-category rates, mean PD. Thresholds are configurable
# (`rm.monitoring.Thresholds`; defaults PSI 0.10 amber / 0.25 red).

# %%
reports = {m: rm.monitor(bundle_path, logs[m], period=m) for m in months}
for report in reports.values():
    print(report.verdict)

# %%
reports["2023-03"].measures

# %%
reports["2023-03"].stability["csi_tables"]["debt_ratio"]

# %% [markdown]
# ## 4 · A year later, the outcomes arrive
#
# Outcomes come as one row per scored record: its id, the observation date and the default date
# (empty when it did not default). Only records whose 12-month horizon has passed by the as-of
# date are back-tested; the others are counted as pending. Per grade: observed vs predicted
# default rate with Jeffreys intervals, binomial and Jeffreys tests, the traffic light; the AUC
# with its DeLong interval and the test of its drop since development (the ECB statistic with the
# variance of both AUCs); Hosmer–Lemeshow over grades pooled to at least 5 expected defaults;
# vintage curves per monthly cohort. The verdict corrects for the number of tests: its p-values
# are judged at level / m (Bonferroni) and the scale's zone is its smallest per-grade binomial p
# against 0.05 / k and 0.001 / k for k grades — so a stable model reads red by chance rarely
# (1 of 30 seeds of the drift scenario's stable year, `benchmarks/bench_monitoring.py`).

# %%
rng = np.random.default_rng(1)


def outcomes_of(batch, observed):
    days = rng.integers(15, 365, len(batch))
    default_date = pd.to_datetime(np.where(batch["default"].to_numpy() == 1,
                                           (pd.Timestamp(observed) + pd.to_timedelta(days, unit="D")).astype(str),
                                           None))
    return pd.DataFrame({"firm_id": batch["firm_id"].to_numpy(), "observation_date": pd.Timestamp(observed),
                         "default_date": default_date})


ends = {"2023-01": "2023-01-31", "2023-02": "2023-02-28", "2023-03": "2023-03-31"}
outcomes = {m: outcomes_of(months[m], ends[m]) for m in months}
after = {m: rm.monitor(bundle_path, logs[m], outcomes[m], id_column="firm_id", period=m, as_of="2024-04-30")
         for m in months}
for report in after.values():
    print(report.verdict)

# %%
print(after["2023-03"].summary())

# %%
fig = after["2023-03"].plot()
plt.show()

# %% [markdown]
# ## Migration against the previous period, and the MLflow history
#
# The same firms were rated in January (year-end 2022) and in March (year-end 2023): the grade
# migration matrix between the two, with the ECB test that migration rates fall away from the
# diagonal. Each period can go to MLflow as one run tagged with the model name, version and
# bundle sha256 — the UI then shows the model's monitoring history. Here the store is a
# temporary sqlite file.

# %%
march = rm.monitor(bundle_path, logs["2023-03"], outcomes["2023-03"], previous=logs["2023-01"],
                   id_column="firm_id", period="2023-03", as_of="2024-04-30")
march.migration["matrix"]

# %%
uri = f"sqlite:///{work / 'mlflow.db'}"
for m in months:
    rm.monitor(bundle_path, logs[m], outcomes[m], id_column="firm_id", period=m, as_of="2024-04-30",
               mlflow=True, tracking_uri=uri, experiment="monitoring-demo")
mlflow.set_tracking_uri(uri)
runs = mlflow.search_runs(experiment_names=["monitoring-demo"])
mlflow.set_tracking_uri(None)
runs[["tags.riskmodels.period", "tags.riskmodels.status", "metrics.score_PSI", "tags.riskmodels.bundle_sha256"]]

# %% [markdown]
# The command line does the same for schedulers: `riskmodels monitor BUNDLE decisions.jsonl
# --outcomes outcomes.csv --html report.html --json summary.json` prints the summary and exits
# with status 1 when the verdict is red (0 for green or amber). A scheduler can keep the period
# in a YAML file instead (`riskmodels monitor CONFIG.yaml`; paths relative to the file, unknown
# keys refused):

# %%
after["2023-03"].to_html(work / "monitoring-2023-03.html")
print(os.path.getsize(work / "monitoring-2023-03.html") > 10_000, after["2023-03"].status)
outcomes["2023-03"].to_csv(work / "outcomes-2023-03.csv", index=False)
(work / "monitor-2023-03.yaml").write_text(f"""\
model: {Path(bundle_path).name}
data: {Path(logs["2023-03"]).name}
outcomes: outcomes-2023-03.csv
id_column: firm_id
period: 2023-03
as_of: 2024-04-30
thresholds: {{psi: [0.10, 0.25], multiple_testing: bonferroni}}
output: {{folder: reports, json: true, html: true}}
""")
status = main(["monitor", str(work / "monitor-2023-03.yaml")])
status, sorted(p.name for p in (work / "reports").iterdir())

# %% [markdown]
# ## Where next
#
# - Point `mlflow=True` at the team's tracking server (`MLFLOW_TRACKING_URI`) and monitor the
#   registered version directly: `rm.monitor("models:/NAME/VERSION", log, outcomes)`.
# - Tune the zones to the portfolio with `rm.monitoring.Thresholds` (or a `--thresholds` YAML
#   for the command line); the defaults and their sources are in its docstring.
# - When a period reads red, go back to notebook 06: refit, recalibrate, compare, adopt again.
