"""The comparison: fit every model of a config, calibrate, grade, validate, log.

``compare(config)`` is what ``riskmodels compare CONFIG.yaml`` runs. Problems
with the config or the data stop it **before any fitting** with a ConfigError
naming the key; a model that fails to fit is recorded (and logged) as failed
while the others complete.

Examples
--------
>>> import tempfile
>>> out = tempfile.mkdtemp()  # the report goes here, not into the working folder
>>> cmp = compare({"name": "doc", "data": {"source": "taiwan", "sample": 3000},
...                "models": [{"name": "scorecard", "type": "logistic",
...                            "features": ["PAY_0", "LIMIT_BAL", "AGE"]}],
...                "tracking": {"enabled": False}}, progress=False, output_dir=out)
>>> cmp.table.loc["scorecard", "auc"] > 0.6
True
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from riskmodels import scoring
from riskmodels.comparison.config import ExperimentConfig, load_config, parse_config
from riskmodels.comparison.dataset import fingerprint, load_frames, split_frame
from riskmodels.comparison.painter import Painter
from riskmodels.comparison.specification import Block, specify
from riskmodels.errors import ConfigError
from riskmodels.fileio import write_atomic
from riskmodels.results import Summary

MODEL_CLASSES = {
    "expert": ("riskmodels.models.expert", "ExpertScorecardModel"),
    "logistic": ("riskmodels.models.logistic", "LogisticScorecard"),
    "kmv": ("riskmodels.models.kmv", "KMVModel"),
    "crosstab": ("riskmodels.models.crosstab", "CrossTabModel"),
}
MAX_FACTOR_LEVELS = 20  # a text column of more values is no default cross-tab factor
TABLE_COLUMNS = ["type", "status", "auc", "auc_lower", "auc_upper", "gini", "ks", "brier",
                 "hosmer_lemeshow_p", "grades_rejected", "grades_red", "psi", "herfindahl_index",
                 "mean_pd", "default_rate", "fit_seconds"]


@dataclass
class ModelResult:
    """One model's outcome in a comparison."""

    name: str
    type: str
    features: list[str]
    params: dict
    status: str = "pending"
    error: str = ""
    model: object = None
    fit_seconds: float = float("nan")
    metrics: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)  # name -> PNG bytes
    predictions: pd.DataFrame | None = None
    bundle_bytes: bytes = b""
    report: object = None
    specification: object = None  # riskmodels.comparison.specification.Specification
    run_id: str | None = None


@dataclass
class Comparison:
    """All models of one config on one split: the table, the fitted models, the reports."""

    config: ExperimentConfig
    train: pd.DataFrame
    test: pd.DataFrame
    results: dict
    fingerprints: dict
    scale: object
    table: pd.DataFrame = None
    report_path: Path | None = None
    scorer_paths: dict = field(default_factory=dict)  # model name -> its exported bundle (JSON)
    run_id: str | None = None
    rejects: pd.DataFrame | None = None  # the rejected applicants (data.accept_flag), no target
    provisions: object = None  # riskmodels.comparison.provisions_section.ProvisionsView (config provisions:)

    @property
    def models(self) -> dict:
        """Fitted models by name (failed ones left out)."""
        return {n: r.model for n, r in self.results.items() if r.status == "ok"}

    @property
    def failed(self) -> dict:
        """Error text of each model that failed, by name."""
        return {n: r.error for n, r in self.results.items() if r.status != "ok"}

    def summary(self) -> Summary:
        """The comparison table with the split and the master scale.

        Returns
        -------
        riskmodels.results.Summary
            One row per model (discrimination, calibration, grade tests); ``print`` it,
            or show it in a notebook as HTML.
        """
        cols = [c for c in TABLE_COLUMNS if c in self.table.columns]
        counts = {c: "Int64" for c in ("grades_rejected", "grades_red") if c in cols}
        head = (f"comparison {self.config.name!r}: train {len(self.train)} rows "
                f"({self.train['target'].mean():.2%} defaults), test {len(self.test)} rows "
                f"({self.test['target'].mean():.2%}); master scale {self.config.master_scale}")
        return Summary(head).add_table(self.table[cols].astype(counts), "Models", digits=4)

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __repr__(self) -> str:
        """The side-by-side table (a terminal shows what a notebook shows), not the frames."""
        return str(self.summary())


def _progress(enabled: bool, message: str) -> None:
    if enabled:
        print(f"[riskmodels] {message}", file=sys.stderr, flush=True)


