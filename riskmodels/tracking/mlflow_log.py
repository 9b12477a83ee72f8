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

import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from riskmodels.errors import ParameterError
from riskmodels.tracking.records import (
    RunRecord,
    binning_edit_files,
    closing_record,
    model_record,
    opening_record,
    registered_name,
)

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
    """Log a finished comparison; returns the parent run id (each logged model's ``run_id`` is set)."""
    cfg = comparison.config
    session = TrackingSession(cfg, comparison.train, comparison.test, comparison.fingerprints)
    with tempfile.TemporaryDirectory() as folder:
        session.start(stage(opening_record(cfg, len(comparison.train), len(comparison.test),
                                           comparison.fingerprints), Path(folder)))
        try:
            for result in comparison.results.values():
                _, result.run_id = session.log_model(stage(model_record(result, registered_name(cfg, result)),
                                                           Path(folder)))
            return session.finish(stage(closing_record(comparison), Path(folder)))
        except BaseException:
            session.abandon()
            raise


class TrackingSession:
    """The tracking store of one comparison, opened: the experiment set and tagged, the train
    and test samples made MLflow datasets. Opening it needs only the config and the split, so
    it can be done before the models are fitted (:mod:`riskmodels.tracking.worker`); then the
    parent run is started, each model's run logged as the model is done, the parent finished.
    Each step reads a record :func:`stage` wrote."""

    def __init__(self, config, train, test, fingerprints: dict):
        self.prepare(config)
        import mlflow

        uri = tracking_uri(config.tracking.uri)
        prepare_store(uri)
        mlflow.set_tracking_uri(uri)
        use_experiment(mlflow, config.tracking.experiment, uri)
        # open the experiment on MLflow 3's "Machine learning" (model training) view, not the GenAI one
        mlflow.set_experiment_tag("mlflow.experimentKind", "custom_model_development")
        self.datasets = datasets(mlflow, config.data.source, {"train": train, "test": test}, fingerprints)
        self.parent_id, self.tags = None, {}

    @staticmethod
    def prepare(config) -> None:
        """Import what opening the session and logging its runs will import (1.5-2 s), touching
        no store: a worker does this while the comparison loads its data."""
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        import mlflow  # noqa: F401
        import mlflow.data.pandas_dataset  # noqa: F401
        from mlflow.store.db.db_types import DATABASE_ENGINES

        # a store MLflow keeps in a database through SQLAlchemy: its modules are the costly ones
        if tracking_uri(config.tracking.uri).partition(":")[0].partition("+")[0] in DATABASE_ENGINES:
            import mlflow.store.model_registry.sqlalchemy_store  # noqa: F401
            import mlflow.store.tracking.sqlalchemy_store  # noqa: F401
        if config.tracking.register_models:
            import riskmodels.export.pyfunc  # noqa: F401

    def start(self, folder: Path) -> None:
        """Start the parent run with the opening record (:func:`opening_record`) in ``folder``."""
        import mlflow

        record = RunRecord.read(folder)
        run = mlflow.start_run(run_name=record.name, tags=record.tags)
        self.parent_id, self.tags = run.info.run_id, record.tags
        self._log_run(mlflow, self.parent_id, record, folder)

    def log_model(self, folder: Path) -> tuple[str, str | None]:
        """Log one model's run (:func:`model_record`) under the parent; its name and run id (None
        if the model failed)."""
        import mlflow

        record = RunRecord.read(folder)
        run = mlflow.start_run(run_name=record.name, nested=True, tags={**self.tags, **record.tags})
        try:
            self._log_run(mlflow, run.info.run_id, record, folder)
        finally:
            mlflow.end_run(status="FAILED" if record.failed else "FINISHED")
        return record.name, None if record.failed else run.info.run_id

    def finish(self, folder: Path) -> str:
        """Log the closing record (:func:`closing_record`) and end the parent run; its id."""
        import mlflow

        self._log_run(mlflow, self.parent_id, RunRecord.read(folder), folder)
        mlflow.end_run()
        return self.parent_id

    def abandon(self) -> None:
        """End the runs still open as FAILED (the comparison stopped before it finished)."""
        import mlflow

        while mlflow.active_run() is not None:
            mlflow.end_run(status="FAILED")

    def _log_run(self, mlflow, run_id: str, record: RunRecord, folder: Path) -> None:
        """Inputs, then parameters and metrics in one batch, then every artifact in one call, then
        the scorer as a pyfunc model (after the metrics, which MLflow links to the logged model)."""
        from mlflow.entities import Metric, Param

        for context in record.inputs:
            dataset, dataset_tags = self.datasets[context]
            mlflow.log_input(dataset, context=context, tags=dataset_tags)
        now = int(time.time() * 1000)
        client = mlflow.MlflowClient()
        client.log_batch(run_id, metrics=[Metric(k, v, now, 0) for k, v in record.metrics.items()],
                         params=[Param(k, v) for k, v in record.params.items()])
        if record.files:
            client.log_artifacts(run_id, str(folder / "files"))
        if record.bundle:
            from riskmodels.export import to_mlflow

            to_mlflow(record.bundle, name="scorer", registered_model_name=record.registered_name)


