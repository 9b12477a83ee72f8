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
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from riskmodels.comparison.config import DataConfig, SplitConfig
from riskmodels.data import loaders
from riskmodels.errors import ConfigError


def load_dataset(cfg: DataConfig, random_state: int = 0) -> pd.DataFrame:
    """The frame a config names, with its target renamed to ``target`` (int8 0/1)."""
    if cfg.source == "synthetic":
        from riskmodels.data.synthetic import make_portfolio

        params = {"random_state": random_state, **cfg.params}
        try:
            frame = make_portfolio(**params).firm_years
        except TypeError as exc:
            raise ConfigError(f"bad synthetic parameter: {exc}", path="data.params") from None
        target = cfg.target if cfg.target != "target" else "default"
    elif cfg.source == "file":
        path = Path(cfg.path)
        if not path.is_file():
            raise ConfigError(f"data file {path} does not exist", path="data.path")
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
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
    frame = frame.rename(columns={target: "target"})
    if cfg.sample is not None and cfg.sample < len(frame):
        frame, _ = train_test_split(frame, train_size=cfg.sample, stratify=frame["target"],
                                    random_state=random_state)
        frame = frame.sort_index()
    return frame.reset_index(drop=True)


def split_frame(frame: pd.DataFrame, cfg: SplitConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test frames; each must hold defaults and non-defaults."""
    if cfg.method == "time":
        if cfg.time_column not in frame.columns:
            raise ConfigError(f"time column {cfg.time_column!r} is not in the data", path="split.time_column")
        is_test = (frame[cfg.time_column] >= cfg.test_from).to_numpy()
        train, test = frame[~is_test], frame[is_test]
    else:
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
