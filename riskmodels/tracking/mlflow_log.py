"""Log a :class:`~riskmodels.comparison.runner.Comparison` to MLflow.

Layout for reviewers: one parent run per comparison (config, data fingerprint,
git commit, package versions, the comparison table, each model's AUC, the train
and test sets as MLflow datasets, and the model development document) and one
nested run per model (parameters with the selected characteristics, metrics,
figures, validation tables, its specification under ``specification/``, the test
predictions and the exported scorer bundle). A model that failed to fit gets a
child run with status FAILED and its error message. The experiment is tagged to
open on MLflow 3's model-training view.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from riskmodels.errors import ParameterError
from riskmodels.tracking.environment import git_commit, package_versions

DEFAULT_URI = "sqlite:///mlflow.db"


def tracking_uri(configured: str | None = None) -> str:
    """The config's URI, else ``MLFLOW_TRACKING_URI``, else the embedded ``sqlite:///mlflow.db``."""
    return configured or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_URI


def check_tracking_uri(uri: str, timeout: float = 5.0, check_folder=None) -> None:
    """Refuse, before any work, a tracking store that cannot be used: an HTTP server that does
    not answer ``/health`` within ``timeout`` seconds (MLflow would retry for minutes), and —
    with ``check_folder(folder, key, what)`` — a store folder that cannot be written.

    Raises
    ------
    ConfigError
        naming ``tracking.uri``, in one line.

    Examples
    --------
    >>> check_tracking_uri("http://127.0.0.1:9", timeout=2)
    Traceback (most recent call last):
    ...
    riskmodels.errors.ConfigError: at tracking.uri: the MLflow tracking server http://127.0.0.1:9 does not answer (Connection refused); start it, or set tracking.uri / MLFLOW_TRACKING_URI
    """
    from riskmodels.errors import ConfigError

    scheme, _, rest = uri.partition(":")
    if scheme in ("http", "https"):
        import urllib.error
        import urllib.request

        try:
            urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout).close()
        except urllib.error.HTTPError:
            pass  # the server answered (a proxy may not route /health): it is there
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            text = getattr(reason, "strerror", None) or str(reason)
            raise ConfigError(f"the MLflow tracking server {uri} does not answer ({text}); start it, "
                              "or set tracking.uri / MLFLOW_TRACKING_URI", path="tracking.uri") from None
    elif check_folder is None:
        return
    elif scheme == "sqlite":
        database = Path(rest.removeprefix("///")) if rest.startswith("///") else None
        if database is not None:
            check_folder(database.parent, "tracking.uri", f"the folder of the MLflow store {uri}")
    elif scheme == "file" or ":" not in uri or len(scheme) == 1:  # file:, a plain or a C:\ path
        check_folder(Path(rest.removeprefix("//") if scheme == "file" else uri), "tracking.uri",
                     f"the MLflow store {uri}")