def stage(record: RunRecord, folder: Path) -> Path:
    """Write ``record`` to the next numbered subfolder of ``folder`` (0, 1, ...); that subfolder."""
    target = folder / str(sum(1 for _ in folder.iterdir()))
    target.mkdir()
    record.stage(target)
    return target


def datasets(mlflow, source: str, parts: dict, fingerprints: dict) -> dict:
    """The train and test samples as MLflow datasets (name, fingerprint as digest, rows), by context.

    The schema MLflow records with a dataset is inferred on :func:`schema_rows` of the sample
    (MLflow's own inference looks at every value of every column in Python: 1-2 s on the
    synthetic portfolio); it is the schema of the whole sample.
    """
    import mlflow.data

    out = {}
    for context, key in (("training", "train"), ("testing", "test")):
        part, digest = parts[key], fingerprints[key]
        with warnings.catch_warnings():
            # the schema MLflow infers for the record of a dataset is informational: its hint about
            # integer columns and missing values concerns model signatures, not this
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer", category=UserWarning)
            dataset = mlflow.data.from_pandas(part, targets="target", name=f"{source} ({key})", digest=digest[:32])
            shown = mlflow.data.from_pandas(part.iloc[schema_rows(part)], targets="target")
            dataset.schema = shown.schema  # a cached property: log_input reads this one
        out[context] = (dataset, {"fingerprint": digest, "rows": str(len(part)),
                                  "data_fingerprint": fingerprints["data"]})
    return out


def schema_rows(frame: pd.DataFrame) -> np.ndarray:
    """Positions of the rows from which MLflow infers the schema of all of ``frame``.

    MLflow's column type comes from the dtype, or for an object column from the Python type
    of its values (a list, dict or array by its contents); a column is "required" when no value
    is missing. So the first row, the first missing row of each column, and for object columns
    the first row of each type of value suffice (every row holding a list, dict or array).

    Examples
    --------
    >>> frame = pd.DataFrame({"x": [1.0, 2.0, np.nan, 4.0], "s": ["a", "b", "c", 5]}, dtype=object)
    >>> schema_rows(frame.astype({"x": float})).tolist()
    [0, 2, 3]
    """
    rows = [0] if len(frame) else []
    for name in frame.columns:
        column = frame[name]
        missing = column.isna().to_numpy()
        if missing.any():
            rows.append(int(missing.argmax()))
        if column.dtype.kind == "O":
            rows.extend(_first_of_each_type(column.tolist()))
    return np.unique(np.asarray(rows, dtype=np.int64))


def _first_of_each_type(values: list) -> list:
    first = {}
    for i, value in enumerate(values):
        if isinstance(value, (list, dict, np.ndarray)):  # typed by their contents: keep every row
            return list(range(len(values)))
        first.setdefault(type(value), i)
    return list(first.values())


def log_binning_edits(edits: list, run_id: str | None = None) -> None:
    """Log a binning ledger (:class:`~riskmodels.binning.editor.LedgerEntry` dicts, as a bundle's
    ``metadata["binning_edits"]`` holds them) to the active MLflow run, or to ``run_id``.

    Writes ``binning/edits.json`` and ``binning/edits.html`` and the tag ``binning_edits``
    (the number of edits).
    """
    import mlflow

    if run_id is None and mlflow.active_run() is None:
        raise ParameterError("log_binning_edits needs an active MLflow run or a run_id")
    client = mlflow.MlflowClient()
    run = run_id or mlflow.active_run().info.run_id
    for path, text in binning_edit_files(edits).items():
        client.log_text(run, text, path)
    client.set_tag(run, "binning_edits", str(len(edits)))
