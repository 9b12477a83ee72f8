"""Experiment configs: bad configs stop before any fitting, with the key named."""

import pandas as pd
import pytest

from riskmodels.comparison import compare, load_config, parse_config
from riskmodels.comparison.config import DataConfig, SplitConfig
from riskmodels.comparison.dataset import fingerprint, load_dataset, split_frame
from riskmodels.errors import ConfigError

BASE = {"name": "t", "data": {"source": "taiwan", "sample": 1500},
        "models": [{"name": "m", "type": "logistic", "features": ["PAY_0"]}],
        "tracking": {"enabled": False}}


def with_(**changes):
    cfg = {**BASE, **changes}
    return cfg


def test_shipped_configs_are_valid():
    from pathlib import Path

    paths = sorted(Path(__file__).parents[1].joinpath("experiments").glob("*.yaml"))
    assert {p.stem for p in paths} >= {"synthetic_enterprise", "taiwan", "german"}
    for path in paths:
        cfg = load_config(path)
        assert cfg.models and cfg.name


def test_unknown_model_type_names_the_key():
    with pytest.raises(ConfigError) as info:
        parse_config(with_(models=[{"name": "m", "type": "neural"}]))
    assert info.value.path == "models[0].type" and "unknown model type 'neural'" in str(info.value)


def test_unknown_key_is_refused():
    with pytest.raises(ConfigError) as info:
        parse_config(with_(spilt={"method": "time"}))
    assert info.value.path == "spilt"


def test_time_split_needs_column():
    with pytest.raises(ConfigError) as info:
        parse_config(with_(split={"method": "time"}))
    assert info.value.path == "split"


def test_bad_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nmodels: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_missing_data_file_stops_before_fitting(tmp_path, monkeypatch):
    fitted = []
    monkeypatch.setattr("riskmodels.comparison.runner._prepare_models", lambda *a: fitted.append(1))
    cfg = with_(data={"source": "file", "path": str(tmp_path / "missing.csv")})
    with pytest.raises(ConfigError) as info:
        compare(cfg, progress=False)
    assert info.value.path == "data.path" and not fitted


def test_unknown_feature_names_the_model(tmp_path):
    cfg = with_(models=[{"name": "m", "type": "logistic", "features": ["PAY_0", "NOPE"]}])
    with pytest.raises(ConfigError) as info:
        compare(cfg, progress=False, output_dir=tmp_path)
    assert info.value.path == "models[0].features" and "NOPE" in str(info.value)


def test_split_leaving_no_defaults_in_test(tmp_path):
    frame = pd.DataFrame({"x": range(20), "year": [2020] * 10 + [2021] * 10,
                          "target": [0, 1] * 5 + [0] * 10})
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    cfg = with_(data={"source": "file", "path": str(path)},
                split={"method": "time", "time_column": "year", "test_from": 2021},
                models=[{"name": "m", "type": "logistic", "features": ["x"]}])
    with pytest.raises(ConfigError) as info:
        compare(cfg, progress=False, output_dir=tmp_path)
    assert info.value.path == "split" and "test sample has 10 rows and 0 defaults" in str(info.value)


def test_bad_model_params_name_the_key(tmp_path):
    cfg = with_(models=[{"name": "m", "type": "logistic", "params": {"no_such_param": 1}}])
    with pytest.raises(ConfigError) as info:
        compare(cfg, progress=False, output_dir=tmp_path)
    assert info.value.path == "models[0].params"


def test_duplicate_model_names():
    with pytest.raises(ConfigError, match="repeated"):
        parse_config(with_(models=[{"name": "m", "type": "logistic"}, {"name": "m", "type": "kmv"}]))


def test_split_and_fingerprint_are_deterministic():
    frame = load_dataset(DataConfig(source="taiwan", sample=2000), random_state=3)
    again = load_dataset(DataConfig(source="taiwan", sample=2000), random_state=3)
    assert fingerprint(frame) == fingerprint(again)
    a_train, a_test = split_frame(frame, SplitConfig(random_state=5))
    b_train, b_test = split_frame(again, SplitConfig(random_state=5))
    assert fingerprint(a_test) == fingerprint(b_test)
    changed = frame.copy()
    changed.loc[0, "AGE"] += 1
    assert fingerprint(changed) != fingerprint(frame)


def test_missing_truth_column_stops_before_fitting(monkeypatch):
    fitted = []
    monkeypatch.setattr("riskmodels.comparison.runner._prepare_models", lambda *a: fitted.append(1))
    with pytest.raises(ConfigError) as info:
        compare(with_(data={"source": "taiwan", "sample": 1500, "truth_column": "true_pd"}), progress=False)
    assert info.value.path == "data.truth_column" and not fitted
