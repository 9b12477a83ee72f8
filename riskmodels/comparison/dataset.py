"""Loading, sampling, splitting and fingerprinting the data of a comparison.

Examples
--------
>>> from riskmodels.comparison.config import DataConfig, SplitConfig
>>> frame = load_dataset(DataConfig(source="taiwan", sample=2000), random_state=0)
>>> train, test = split_frame(frame, SplitConfig(test_size=0.25, random_state=1))
>>> len(train), len(test), round(train["target"].mean(), 2) == round(test["target"].mean(), 2)
(1500, 500, True)
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from riskmodels.comparison.config import DataConfig, SplitConfig
from riskmodels.data import loaders
from riskmodels.data.schema import violation
from riskmodels.errors import ConfigError, DataValidationError
from riskmodels.fileio import read_table


def load_dataset(cfg: DataConfig, random_state: int = 0) -> pd.DataFrame:
    """The frame a config names, with its target renamed to ``target`` (int8 0/1); the accepts
    only when ``data.accept_flag`` is set (see :func:`load_frames`)."""
    return load_frames(cfg, random_state)[0]


def load_frames(cfg: DataConfig, random_state: int = 0) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The accepts (target renamed ``target``, int8 0/1) and the rejects (no target) of a config.

    Without ``data.accept_flag`` every row is an accept and the rejects are None. The flag
    column is dropped from both frames; ``data.sample`` samples the accepts.
    """
    if cfg.source == "synthetic":
        from riskmodels.data.synthetic import make_portfolio

        params = {"random_state": random_state, **cfg.params}
        try:
            frame = make_portfolio(**params).firm_years
        except TypeError as exc:
            raise ConfigError(f"bad synthetic parameter: {exc}", path="data.params") from None
        target = cfg.target if cfg.target != "target" else "default"
    elif cfg.source == "file":
        if cfg.params:
            raise ConfigError(f"data source 'file' takes no params (got {sorted(cfg.params)}); "
                              "the file's columns are used as they are", path="data.params")
        path = Path(cfg.path)
        if not path.is_file():
            raise ConfigError(f"data file {path} does not exist", path="data.path")
        frame, _ = read_table(path, cfg.sep)  # as init read it: encoding, separator, format
        target = cfg.target
    elif cfg.source == "spark":
        from riskmodels.spark.source import read_source

        if cfg.params:
            raise ConfigError("data source 'spark' takes no params", path="data.params")
        frame = read_source(path=cfg.path, table=cfg.table)
        target = cfg.target
    else:
        if cfg.params:
            raise ConfigError(f"data source {cfg.source!r} takes no params", path="data.params")
        loader = {"taiwan": loaders.load_taiwan, "german": loaders.load_german,
                  "south_german": loaders.load_south_german, "polish": loaders.load_polish}[cfg.source]
        frame = loader()
        target = cfg.target
    if target not in frame.columns:
        raise ConfigError(f"target column {target!r} is not in the data (columns: {list(frame.columns)[:12]}...)",
                          path="data.target")
    missing_ids = [c for c in cfg.id_columns if c not in frame.columns]
    if missing_ids:
        raise ConfigError(f"id columns {missing_ids} are not in the data", path="data.id_columns")
    if cfg.truth_column is not None and cfg.truth_column not in frame.columns:
        raise ConfigError(f"truth column {cfg.truth_column!r} is not in the data", path="data.truth_column")
    if cfg.weight is not None and cfg.weight not in frame.columns:
        raise ConfigError(f"weight column {cfg.weight!r} is not in the data", path="data.weight")
    if cfg.accept_flag is not None and cfg.accept_flag not in frame.columns:
        raise ConfigError(f"accept flag column {cfg.accept_flag!r} is not in the data", path="data.accept_flag")
    if cfg.default_values is not None:
        frame[target] = recode_target(frame[target], cfg.default_values, target)
    frame = frame.rename(columns={target: "target"})
    frame, rejects = split_accepts(frame, cfg.accept_flag)
    frame["target"] = check_rows(frame, cfg.id_columns, label=target)
    if cfg.sample is not None and cfg.sample < len(frame):
        # imported where used: `compare` forks its MLflow worker before it
        from sklearn.model_selection import train_test_split

        frame, _ = train_test_split(frame, train_size=cfg.sample, stratify=frame["target"],
                                    random_state=random_state)
        frame = frame.sort_index()
    return frame.reset_index(drop=True), rejects


def recode_target(column: pd.Series, default_values: list, label: str = "target") -> pd.Series:
    """A target coded otherwise (1 = good, 1/2, text) as 1 = default, 0 = no default.

    A value equal to one of ``default_values`` (compared as given and as text, so a YAML ``2``
    matches a CSV's ``"2"``) becomes 1, any other value 0; a missing value stays missing (and is
    refused with its rows by :func:`check_rows`).

    Raises
    ------
    ConfigError
        when no row holds any of ``default_values`` (a typo would make every row a non-default).

    Examples
    --------
    >>> recode_target(pd.Series([1, 2, None, 1]), [2]).tolist()
    [0.0, 1.0, nan, 0.0]
    >>> recode_target(pd.Series(["good", "bad"]), ["bad"]).tolist()
    [0.0, 1.0]
    >>> recode_target(pd.Series([0, 1]), ["Bad"], "credit_risk")
    Traceback (most recent call last):
    ...
    riskmodels.errors.ConfigError: at data.default_values: no row of 'credit_risk' holds any of ['Bad'] (its values: 0, 1)
    """
    texts = {str(v) for v in default_values}
    is_default = column.isin(default_values) | column.astype(str).isin(texts)
    if not is_default.any():
        seen = ", ".join(sorted(map(str, column.dropna().unique()[:10])))
        raise ConfigError(f"no row of {label!r} holds any of {list(default_values)} (its values: {seen})",
                          path="data.default_values")
    return is_default.astype(float).where(column.notna())


