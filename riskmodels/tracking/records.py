"""What a comparison logs to MLflow, as plain run records built without importing MLflow.

One :class:`RunRecord` per MLflow run: its tags, parameters, metrics and artifact files
(path in the run -> text, bytes or a file to copy). The parent run's is built in two parts,
:func:`opening_record` (before any model is fitted) and :func:`closing_record`, each model's
by :func:`model_record`; :meth:`RunRecord.stage` writes a record to a folder
(a ``record.json`` and the artifact tree) and :meth:`RunRecord.read` reads it back, so the
runs can be logged by another process (:mod:`riskmodels.tracking.worker`) with one
``log_batch`` and one ``log_artifacts`` call per run.

Examples
--------
>>> import tempfile
>>> record = RunRecord("m", {"k": "v"}, params={"a": "1"}, metrics={"auc": 0.75},
...                    files={"tables/t.csv": "x,y\\n", "figures/f.png": b"\\x89PNG"})
>>> folder = Path(tempfile.mkdtemp())
>>> record.stage(folder)
>>> back = RunRecord.read(folder)
>>> back == record, sorted(p.name for p in (folder / "files").rglob("*.*"))
(True, ['f.png', 't.csv'])
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from riskmodels.tracking.environment import git_commit, package_versions

MAX_PARAM = 6000  # characters MLflow keeps of a parameter value


@dataclass
class RunRecord:
    """One MLflow run: tags, parameters, metrics, artifact files and what else to log.

    ``inputs`` names the comparison's datasets to log as the run's inputs ("training",
    "testing"); ``bundle`` is a scorer bundle to log as the run's pyfunc model, registered
    as ``registered_name`` when that is set; ``failed`` ends the run FAILED.
    """

    name: str
    tags: dict
    params: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)  # artifact path -> str | bytes | Path (copied)
    inputs: tuple = ()
    bundle: bytes = b""
    registered_name: str | None = None
    failed: bool = False

    def stage(self, folder: Path) -> None:
        """Write the record to ``folder``: ``record.json`` and the artifacts under ``files/``."""
        files = folder / "files"
        for path, content in self.files.items():
            target = files / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copyfile(content, target)
            elif isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        if self.bundle:
            (folder / "bundle.json").write_bytes(self.bundle)
        head = {k: v for k, v in asdict(self).items() if k not in ("files", "bundle")}
        head["files"] = sorted(self.files)
        (folder / "record.json").write_text(json.dumps(head), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> RunRecord:
        """The record :meth:`stage` wrote (artifacts as bytes)."""
        head = json.loads((folder / "record.json").read_text(encoding="utf-8"))
        head["files"] = {p: (folder / "files" / p).read_bytes() for p in head["files"]}
        head["inputs"] = tuple(head["inputs"])
        bundle = folder / "bundle.json"
        head["bundle"] = bundle.read_bytes() if bundle.exists() else b""
        return cls(**head)

    def __eq__(self, other) -> bool:
        """Equal fields, artifacts compared by their bytes (text as UTF-8, a file by its content)."""
        if not isinstance(other, RunRecord):
            return NotImplemented
        mine, theirs = asdict(self), asdict(other)
        mine["files"], theirs["files"] = _file_bytes(self.files), _file_bytes(other.files)
        return mine == theirs


def _file_bytes(files: dict) -> dict:
    return {p: c.read_bytes() if isinstance(c, Path) else c if isinstance(c, bytes) else c.encode("utf-8")
            for p, c in files.items()}


def flat_params(prefix: str, value, out: dict) -> dict:
    """Nested dicts as dotted parameter names; lists as JSON; every value cut to ``MAX_PARAM``.

    Examples
    --------
    >>> flat_params("", {"type": "logistic", "params": {"max_bins": 5}, "features": ["a", "b"]}, {})
    {'type': 'logistic', 'params.max_bins': '5', 'features': '["a", "b"]'}
    """
    if isinstance(value, dict):
        for k, v in value.items():
            flat_params(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        text = json.dumps(value, default=str) if isinstance(value, (list, tuple)) else str(value)
        out[prefix] = text[:MAX_PARAM]
    return out


def json_text(value) -> str:
    """A dict as MLflow's ``log_dict`` writes a ``.json`` artifact (indent 2, the rest as str).

    Examples
    --------
    >>> print(json_text({"a": [1]}))
    {
      "a": [
        1
      ]
    }
    """
    return json.dumps(value, indent=2, default=str)


def binning_edit_files(edits: list) -> dict:
    """The artifacts of a binning ledger: ``binning/edits.json`` and ``binning/edits.html``."""
    from riskmodels.binning.editor import ledger_frame

    rows = [dict(e) for e in edits]
    return {"binning/edits.json": json_text(rows),
            "binning/edits.html": ledger_frame(rows).to_html(index=False)}


def parent_tags(config, fingerprints: dict) -> dict:
    """The comparison's tags: data and test fingerprints, git commit, version, master scale
    (every model's run carries them too)."""
    return {
        "riskmodels.kind": "comparison",
        "data_fingerprint": fingerprints["data"],
        "test_fingerprint": fingerprints["test"],
        "git_commit": git_commit(),
        "riskmodels_version": package_versions()["riskmodels"],
        "master_scale": config.master_scale,
    }


def opening_record(config, n_train: int, n_test: int, fingerprints: dict) -> RunRecord:
    """What the parent run holds before any model is fitted: its tags, the config as
    parameters and files, the package versions, the train and test datasets."""
    config_dict = config.model_dump(mode="json")
    params = flat_params("", {k: v for k, v in config_dict.items() if k != "models"}, {})
    params.update({"models": ",".join(f"{m.name}:{m.type}" for m in config.models),
                   "n_train": str(n_train), "n_test": str(n_test)})
    files = {"config.yaml": yaml.safe_dump(config_dict, sort_keys=False, allow_unicode=True),
             "package_versions.json": json_text(package_versions())}
    return RunRecord(config.name, parent_tags(config, fingerprints), params, files=files,
                     inputs=("training", "testing"))


def closing_record(comparison) -> RunRecord:
    """What the parent run gets once every model is done: the truth's and each model's AUC,
    the comparison table, the model development document."""
    import pandas as pd

    metrics = {}
    if "truth" in comparison.table.index:
        truth = comparison.table.loc["truth"]
        metrics.update({f"truth_{k}": float(truth[k]) for k in ("auc", "gini", "ks", "brier")
                        if k in truth and pd.notna(truth[k])})
    metrics.update({f"{r.name}.auc": float(r.metrics["auc"]) for r in comparison.results.values()
                    if r.status == "ok" and pd.notna(r.metrics.get("auc"))})
    files = {"comparison.csv": comparison.table.to_csv(index=True)}
    if comparison.report_path is not None:
        files[Path(comparison.report_path).name] = Path(comparison.report_path)
    if getattr(comparison, "provisions", None) is not None:
        provision_records(comparison.provisions, files, metrics)
    return RunRecord(comparison.config.name, {}, metrics=metrics, files=files)


def registered_name(config, result) -> str | None:
    """The registry name of a model's scorer, or None when the config registers none."""
    return f"{config.name}.{result.name}" if config.tracking.register_models else None


def provision_records(view, files: dict, metrics: dict) -> None:
    """The config's ``provisions:`` (a ProvisionsView) into the parent run's files and metrics:
    its tables as CSV and HTML under ``provisions/``, the allowance and the last year's
    cumulative PD per grade."""
    import numpy as np

    for name, table in view.tables().items():
        files[f"provisions/{name}.csv"] = table.to_csv()
        files[f"provisions/{name}.html"] = table.to_html(float_format=lambda v: f"{v:.6g}")
    if view.matrix is not None:
        metrics["provisions.allowance"] = float(view.matrix.allowance)
    if view.curves is not None:
        last = view.curves.cumulative.columns[-1]
        metrics.update({f"provisions.cumulative_pd_{last}y.{g}": float(v)
                        for g, v in view.curves.cumulative[last].items() if np.isfinite(v)})


def model_record(result, registered_name: str | None) -> RunRecord:
    """The child run of one model: parameters, metrics, specification, figures, tables,
    test predictions and scorer bundle; a failed model's error. Its tags add to the
    comparison's (:func:`parent_tags`)."""
    tags = {"riskmodels.kind": "model", "model_type": result.type, "status": result.status}
    params = flat_params("", {"type": result.type, "features": result.features, "params": result.params}, {})
    if result.status != "ok":
        return RunRecord(result.name, {**tags, "error": result.error[:5000]}, params,
                         files={"error.txt": result.error}, failed=True)
    selected = result.specification.fitted.get("features", [])
    params.update({"selected_features": json.dumps(selected)[:MAX_PARAM], "n_selected": str(len(selected))})
    metrics = {k: float(v) for k, v in result.metrics.items() if v is not None}
    files = specification_files(result.specification, result.name)
    files.update({f"figures/{name}.png": png for name, png in result.figures.items()})
    for name, table in result.tables.items():
        files[f"tables/{name}.csv"] = table.to_csv(index=True)
        files[f"tables/{name}.html"] = table.to_html()
    files["predictions/test.csv"] = result.predictions.to_csv(index=False)
    files[f"bundle/{result.name}.json"] = result.bundle_bytes.decode("utf-8")
    edits = json.loads(result.bundle_bytes).get("metadata", {}).get("binning_edits")
    if edits:
        files.update(binning_edit_files(edits))
        tags["binning_edits"] = str(len(edits))
    return RunRecord(result.name, tags, params, metrics, files, inputs=("training",),
                     bundle=result.bundle_bytes if registered_name else b"", registered_name=registered_name)


def specification_files(spec, name: str) -> dict:
    """The fitted specification's artifacts: tables as CSV and HTML, one HTML page, the
    fitted JSON, the figures."""
    files = {}
    for key, table in spec.tables().items():
        files[f"specification/{key}.csv"] = table.to_csv(index=True)
        files[f"specification/{key}.html"] = table.to_html(na_rep="–")
    files["specification/specification.html"] = spec.page(name)
    files["specification/fitted.json"] = json_text(spec.fitted)
    files.update({f"specification/figures/{key}.png": png for key, png in spec.figures.items()})
    return files
