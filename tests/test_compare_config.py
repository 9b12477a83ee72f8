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
    from riskmodels.comparison.config import shipped_experiments
    from riskmodels.shipped import shipped_dir

    shipped = shipped_experiments()
    assert set(shipped) >= {"synthetic_enterprise", "taiwan", "german"}
    for name, path in shipped.items():
        assert path.parent == shipped_dir("experiments")
        cfg = load_config(name)
        assert cfg.models and cfg.name == name


def test_a_name_means_a_shipped_config_and_a_path_means_a_path(tmp_path, monkeypatch):
    from riskmodels.comparison.config import resolve_config, shipped_experiments

    monkeypatch.chdir(tmp_path)
    assert resolve_config("taiwan") == shipped_experiments()["taiwan"]
    assert resolve_config("taiwan.yaml") == shipped_experiments()["taiwan"]
    own = tmp_path / "taiwan.yaml"
    own.write_text("name: mine\ndata: {source: german}\nmodels: [{name: m, type: logistic}]\n")
    assert resolve_config("taiwan.yaml") == own.relative_to(tmp_path)  # a file that exists wins
    assert load_config("taiwan.yaml").name == "mine"
    with pytest.raises(ConfigError, match="not a shipped experiment .*synthetic_enterprise"):
        load_config("sub/taiwan.yaml")  # a path with a folder is never a name
    with pytest.raises(ConfigError, match="does not exist"):
        load_config("no_such_experiment")


def test_relative_paths_resolve_against_the_config_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cfg"
    folder.mkdir()
    (folder / "exp.yaml").write_text("name: f\ndata: {source: file, path: rows.csv}\noutput_dir: out\n"
                                     "tracking: {uri: 'sqlite:///runs/m.db'}\n"
                                     "models: [{name: m, type: logistic}]\n")
    monkeypatch.chdir(tmp_path)
    cfg = load_config("cfg/exp.yaml")
    assert (cfg.data.path, cfg.output_dir, cfg.tracking.uri) == (
        str(folder / "rows.csv"), str(folder / "out"), f"sqlite:///{folder / 'runs' / 'm.db'}")
    # a shipped experiment is a template: its output goes to the working folder
    assert load_config("taiwan").output_dir == "reports"


def test_overrides_set_dotted_keys_before_validation():
    from riskmodels.cli import _parse_set

    sets = _parse_set(["data.params={n_firms: 300, n_years: 4}", "split.test_from=2022",
                       "tracking.enabled=false"])
    cfg = load_config("synthetic_enterprise", sets)
    assert cfg.data.params == {"n_firms": 300, "n_years": 4}
    assert cfg.split.test_from == 2022 and cfg.tracking.enabled is False
    with pytest.raises(ConfigError, match="spilt"):
        load_config("synthetic_enterprise", _parse_set(["spilt.method=time"]))
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        _parse_set(["data.sample"])
    with pytest.raises(ConfigError, match="data.source is not a mapping"):
        load_config("taiwan", {"data.source.x": 1})


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


def test_cli_experiments_and_demo(tmp_path, capsys):
    from riskmodels.cli import main

    assert main(["experiments"]) == 0
    out = capsys.readouterr().out
    assert "synthetic_enterprise" in out and "taiwan" in out and "german" in out
    assert main(["demo", "--quiet", "--set", "data.params={n_firms: 300, n_years: 4}",
                 "--set", "tracking.enabled=false", "--output-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "checksums verified" in out and "logistic" in out
    assert (tmp_path / "synthetic_enterprise.html").is_file()