def split_accepts(frame: pd.DataFrame, flag: str | None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The accepted rows (flag 1/true) and the rejected ones (flag 0/false, target dropped).

    Raises
    ------
    DataValidationError
        a flag value other than 0/1/true/false (e.g. missing), naming the column and rows.

    Examples
    --------
    >>> f = pd.DataFrame({"x": [1, 2, 3], "ok": [1, 0, 1], "target": [0, None, 1]})
    >>> accepts, rejects = split_accepts(f, "ok")
    >>> accepts.index.tolist(), rejects.columns.tolist()
    ([0, 2], ['x'])
    >>> split_accepts(f.assign(ok=[1, None, 1]), "ok")
    Traceback (most recent call last):
    ...
    riskmodels.errors.DataValidationError: comparison data: 1 data rule(s) broken:
      - column 'ok': accept flag not 0/1 in 1 row(s): [1]; expected 1/true (accepted) or 0/false (rejected) in every row (data.accept_flag)
    """
    if flag is None:
        return frame, None
    values = frame[flag]
    numeric = values if pd.api.types.is_bool_dtype(values) else pd.to_numeric(values, errors="coerce")
    bad = ~numeric.isin([0, 1]).to_numpy()
    if bad.any():
        raise DataValidationError([violation(flag, "accept flag not 0/1", frame.index[bad],
                                             "1/true (accepted) or 0/false (rejected) in every row "
                                             "(data.accept_flag)")], context="comparison data")
    accepted = numeric.astype(bool).to_numpy()
    frame = frame.drop(columns=flag)
    return frame[accepted], frame[~accepted].drop(columns="target").reset_index(drop=True)


def check_rows(frame: pd.DataFrame, id_columns: list, label: str = "target") -> pd.Series:
    """The 0/1 target of a comparison frame, after refusing duplicate ids and a non-binary target.

    Rows that repeat another row in every column are kept with a warning: they could
    be real (two identical firm-years) but straddle the train/test split when copied.

    Parameters
    ----------
    frame : the comparison data with its target column named ``target``.
    id_columns : columns that identify a row (``data.id_columns``); their combination must be unique.
    label : the target's name in the source data (named in the errors).

    Returns
    -------
    pandas.Series of int8 0/1, the target.

    Raises
    ------
    DataValidationError
        a missing or non-0/1 target value (e.g. NaN, "yes"/"no"), or repeated ids, naming
        the column and the first rows.

    Examples
    --------
    >>> check_rows(pd.DataFrame({"id": [1, 2, 2], "target": [0, 1, 0]}), ["id"])
    Traceback (most recent call last):
    ...
    riskmodels.errors.DataValidationError: comparison data: 1 data rule(s) broken:
      - column 'id': repeated id in 2 row(s): [1, 2]; expected one row per id (data.id_columns)
    """
    found = []
    if id_columns:
        repeated = frame.duplicated(subset=id_columns, keep=False).to_numpy()
        if repeated.any():
            found.append(violation(", ".join(id_columns), "repeated id", frame.index[repeated],
                                   "one row per id (data.id_columns)"))
    target = frame["target"]
    numeric = pd.to_numeric(target, errors="coerce") if not pd.api.types.is_bool_dtype(target) else target
    bad = ~numeric.isin([0, 1]).to_numpy()
    if bad.any():
        shown = sorted({repr(v) for v in target[bad].head(20).tolist()})[:5]
        found.append(violation(label, f"values other than 0/1 ({', '.join(shown)})", frame.index[bad],
                               "a 0/1 default flag in every row (missing targets removed first)"))
    if found:
        raise DataValidationError(found, context="comparison data")
    copies = frame.duplicated(keep="first").to_numpy()
    if copies.any():
        rows = [int(r) for r in np.flatnonzero(copies)[:5]]
        warnings.warn(f"comparison data: {int(copies.sum())} row(s) repeat an earlier row in every "
                      f"column (first: {rows}); copies can fall on both sides of the train/test split",
                      DuplicateRowsWarning, stacklevel=3)
    return numeric.astype(np.int8)


class DuplicateRowsWarning(UserWarning):
    """The comparison data holds rows that are exact copies of other rows."""


def split_frame(frame: pd.DataFrame, cfg: SplitConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test frames; each must hold defaults and non-defaults."""
    if cfg.method == "time":
        if cfg.time_column not in frame.columns:
            raise ConfigError(f"time column {cfg.time_column!r} is not in the data", path="split.time_column")
        is_test = (frame[cfg.time_column] >= cfg.test_from).to_numpy()
        train, test = frame[~is_test], frame[is_test]
    else:
        # imported where used: `compare` forks its MLflow worker before it
        from sklearn.model_selection import train_test_split

        train, test = train_test_split(frame, test_size=cfg.test_size, stratify=frame["target"],
                                       random_state=cfg.random_state)
        train, test = train.sort_index(), test.sort_index()
    for label, part in (("train", train), ("test", test)):
        defaults = int(part["target"].sum()) if len(part) else 0
        if defaults == 0 or defaults == len(part):
            raise ConfigError(f"the {label} sample has {len(part)} rows and {defaults} defaults: "
                              "both classes are needed", path="split")
    return train, test


def fingerprint(frame: pd.DataFrame) -> str:
    """sha256 of a frame's column names, dtypes and values (row order matters)."""
    h = hashlib.sha256()
    h.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    h.update(np.ascontiguousarray(pd.util.hash_pandas_object(frame, index=False).to_numpy()).tobytes())
    return h.hexdigest()