def _model_class(kind: str):
    module, name = MODEL_CLASSES[kind]
    return getattr(importlib.import_module(module), name)


def _prepare_models(cfg: ExperimentConfig, frame: pd.DataFrame) -> list[tuple]:
    """Build every estimator (unfitted) and its feature list; ConfigError on any problem."""
    out = []
    excluded = {"target", *cfg.data.id_columns, *(c for c in (cfg.data.truth_column, cfg.data.weight) if c)}
    for i, m in enumerate(cfg.models):
        if m.features is not None:
            unknown = [f for f in m.features if f not in frame.columns]
            if unknown:
                raise ConfigError(f"features {unknown} are not in the data", path=f"models[{i}].features")
            features = list(m.features)
        else:
            features = [c for c in frame.columns if c not in excluded]
        try:
            estimator = _estimator(m)
        except TypeError as exc:
            raise ConfigError(f"bad parameters for {m.type} model {m.name!r}: {exc}",
                              path=f"models[{i}].params") from None
        cls = type(estimator)
        if cfg.data.weight and "sample_weight" not in inspect.signature(estimator.fit).parameters:
            raise ConfigError(f"{cls.__name__} takes no sample weights (data.weight is {cfg.data.weight!r})",
                              path=f"models[{i}].type")
        out.append((m, features, estimator))
    return out


def _estimator(m):
    """The unfitted estimator of a model entry; a reject inference wraps its ``params.base``."""
    if m.type != "reject_inference":
        return _model_class(m.type)(**m.params)
    from riskmodels.reject import RejectInference

    params = dict(m.params)
    base = _model_class(params.pop("base", "logistic"))(**params.pop("base_params", {}))
    return RejectInference(base, **params)


def _fit(estimator, kind: str, comparison, features: list[str], weights: dict) -> None:
    train = comparison.train
    if kind == "reject_inference":
        estimator.fit(train[features], train["target"], comparison.rejects[features], **weights)
    else:
        estimator.fit(train[features], train["target"], **weights)


def compare(config, *, progress: bool = True, output_dir: str | Path | None = None) -> Comparison:
    """Run a comparison from a config (path, dict or ExperimentConfig)."""
    if isinstance(config, (str, Path)):
        cfg = load_config(config)
    elif isinstance(config, dict):
        cfg = parse_config(config)
    else:
        cfg = config
    check_destinations(cfg, output_dir)
    worker = None
    if cfg.tracking.enabled:  # MLflow's import, then each model's run, in a second process
        from riskmodels.tracking.worker import start_worker

        worker = start_worker(cfg, context=quiet_mlflow)
    try:
        comparison, prepared, provisions = _prepare(cfg, progress)
        if worker is not None and not worker.begin(comparison.train, comparison.test, comparison.fingerprints):
            worker = None  # samples pickle cannot pass: logged in this process at the end
        _fit_all(comparison, prepared, progress, done=worker.log_model if worker is not None else None)
        if provisions is not None:
            from riskmodels.comparison.provisions_section import finish_provisions

            comparison.provisions = finish_provisions(provisions, comparison)
        out_dir = Path(output_dir or cfg.output_dir)
        comparison.report_path = _write_report(comparison, out_dir)
        comparison.scorer_paths = _write_scorers(comparison, out_dir / f"{cfg.name}-scorers")
        if cfg.tracking.enabled:
            _progress(progress, "logging to MLflow")
            if worker is not None:
                comparison.run_id = worker.finish(comparison)
            else:
                from riskmodels.tracking import log_comparison

                with quiet_mlflow():
                    comparison.run_id = log_comparison(comparison)
    finally:
        if worker is not None:
            worker.close()
    return comparison


def _prepare(cfg: ExperimentConfig, progress: bool) -> tuple:
    """The comparison before any fitting (its data, split and fingerprints), the models
    prepared, the provisions' inputs (or None); a ConfigError for what cannot be run."""
    from riskmodels.calibration import MasterScale

    try:
        scale = MasterScale.standard(cfg.master_scale)
    except (KeyError, ValueError) as exc:
        raise ConfigError(str(exc), path="master_scale") from None
    _progress(progress, f"loading data ({cfg.data.source})")
    frame, rejects = load_frames(cfg.data, random_state=cfg.random_state)
    train, test = split_frame(frame, cfg.split)
    prepared = _prepare_models(cfg, frame)
    provisions = None
    if cfg.provisions is not None:  # a bad ledger stops the run before any fitting
        from riskmodels.comparison.provisions_section import prepare_provisions

        provisions = prepare_provisions(cfg, scale, frame)
    if rejects is not None:
        _progress(progress, f"{len(rejects)} rejected rows (data.accept_flag {cfg.data.accept_flag!r}): "
                            "read by reject_inference models only")
    results = {m.name: ModelResult(m.name, m.type, features, dict(m.params)) for m, features, _ in prepared}
    comparison = Comparison(cfg, train, test, results, {"data": fingerprint(frame),
                            "train": fingerprint(train), "test": fingerprint(test)}, scale, rejects=rejects)
    return comparison, prepared, provisions


