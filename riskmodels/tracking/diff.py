"""What changed between two comparison runs: parameters, fitted specification, data, metrics.

``riskmodels runs compare RUN_A RUN_B`` prints :meth:`RunDiff.summary`. Every
parameter of the comparison and of each model's child run is compared; so is
what each model fitted (selected characteristics, bins, coefficients, points,
master scale, calibration: the child run's ``specification/fitted.json`` and
scorer bundle). One sign convention throughout: a difference is **B − A**.
When both runs scored the same test sample, each model's AUC change is tested
with DeLong's paired test on the logged predictions.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskmodels.errors import RiskModelsError
from riskmodels.results import Summary

COMPARISON = "(comparison)"  # the model column's value for the parent run's own parameters


class RunNotFoundError(RiskModelsError, LookupError):
    """A run id or experiment that the tracking store does not hold."""


@dataclass
class RunDiff:
    """Differences between two comparison runs (A = before, B = after; differences are B − A)."""

    run_a: str
    run_b: str
    params: pd.DataFrame
    metrics: pd.DataFrame
    same_data: bool
    same_test_sample: bool
    notes: list[str] = field(default_factory=list)
    specification: pd.DataFrame = None

    def summary(self) -> Summary:
        """What changed: fingerprints, parameters (every run), fitted specification, metrics (B − A).

        Returns
        -------
        riskmodels.results.Summary
            ``print`` it, or show it in a notebook as HTML.

        Examples
        --------
        >>> metrics = pd.DataFrame({"model": ["logit"], "metric": ["auc"], "A": [0.71], "B": [0.74],
        ...                         "B - A": [0.03], "DeLong p": [0.2]}).set_index(["model", "metric"])
        >>> params = pd.DataFrame({"model": ["logit"], "param": ["params.criterion"], "A": ["aic"],
        ...                        "B": ["bic"]}).set_index(["model", "param"])
        >>> s = RunDiff("a1", "b2", params, metrics, True, False, ["test samples differ"]).summary()
        >>> s.title, "0.03" in s, "params.criterion" in s
        ('run A a1  vs  run B b2', True, True)
        """
        out = Summary(f"run A {self.run_a}  vs  run B {self.run_b}").add_rows(
            [("differences", "B − A (run B minus run A), everywhere below"),
             ("data fingerprint", "same" if self.same_data else "DIFFERENT"),
             ("test sample", "same" if self.same_test_sample else "different")])
        if len(self.params):
            out.add_table(self.params.reset_index(), "Parameters that changed", index=False)
        else:
            out.add_note("no parameter changed (comparison and every model)")
        if self.specification is not None and len(self.specification):
            out.add_table(self.specification.reset_index(), "Fitted specification that changed", index=False)
        moved = self.metrics[self.metrics["B - A"].ne(0) | self.metrics["DeLong p"].notna()]
        out.add_table(moved.reset_index(), "Metrics that changed", index=False, digits=4)
        if len(moved) < len(self.metrics):
            out.add_note(f"{len(self.metrics) - len(moved)} metric(s) identical in both runs (RunDiff.metrics "
                         "has them all)")
        for note in self.notes:
            out.add_note(note)
        return out

    def _repr_html_(self) -> str:
        return self.summary().as_html()


def _children(client, experiment_id: str, parent_id: str) -> dict:
    runs = client.search_runs([experiment_id], f"tags.mlflow.parentRunId = '{parent_id}'")
    return {r.info.run_name: r for r in runs}


def _artifact(run_id: str, path: str) -> str | None:
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        return mlflow.artifacts.load_text(f"runs:/{run_id}/{path}")
    except (MlflowException, OSError):  # a failed model run has no predictions or specification
        return None


def _predictions(run_id: str) -> pd.DataFrame | None:
    text = _artifact(run_id, "predictions/test.csv")
    return None if text is None else pd.read_csv(io.StringIO(text))


def fitted_state(run_id: str, name: str) -> dict:
    """What a child run's model fitted: its ``specification/fitted.json`` plus the bundle's
    master scale and calibration (empty for a failed model)."""
    out = json.loads(_artifact(run_id, "specification/fitted.json") or "{}")
    bundle = _artifact(run_id, f"bundle/{name}.json")
    if bundle:
        content = json.loads(bundle)
        out.update(master_scale=content.get("master_scale"), calibration=content.get("calibration"))
    return out


def diff_fitted(a: dict, b: dict) -> list[tuple[str, str, str]]:
    """(item, A, B) for every fitted item that differs; the selected characteristics by name.

    Parameters
    ----------
    a, b : fitted states (see :func:`fitted_state`).

    Returns
    -------
    list of (item, value in A, value in B)

    Examples
    --------
    >>> diff_fitted({"features": ["x", "y"], "coefficients": {"x": -0.5, "y": -1.0}},
    ...             {"features": ["x", "z"], "coefficients": {"x": -0.5, "z": -0.2}})
    [('selected characteristics', 'only in A: y', 'only in B: z'), ('coefficients[y]', '-1', '–'), ('coefficients[z]', '–', '-0.2')]
    """
    rows = []
    fa, fb = a.get("features", []), b.get("features", [])
    if fa != fb:
        only_a, only_b = [f for f in fa if f not in fb], [f for f in fb if f not in fa]
        if only_a or only_b:
            rows.append(("selected characteristics", "only in A: " + (", ".join(only_a) or "none"),
                         "only in B: " + (", ".join(only_b) or "none")))
        else:
            rows.append(("order of the characteristics", ", ".join(fa), ", ".join(fb)))
    for key in sorted((set(a) | set(b)) - {"features"}):
        va, vb = a.get(key), b.get(key)
        if isinstance({} if va is None else va, dict) and isinstance({} if vb is None else vb, dict) \
                and key not in ("master_scale",):
            va, vb = va or {}, vb or {}  # an item only one run has (e.g. binning_edits): entry by entry
            for sub in sorted(set(va) | set(vb), key=str):
                if not _same(va.get(sub), vb.get(sub)):
                    rows.append((f"{key}[{sub}]", _text(va.get(sub)), _text(vb.get(sub))))
        elif not _same(va, vb):
            rows.append((key, _text(va), _text(vb)))
    return rows


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return bool(np.isclose(a, b, rtol=1e-9, atol=0.0))
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _text(value) -> str:
    """A fitted value in a line: numbers to 6 significant digits, lists of numbers to 4, at most 100 characters.

    Examples
    --------
    >>> _text([78.336154, 74.141235]), _text(None), _text(-0.2055612345)
    ('[78.34, 74.14]', '–', '-0.205561')
    """
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list) and all(isinstance(v, (int, float)) for v in value):
        text = "[" + ", ".join(f"{v:.4g}" for v in value) + "]"
    else:
        text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 100 else text[:97] + "..."


def open_store(tracking_uri: str | None):
    """An MlflowClient on the store; an embedded sqlite store must exist (reading never creates one).

    Raises
    ------
    RunNotFoundError
        a sqlite store whose file does not exist.
    """
    from pathlib import Path

    import mlflow
    from mlflow.tracking import MlflowClient

    from riskmodels.tracking.mlflow_log import tracking_uri as resolve

    uri = resolve(tracking_uri)
    if uri.startswith("sqlite:///") and not Path(uri[len("sqlite:///"):]).exists():
        raise RunNotFoundError(f"no MLflow store at {uri}: run a comparison first, or pass --tracking-uri")
    mlflow.set_tracking_uri(uri)
    return MlflowClient()


def _get_run(client, run_id: str):
    from mlflow.exceptions import MlflowException

    try:
        return client.get_run(run_id)
    except MlflowException:
        raise RunNotFoundError(f"no run {run_id!r} in the tracking store") from None


def diff_runs(run_a: str, run_b: str, tracking_uri: str | None = None) -> RunDiff:
    """Compare two parent (comparison) runs by id.

    Parameters
    ----------
    run_a, run_b : parent run ids (A = before, B = after).
    tracking_uri : the MLflow store (default: ``MLFLOW_TRACKING_URI`` or ``sqlite:///mlflow.db``).

    Returns
    -------
    RunDiff

    Raises
    ------
    RunNotFoundError
        an id that the store does not hold.
    """
    from riskmodels.validation import delong_test

    client = open_store(tracking_uri)
    a, b = _get_run(client, run_a), _get_run(client, run_b)
    kids_a = _children(client, a.info.experiment_id, run_a)
    kids_b = _children(client, b.info.experiment_id, run_b)
    changed = _changed_params(COMPARISON, a.data.params, b.data.params)
    same_data = a.data.tags.get("data_fingerprint") == b.data.tags.get("data_fingerprint")
    same_test = a.data.tags.get("test_fingerprint") == b.data.tags.get("test_fingerprint")
    rows, notes, fitted = [], [], []
    for name in sorted(set(kids_a) | set(kids_b)):
        ka, kb = kids_a.get(name), kids_b.get(name)
        if ka is None or kb is None:
            notes.append(f"{name}: only in run {'A' if kb is None else 'B'}")
        changed += _changed_params(name, ka.data.params if ka else {}, kb.data.params if kb else {})
        if ka is not None and kb is not None:
            fitted += [(name, *row) for row in diff_fitted(fitted_state(ka.info.run_id, name),
                                                           fitted_state(kb.info.run_id, name))]
        delong_p = np.nan
        if same_test and ka is not None and kb is not None:
            pa, pb = _predictions(ka.info.run_id), _predictions(kb.info.run_id)
            if pa is not None and pb is not None and np.array_equal(pa["target"], pb["target"]):
                test = delong_test(pa["target"].to_numpy(), pb["pd"].to_numpy(), pa["pd"].to_numpy())
                delong_p = test.p_value
                notes.append(f"{name}: AUC B − A {test.difference:+.4f} (paired DeLong z {test.z:.2f}, "
                             f"p {test.p_value:.3g})")
        ma = ka.data.metrics if ka else {}
        mb = kb.data.metrics if kb else {}
        for metric in sorted(set(ma) | set(mb)):
            va, vb = ma.get(metric, np.nan), mb.get(metric, np.nan)
            rows.append({"model": name, "metric": metric, "A": va, "B": vb, "B - A": vb - va,
                         "DeLong p": delong_p if metric == "auc" else np.nan})
    if not same_test:
        notes.append("test samples differ: no paired DeLong test of AUC changes")
    metrics = pd.DataFrame(rows, columns=["model", "metric", "A", "B", "B - A", "DeLong p"]).set_index(
        ["model", "metric"])
    params = pd.DataFrame(changed, columns=["model", "param", "A", "B"]).set_index(["model", "param"])
    specification = pd.DataFrame(fitted, columns=["model", "item", "A", "B"]).set_index(["model", "item"])
    return RunDiff(run_a, run_b, params, metrics, same_data, same_test, notes, specification)


def _changed_params(model: str, a: dict, b: dict) -> list[tuple]:
    return [(model, k, a.get(k, "–"), b.get(k, "–")) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def list_runs(experiment: str = "riskmodels", tracking_uri: str | None = None, limit: int = 20) -> pd.DataFrame:
    """The most recent comparison runs of an experiment: id, name, start, status and each model's AUC.

    Parameters
    ----------
    experiment : the MLflow experiment's name.
    tracking_uri : the MLflow store (default: ``MLFLOW_TRACKING_URI`` or ``sqlite:///mlflow.db``).
    limit : how many runs, newest first.

    Returns
    -------
    pandas.DataFrame
        Columns run_id, name, started (UTC), status, then ``auc MODEL`` per model.

    Raises
    ------
    RunNotFoundError
        an experiment the store does not hold.
    """
    client = open_store(tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        names = ", ".join(e.name for e in client.search_experiments()) or "none"
        raise RunNotFoundError(f"no experiment {experiment!r} in the tracking store (experiments: {names})")
    runs = client.search_runs([found.experiment_id], "tags.`riskmodels.kind` = 'comparison'",
                              order_by=["attributes.start_time DESC"], max_results=limit)
    rows = []
    for run in runs:
        row = {"run_id": run.info.run_id, "name": run.info.run_name,
               "started": pd.Timestamp(run.info.start_time, unit="ms").strftime("%Y-%m-%d %H:%M:%S"),
               "status": run.info.status}
        row.update({f"auc {k.removesuffix('.auc')}": v for k, v in sorted(run.data.metrics.items())
                    if k.endswith(".auc")})
        rows.append(row)
    return pd.DataFrame(rows, columns=["run_id", "name", "started", "status"] if not rows else None)
