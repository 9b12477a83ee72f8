"""Comparison input checks (issue 17): names are identifiers, no params for a file source, the
target is 0/1 before the split, duplicate ids refused and duplicate rows warned, destinations
(report folder, MLflow store) checked before fitting, NaN metrics kept out of bundle metadata.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from riskmodels.comparison import compare
from riskmodels.comparison.config import parse_config
from riskmodels.comparison.dataset import DuplicateRowsWarning, check_rows, load_dataset
from riskmodels.errors import ConfigError, DataValidationError

MODELS = [{"name": "ct", "type": "crosstab", "features": ["x1"]}]


def _file(tmp_path, frame: pd.DataFrame):
    frame.to_csv(tmp_path / "rows.csv", index=False)
    return {"source": "file", "path": str(tmp_path / "rows.csv")}


def _frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(2.0 - 1.5 * x))).astype(int)
    return pd.DataFrame({"id": np.arange(n), "x1": x, "x2": rng.normal(size=n), "target": y})


@pytest.mark.parametrize("where, name", [("name", "../../x"), ("name", "/tmp/abs"), ("name", "a/b"),
                                         ("name", ".."), ("models[0].name", "../m"), ("models[0].name", "")])
def test_names_are_identifiers(where, name):
    raw = {"name": "ok", "data": {"source": "taiwan"}, "models": [{"name": "m", "type": "logistic"}]}
    if where == "name":
        raw["name"] = name
    else:
        raw["models"][0]["name"] = name
    with pytest.raises(ConfigError, match="is not a name") as err:
        parse_config(raw)
    assert err.value.path == where


def test_a_file_source_takes_no_params(tmp_path):
    data = {**_file(tmp_path, _frame()), "params": {"n_firms": 10}}
    cfg = parse_config({"name": "f", "data": data, "models": MODELS})
    with pytest.raises(ConfigError, match="data source 'file' takes no params") as err:
        load_dataset(cfg.data)
    assert err.value.path == "data.params"


@pytest.mark.parametrize("bad", [[np.nan], ["yes"], [2]])
def test_a_non_binary_target_is_refused_before_the_split_naming_rows(tmp_path, bad):
    frame = _frame(50)
    frame["target"] = frame["target"].astype(object)
    frame.loc[[7, 30], "target"] = bad * 2
    if bad == ["yes"]:
        frame["target"] = np.where(frame["target"] == 1, "yes", "no")
        frame.loc[[7, 30], "target"] = "maybe"
    cfg = parse_config({"name": "t", "data": _file(tmp_path, frame), "models": MODELS})
    with pytest.raises(DataValidationError) as err:
        load_dataset(cfg.data)
    text = str(err.value)
    assert "column 'target': values other than 0/1" in text
    assert ("in 2 row(s): [7, 30]" in text) or ("in 50 row(s)" in text)  # "yes"/"no" are all bad


def test_repeated_ids_are_refused_and_copied_rows_warned():
    frame = _frame(20)
    frame.loc[5, "id"] = 3
    with pytest.raises(DataValidationError, match=r"column 'id': repeated id in 2 row\(s\): \[3, 5\]"):
        check_rows(frame, ["id"])
    copies = pd.concat([_frame(20), _frame(20).iloc[:4]], ignore_index=True)
    with pytest.warns(DuplicateRowsWarning, match=r"4 row\(s\) repeat an earlier row .* \[20, 21, 22, 23\]"):
        target = check_rows(copies, [])
    assert target.dtype == np.int8 and len(target) == 24  # warned, not dropped


def test_repeated_ids_stop_a_comparison_before_fitting(tmp_path, capsys):
    frame = pd.concat([_frame(300), _frame(300).iloc[:50]], ignore_index=True)
    data = {**_file(tmp_path, frame), "id_columns": ["id"]}
    with pytest.raises(DataValidationError, match="repeated id"):
        compare({"name": "dup", "data": data, "models": MODELS, "tracking": {"enabled": False},
                 "output_dir": str(tmp_path)})
    assert "fitting" not in capsys.readouterr().err


def test_a_dead_tracking_server_is_found_before_fitting(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # the discard port: refused
    with pytest.raises(ConfigError, match="does not answer") as err:
        compare({"name": "dead", "data": _file(tmp_path, _frame()), "models": MODELS,
                 "output_dir": str(tmp_path)})
    assert err.value.path == "tracking.uri" and "\n" not in str(err.value)
    assert "fitting" not in capsys.readouterr().err


def test_a_read_only_report_folder_is_found_before_fitting(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    with pytest.raises(ConfigError, match="cannot be written") as err:
        compare({"name": "ro", "data": _file(tmp_path, _frame()), "models": MODELS,
                 "tracking": {"enabled": False}, "output_dir": str(folder)})
    assert err.value.path == "output_dir" and "fitting" not in capsys.readouterr().err
    store = tmp_path / "ro" / "mlflow.db"
    with pytest.raises(ConfigError, match="the folder of the MLflow store") as err:
        compare({"name": "ro", "data": _file(tmp_path, _frame()), "models": MODELS,
                 "tracking": {"uri": f"sqlite:///{store}"}, "output_dir": str(tmp_path)})
    assert err.value.path == "tracking.uri"


def test_nan_metrics_are_left_out_of_the_bundle_and_the_model_is_kept(tmp_path, monkeypatch):
    """A metric undefined on the sample (NaN, e.g. a Spiegelhalter test or an AUC interval on a
    sample with one default) used to fail the fitted model when its bundle was written."""
    from riskmodels.validation import ValidationReport

    honest = ValidationReport.metrics
    monkeypatch.setattr(ValidationReport, "metrics",
                        lambda self: {**honest(self), "spiegelhalter_p": float("nan")})
    cmp = compare({"name": "nan", "data": _file(tmp_path, _frame()), "models": MODELS,
                   "tracking": {"enabled": False}, "output_dir": str(tmp_path)}, progress=False)
    result = cmp.results["ct"]
    assert result.status == "ok", result.error
    metadata = json.loads(result.bundle_bytes)["metadata"]["metrics"]
    assert "spiegelhalter_p" not in metadata and metadata["auc"] == pytest.approx(result.metrics["auc"])


@pytest.mark.parametrize("calibration", ["none", "central_tendency"])
def test_each_bundle_holds_the_reference_of_its_training_sample(tmp_path, calibration):
    """The reference a bundle carries from the fit (same sample, same scoring) or builds again after a
    recalibration equals :func:`build_reference` run on the training sample with the bundle's own rules."""
    from riskmodels.monitoring.reference import build_reference

    cmp = compare({"name": "refs", "data": {"source": "synthetic", "params": {"n_firms": 400, "n_years": 4},
                                            "target": "default", "id_columns": ["firm_id", "year"]},
                   "split": {"method": "time", "time_column": "year", "test_from": 2021},
                   "calibration": {"method": calibration},
                   "models": [{"name": "expert", "type": "expert", "params": {"spec": "enterprise_five_aspect"}},
                              {"name": "kmv", "type": "kmv",
                               "features": ["equity_value", "equity_vol", "short_term_debt", "long_term_debt",
                                            "rate", "total_assets", "industry"]}],
                   "tracking": {"enabled": False}}, progress=False, output_dir=tmp_path)
    for name, result in cmp.results.items():
        assert result.status == "ok", result.error
        bundle = json.loads(result.bundle_bytes)
        rules = {k: v for k, v in bundle.items() if k not in ("reference", "metadata", "sha256")}
        expected = build_reference(rules, cmp.train[result.features], cmp.train["target"].to_numpy())
        assert json.loads(json.dumps(expected)) == bundle["reference"], name
