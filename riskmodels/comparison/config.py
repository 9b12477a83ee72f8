"""Experiment configuration: what to compare, on which data, split and scale.

A config is a YAML file read with ``yaml.safe_load`` and validated here
(pydantic). Every problem is reported as a :class:`~riskmodels.errors.ConfigError`
naming the key, before any fitting. The project ships its experiments
(the top-level ``experiments/*.yaml``, carried by the wheel): :func:`load_config` takes either a path or
the name of a shipped experiment (``"synthetic_enterprise"``); a path that exists
always wins.

Examples
--------
>>> cfg = ExperimentConfig.model_validate({
...     "name": "demo", "data": {"source": "taiwan"},
...     "models": [{"name": "logit", "type": "logistic"}]})
>>> cfg.split.method, cfg.master_scale, cfg.models[0].type
('stratified', 'enterprise10', 'logistic')
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from riskmodels.errors import ConfigError
from riskmodels.shipped import shipped_dir

MODEL_TYPES = ("expert", "logistic", "kmv", "crosstab")
BUNDLED_SOURCES = ("synthetic", "taiwan", "german", "south_german", "polish")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$"  # file and run names: no folders, no dots


def _identifier(value: str) -> str:
    if not re.fullmatch(NAME_PATTERN, value):
        raise ValueError(f"{value!r} is not a name: use up to 64 letters, digits, '_' or '-' "
                         "(it names files and runs, so no '/', '..' or absolute paths)")
    return value


class DataConfig(_Strict):
    """Where the data comes from.

    ``source``: a bundled set, ``synthetic`` (``params`` go to ``make_portfolio``),
    ``file`` (``path`` to a CSV/Parquet file with a ``target`` column) or ``spark``
    (a Parquet ``path`` or a ``table`` read through the active SparkSession, or a
    local one; see :func:`riskmodels.spark.source.read_source`).
    ``truth_column``: the true PD where it is known (synthetic data): shown as a
    reference row, never given to a model.
    ``sample``: keep this many rows (stratified, seeded) — for quick runs and tests.
    """

    source: Literal["synthetic", "taiwan", "german", "south_german", "polish", "file", "spark"]
    path: str | None = None
    table: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    target: str = "target"
    id_columns: list[str] = Field(default_factory=list)
    truth_column: str | None = None
    sample: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _file_needs_path(self):
        if self.source == "file" and not self.path:
            raise ValueError("source 'file' needs 'path'")
        if self.source == "spark" and (self.path is None) == (self.table is None):
            raise ValueError("source 'spark' needs exactly one of 'path' (Parquet) and 'table'")
        if self.table is not None and self.source != "spark":
            raise ValueError("'table' is for source 'spark'")
        return self


class SplitConfig(_Strict):
    """Train/test split: ``stratified`` (by target, seeded) or ``time`` (test = rows with
    ``time_column`` >= ``test_from``)."""

    method: Literal["stratified", "time"] = "stratified"
    test_size: float = Field(default=0.3, gt=0, lt=1)
    time_column: str | None = None
    test_from: float | int | str | None = None
    random_state: int = 42

    @model_validator(mode="after")
    def _time_needs_column(self):
        if self.method == "time" and (self.time_column is None or self.test_from is None):
            raise ValueError("a time split needs 'time_column' and 'test_from'")
        return self


class ModelConfig(_Strict):
    """One model: its ``type``, the ``features`` it reads (default: every column the
    model type knows how to use) and constructor ``params``."""

    name: str
    type: str
    features: list[str] | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    _name = field_validator("name")(classmethod(lambda cls, value: _identifier(value)))

    @field_validator("type")
    @classmethod
    def _known_type(cls, value):
        if value not in MODEL_TYPES:
            raise ValueError(f"unknown model type {value!r}; known: {list(MODEL_TYPES)}")
        return value


class CalibrationConfig(_Strict):
    """Optional recalibration of every model's PD after fitting: ``central_tendency``
    shifts the logit so the mean PD on the training sample equals ``target_pd``
    (default: the training default rate)."""

    method: Literal["none", "central_tendency"] = "none"
    target_pd: float | None = Field(default=None, gt=0, lt=1)


class TrackingConfig(_Strict):
    """MLflow: ``uri`` (default: ``MLFLOW_TRACKING_URI`` or ``sqlite:///mlflow.db``),
    experiment name, whether to register each bundle in the model registry."""

    enabled: bool = True
    uri: str | None = None
    experiment: str = "riskmodels"
    register_models: bool = True


class ExperimentConfig(_Strict):
    """A whole comparison."""

    name: str
    description: str = ""
    data: DataConfig
    split: SplitConfig = Field(default_factory=SplitConfig)
    models: list[ModelConfig] = Field(min_length=1)
    calibration: CalibrationConfig = Field(default_factory=CalibrationConfig)
    master_scale: str = "enterprise10"
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    output_dir: str = "reports"
    random_state: int = 0

    _name = field_validator("name")(classmethod(lambda cls, value: _identifier(value)))

    @model_validator(mode="after")
    def _unique_names(self):
        names = [m.name for m in self.models]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"model names must be unique, repeated: {dup}")
        return self


def _path_of(loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_config(raw: dict, source: str = "<config>") -> ExperimentConfig:
    """Validate a config dict; a ConfigError names the first bad key and lists all."""
    if not isinstance(raw, dict):
        raise ConfigError("the config must be a mapping of keys", source=source)
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        lines = "; ".join(f"{_path_of(e['loc']) or '<root>'}: {e['msg']}" for e in errors)
        raise ConfigError(lines, path=_path_of(first["loc"]), source=source) from None


def shipped_experiments() -> dict[str, Path]:
    """The experiment configs that ship with the package, by name.

    Examples
    --------
    >>> sorted(shipped_experiments())
    ['german', 'synthetic_enterprise', 'taiwan']
    """
    folder = shipped_dir("experiments")
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def resolve_config(name_or_path) -> Path:
    """The config file meant by ``name_or_path``: an existing path, else a shipped name.

    ``"taiwan"`` and ``"taiwan.yaml"`` name the shipped config unless a file of that
    name exists in the working folder.

    Examples
    --------
    >>> resolve_config("taiwan").name
    'taiwan.yaml'
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = shipped_experiments()
    name = path.name[:-5] if path.name.endswith(".yaml") else path.name
    if path.parent == Path(".") and name in shipped:
        return shipped[name]
    raise ConfigError(f"config file {path} does not exist and is not a shipped experiment "
                      f"(shipped: {', '.join(shipped)}; `riskmodels experiments` lists them)")


def apply_overrides(raw: dict, overrides: dict[str, Any]) -> dict:
    """A copy of ``raw`` with dotted keys set, e.g. ``{"data.params.n_firms": 300}``.

    Examples
    --------
    >>> apply_overrides({"data": {"source": "taiwan"}}, {"data.sample": 500})
    {'data': {'source': 'taiwan', 'sample': 500}}
    """
    out = copy.deepcopy(raw)
    for key, value in overrides.items():
        parts = key.split(".")
        node = out
        for i, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"cannot set {key!r}: {'.'.join(parts[:i + 1])} is not a mapping",
                                  path=key)
            node = child
        node[parts[-1]] = value
    return out


def load_config(path, overrides: dict[str, Any] | None = None) -> ExperimentConfig:
    """Read and validate an experiment YAML file, given by path or by shipped name.

    Relative data paths are resolved against the config file's folder.
    ``overrides`` sets dotted keys before validation (see :func:`apply_overrides`).

    Examples
    --------
    >>> load_config("synthetic_enterprise").data.source
    'synthetic'
    >>> load_config("synthetic_enterprise", {"data.params.n_firms": 300}).data.params["n_firms"]
    300
    """
    path = resolve_config(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", source=str(path)) from None
    if overrides and isinstance(raw, dict):
        raw = apply_overrides(raw, overrides)
    cfg = parse_config(raw, source=str(path))
    if cfg.data.path and not Path(cfg.data.path).is_absolute():
        cfg.data.path = str((path.parent / cfg.data.path).resolve())
    return cfg