def _fit_all(comparison: Comparison, prepared: list, progress: bool, done=None) -> None:
    """Fit, calibrate and validate every model (a failure is recorded, the others go on), calling
    ``done(result)`` after each (once its figures are drawn); the table."""
    cfg = comparison.config
    painter = Painter()  # each model's figures are drawn while the next one fits
    try:
        _fit_each(comparison, prepared, progress, painter, done or (lambda result: None))
    finally:
        painter.close()
    comparison.table = _table(comparison)
    if cfg.data.truth_column:
        comparison.table = pd.concat([comparison.table, _truth_row(comparison, cfg.data.truth_column)])


def _fit_each(comparison: Comparison, prepared: list, progress: bool, painter, done) -> None:
    cfg, train, results = comparison.config, comparison.train, comparison.results
    for m, features, estimator in prepared:
        result = results[m.name]
        base = m.params.get("base", "logistic") if m.type == "reject_inference" else m.type
        if base == "crosstab" and m.features is None:
            features[:] = highest_iv(train[features], train["target"], 2, progress=progress, model=m.name)
        _progress(progress, f"fitting {m.name} ({m.type}) on {len(train)} rows")
        start = time.perf_counter()
        try:
            weights = {"sample_weight": train[cfg.data.weight].to_numpy()} if cfg.data.weight else {}
            _fit(estimator, m.type, comparison, features, weights)
            result.fit_seconds = time.perf_counter() - start
            _calibrate(estimator, cfg, train[features], train["target"])
            _evaluate(result, estimator, comparison, features)
            result.model, result.status = estimator, "ok"
            _progress(progress, f"  {m.name}: AUC {result.metrics['auc']:.4f} "
                                f"in {result.fit_seconds:.1f} s")
        except Exception:  # noqa: BLE001 - one model's failure must not stop the others; it is reported
            result.status, result.error = "failed", traceback.format_exc()
            _progress(progress, f"  {m.name} FAILED: {result.error.strip().splitlines()[-1]}")
        for ready in painter.submit(result):
            done(ready)
    for ready in painter.flush():
        done(ready)


def highest_iv(X: pd.DataFrame, y, k: int = 2, *, progress: bool = False, model: str = "") -> list[str]:
    """The ``k`` columns of ``X`` with the highest information value against ``y`` (optimal bins).

    A cross-tab's default features: its grid grows as the product of the factors' bins, so
    it takes the two strongest characteristics rather than every column. Text columns of
    more than ``MAX_FACTOR_LEVELS`` values (ids, dates, free text) are not candidates. The
    choice is printed with the progress lines.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"noise": rng.normal(size=2000), "dpd": rng.integers(0, 90, 2000),
    ...                   "lev": rng.uniform(size=2000)})
    >>> y = (rng.uniform(size=2000) < 0.02 + X["dpd"] / 300 + X["lev"] / 10).astype(int)
    >>> highest_iv(X, y)
    ['dpd', 'lev']
    """
    from riskmodels.binning import BinningProcess

    # text of many values (ids, dates, free text) is no factor of a grid: its IV only overfits
    many = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])
            and X[c].nunique() > MAX_FACTOR_LEVELS]
    candidates = X.drop(columns=many)
    if candidates.shape[1] == 0:
        raise ConfigError(f"no column can be a cross-tab factor (text columns of more than "
                          f"{MAX_FACTOR_LEVELS} values left out: {many}); name them in features",
                          path=f"models.{model}.features" if model else "features")
    iv = BinningProcess().fit(candidates, y).iv_.sort_values(ascending=False, kind="stable")
    chosen = [str(c) for c in iv.index[:k]]
    skipped = f"; text of more than {MAX_FACTOR_LEVELS} values left out: {many}" if many else ""
    _progress(progress, f"{model or 'crosstab'}: features {chosen}, the {k} of highest IV on the "
                        f"training sample ({', '.join(f'{v:.3f}' for v in iv.iloc[:k])}){skipped}")
    return chosen


