"""MLflow logging of a comparison in a forked worker process: the same runs as logging in process,
the dataset schemas MLflow itself infers, a worker's failure raised in the comparison."""

import contextlib
import json
import os
import subprocess
import sys
import threading

import mlflow
import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient

import riskmodels.comparison.painter as painter
from riskmodels.comparison import compare
from riskmodels.data.synthetic import make_portfolio
from riskmodels.tracking.mlflow_log import schema_rows
from riskmodels.tracking.worker import receive_message, send_message, serve

CONFIG = {
    "name": "taiwan_worker",
    "data": {"source": "taiwan", "sample": 3000, "id_columns": ["ID"]},
    "models": [
        {"name": "logistic", "type": "logistic", "features": ["PAY_0", "PAY_2", "LIMIT_BAL", "AGE"]},
        {"name": "grid", "type": "crosstab", "features": ["PAY_0", "LIMIT_BAL"], "params": {"max_bins": 3}},
        {"name": "broken", "type": "crosstab", "features": ["PAY_0"], "params": {"factors": ["AGE"]}},
    ],
}
# written when the run happened or by whom: differ between any two runs
CHANGING = {"comparison.csv", "bundle/logistic.json", "bundle/grid.json", "taiwan_worker.html"}


def fresh_python(script: str, folder, uri: str):
    """The JSON a fresh Python (one that has not imported MLflow) prints last, running ``script``
    with ``folder`` as its argument and the tracking store ``uri``."""
    done = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, text=True,
                          check=True, env={**os.environ, "MLFLOW_TRACKING_URI": uri})
    return json.loads(done.stdout.strip().splitlines()[-1])


def logged(uri: str, run_id: str) -> dict:
    """Every run of a comparison: status, tags, params, metrics, artifacts' bytes, inputs, models."""
    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    parent = client.get_run(run_id)

    def files(run, path=None):
        out = {}
        for item in client.list_artifacts(run, path):
            if item.is_dir:
                out.update(files(run, item.path))
            elif item.path not in CHANGING:
                with open(mlflow.artifacts.download_artifacts(run_id=run, artifact_path=item.path), "rb") as f:
                    out[item.path] = f.read()
        return out

    def describe(run):
        return {"status": run.info.status, "params": run.data.params, "files": files(run.info.run_id),
                "tags": {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")},
                "metrics": {k: v for k, v in run.data.metrics.items() if k != "fit_seconds"},
                "inputs": sorted((d.dataset.name, d.dataset.digest, d.dataset.schema, d.dataset.profile)
                                 for d in run.inputs.dataset_inputs),
                "models": len(run.outputs.model_outputs) if run.outputs else 0}

    runs = {"parent": describe(parent)}
    for run in client.search_runs([parent.info.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'"):
        runs[run.info.run_name] = describe(run)
    return runs


def test_the_worker_logs_the_runs_the_comparison_logs_in_its_own_process(tmp_path, monkeypatch):
    inside, outside = (f"sqlite:///{tmp_path / name / 'mlflow.db'}" for name in ("inside", "outside"))
    (tmp_path / "inside").mkdir()
    (tmp_path / "outside").mkdir()
    # a fresh Python that has not imported MLflow: the comparison forks the worker, which logs;
    # the comparison's own process never imports MLflow
    script = ("import json, sys; from riskmodels.comparison import compare\n"
              f"cmp = compare(json.loads({json.dumps(json.dumps(CONFIG))}), progress=False, output_dir=sys.argv[1])\n"
              "print(json.dumps([cmp.run_id, cmp.results['logistic'].run_id, 'mlflow' in sys.modules]))")
    env = {**os.environ, "MLFLOW_TRACKING_URI": outside}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "outside")], env=env,
                          capture_output=True, text=True, check=True)
    run_id, logistic_id, imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert not imported and run_id and logistic_id
    try:
        # this process has imported MLflow: the comparison logs in process; and draws every
        # figure in process, where the fresh Python drew them in forked processes
        monkeypatch.setenv("MLFLOW_TRACKING_URI", inside)
        monkeypatch.setattr(painter, "can_fork", lambda: False)
        here = compare(CONFIG, progress=False, output_dir=tmp_path / "inside")
        a, b = logged(inside, here.run_id), logged(outside, run_id)
    finally:
        mlflow.set_tracking_uri(None)
    assert a == b
    assert set(a) == {"parent", "logistic", "grid", "broken"} and a["broken"]["status"] == "FAILED"
    assert a["logistic"]["models"] == 1 and "specification/fitted.json" in a["logistic"]["files"]
    figures = {run: sorted(f for f in a[run]["files"] if f.endswith(".png")) for run in ("logistic", "grid")}
    assert figures["grid"] == ["figures/calibration.png", "figures/calibration_curve.png", "figures/cap.png",
                               "figures/grades.png", "figures/psi.png", "figures/roc.png",
                               "specification/figures/grid.png"]
    assert len(figures["logistic"]) == 6 + len(json.loads(a["logistic"]["params"]["selected_features"]))
    assert a["parent"]["params"]["n_train"] == str(len(here.train))
    assert MlflowClient(outside).get_run(logistic_id).info.run_name == "logistic"


