"""One MLflow run per monitoring period, tagged with the model's name, version and bundle sha256.

The MLflow UI then lists a model's monitoring history: filter the
``riskmodels-monitoring`` experiment on ``tags."riskmodels.bundle_sha256"`` (or
``riskmodels.model_name``) and sort by the ``riskmodels.period`` tag.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np

from riskmodels.tracking.mlflow_log import prepare_store, use_experiment
from riskmodels.tracking.mlflow_log import tracking_uri as _tracking_uri


def _metric_name(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_\-. /]", "", text).strip().replace(" ", "_")


def log_period(report, tracking_uri: str | None = None, experiment: str = "riskmodels-monitoring") -> str:
    """Log a :class:`~riskmodels.monitoring.report.MonitoringReport` as one MLflow run; return its id.

    Tags: ``riskmodels.model_name``, ``riskmodels.model_version``, ``riskmodels.bundle_sha256``,
    ``riskmodels.period``, ``riskmodels.status`` and ``riskmodels.verdict``; metrics: every numeric
    measure, each characteristic's CSI and, with a ledger, the opening and closing receivables
    allowance; artifacts: ``monitoring.html`` and ``monitoring.json``.
    """
    import mlflow

    uri = _tracking_uri(tracking_uri)
    prepare_store(uri)
    mlflow.set_tracking_uri(uri)
    use_experiment(mlflow, experiment, uri)
    tags = {"riskmodels.model_name": str(report.model.get("name")),
            "riskmodels.model_version": str(report.model.get("version")),
            "riskmodels.bundle_sha256": str(report.model.get("bundle_sha256")),
            "riskmodels.kind": str(report.model.get("kind")),
            "riskmodels.period": report.period, "riskmodels.status": report.status,
            "riskmodels.verdict": report.verdict[:5000]}
    metrics = {"n_records": float(report.n)}
    for name, row in report.measures.iterrows():
        value = row["value"]
        if isinstance(value, (int, float, np.number)) and np.isfinite(value):
            metrics[_metric_name(name)] = float(value)
    for name, row in report.stability["characteristics"].iterrows():
        metrics[_metric_name(f"csi.{name}")] = float(row["csi"])
    if report.allowance is not None:
        metrics["allowance.opening"] = report.allowance.opening
        metrics["allowance.closing"] = report.allowance.closing
    with mlflow.start_run(run_name=f"monitor {report.model.get('name')} {report.period}", tags=tags) as run:
        mlflow.log_metrics(metrics)
        with tempfile.TemporaryDirectory() as folder:
            report.to_html(Path(folder) / "monitoring.html")
            report.to_json(Path(folder) / "monitoring.json")
            mlflow.log_artifacts(folder)
        return run.info.run_id
