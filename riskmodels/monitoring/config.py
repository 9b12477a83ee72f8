"""``riskmodels monitor CONFIG.yaml``: a monitoring period described in a YAML file.

The file is read with the safe loader (:func:`riskmodels.fileio.load_yaml`) and validated with pydantic; an unknown
key (also among the thresholds) is an error naming it. Relative paths are read
against the config file's folder; a registry URI ``models:/NAME/VERSION`` is kept::

    model: scorer.json                  # or models:/enterprise-pd/3
    data: decisions-2026-03.jsonl       # .csv, .parquet or a decision log
    outcomes: outcomes.csv              # optional
    previous: decisions-2026-02.jsonl   # optional, for the migration matrix
    period: 2026-03
    as_of: 2026-06-30                   # optional (default: the outcomes' latest date)
    id_column: id                       # optional (a decision log has ids)
    final_grade_column: final_grade     # optional
    horizon_months: 12
    thresholds: {psi: [0.10, 0.25], multiple_testing: bonferroni}
    output: {folder: reports, json: true, html: true}
    mlflow: {enabled: true, tracking_uri: sqlite:///mlflow.db, experiment: riskmodels-monitoring}
    allowance:                          # optional: the receivables allowance per period
      invoices: invoices.csv            # and its movement (riskmodels.provisions.config)
      payments: payments.csv
      freq: month                       # start (default: 12 months before end), end (as_of)

Examples
--------
>>> cfg = parse_monitor_config({"model": "b.json", "data": "d.csv", "output": {"folder": "out"}}, "/tmp/m")
>>> cfg.model, cfg.data, cfg.output.folder
('/tmp/m/b.json', '/tmp/m/d.csv', '/tmp/m/out')
>>> parse_monitor_config({"model": "b.json", "data": "d.csv", "treshold": {}})
Traceback (most recent call last):
...
riskmodels.errors.ConfigError: <monitor config> at treshold: Extra inputs are not permitted
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from riskmodels.errors import ConfigError
from riskmodels.fileio import check_expanded_size, load_yaml
from riskmodels.monitoring.thresholds import Thresholds
from riskmodels.provisions.config import AllowanceSection


class OutputSection(BaseModel):
    """Where the period's reports go: ``monitoring-<period>.json`` / ``.html`` in ``folder``."""

    model_config = ConfigDict(extra="forbid")
    folder: str | None = None
    json_report: bool = Field(True, alias="json")
    html: bool = True


class MlflowSection(BaseModel):
    """One MLflow run for the period (tags: model name, version, bundle sha256)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    tracking_uri: str | None = None
    experiment: str = "riskmodels-monitoring"


class MonitorConfig(BaseModel):
    """A monitoring period: the model, the period's records and outcomes, thresholds, outputs."""

    model_config = ConfigDict(extra="forbid")
    model: str
    data: str
    outcomes: str | None = None
    previous: str | None = None
    period: str | int | None = None
    as_of: datetime.date | str | None = None
    id_column: str | None = None
    final_grade_column: str | None = None
    horizon_months: int = Field(12, ge=1)
    thresholds: dict = Field(default_factory=dict)
    output: OutputSection = Field(default_factory=OutputSection)
    mlflow: MlflowSection = Field(default_factory=MlflowSection)
    allowance: AllowanceSection | None = None

    def allowance_options(self) -> dict:
        """``ledger`` and ``allowance`` for :func:`~riskmodels.monitoring.monitor` (empty without the section)."""
        if self.allowance is None:
            return {}
        a = self.allowance
        return {"ledger": a.ledger(), "allowance": {"start": a.start, "end": a.end, "freq": a.freq, **a.options()}}

    def report_paths(self, period: str) -> dict:
        """{"json": path, "html": path} of the reports asked for (none without an output folder)."""
        if self.output.folder is None:
            return {}
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", period).strip("_") or "period"
        folder = Path(self.output.folder)
        wanted = {"json": self.output.json_report, "html": self.output.html}
        return {kind: str(folder / f"monitoring-{slug}.{kind}") for kind, on in wanted.items() if on}


def _location(loc) -> str:
    return ".".join(str(part) for part in loc)


def parse_monitor_config(raw, base: str | Path = ".", source: str = "<monitor config>") -> MonitorConfig:
    """Validate a config mapping; relative paths are resolved against ``base`` (the file's folder)."""
    if not isinstance(raw, dict):
        raise ConfigError("the monitor config must be a mapping of keys", source=source)
    check_expanded_size(raw, source)
    try:
        cfg = MonitorConfig.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        text = errors[0]["msg"] + "".join(f"; {_location(e['loc']) or '<root>'}: {e['msg']}" for e in errors[1:])
        raise ConfigError(text, path=_location(errors[0]["loc"]), source=source) from None
    try:
        Thresholds.from_dict(cfg.thresholds)
    except ConfigError as exc:
        raise ConfigError(str(exc), path=f"thresholds.{exc.path}", source=source) from None
    base = Path(base)

    def resolve(value):
        if value is None or value.startswith("models:/") or Path(value).is_absolute():
            return value
        return str(base / value)

    for key in ("model", "data", "outcomes", "previous"):
        setattr(cfg, key, resolve(getattr(cfg, key)))
    cfg.output.folder = resolve(cfg.output.folder)
    if cfg.allowance is not None:
        cfg.allowance.resolve_paths(base)
    return cfg


def load_monitor_config(path) -> MonitorConfig:
    """Read and validate a monitor config YAML file.

    Examples
    --------
    >>> load_monitor_config("/nonexistent/monitor.yaml")
    Traceback (most recent call last):
    ...
    riskmodels.errors.ConfigError: /nonexistent/monitor.yaml: the monitor config file does not exist
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError("the monitor config file does not exist", source=str(path))
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", source=str(path)) from None
    return parse_monitor_config(raw, path.parent, source=str(path))
