"""``riskmodels init``: read a data file and propose an experiment config that runs as is.

:func:`propose` reads the file's header and its rows, and proposes the target (a 0/1
column), id and date columns, categorical columns, the models the columns allow
(logistic and cross-tab for any binary target; the expert card and KMV only when
every column they read is there, else the missing columns are named all at once),
a split and a master scale. :func:`render_yaml` writes it as a commented YAML file
that :func:`~riskmodels.comparison.config.load_config` accepts unchanged.

Examples
--------
>>> import tempfile, numpy as np, pandas as pd
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> rng = np.random.default_rng(0)
>>> pd.DataFrame({"loan_id": [f"L{i}" for i in range(400)], "income": rng.normal(50, 10, 400),
...               "region": rng.choice(["n", "s"], 400), "bad": rng.integers(0, 2, 400)}
...              ).to_csv(folder / "loans.csv", index=False)
>>> p = propose(folder / "loans.csv")
>>> p.target, p.id_columns, p.categorical, [m["type"] for m in p.models]
('bad', ['loan_id'], ['region'], ['logistic', 'crosstab'])
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from riskmodels.comparison.config import NAME_PATTERN, load_config
from riskmodels.comparison.dataset import recode_target
from riskmodels.errors import ConfigError, DataValidationError, FileError
from riskmodels.fileio import read_table as read_user_table
from riskmodels.fileio import write_atomic

TARGET_NAMES = re.compile(r"(default|target|bad|class|risk|label|^y$|flag|delinq)", re.I)
ID_NAMES = re.compile(r"(^|_)(id|key|no|number|nr)$|^id|id$", re.I)
YEAR_NAMES = re.compile(r"^(year|yr|period|month|quarter)$|_(year|period)$", re.I)
MAX_CODE_VALUES = 10  # an integer column with at most this many values is read as codes


@dataclass
class Proposal:
    """What :func:`propose` found in a file, and the config it proposes."""

    path: Path
    sep: str
    n_rows: int
    target: str
    default_rate: float
    id_columns: list = field(default_factory=list)
    date_columns: list = field(default_factory=list)
    categorical: list = field(default_factory=list)
    features: list = field(default_factory=list)
    models: list = field(default_factory=list)
    not_proposed: dict = field(default_factory=dict)  # model type -> the columns it lacks
    notes: list = field(default_factory=list)
    default_values: list | None = None  # the target's values meaning default, when not 1


def read_table(path, sep: str | None = None) -> tuple[pd.DataFrame, str]:
    """The file as a frame and its separator (:func:`riskmodels.fileio.read_table`: delimited
    text in UTF-8 or Chinese GB18030, or Parquet), for ``init`` and ``compare`` alike."""
    path = Path(path)
    if not path.is_file():
        raise FileError(f"data file {path} does not exist")
    return read_user_table(path, sep)


def is_binary(column: pd.Series) -> bool:
    """True when the non-missing values are 0 and 1 (both present).

    Examples
    --------
    >>> is_binary(pd.Series([0, 1, 1, None])), is_binary(pd.Series([1, 2]))
    (True, False)
    """
    values = pd.to_numeric(column.dropna(), errors="coerce")
    return bool(len(values)) and not values.isna().any() and set(values.unique()) == {0, 1}


def choose_target(frame: pd.DataFrame, target: str | None, default_values: list | None = None) -> str:
    """The target column: the one named, else the one 0/1 column (a default-like name wins).

    With ``default_values`` the named column may hold any codes (it is recoded); without, it
    must be 0/1."""
    if target is not None:
        if target not in frame.columns:
            raise ConfigError(f"target column {target!r} is not in the file (columns: {list(frame.columns)})",
                              path="--target")
        if default_values is None and not is_binary(frame[target].dropna()):
            shown = sorted(map(repr, frame[target].dropna().unique()[:5]))
            raise ConfigError(f"target column {target!r} is not 0/1 (values {', '.join(shown)}); "
                              "name the value(s) meaning default with --default-value VALUE "
                              "(e.g. --default-value 2 for UCI's 1 = good, 2 = bad)", path="--target")
        return target
    if default_values is not None:
        raise ConfigError("--default-value needs --target COL (the column it recodes)", path="--target")
    binary = [c for c in frame.columns if is_binary(frame[c])]
    named = [c for c in binary if TARGET_NAMES.search(str(c))]
    if len(named) == 1 or (len(binary) == 1):
        return (named or binary)[0]
    if not binary:
        raise ConfigError("no 0/1 column in the file: name the default flag with --target COL "
                          "(1 = default)", path="--target")
    raise ConfigError(f"several 0/1 columns could be the target {binary}: name it with --target COL",
                      path="--target")


def find_id_columns(frame: pd.DataFrame, skip, periods=()) -> list[str]:
    """Columns that identify a row: id-like names (text or integer) or text with one value per
    row; with a period column (``year``, a date) when the ids repeat over periods (a panel).
    ``[]`` when no such set is unique."""
    out = []
    for c in frame.columns:
        column = frame[c]
        if c in skip or column.isna().any():
            continue
        text = not pd.api.types.is_numeric_dtype(column)
        integer = pd.api.types.is_integer_dtype(column)
        named = bool(ID_NAMES.search(str(c))) and (text or integer)
        if named or (text and len(frame) > 20 and column.nunique() == len(frame)):
            out.append(c)
    if not out or not frame.duplicated(subset=out).any():
        return out
    for period in periods:
        if not frame.duplicated(subset=[*out, period]).any():
            return [*out, period]
    return []


def find_date_columns(frame: pd.DataFrame, skip) -> list[str]:
    """Text columns whose values read as dates (in at least 90 % of the non-missing rows), and
    integer columns named as a period (``year``, ``month``, ``*_year``)."""
    out = []
    for c in frame.columns:
        column = frame[c]
        if c in skip or pd.api.types.is_bool_dtype(column):
            continue
        if pd.api.types.is_numeric_dtype(column):
            if pd.api.types.is_integer_dtype(column) and YEAR_NAMES.search(str(c)):
                out.append(c)
            continue
        if pd.api.types.is_datetime64_any_dtype(column):
            out.append(c)
            continue
        values = column.dropna().astype(str).head(500)
        if values.empty or not values.str.contains(r"\d", regex=True).all():
            continue
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        if parsed.notna().mean() >= 0.9:
            out.append(c)
    return out


def find_categorical(frame: pd.DataFrame, features) -> list[str]:
    """Text and boolean columns, and integer columns of at most ``MAX_CODE_VALUES`` codes."""
    out = []
    for c in features:
        column = frame[c]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        if not numeric or (pd.api.types.is_integer_dtype(column) and column.nunique() <= MAX_CODE_VALUES):
            out.append(c)
    return out


def missing_columns(model, frame: pd.DataFrame, y) -> list[str]:
    """The columns ``model`` reads that the frame lacks ([] when it has them all)."""
    try:
        model.fit(frame, y)
    except DataValidationError as exc:
        return [v.column for v in exc.violations if v.column not in frame.columns]
    return []


def propose(path, target: str | None = None, sep: str | None = None,
            default_values: list | None = None) -> Proposal:
    """Read ``path`` and propose a comparison of the models its columns allow.

    Parameters
    ----------
    path : CSV (any of , ; tab | space as separator; gzipped too) or Parquet file, one row per
        loan or firm.
    target : the 0/1 default column (default: the one 0/1 column, a default-like name first).
    sep : the separator (default: sniffed).
    default_values : the target's values meaning default where it is not coded 1 = default
        (``[0]`` for a flag of good loans, ``[2]`` for 1 = good / 2 = bad); written to the
        config as ``data.default_values``.

    Returns
    -------
    Proposal
    """
    from riskmodels.models.expert import ExpertScorecardModel
    from riskmodels.models.kmv import KMVModel

    path = Path(path)
    frame, sep = read_table(path, sep)
    target = choose_target(frame, target, default_values)
    rows = frame[target].notna()
    if not rows.all():
        raise ConfigError(f"target column {target!r} is missing in {int((~rows).sum())} row(s): remove "
                          "those rows first (a comparison needs a 0/1 default flag in every row)",
                          path="--target")
    dates = find_date_columns(frame, {target})
    ids = find_id_columns(frame, {target, *dates}, periods=dates)
    dates = [d for d in dates if d not in ids]
    features = [c for c in frame.columns if c not in {target, *ids, *dates}
                and not ID_NAMES.search(str(c))]  # an id-like name that is no id is no feature either
    categorical = find_categorical(frame, features)
    if default_values is None:
        y = pd.to_numeric(frame[target]).astype(int).to_numpy()
    else:
        y = recode_target(frame[target], default_values, target).astype(int).to_numpy()
    p = Proposal(path, sep, len(frame), target, float(y.mean()), ids, dates, categorical, features,
                 default_values=default_values)
    if p.default_rate > 0.5:
        meaning = "1" if default_values is None else f"one of {default_values}"
        p.notes.append(f"{p.default_rate:.0%} of the rows have {target} = {meaning}: check that it means "
                       "default (for a flag of good loans pass --default-value 0)")
    p.models.append({"name": "logistic", "type": "logistic", "features": features,
                     "params": {"categorical": categorical} if categorical else {}})
    p.models.append({"name": "crosstab", "type": "crosstab"})
    for kind, model in (("expert", ExpertScorecardModel()), ("kmv", KMVModel(pd_map="empirical"))):
        lacking = missing_columns(model, frame.drop(columns=[target]), y)
        if lacking:
            p.not_proposed[kind] = lacking
        else:
            entry = {"name": kind, "type": kind}
            if kind == "kmv":
                entry["params"] = {"pd_map": "empirical"}
            p.models.append(entry)
    return p


def _flow(values) -> str:
    return "[" + ", ".join(_scalar(v) for v in values) + "]"


def _scalar(value) -> str:
    import yaml

    # Chinese (any) column names as they are: the file is UTF-8
    return yaml.safe_dump(value, default_flow_style=True, width=10**6, allow_unicode=True).strip().removesuffix("...").strip()


def _wrapped(key: str, values, indent: int) -> str:
    """``key: [a, b, ...]`` wrapped at 100 characters."""
    pad = " " * indent
    lines, line = [], f"{pad}{key}: ["
    for i, v in enumerate(values):
        item = _scalar(v) + (", " if i < len(values) - 1 else "]")
        if len(line) + len(item) > 100:
            lines.append(line.rstrip())
            line = pad + " " * (len(key) + 3)
        line += item
    if not values:
        line += "]"
    lines.append(line)
    return "\n".join(lines)


def render_yaml(p: Proposal, config_path) -> str:
    """The proposal as a commented experiment YAML; ``data.path`` relative to ``config_path``."""
    config_path = Path(config_path)
    data_path = Path(os.path.relpath(p.path.resolve(), config_path.resolve().parent)).as_posix()
    name = re.sub(r"[^A-Za-z0-9_-]", "_", p.path.stem)[:64] or "experiment"
    if not re.fullmatch(NAME_PATTERN, name):
        name = "experiment"
    out = [
        f"# Written by `riskmodels init {p.path.name}`: a comparison of the models the columns allow.",
        "# Every key is explained in docs/experiment-yaml.md; run it with",
        f"#   riskmodels compare {config_path.name}",
        f"name: {name}",
        f"description: {_scalar(f'{p.path.name}: {p.n_rows} rows, target {p.target}')}",
        "data:",
        "  source: file",
        f"  path: {_scalar(data_path)}  # relative to this file's folder",
    ]
    if p.sep != ",":
        out.append(f"  sep: {_scalar(p.sep)}")
    if p.default_values is None:
        out.append(f"  target: {_scalar(p.target)}  # 1 = default, 0 = no default")
    else:
        out.append(f"  target: {_scalar(p.target)}")
        out.append(f"  default_values: [{', '.join(_scalar(v) for v in p.default_values)}]"
                   "  # these values mean default, every other value no default")
    if p.id_columns:
        out.append(_wrapped("id_columns", p.id_columns, 2) + "  # one row each; never a feature")
    else:
        out.append("  id_columns: []  # no column has one distinct value per row")
    out += ["split:", "  method: stratified  # by target, seeded", "  test_size: 0.3", "  random_state: 42"]
    if p.date_columns:
        out += [f"  # out of time instead: method: time, time_column: {p.date_columns[0]}, test_from: <a date>"]
    out += [
        "# enterprise10 (AAA..D, ten grades) fits firms and consumer books alike; bank15 and agency7",
        "# are the other shipped scales",
        "master_scale: enterprise10",
        "models:",
    ]
    if p.date_columns:
        out.append(f"  # date columns left out of the features: {_flow(p.date_columns)}")
    for m in p.models:
        out.append(f"  - name: {m['name']}")
        out.append(f"    type: {m['type']}")
        if m["type"] == "logistic":
            out.append("    # every column but the target, the ids and the dates; WoE-binned, selected stepwise")
            out.append(_wrapped("features", m["features"], 4))
            if m["params"].get("categorical"):
                out.append("    params:")
                out.append("      # text columns, and integer columns of at most "
                           f"{MAX_CODE_VALUES} codes, binned as categories")
                out.append(_wrapped("categorical", m["params"]["categorical"], 6))
        elif m["type"] == "crosstab":
            out.append("    # no features: the two of highest information value on the training sample")
            out.append("    # (the run names them); or give them: features: [COL_A, COL_B]")
        elif m.get("params"):
            out.append("    params: " + "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in m["params"].items()) + "}")
    for kind, lacking in p.not_proposed.items():
        what = "the expert card (enterprise_five_aspect)" if kind == "expert" else "KMV"
        out.append(f"  # not proposed: {what} reads {len(lacking)} column(s) the file lacks: "
                   + ", ".join(map(str, lacking[:8])) + (", ..." if len(lacking) > 8 else ""))
    out += [
        "tracking:",
        "  experiment: riskmodels",
        "  # uri: sqlite:///mlflow.db  # default: MLFLOW_TRACKING_URI, else sqlite:///mlflow.db in the working folder",
        "output_dir: reports  # relative to this file's folder",
        "",
    ]
    return "\n".join(out)


def write_proposal(path, output, target: str | None = None, overwrite: bool = False,
                   default_values: list | None = None) -> Proposal:
    """Propose a config for the data at ``path`` and write it to ``output`` (checked by loading it)."""
    output = Path(output)
    if output.exists() and not overwrite:
        raise FileError(f"{output} exists: choose another -o or pass --overwrite")
    p = propose(path, target, default_values=default_values)
    text = render_yaml(p, output)
    output.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(output, text)
    load_config(output)  # what init writes is a valid config
    return p
