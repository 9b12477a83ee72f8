"""What changed between two comparison runs: parameters, data, metrics, AUC significance.

``riskmodels runs compare RUN_A RUN_B`` prints :meth:`RunDiff.summary`. When both
runs scored the same test sample (same test fingerprint), the AUC change of each
model is tested with DeLong's paired test on the logged predictions.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskmodels.results import Summary


@dataclass
class RunDiff:
    """Differences between two comparison runs (A = before, B = after)."""

    run_a: str
    run_b: str
    params: pd.DataFrame
    metrics: pd.DataFrame
    same_data: bool
    same_test_sample: bool
    notes: list[str] = field(default_factory=list)

    def summary(self) -> Summary:
        """What changed: the data and test-sample fingerprints, the parameters, the metrics.

        Returns
        -------
        riskmodels.results.Summary
            ``print`` it, or show it in a notebook as HTML.

        Examples
        --------
        >>> metrics = pd.DataFrame({"model": ["logit"], "metric": ["auc"], "A": [0.71], "B": [0.74],
        ...                         "B - A": [0.03]}).set_index(["model", "metric"])
        >>> params = pd.DataFrame(columns=["param", "A", "B"]).set_index("param")
        >>> s = RunDiff("a1", "b2", params, metrics, True, False, ["test samples differ"]).summary()
        >>> s.title, "0.03" in s
        ('run A a1  vs  run B b2', True)
        """
        out = Summary(f"run A {self.run_a}  vs  run B {self.run_b}").add_rows(
            [("data fingerprint", "same" if self.same_data else "DIFFERENT"),
             ("test sample", "same" if self.same_test_sample else "different")])
        if len(self.params):
            out.add_table(self.params, "Parameters that changed")
        else:
            out.add_note("no parameter changed")
        out.add_table(self.metrics.reset_index(), "Metrics (B - A)", index=False, digits=4)
        for note in self.notes:
            out.add_note(note)
        return out

    def _repr_html_(self) -> str:
        return self.summary().as_html()


def _children(client, experiment_id: str, parent_id: str) -> dict:
    runs = client.search_runs([experiment_id], f"tags.mlflow.parentRunId = '{parent_id}'")
    return {r.info.run_name: r for r in runs}


def _predictions(client, run_id: str) -> pd.DataFrame | None:
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        text = mlflow.artifacts.load_text(f"runs:/{run_id}/predictions/test.csv")
    except (MlflowException, OSError):  # a failed model run has no predictions artifact
        return None
    return pd.read_csv(io.StringIO(text))


def diff_runs(run_a: str, run_b: str, tracking_uri: str | None = None) -> RunDiff:
    """Compare two parent (comparison) runs by id."""
    import mlflow
    from mlflow.tracking import MlflowClient

    from riskmodels.tracking.mlflow_log import tracking_uri as resolve
    from riskmodels.validation import delong_test

    mlflow.set_tracking_uri(resolve(tracking_uri))
    client = MlflowClient()
    a, b = client.get_run(run_a), client.get_run(run_b)
    keys = sorted(set(a.data.params) | set(b.data.params))
    changed = [(k, a.data.params.get(k), b.data.params.get(k)) for k in keys
               if a.data.params.get(k) != b.data.params.get(k)]
    params = pd.DataFrame(changed, columns=["param", "A", "B"]).set_index("param")
    same_data = a.data.tags.get("data_fingerprint") == b.data.tags.get("data_fingerprint")
    same_test = a.data.tags.get("test_fingerprint") == b.data.tags.get("test_fingerprint")
    kids_a = _children(client, a.info.experiment_id, run_a)
    kids_b = _children(client, b.info.experiment_id, run_b)
    rows, notes = [], []
    for name in sorted(set(kids_a) | set(kids_b)):
        ma = kids_a[name].data.metrics if name in kids_a else {}
        mb = kids_b[name].data.metrics if name in kids_b else {}
        for metric in sorted(set(ma) | set(mb)):
            va, vb = ma.get(metric, np.nan), mb.get(metric, np.nan)
            rows.append({"model": name, "metric": metric, "A": va, "B": vb, "B - A": vb - va})
        if same_test and name in kids_a and name in kids_b:
            pa = _predictions(client, kids_a[name].info.run_id)
            pb = _predictions(client, kids_b[name].info.run_id)
            if pa is not None and pb is not None and np.array_equal(pa["target"], pb["target"]):
                test = delong_test(pa["target"].to_numpy(), pa["pd"].to_numpy(), pb["pd"].to_numpy())
                rows.append({"model": name, "metric": "delong_p_value", "A": np.nan, "B": np.nan,
                             "B - A": test.p_value})
                notes.append(f"{name}: {test.summary().title} (A vs B, paired DeLong)")
    if not same_test:
        notes.append("test samples differ: no paired DeLong test of AUC changes")
    metrics = pd.DataFrame(rows, columns=["model", "metric", "A", "B", "B - A"]).set_index(["model", "metric"])
    return RunDiff(run_a, run_b, params, metrics, same_data, same_test, notes)
