"""Experiment configuration: what to compare, on which data, split and scale.

A config is a YAML file read with the safe loader (:func:`riskmodels.fileio.load_yaml`) and validated here
(pydantic). Every problem is reported as a :class:`~riskmodels.errors.ConfigError`
naming the key, before any fitting. The project ships its experiments
(the top-level ``experiments/*.yaml``, carried by the wheel): :func:`load_config` takes either a path or
the name of a shipped experiment (``"synthetic_enterprise"``); a path that exists
always wins. Paths in a config file (``data.path``, ``output_dir``, a relative
``sqlite:///`` tracking store) are relative to the config file's folder; in a
shipped experiment they are relative to the working folder (the shipped files are
templates: nothing is written beside them). Every key is listed, with its type,
default and meaning, in ``docs/experiment-yaml.md``, generated from these models
(:mod:`riskmodels.comparison.yaml_reference`).

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
from riskmodels.fileio import check_expanded_size, load_yaml
from riskmodels.provisions.config import ExperimentProvisions
from riskmodels.shipped import shipped_dir

MODEL_TYPES = ("expert", "logistic", "kmv", "crosstab", "reject_inference")
REJECT_BASES = ("logistic", "crosstab")  # the model types that fit with sample weights


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
    ``weight``: a column of sample weights (>= 0) passed to every model's
    ``fit(..., sample_weight=...)`` (models without weights are refused); never a feature.
    ``accept_flag``: a column of the historical decision (true/1 = accepted). Rows with it
    false are the rejects: their target may be missing and is never read; every model
    trains and is validated on the accepts, and ``reject_inference`` models also read
    the rejects' features.
    """

    source: Literal["synthetic", "taiwan", "german", "south_german", "polish", "file", "spark"] = Field(
        description="`file` (your CSV/Parquet file at `path`), a bundled set (`taiwan`, `german`, "
                    "`south_german`, `polish`), `synthetic` (the enterprise portfolio generator) or "
                    "`spark` (a Parquet `path` or a `table`, read through Spark)")
    path: str | None = Field(default=None, description="the data file (source `file`, `spark`); "
                             "relative to the config file's folder")
    sep: str = Field(default=",", description="the column separator of a CSV file (source `file`), "
                     "e.g. `\";\"` or `\" \"`")
    table: str | None = Field(default=None, description="a Spark table (source `spark`)")
    params: dict[str, Any] = Field(default_factory=dict, description="parameters of the `synthetic` "
                                   "generator (`n_firms`, `n_years`, ...); other sources take none")
    target: str = Field(default="target", description="the 0/1 default column (1 = default); "
                        "renamed `target` inside the comparison")
    default_values: list[int | str] | None = Field(
        default=None, min_length=1,
        description="the target's values that mean default where the column is not coded 1 = "
                    "default: `[0]` for a flag of good loans (South German credit's `credit_risk`), "
                    "`[2]` for UCI german.data's 1 = good / 2 = bad, `[bad]` for text; every other "
                    "value means no default, a missing value stays an error")
    id_columns: list[str] = Field(default_factory=list, description="columns that identify a row "
                                  "(unique together) and are never a model's feature")
    truth_column: str | None = Field(default=None, description="the true PD where it is known "
                                     "(synthetic data): a reference row, never a feature")
    weight: str | None = Field(default=None, description="a column of sample weights (>= 0) passed to "
                               "every model's `fit(..., sample_weight=...)`; never a feature")
    sample: int | None = Field(default=None, gt=0, description="keep this many rows (stratified "
                               "by target, seeded) for a quick run")
    accept_flag: str | None = Field(default=None, description="a 0/1 (or true/false) column of the "
                                    "historical decision, 1 = accepted: rows with 0 are the rejects "
                                    "(their target may be missing), read only by `reject_inference` "
                                    "models; every model trains and is validated on the accepts; "
                                    "never a feature")

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

    method: Literal["stratified", "time"] = Field(default="stratified", description="`stratified` "
                                                   "(by target, seeded) or `time` (out of time)")
    test_size: float = Field(default=0.3, gt=0, lt=1, description="share of rows in the test "
                             "sample (stratified split)")
    time_column: str | None = Field(default=None, description="the date or year column of a "
                                    "time split")
    test_from: float | int | str | None = Field(default=None, description="rows with "
                                                "`time_column` >= this value are the test sample")
    random_state: int = Field(default=42, description="seed of the stratified split")

    @model_validator(mode="after")
    def _time_needs_column(self):
        if self.method == "time" and (self.time_column is None or self.test_from is None):
            raise ValueError("a time split needs 'time_column' and 'test_from'")
        return self