def test_dataset_schemas_are_mlflows_own_inference_on_the_whole_frame():
    frame = make_portfolio(n_firms=300, n_years=3, random_state=1).firm_years
    n = len(frame)
    odd = frame.assign(
        counts=pd.Series([i % 7 if i != n - 4 else None for i in range(n)], dtype=object),
        late_gap=pd.Series(np.where(np.arange(n) == n - 1, np.nan, 1.0)),
        boxed=pd.array([pd.NA if i == n - 2 else i for i in range(n)], dtype="Int64"),
        level=pd.Categorical(np.where(np.arange(n) == n - 3, None, "x")),
        text=pd.Series(["a"] * (n - 1) + [None], dtype=object),
        code=pd.Series([f"c{i}" for i in range(n)], dtype=object),  # distinct texts: their type decides
    )
    listed = frame.assign(  # lists are typed by their contents: a later list of texts is no list of numbers
        seen=pd.Series([[1.0, 2.0]] * (n - 1) + [["x"]], dtype=object))
    for part in (listed, frame, odd):
        rows = schema_rows(part)
        if part is not listed:  # the point: MLflow reads a few rows (a firm id, a code: their first row)
            assert len(rows) <= 8
        whole = mlflow.data.from_pandas(part).schema
        assert mlflow.data.from_pandas(part.iloc[rows]).schema == whole
        assert (whole is None) == (part is listed)  # MLflow refuses a column of mixed list types
    assert {c.name: c.required for c in whole.inputs if c.name in ("counts", "late_gap", "text")} == {
        "counts": False, "late_gap": False, "text": False}


def test_a_failure_in_the_worker_is_answered_with_its_traceback():
    requests_r, requests_w = os.pipe()
    answers_r, answers_w = os.pipe()

    def broken_store(samples):
        raise OSError(f"the store folder went away ({samples})")

    codes = []
    serving = threading.Thread(target=lambda: codes.append(
        serve(requests_r, answers_w, contextlib.nullcontext, broken_store)))
    serving.start()
    send_message(requests_w, {"begin": "/samples"})
    send_message(requests_w, {"model": "/nowhere"})
    send_message(requests_w, {"close": "/nowhere"})
    answer = receive_message(answers_r)
    serving.join()
    assert codes == [1] and "the store folder went away (/samples)" in answer["error"]
    for fd in (requests_r, requests_w, answers_r, answers_w):
        os.close(fd)


def test_a_comparison_that_stops_after_the_fits_leaves_its_parent_run_failed(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    # the document cannot be written: the models' runs are already logged by the worker
    script = ("import json, sys; import riskmodels.comparison.runner as runner\n"
              "def refuse(*args): raise OSError('disk full')\n"
              "runner._write_report = refuse\n"
              "try:\n"
              f"    runner.compare(json.loads({json.dumps(json.dumps(CONFIG))}), progress=False, output_dir=sys.argv[1])\n"
              "except OSError as exc: print(json.dumps([str(exc), 'mlflow' in sys.modules]))")
    assert fresh_python(script, tmp_path, uri) == ["disk full", False]
    client = MlflowClient(uri)
    runs = {r.info.run_name: r.info.status for r in client.search_runs(
        [client.get_experiment_by_name("riskmodels").experiment_id])}
    assert runs == {"taiwan_worker": "FAILED", "logistic": "FINISHED", "grid": "FINISHED", "broken": "FAILED"}


def test_a_comparison_stopped_by_its_data_leaves_the_store_untouched(tmp_path):
    # the worker is forked before the data are read; a data error ends it before it opens the store
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    bad = {**CONFIG, "data": {"source": str(tmp_path / "missing.csv"), "target": "y"}}
    script = ("import json, sys; from riskmodels.comparison import compare\n"
              "from riskmodels.errors import RiskModelsError\n"
              "try:\n"
              f"    compare(json.loads({json.dumps(json.dumps(bad))}), progress=False, output_dir=sys.argv[1])\n"
              "except RiskModelsError as exc: print(json.dumps([type(exc).__name__, 'mlflow' in sys.modules]))")
    name, imported = fresh_python(script, tmp_path, uri)
    assert name.endswith("Error") and not imported
    assert not (tmp_path / "mlflow.db").exists()


def test_the_comparison_imports_no_heavy_library_before_it_forks_its_worker():
    # compare forks its MLflow worker at once; what the comparison package imports before that is
    # time the worker's own imports (MLflow, ~2 s) cannot overlap
    script = ("import sys; import riskmodels.comparison\n"
              "print(sorted(m for m in ('sklearn', 'scipy', 'statsmodels', 'matplotlib', 'mlflow') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_samples_pickle_cannot_pass_are_logged_in_process(tmp_path):
    # a column of functions (a user's frame) cannot reach the worker: the comparison logs at the end itself
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    script = ("import json, sys; import riskmodels.comparison.runner as runner\n"
              "load = runner.load_frames\n"
              "def with_functions(*args, **kwargs):\n"
              "    frame, rejects = load(*args, **kwargs)\n"
              "    return frame.assign(rule=[lambda x: x] * len(frame)), rejects\n"
              "runner.load_frames = with_functions\n"
              f"cmp = runner.compare(json.loads({json.dumps(json.dumps(CONFIG))}), progress=False, output_dir=sys.argv[1])\n"
              "print(json.dumps([cmp.run_id, 'mlflow' in sys.modules]))")
    run_id, imported = fresh_python(script, tmp_path, uri)
    assert imported and run_id  # logged, by the comparison's own process
    assert MlflowClient(uri).get_run(run_id).info.status == "FINISHED"