@contextlib.contextmanager
def quiet_mlflow():
    """MLflow as quiet from Python as from the CLI: warnings only, no download progress bars.

    Sets what ``riskmodels`` sets for its commands (unless the user set it) while the block
    runs, and restores the environment and the loggers' levels afterwards (an mlflow first
    imported here keeps the WARNING level it was configured with, as under the CLI).

    Examples
    --------
    >>> import logging
    >>> with quiet_mlflow():
    ...     logging.getLogger("mlflow").level == logging.WARNING
    True
    """
    import logging

    quiet = {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", "MLFLOW_LOGGING_LEVEL": "WARNING"}
    unset = [k for k in quiet if k not in os.environ]
    for key in unset:
        os.environ[key] = quiet[key]
    import mlflow  # noqa: F401  (configures its loggers on first import: before the levels are set)

    loggers = [logging.getLogger(n) for n in ("mlflow", "alembic")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(max(lg.getEffectiveLevel(), logging.WARNING))
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
        for key in unset:
            os.environ.pop(key, None)


def check_destinations(cfg: ExperimentConfig, output_dir=None, timeout: float = 5.0) -> None:
    """Refuse, before any fitting, a report folder that cannot be written and a tracking store
    that does not answer (a dead ``MLFLOW_TRACKING_URI`` would otherwise show only after the
    models are fitted, behind minutes of retries).

    Parameters
    ----------
    cfg : the experiment config.
    output_dir : the report folder (default: ``cfg.output_dir``); created when missing.
    timeout : seconds to wait for an HTTP tracking server's ``/health``.

    Raises
    ------
    ConfigError
        naming ``output_dir`` or ``tracking.uri``, in one line.

    Examples
    --------
    >>> import tempfile
    >>> cfg = parse_config({"name": "x", "data": {"source": "taiwan"}, "output_dir": tempfile.mkdtemp(),
    ...                     "models": [{"name": "m", "type": "logistic"}],
    ...                     "tracking": {"uri": "http://127.0.0.1:9"}})
    >>> check_destinations(cfg, timeout=2)
    Traceback (most recent call last):
    ...
    riskmodels.errors.ConfigError: at tracking.uri: the MLflow tracking server http://127.0.0.1:9 does not answer (Connection refused); start it, or set tracking.uri / MLFLOW_TRACKING_URI
    """
    _check_folder(Path(output_dir or cfg.output_dir), "output_dir", "the report folder")
    if not cfg.tracking.enabled:
        return
    from riskmodels.tracking.mlflow_log import check_tracking_uri, tracking_uri

    check_tracking_uri(tracking_uri(cfg.tracking.uri), timeout, check_folder=_check_folder)


def _check_folder(folder: Path, key: str, what: str) -> None:
    """Create ``folder`` if needed and prove it writable by creating a file in it."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.stat().st_mode & 0o222:  # marked read-only (root would still write)
            raise PermissionError(13, "it is read-only")
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ConfigError(f"{what} {folder} cannot be written ({exc.strerror or exc})", path=key) from None


def _truth_row(comparison: Comparison, column: str) -> pd.DataFrame:
    """The reference row: how the true PDs themselves score on the test sample."""
    from riskmodels.validation import ValidationReport

    report = ValidationReport(comparison.test["target"].to_numpy(), comparison.test[column].to_numpy(),
                              scale=comparison.scale, reference_pd=comparison.train[column].to_numpy(),
                              name="truth")
    row = {"type": f"truth ({column})", "status": "reference"}
    row.update({k: v for k, v in report.metrics().items() if k in TABLE_COLUMNS})
    return pd.DataFrame([row], index=["truth"])


def _calibrate(estimator, cfg: ExperimentConfig, X, y) -> None:
    if cfg.calibration.method == "none":
        return
    estimator.recalibrate(X, cfg.calibration.target_pd or float(np.mean(y)))


def _evaluate(result: ModelResult, estimator, comparison: Comparison, features: list[str]) -> None:
    from riskmodels.validation import ValidationReport

    scale = comparison.scale
    test, train = comparison.test, comparison.train
    pd_test = estimator.predict_proba(test[features])[:, 1]
    pd_train = estimator.predict_proba(train[features])[:, 1]
    report = ValidationReport(test["target"].to_numpy(), pd_test, scale=scale, reference_pd=pd_train,
                              name=result.name)
    result.report = report
    result.metrics = report.metrics()
    result.tables = report.tables()
    if hasattr(estimator, "grade_table"):  # expert cards: card grade → realised PD → master-scale grade
        result.tables["card_grades"] = estimator.grade_table(test[features], test["target"].to_numpy(), scale)
    if result.type == "reject_inference":
        result.specification = specify(estimator.model_, result.params.get("base", "logistic"),
                                       train[features], train["target"], draw=False)
        add_reject_diagnostics(result.specification, estimator, train[features], train["target"],
                               comparison.rejects[features])
    else:
        result.specification = specify(estimator, result.type, train[features], train["target"],
                                       draw=False)  # the painter draws its figures
    result.predictions = pd.DataFrame({"target": test["target"].to_numpy(), "pd": pd_test,
                                       "grade": scale.grade(pd_test)})
    metadata = {"data_fingerprint": comparison.fingerprints["data"],
                "test_fingerprint": comparison.fingerprints["test"],
                # a metric that is undefined on this sample (NaN: e.g. a CI with one default) is
                # left out: bundle JSON holds finite numbers only, and the model itself is fine
                "metrics": {k: float(v) for k, v in result.metrics.items()
                            if v is not None and np.isfinite(float(v))},
                "experiment": comparison.config.name}
    result.bundle_bytes = scoring.dumps_bundle(_bundle(estimator, result.type, scale, metadata,
                                                       train[features], train["target"]))


def _bundle(estimator, kind: str, scale, metadata: dict, X, y) -> dict:
    """The bundle with the training sample's reference: the one the fit kept on this very sample
    when the model still scores as it did then (:meth:`~riskmodels.models.base.ScorerModel.to_bundle`
    carries it), else built again (recalibrated, weighted, or a reject inference, which fits on
    more than the accepts)."""
    if kind != "reject_inference":
        bundle = estimator.to_bundle(scale, metadata)
        if "reference" in bundle:
            return bundle
    return estimator.to_bundle(scale, metadata, reference=(X, y.to_numpy()))


def add_reject_diagnostics(spec, inference, X_accepted, y_accepted, X_rejected) -> None:
    """Append the diagnostics of a fitted reject inference (on its training accepts and the
    rejects) to its specification: decisions, bad rates by band with the sensitivity columns,
    PSI accepts vs rejects — shown in the report and logged as the child run's tables."""
    from riskmodels.reject import reject_diagnostics

    d = reject_diagnostics(inference, X_accepted, y_accepted, X_rejected)
    spec.notes.append(f"Reject inference ({d.method}, {len(X_accepted)} accepts, {len(X_rejected)} rejects): "
                      f"score PSI accepts vs rejects {d.score_psi:.4f}; the refitted card is the model shown")
    spec.blocks.append(Block("Reject inference: decisions at the same approval rate",
                             pd.DataFrame({"value": d.decisions}), header=False))
    spec.blocks.append(Block("Reject inference: bad rates by score band", d.bands))
    spec.blocks.append(Block("Reject inference: PSI accepts vs rejects", d.characteristic_psi))
    spec.fitted["reject_inference"] = {**inference.record(len(X_accepted), len(X_rejected)),
                                       "score_psi": float(d.score_psi), **d.decisions}


def _table(comparison: Comparison) -> pd.DataFrame:
    rows = {}
    for name, r in comparison.results.items():
        row = {"type": r.type, "status": r.status, "fit_seconds": r.fit_seconds}
        row.update({k: v for k, v in r.metrics.items() if k in TABLE_COLUMNS})
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    return table[[c for c in TABLE_COLUMNS if c in table.columns]]


def _write_scorers(comparison: Comparison, folder: Path) -> dict:
    """Each fitted model's scorer bundle (with its development reference) as ``folder/NAME.json``:
    what ``riskmodels score``, ``monitor`` and ``export-scorer`` read."""
    out = {}
    for name, r in comparison.results.items():
        if r.status == "ok":
            folder.mkdir(parents=True, exist_ok=True)
            out[name] = folder / f"{name}.json"
            write_atomic(out[name], r.bundle_bytes)
    return out


def _write_report(comparison: Comparison, out_dir: Path) -> Path:
    from riskmodels.comparison.report import render_html

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{comparison.config.name}.html"
    write_atomic(path, render_html(comparison))
    return path