class ModelConfig(_Strict):
    """One model: its ``type``, the ``features`` it reads (default: every column the
    model type knows how to use; a cross-tab's default is the two characteristics of
    highest information value) and constructor ``params``. For a cross-tab,
    ``params.features`` is an alias of ``features``: give the list once."""

    name: str = Field(description="the model's name in the table, the report, MLflow and "
                      "`--set models.NAME.params.KEY=VALUE`")
    type: str = Field(description="`logistic`, `crosstab`, `expert`, `kmv` or `reject_inference` "
                      "(the columns each reads are listed below)")
    features: list[str] | None = Field(default=None, description="the columns the model "
                                       "reads (default: see the model kinds below)")
    params: dict[str, Any] = Field(default_factory=dict, description="the estimator's "
                                   "constructor parameters (`help(rm.LogisticScorecard)`, ...)")

    _name = field_validator("name")(classmethod(lambda cls, value: _identifier(value)))

    @field_validator("type")
    @classmethod
    def _known_type(cls, value):
        if value not in MODEL_TYPES:
            raise ValueError(f"unknown model type {value!r}; known: {list(MODEL_TYPES)}")
        return value

    @model_validator(mode="after")
    def _features_named_once(self):
        alias = self.params.get("features") if self.type == "crosstab" else None
        if alias is None:
            return self
        if self.features is not None and list(self.features) != list(alias):
            raise ValueError(f"features {self.features} and params.features {alias} disagree: a "
                             "cross-tab's params.features is an alias of features, give the list once")
        self.features = list(alias)
        self.params = {k: v for k, v in self.params.items() if k != "features"}
        return self

    @model_validator(mode="after")
    def _reject_base_known(self):
        if self.type == "reject_inference":
            base = self.params.get("base", "logistic")
            if base not in REJECT_BASES:
                raise ValueError(f"params.base {base!r} of a reject_inference model: use one of "
                                 f"{list(REJECT_BASES)} (the model types that fit with sample weights)")
            if not isinstance(self.params.get("base_params", {}), dict):
                raise ValueError("params.base_params of a reject_inference model must be a mapping")
        return self


class CalibrationConfig(_Strict):
    """Optional recalibration of every model's PD after fitting: ``central_tendency``
    shifts the logit so the mean PD on the training sample equals ``target_pd``
    (default: the training default rate)."""

    method: Literal["none", "central_tendency"] = Field(default="none", description="`none` or "
                                                        "`central_tendency` (a logit shift)")
    target_pd: float | None = Field(default=None, gt=0, lt=1, description="the mean PD after "
                                    "recalibration (default: the training default rate)")


class TrackingConfig(_Strict):
    """MLflow: ``uri`` (default: ``MLFLOW_TRACKING_URI`` or ``sqlite:///mlflow.db``),
    experiment name, whether to register each bundle in the model registry."""

    enabled: bool = Field(default=True, description="log the comparison to MLflow")
    uri: str | None = Field(default=None, description="tracking store (default: "
                            "`MLFLOW_TRACKING_URI`, else `sqlite:///mlflow.db`); a relative "
                            "`sqlite:///` path is relative to the config file's folder")
    experiment: str = Field(default="riskmodels", description="the MLflow experiment")
    register_models: bool = Field(default=True, description="register each scorer bundle in "
                                  "the model registry")


