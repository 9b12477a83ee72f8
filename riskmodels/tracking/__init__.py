"""MLflow tracking of comparisons: one parent run per comparison, one child run per model."""

from riskmodels.tracking.diff import RunDiff, RunNotFoundError, diff_runs, list_runs
from riskmodels.tracking.mlflow_log import log_comparison, tracking_uri

__all__ = ["log_comparison", "tracking_uri", "diff_runs", "list_runs", "RunDiff", "RunNotFoundError"]