def prepare_store(uri: str) -> None:
    """Create a fresh sqlite tracking store's tables under a file lock, once.

    MLflow creates and migrates a sqlite store's schema when a process first opens it; two
    processes doing so at once (two ``compare`` runs started together) race the migration
    (``table _alembic_tmp_experiments already exists``) and may leave the store unusable.
    Each process takes ``fcntl.flock`` on ``.NAME.lock`` beside the database, opens the
    tracking and registry stores (the first one creates the tables), then lets go. Other
    URIs need nothing.
    """
    if not uri.startswith("sqlite:///"):
        return
    database = Path(uri[len("sqlite:///"):])
    if str(database) in ("", ":memory:") or not database.parent.is_dir():
        return
    import fcntl

    from mlflow.tracking import MlflowClient

    fd = os.open(database.parent / f".{database.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        client.search_experiments(max_results=1)
        client.search_registered_models(max_results=1)
    finally:
        os.close(fd)


def _flat(prefix: str, value, out: dict) -> dict:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        text = json.dumps(value, default=str) if isinstance(value, (list, tuple)) else str(value)
        out[prefix] = text[:6000]
    return out


def artifact_location(uri: str) -> str | None:
    """Where a new experiment keeps its files: beside an embedded sqlite store (not in
    whatever folder the command ran from); the server's choice otherwise.

    Examples
    --------
    >>> artifact_location("sqlite:////srv/risk/mlflow.db")
    'file:///srv/risk/mlruns'
    >>> artifact_location("http://mlflow.internal:5000") is None
    True
    """
    if not uri.startswith("sqlite:///"):
        return None
    return (Path(uri[len("sqlite:///"):]).resolve().parent / "mlruns").as_uri()


def use_experiment(mlflow, name: str, uri: str) -> None:
    """Make ``name`` the active MLflow experiment, creating it with artifacts beside ``uri``.

    Examples
    --------
    With a stand-in for the ``mlflow`` module (so the example touches no tracking store):

    >>> class Stub:
    ...     made, active = [], None
    ...     def get_experiment_by_name(self, name): return None
    ...     def create_experiment(self, name, artifact_location): self.made.append(name)
    ...     def set_experiment(self, name): self.active = name
    >>> stub = Stub()
    >>> use_experiment(stub, "doc", "sqlite:///doc.db")
    >>> stub.made, stub.active
    (['doc'], 'doc')
    """
    if mlflow.get_experiment_by_name(name) is None:
        mlflow.create_experiment(name, artifact_location=artifact_location(uri))
    mlflow.set_experiment(name)


def log_comparison(comparison) -> str:
    """Log the comparison; returns the parent run id."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import mlflow

    cfg = comparison.config
    uri = tracking_uri(cfg.tracking.uri)
    prepare_store(uri)
    mlflow.set_tracking_uri(uri)
    use_experiment(mlflow, cfg.tracking.experiment, uri)
    # open the experiment on MLflow 3's "Machine learning" (model training) view, not the GenAI one
    mlflow.set_experiment_tag("mlflow.experimentKind", "custom_model_development")
    versions = package_versions()
    tags = {
        "riskmodels.kind": "comparison",
        "data_fingerprint": comparison.fingerprints["data"],
        "test_fingerprint": comparison.fingerprints["test"],
        "git_commit": git_commit(),
        "riskmodels_version": versions["riskmodels"],
        "master_scale": cfg.master_scale,
    }
    datasets = _datasets(mlflow, comparison)
    with mlflow.start_run(run_name=cfg.name, tags=tags) as parent:
        for context, (dataset, dataset_tags) in datasets.items():
            mlflow.log_input(dataset, context=context, tags=dataset_tags)
        config_dict = cfg.model_dump(mode="json")
        mlflow.log_params(_flat("", {k: v for k, v in config_dict.items() if k != "models"}, {}))
        mlflow.log_params({"models": ",".join(f"{m.name}:{m.type}" for m in cfg.models),
                           "n_train": len(comparison.train), "n_test": len(comparison.test)})
        mlflow.log_text(yaml.safe_dump(config_dict, sort_keys=False, allow_unicode=True), "config.yaml")
        mlflow.log_dict(versions, "package_versions.json")
        mlflow.log_text(comparison.table.to_csv(index=True), "comparison.csv")
        if "truth" in comparison.table.index:
            truth = comparison.table.loc["truth"]
            mlflow.log_metrics({f"truth_{k}": float(truth[k]) for k in ("auc", "gini", "ks", "brier")
                                if k in truth and pd.notna(truth[k])})
        mlflow.log_metrics({f"{result.name}.auc": float(result.metrics["auc"])
                            for result in comparison.results.values()
                            if result.status == "ok" and pd.notna(result.metrics.get("auc"))})
        if comparison.report_path is not None:
            mlflow.log_artifact(str(comparison.report_path))
        if getattr(comparison, "provisions", None) is not None:
            _log_provisions(mlflow, comparison.provisions)
        for result in comparison.results.values():
            _log_model(mlflow, result, tags, datasets["training"],
                       f"{cfg.name}.{result.name}" if cfg.tracking.register_models else None)
        parent_id = parent.info.run_id
    return parent_id


def _log_provisions(mlflow, view) -> None:
    """The config's ``provisions:`` (a ProvisionsView): its tables as CSV and HTML under
    ``provisions/``, the allowance and the last year's cumulative PD per grade as metrics."""
    for name, table in view.tables().items():
        mlflow.log_text(table.to_csv(), f"provisions/{name}.csv")
        mlflow.log_text(table.to_html(float_format=lambda v: f"{v:.6g}"), f"provisions/{name}.html")
    if view.matrix is not None:
        mlflow.log_metric("provisions.allowance", float(view.matrix.allowance))
    if view.curves is not None:
        last = view.curves.cumulative.columns[-1]
        mlflow.log_metrics({f"provisions.cumulative_pd_{last}y.{g}": float(v)
                            for g, v in view.curves.cumulative[last].items() if np.isfinite(v)})


def _datasets(mlflow, comparison) -> dict:
    """The train and test samples as MLflow datasets (name, fingerprint as digest, rows), by context."""
    import mlflow.data

    name = comparison.config.data.source
    out = {}
    for context, part, key in (("training", comparison.train, "train"), ("testing", comparison.test, "test")):
        digest = comparison.fingerprints[key]
        with warnings.catch_warnings():
            # the schema MLflow infers for the record of a dataset is informational: its hint about
            # integer columns and missing values concerns model signatures, not this
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer", category=UserWarning)
            dataset = mlflow.data.from_pandas(part, targets="target", name=f"{name} ({key})", digest=digest[:32])
            _ = dataset.schema  # inferred (and cached) here, under this filter, not later in log_input
        out[context] = (dataset, {"fingerprint": digest, "rows": str(len(part)),
                                  "data_fingerprint": comparison.fingerprints["data"]})
    return out


def _log_specification(mlflow, result) -> None:
    """The fitted specification: tables as CSV and HTML, one HTML page, figures, the fitted JSON."""
    spec = result.specification
    for name, table in spec.tables().items():
        mlflow.log_text(table.to_csv(index=True), f"specification/{name}.csv")
        mlflow.log_text(table.to_html(na_rep="–"), f"specification/{name}.html")
    mlflow.log_text(spec.page(result.name), "specification/specification.html")
    mlflow.log_dict(spec.fitted, "specification/fitted.json")
    with tempfile.TemporaryDirectory() as tmp:
        for name, png in spec.figures.items():
            Path(tmp, f"{name}.png").write_bytes(png)
        if spec.figures:
            mlflow.log_artifacts(tmp, "specification/figures")


def log_binning_edits(edits: list, run_id: str | None = None) -> None:
    """Log a binning ledger (:class:`~riskmodels.binning.editor.LedgerEntry` dicts, as a bundle's
    ``metadata["binning_edits"]`` holds them) to the active MLflow run, or to ``run_id``.

    Writes ``binning/edits.json`` and ``binning/edits.html`` and the tag ``binning_edits``
    (the number of edits).
    """
    import mlflow

    from riskmodels.binning.editor import ledger_frame

    if run_id is None and mlflow.active_run() is None:
        raise ParameterError("log_binning_edits needs an active MLflow run or a run_id")
    rows = [dict(e) for e in edits]
    client = mlflow.MlflowClient()
    run = run_id or mlflow.active_run().info.run_id
    client.log_dict(run, rows, "binning/edits.json")
    client.log_text(run, ledger_frame(rows).to_html(index=False), "binning/edits.html")
    client.set_tag(run, "binning_edits", str(len(rows)))


def _log_model(mlflow, result, parent_tags: dict, training, registered_name: str | None) -> None:
    tags = {**parent_tags, "riskmodels.kind": "model", "model_type": result.type,
            "status": result.status}
    run = mlflow.start_run(run_name=result.name, nested=True, tags=tags)
    try:
        mlflow.log_params(_flat("", {"type": result.type, "features": result.features,
                                     "params": result.params}, {}))
        if result.status != "ok":
            mlflow.set_tag("error", result.error[:5000])
            mlflow.log_text(result.error, "error.txt")
            return
        mlflow.log_metrics({k: float(v) for k, v in result.metrics.items() if v is not None})
        selected = result.specification.fitted.get("features", [])
        mlflow.log_params({"selected_features": json.dumps(selected)[:6000], "n_selected": len(selected)})
        mlflow.log_input(training[0], context="training", tags=training[1])
        _log_specification(mlflow, result)
        with tempfile.TemporaryDirectory() as tmp:
            for name, png in result.figures.items():
                Path(tmp, f"{name}.png").write_bytes(png)
            mlflow.log_artifacts(tmp, "figures")
        for name, table in result.tables.items():
            mlflow.log_text(table.to_csv(index=True), f"tables/{name}.csv")
            mlflow.log_text(table.to_html(), f"tables/{name}.html")
        mlflow.log_text(result.predictions.to_csv(index=False), "predictions/test.csv")
        bundle_path = Path("bundle") / f"{result.name}.json"
        mlflow.log_text(result.bundle_bytes.decode("utf-8"), str(bundle_path))
        edits = json.loads(result.bundle_bytes).get("metadata", {}).get("binning_edits")
        if edits:
            log_binning_edits(edits)
        if registered_name:
            from riskmodels.export import to_mlflow

            to_mlflow(result.bundle_bytes, name="scorer", registered_model_name=registered_name)
        result.run_id = run.info.run_id
    finally:
        mlflow.end_run(status="FINISHED" if result.status == "ok" else "FAILED")