class ExperimentConfig(_Strict):
    """A whole comparison."""

    name: str = Field(description="names the report file and the MLflow run (letters, digits, "
                      "`_`, `-`)")
    description: str = Field(default="", description="free text, shown in the report")
    data: DataConfig = Field(description="where the data comes from")
    split: SplitConfig = Field(default_factory=SplitConfig, description="train/test split")
    models: list[ModelConfig] = Field(min_length=1, description="the models compared, one "
                                      "entry each")
    calibration: CalibrationConfig = Field(default_factory=CalibrationConfig,
                                           description="optional recalibration of every model")
    master_scale: str = Field(default="enterprise10", description="`enterprise10` (AAA..D, "
                              "ten grades: firms and consumer books alike), `bank15` (a bank's "
                              "15 grades) or `agency7` (agency-style AAA..CCC/C, D)")
    tracking: TrackingConfig = Field(default_factory=TrackingConfig, description="MLflow logging")
    output_dir: str = Field(default="reports", description="the HTML report's folder; relative "
                            "to the config file's folder")
    random_state: int = Field(default=0, description="seed of sampling and synthetic data")
    provisions: ExperimentProvisions | None = Field(
        default=None, description="optional: the provision matrix of a receivables ledger and the "
                                  "lifetime PD curves per grade, in the report and MLflow")

    _name = field_validator("name")(classmethod(lambda cls, value: _identifier(value)))

    @model_validator(mode="after")
    def _unique_names(self):
        names = [m.name for m in self.models]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"model names must be unique, repeated: {dup}")
        inferring = [m.name for m in self.models if m.type == "reject_inference"]
        if inferring and self.data.accept_flag is None:
            raise ValueError(f"reject_inference models {inferring} need data.accept_flag (the column "
                             "whose false rows are the rejects)")
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
    check_expanded_size(raw, source)
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
    ['german', 'receivables', 'synthetic_enterprise', 'taiwan']
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

    In the ``models`` list a model is named by its ``name``:
    ``models.logistic.params.max_features=8`` sets one model's parameter.

    Examples
    --------
    >>> apply_overrides({"data": {"source": "taiwan"}}, {"data.sample": 500})
    {'data': {'source': 'taiwan', 'sample': 500}}
    >>> apply_overrides({"models": [{"name": "cx", "type": "crosstab"}]}, {"models.cx.params.min_cell_size": 5})
    {'models': [{'name': 'cx', 'type': 'crosstab', 'params': {'min_cell_size': 5}}]}
    """
    out = copy.deepcopy(raw)
    for key, value in overrides.items():
        if re.search(r"\[\d+\]", key) or re.match(r"models\.\d+(\.|$)", key):
            raise ConfigError(f"cannot set {key!r}: name the model instead of its position, "
                              "e.g. models.NAME.params.KEY", path=key)
        parts = key.split(".")
        node = out
        for i, part in enumerate(parts[:-1]):
            if isinstance(node, list):
                child = _model_named(node, part, key)
            else:
                child = node.setdefault(part, {})
            if not isinstance(child, (dict, list)) or (isinstance(child, list) and part != "models"):
                raise ConfigError(f"cannot set {key!r}: {'.'.join(parts[:i + 1])} is not a mapping",
                                  path=key)
            node = child
        if isinstance(node, list):
            raise ConfigError(f"cannot set {key!r}: name a key inside the model, e.g. "
                              f"models.NAME.params.KEY", path=key)
        node[parts[-1]] = value
    return out


def _model_named(models: list, name: str, key: str) -> dict:
    found = [m for m in models if isinstance(m, dict) and m.get("name") == name]
    if not found:
        names = [m.get("name") for m in models if isinstance(m, dict)]
        raise ConfigError(f"cannot set {key!r}: no model named {name!r} (models: {names})", path=key)
    return found[0]


def load_config(path, overrides: dict[str, Any] | None = None) -> ExperimentConfig:
    """Read and validate an experiment YAML file, given by path or by shipped name.

    Relative paths (``data.path``, ``output_dir``, a ``sqlite:///`` tracking store) are
    resolved against the config file's folder, except in a shipped experiment (a template:
    its output goes to the working folder).
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
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", source=str(path)) from None
    if overrides and isinstance(raw, dict):
        raw = apply_overrides(raw, overrides)
    cfg = parse_config(raw, source=str(path))
    if cfg.data.path and not Path(cfg.data.path).is_absolute():
        cfg.data.path = str((path.parent / cfg.data.path).resolve())
    if cfg.provisions is not None:
        cfg.provisions.resolve_paths(path.parent.resolve())
    if path.resolve().parent != shipped_dir("experiments").resolve():
        folder = path.resolve().parent
        if not Path(cfg.output_dir).is_absolute():
            cfg.output_dir = str(folder / cfg.output_dir)
        uri = cfg.tracking.uri
        if uri and uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
            cfg.tracking.uri = f"sqlite:///{folder / uri.removeprefix('sqlite:///')}"
    return cfg
