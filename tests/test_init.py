"""Your own data, end to end (issue 30): ``riskmodels init`` -> ``compare`` -> ``monitor``,
the experiment YAML reference page, ``--set`` on one model, paths relative to the config,
the cross-tab's default features, the extras a command needs, ``repr(Comparison)``.

The data file is the shipped South German Credit (Grömping 2019, the corrected Statlog
German credit: 1,000 rows, space-separated, 0/1 column ``credit_risk`` with 700 ones meaning
*good* credit, 300 zeros meaning bad); it is read as a user's file, not through its loader.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import riskmodels as rm
from riskmodels import scoring
from riskmodels.cli import main
from riskmodels.comparison.config import apply_overrides, load_config, parse_config
from riskmodels.comparison.proposal import propose
from riskmodels.comparison.yaml_reference import render
from riskmodels.data.loaders import data_dir
from riskmodels.errors import ConfigError, DataValidationError

ROOT = Path(__file__).resolve().parents[1]
GERMAN = data_dir() / "german_credit" / "SouthGermanCredit.asc"
pytestmark = pytest.mark.xdist_group("mlflow")


@pytest.fixture
def quiet_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")


@pytest.mark.slow
def test_init_compare_monitor_on_the_shipped_german_file(tmp_path, quiet_env, capsys):
    config = tmp_path / "mine" / "german.yaml"
    assert main(["init", str(GERMAN), "--target", "credit_risk", "--default-value", "0", "-o", str(config)]) == 0
    out = capsys.readouterr().out
    assert "separator ' '" in out and "30.00% defaults" in out  # 300 bad of 1,000 (Grömping 2019, codetable)
    assert "not proposed: kmv (the file lacks short_term_debt, long_term_debt, rate, total_assets, industry)" in out
    raw = yaml.safe_load(config.read_text())
    assert raw["data"] == {"source": "file", "path": Path(__import__("os").path.relpath(
        GERMAN, config.parent)).as_posix(), "sep": " ", "target": "credit_risk", "default_values": [0],
        "id_columns": []}
    assert [m["type"] for m in raw["models"]] == ["logistic", "crosstab"]
    assert "credit_risk" not in raw["models"][0]["features"] and len(raw["models"][0]["features"]) == 20
    # the YAML runs as is; its report goes beside it (paths relative to the config file)
    status = main(["compare", str(config), "--quiet", "--set", "tracking.enabled=false"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    table = captured.out
    assert re.search(r"^logistic\s+logistic\s+ok", table, re.M) and re.search(r"^crosstab\s+crosstab\s+ok", table, re.M)
    assert (config.parent / "reports" / "SouthGermanCredit.html").is_file()
    bundle = config.parent / "reports" / "SouthGermanCredit-scorers" / "logistic.json"
    reference = scoring.read_bundle(bundle)["reference"]
    assert reference["n"] == 700  # the training sample (70 %)
    # the card learned bad = 1: in the file, status 1 ("no checking account", codetable.txt) holds
    # 49.3 % bad loans and status 4 (">= 200 DM / salary for at least 1 year") 11.7 %, so the same
    # applicant scores a higher PD with status 1 (it would be lower had "good" been the target)
    scorer = scoring.load_scorer(bundle)
    row = pd.read_csv(GERMAN, sep=" ").iloc[[0, 0]].drop(columns="credit_risk").assign(status=[1, 4])
    pd_status = scorer.score(row)["pd"]
    assert pd_status[0] > pd_status[1]
    # monitor the exported logistic bundle on a sample in the file's own format (space-separated
    # .asc, as init read it): no reference= anywhere
    sample = pd.read_csv(GERMAN, sep=" ").sample(300, random_state=0)
    sample.to_csv(tmp_path / "sample.asc", sep=" ", index=False)
    assert main(["monitor", str(bundle), str(tmp_path / "sample.asc")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "sample.asc"]  # nothing in the cwd


def test_a_target_coded_otherwise_is_recoded_or_refused_with_the_way_out(tmp_path):
    # UCI german.data's convention 1 = good, 2 = bad (german.doc): named with default_values
    frame = pd.read_csv(GERMAN, sep=" ")
    frame["class"] = np.where(frame.pop("credit_risk") == 1, 1, 2)
    frame.to_csv(tmp_path / "loans.csv", index=False)
    with pytest.raises(ConfigError, match=r"--default-value VALUE"):
        propose(tmp_path / "loans.csv", target="class")
    p = propose(tmp_path / "loans.csv", target="class", default_values=[2])
    assert p.default_rate == 0.3
    cfg = parse_config({"name": "x", "data": {"source": "file", "path": str(tmp_path / "loans.csv"),
                                              "target": "class", "default_values": [2]},
                        "models": [{"name": "c", "type": "crosstab"}], "master_scale": "enterprise10"})
    from riskmodels.comparison.dataset import load_dataset

    target = load_dataset(cfg.data)["target"]
    assert target.sum() == 300 and target.dtype == np.int8
    # a typo (no row holds it) is refused, not read as "no defaults anywhere"
    with pytest.raises(ConfigError, match=r"no row of 'class' holds any of \['bad'\]"):
        load_dataset(cfg.data.model_copy(update={"default_values": ["bad"]}))
    # a missing target stays an error naming its row
    frame.loc[7, "class"] = None
    frame.to_csv(tmp_path / "loans.csv", index=False)
    with pytest.raises(DataValidationError, match=r"'class'.*\[7\]"):
        load_dataset(cfg.data)


def test_score_and_monitor_read_the_separators_init_reads(tmp_path):
    """A semicolon file (European spreadsheets) scores to the same bytes as its comma copy."""
    frame = pd.read_csv(GERMAN, sep=" ").sample(300, random_state=0)
    model = rm.LogisticScorecard().fit(frame.drop(columns="credit_risk"), 1 - frame["credit_risk"])
    bundle = model.export(tmp_path / "card.json")
    frame.to_csv(tmp_path / "in.csv", index=False)
    frame.to_csv(tmp_path / "in.txt", sep=";", index=False)
    for name in ("in.csv", "in.txt"):
        assert main(["score", str(bundle), str(tmp_path / name), "-o", str(tmp_path / f"{name}.out.csv"),
                     "--no-progress"]) == 0
    assert (tmp_path / "in.csv.out.csv").read_bytes() == (tmp_path / "in.txt.out.csv").read_bytes()
    assert main(["monitor", str(bundle), str(tmp_path / "in.txt")]) in (0, 1)  # read, judged
    (tmp_path / "in.json").write_text("{}")
    assert main(["score", str(bundle), str(tmp_path / "in.json"), "-o", str(tmp_path / "x.csv")]) == 2


def test_a_chinese_excel_csv_goes_through_init_compare_score_and_monitor(tmp_path, capsys):
    """A CSV as Excel saves it on a Chinese Windows (GBK, Chinese column names and answers) is
    read by every command as pandas wrote it, as its UTF-8 copy is; a workbook or a file in
    neither encoding is one line saying so, the same on every path (it was an "unexpected"
    UnicodeDecodeError in init and compare)."""
    from riskmodels.comparison.dataset import load_dataset

    frame = pd.read_csv(GERMAN, sep=" ").sample(400, random_state=1).rename(
        columns={"status": "账户状态", "duration": "期限", "amount": "金额", "credit_risk": "违约"})
    frame["违约"] = 1 - frame["违约"]
    frame["账户状态"] = frame["账户状态"].map({1: "无账户", 2: "透支", 3: "少于200", 4: "200以上"})
    frame.to_csv(tmp_path / "贷款.csv", index=False, encoding="gbk")
    frame.to_csv(tmp_path / "loans-utf8.csv", index=False, encoding="utf-8-sig")  # Excel's "CSV UTF-8"
    assert (tmp_path / "贷款.csv").read_bytes() != (tmp_path / "loans-utf8.csv").read_bytes()
    config = tmp_path / "贷款.yaml"
    assert main(["init", str(tmp_path / "贷款.csv"), "-o", str(config)]) == 0
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    assert raw["data"]["target"] == "违约" and "账户状态" in raw["models"][0]["features"]
    assert "违约" in config.read_text(encoding="utf-8")  # written as it reads, not as \\u escapes
    for name in ("贷款.csv", "loans-utf8.csv"):
        cfg = parse_config({**raw, "data": {**raw["data"], "path": str(tmp_path / name)}})
        got = load_dataset(cfg.data).reset_index(drop=True)  # the target renamed "target"
        assert got["target"].tolist() == frame["违约"].tolist()
        features = [c for c in frame.columns if c != "违约"]
        pd.testing.assert_frame_equal(got[features], frame[features].reset_index(drop=True), check_dtype=False)
    model = rm.LogisticScorecard(categorical=["账户状态"]).fit(frame.drop(columns="违约"), frame["违约"])
    bundle = model.export(tmp_path / "card.json")
    for name in ("贷款.csv", "loans-utf8.csv"):
        assert main(["score", str(bundle), str(tmp_path / name), "-o", str(tmp_path / f"{name}.out.csv"),
                     "--no-progress"]) == 0
        assert main(["monitor", str(bundle), str(tmp_path / name)]) in (0, 1)  # read, judged
    assert (tmp_path / "贷款.csv.out.csv").read_bytes() == (tmp_path / "loans-utf8.csv.out.csv").read_bytes()
    capsys.readouterr()
    (tmp_path / "loans.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(256)))
    assert main(["init", str(tmp_path / "loans.xlsx")]) == 2
    assert "an Excel workbook: save it as CSV UTF-8" in capsys.readouterr().err
    (tmp_path / "latin.csv").write_bytes("name,default\ncaf\xe9,1\n".encode("latin-1"))  # neither
    for command in (["init", str(tmp_path / "latin.csv")],
                    ["score", str(bundle), str(tmp_path / "latin.csv"), "-o", str(tmp_path / "x.csv")],
                    ["monitor", str(bundle), str(tmp_path / "latin.csv")]):
        assert main(command) == 2
        assert "latin.csv is not UTF-8 text (byte 0xe9 at offset 16)" in capsys.readouterr().err, command


def test_init_proposes_expert_and_kmv_only_when_their_columns_are_there(tmp_path):
    firm_years = rm.make_portfolio(n_firms=300, n_years=3, random_state=0).firm_years
    firm_years.to_csv(tmp_path / "firms.csv", index=False)
    p = propose(tmp_path / "firms.csv", target="default")
    assert [m["type"] for m in p.models] == ["logistic", "crosstab", "expert", "kmv"]
    assert p.not_proposed == {}
    assert p.id_columns == ["firm_id", "year"] and "default" not in p.features
    # without the balance sheet both are named with every column they lack, at once
    firm_years.drop(columns=["short_term_debt", "rate", "roa"]).to_csv(tmp_path / "less.csv", index=False)
    p = propose(tmp_path / "less.csv", target="default")
    assert [m["type"] for m in p.models] == ["logistic", "crosstab"]
    assert p.not_proposed == {"expert": ["roa"], "kmv": ["short_term_debt", "rate"]}


def test_init_finds_target_ids_dates_and_text_columns(tmp_path):
    rng = np.random.default_rng(0)
    n = 500
    pd.DataFrame({"loan_id": [f"L{i:04d}" for i in range(n)], "opened": pd.date_range("2020-01-01", periods=n).astype(str),
                  "income": np.where(rng.random(n) < 0.1, np.nan, rng.normal(50, 10, n)),
                  "grade": rng.choice(["A", "B", "C"], n), "is_default": rng.integers(0, 2, n)}
                 ).to_csv(tmp_path / "loans.csv", sep=";", index=False)
    p = propose(tmp_path / "loans.csv")
    assert (p.sep, p.target, p.id_columns, p.date_columns, p.categorical, p.features) == \
        (";", "is_default", ["loan_id"], ["opened"], ["grade"], ["income", "grade"])
    with pytest.raises(ConfigError, match=r"'income' is not 0/1"):
        propose(tmp_path / "loans.csv", target="income")
    # what init writes runs as is; a text column of 500 dates is no default cross-tab factor
    # (its IV only overfits a 500-level grid axis)
    assert main(["init", str(tmp_path / "loans.csv"), "-o", str(tmp_path / "loans.yaml")]) == 0
    cmp = rm.compare(load_config(tmp_path / "loans.yaml", {"tracking.enabled": False}), progress=False)
    assert not cmp.failed and cmp.results["crosstab"].features == ["income", "grade"]
    pd.DataFrame({"x": [1.0, 2.0]}).to_csv(tmp_path / "none.csv", index=False)
    with pytest.raises(ConfigError, match="no 0/1 column.*--target"):
        propose(tmp_path / "none.csv")


def test_init_refuses_to_overwrite(tmp_path):
    (tmp_path / "experiment.yaml").write_text("mine")
    assert main(["init", str(GERMAN), "--target", "credit_risk", "-o", str(tmp_path / "experiment.yaml")]) == 2
    assert (tmp_path / "experiment.yaml").read_text() == "mine"


def test_experiments_show_prints_a_shipped_config(capsys):
    assert main(["experiments", "show", "taiwan"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["name"] == "taiwan"
    assert main(["experiments", "show", "nope"]) == 2
    assert "no shipped experiment 'nope'" in capsys.readouterr().err


def test_the_yaml_reference_page_is_generated_from_the_config_models():
    page = (ROOT / "docs" / "experiment-yaml.md").read_text(encoding="utf-8")
    assert page == render(), "regenerate: python -m riskmodels.comparison.yaml_reference docs/experiment-yaml.md"
    from riskmodels.comparison.config import ExperimentConfig

    for section in ("data", "split", "calibration", "tracking"):  # every key of every section
        for key in ExperimentConfig.model_fields[section].annotation.model_fields:
            assert f"| `{section}.{key}` |" in page


def test_set_reaches_one_model_by_its_name():
    raw = yaml.safe_load((ROOT / "experiments" / "german.yaml").read_text())
    cfg = parse_config(apply_overrides(raw, {"models.logistic.params.max_features": 5}))
    assert cfg.models[0].params["max_features"] == 5 and cfg.models[1].params == {}
    with pytest.raises(ConfigError, match=r"no model named 'logit' \(models: \['logistic', 'crosstab'\]\)"):
        apply_overrides(raw, {"models.logit.params.x": 1})
    for by_position in ("models[0].params.x", "models.0.params.x"):
        with pytest.raises(ConfigError, match="name the model instead of its position"):
            apply_overrides(raw, {by_position: 1})


def test_crosstab_features_are_named_once():
    base = {"name": "x", "data": {"source": "german"}}
    alias = parse_config({**base, "models": [{"name": "c", "type": "crosstab", "params": {"features": ["a", "b"]}}]})
    assert alias.models[0].features == ["a", "b"] and alias.models[0].params == {}
    with pytest.raises(ConfigError, match="disagree.*alias of features, give the list once"):
        parse_config({**base, "models": [{"name": "c", "type": "crosstab", "features": ["a"],
                                          "params": {"features": ["b"]}}]})


def test_crosstab_default_is_the_two_highest_iv_and_repr_is_the_table(tmp_path, capfd):
    cmp = rm.compare({"name": "g", "data": {"source": "german"},
                      "models": [{"name": "cx", "type": "crosstab"}],
                      "tracking": {"uri": f"sqlite:///{tmp_path / 'm.db'}", "register_models": False}},
                     progress=True, output_dir=tmp_path)
    err = capfd.readouterr().err
    # quiet MLflow from Python as from the CLI: no INFO lines (database set-up, input example)
    assert cmp.run_id and " INFO " not in err and "Downloading artifacts" not in err, err
    # the checking account's status is the strongest Statlog attribute (Hofmann 1994 lists it
    # first); the runner takes the two of highest IV on the training sample, as binned here
    iv = rm.BinningProcess().fit(cmp.train.drop(columns="target"), cmp.train["target"]).iv_
    assert cmp.results["cx"].features == list(iv.sort_values(ascending=False).index[:2])
    assert cmp.results["cx"].features[0] == "checking_status" and cmp.results["cx"].status == "ok"
    assert "the 2 of highest IV" in err
    text = repr(cmp)
    assert text == str(cmp.summary()) and len(text) < 2000 and "cx" in text


def test_kmv_names_every_missing_column_at_once():
    german = rm.load_german()
    with pytest.raises(DataValidationError) as info:
        rm.KMVModel().fit(german.drop(columns="target"), german["target"])
    assert info.value.columns == ["short_term_debt", "long_term_debt", "rate", "total_assets", "industry"]


def test_a_command_without_its_extra_says_which_in_one_line(tmp_path, monkeypatch, capsys):
    model = rm.CrossTabModel().fit({"x": np.tile([0.0, 1.0], 50)}, np.tile([0, 0, 1, 0], 25))
    path = model.export(tmp_path / "b.json")
    monkeypatch.setitem(sys.modules, "sqlglot", None)  # import sqlglot -> ModuleNotFoundError
    assert main(["export-sql", str(path), "--dialect", "sqlite"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs the 'sql' extra" in err and "riskmodels[sql]" in err


def test_the_closing_hint_names_the_mlflow_script_of_this_environment(monkeypatch):
    from riskmodels.cli import mlflow_command

    script = Path(sys.executable).parent / "mlflow"
    assert script.exists()  # the lock installs mlflow beside this interpreter
    monkeypatch.chdir(script.parents[2])
    assert mlflow_command() == str(script.relative_to(script.parents[2]))  # e.g. .venv/bin/mlflow


def test_the_demo_environment_opens_the_notebooks():
    # `make demo` installs every extra from the lock: JupyterLab to open the notebooks, ipywidgets
    # so that tqdm's progress bars render (without it: the "IProgress not found" warning)
    import importlib.util

    assert all(importlib.util.find_spec(m) for m in ("jupyterlab", "ipywidgets", "nbconvert"))
    assert (Path(sys.executable).parent / "jupyter-lab").exists()
    import tomllib

    notebooks = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["notebooks"]
    assert {"jupyterlab", "ipywidgets"} <= {re.split(r"[<>=\[ ]", d)[0] for d in notebooks}
    assert "--all-extras" in (ROOT / "Makefile").read_text()
