"""Bundles that lie (issue 17): edited and resealed bundles are refused on load by the structural
checks of ``riskmodels.scoring`` (the sha256 only catches accidents), each failure a BundleError
naming the path inside the bundle; size and depth are limited before parsing.

The cases are the ones listed in issue 17 ("Bundles that lie"), applied to small hand-written
bundles of the built-in kinds (the kernel formats documented in riskmodels/scoring.py).
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from riskmodels import scoring
from riskmodels.cli import main
from riskmodels.errors import BundleError

SCALE = {"name": "s", "grades": ["A", "B", "C", "D"], "upper_bounds": [0.02, 0.1, 0.3]}
LOGISTIC = {
    "schema_version": 1, "kind": "logistic", "name": "lg",
    "inputs": [{"name": "util", "type": "number", "min": 0.0, "max": 1.0},
               {"name": "sector", "type": "category", "categories": ["retail", "mining"], "unknown": "allow"}],
    "model": {"intercept": -2.0, "base_points": 500.0, "features": [
        {"name": "util", "binning": {"type": "numeric", "edges": [0.3, 0.7]},
         "woe": [0.5, 0.0, -0.8], "coef": -1.0, "points": [30.0, 20.0, 5.0], "best_points": 30.0},
        {"name": "sector", "binning": {"type": "categorical", "categories": {"retail": 0, "mining": 1},
                                       "unknown_bin": 2},
         "woe": [0.2, -0.4, 0.0], "coef": -1.0, "points": [15.0, 5.0, 10.0], "best_points": 15.0}]},
    "calibration": [], "master_scale": SCALE, "credit_limit": None, "metadata": {"note": "test"}}
CROSSTAB = {
    "schema_version": 1, "kind": "crosstab", "name": "ct",
    "inputs": [{"name": "a", "type": "number"}, {"name": "b", "type": "category", "unknown": "allow"}],
    "model": {"factors": ["a", "b"], "shape": [2, 2], "levels": [[0.05], [0.02, 0.1], [0.01, 0.03, 0.08, 0.12]],
              "bins": [{"type": "numeric", "edges": [1.0]},
                       {"type": "categorical", "categories": {"x": 0, "y": 1}, "unknown_bin": None}]},
    "calibration": [], "master_scale": SCALE}
CALIBRATED = {**LOGISTIC, "calibration": [{"method": "interp", "x": [0.0, 0.5, 1.0], "y": [0.01, 0.2, 0.6]}]}
KMV = {
    "schema_version": 1, "kind": "kmv", "name": "kmv",
    "inputs": [{"name": n, "type": "number"} for n in ("rate", "short_term_debt", "long_term_debt",
                                                         "equity_value", "equity_vol")],
    "model": {"long_term_weight": 0.5, "horizon": 1.0, "drift": None, "tol": 1e-10, "max_iter": 200,
              "pd_map": "normal", "dd_clip": 8.0, "proxy_offset": 0.0, "proxy": None},
    "calibration": [], "master_scale": SCALE}
RECORD = {"util": 0.5, "sector": "retail"}


def _edit(base: dict, change) -> dict:
    """A copy of ``base`` edited by ``change`` and resealed: its sha256 matches."""
    content = copy.deepcopy(base)
    change(content)
    return scoring.seal(content)


def _set(path: str, value):
    def change(content):
        *parents, last = path.split(".")
        node = content
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return change


def _delete(path: str):
    def change(content):
        *parents, last = path.split(".")
        node = content
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[last]
    return change


def test_the_sound_bundles_load_and_score():
    for base in (LOGISTIC, CROSSTAB, CALIBRATED, KMV):
        scorer = scoring.Scorer(scoring.seal(base))
        assert scorer.kind == base["kind"]
    assert scoring.Scorer(scoring.seal(LOGISTIC)).score(RECORD)["grade"] in SCALE["grades"]


# (base, edit, path named in the error, what is wrong) -- every edit is resealed
CASES = [
    (LOGISTIC, _set("model.intercept", "nan"), "model.intercept", "must be a number"),
    (CALIBRATED, _set("calibration.0.y", [0.01, 5.0, 7.0]), "calibration[0].y[1]", "expected a value in [0.0, 1.0]"),
    (CALIBRATED, _set("calibration.0.x", [0.0, 1.0, 0.5]), "calibration[0].x[2]", "increasing"),
    (LOGISTIC, _set("model.features.0.binning.edges", [0.7, 0.3]), "model.features[0].binning.edges[1]",
     "increasing"),
    (LOGISTIC, _set("master_scale", {"grades": ["A"], "upper_bounds": [0.01 * i for i in range(1, 10)]}),
     "master_scale.upper_bounds", "has 9 value(s); expected 0"),
    (LOGISTIC, _set("master_scale.upper_bounds", [0.1, 0.02, 0.3]), "master_scale.upper_bounds[1]", "increasing"),
    (LOGISTIC, _set("master_scale.upper_bounds", [0.02, 0.1, 3.0]), "master_scale.upper_bounds[2]", "[0.0, 1.0]"),
    (LOGISTIC, _set("master_scale.grades", ["A", "B", "B", "D"]), "master_scale.grades", "twice"),
    (LOGISTIC, _delete("model.features"), "model.features", "is missing"),
    (LOGISTIC, _set("inputs.0.min", "0"), "inputs[0].min", "must be a number, not str"),
    (LOGISTIC, _set("inputs.0.min", 2.0), "inputs[0].min", "above max"),
    (LOGISTIC, _set("inputs.1.name", "util"), "inputs[1].name", "listed twice"),
    (LOGISTIC, _set("inputs.0.out_of_range", "ignore"), "inputs[0].out_of_range", "expected one of"),
    (LOGISTIC, _set("model.features.0.name", "income"), "model.features[0].name", "not a bundle input"),
    (LOGISTIC, _set("model.features.0.points", [30.0, 20.0]), "model.features[0].points", "expected 3"),
    (LOGISTIC, _set("model.features.1.binning.categories", {"retail": 0, "mining": 7}),
     "model.features[1].binning.categories.mining", "integer in [0, 2]"),
    (LOGISTIC, _set("model.features.0.coef", True), "model.features[0].coef", "must be a number"),
    (LOGISTIC, _set("metadata.note", "x" * (scoring.MAX_STRING + 1)), "$.metadata.note", "characters"),
    (CROSSTAB, _set("model.levels.2", [0.01, 0.03, 0.08, 1.2]), "model.levels[2][3]", "[0.0, 1.0]"),
    (CROSSTAB, _set("model.levels.2", [0.01, 0.03]), "model.levels[2]", "expected 4"),
    (CROSSTAB, _set("model.shape", [2, 0]), "model.shape[1]", "integer in [1,"),
    (KMV, _set("model.horizon", "1"), "model.horizon", "must be a number"),
    (KMV, _set("model.pd_map", "magic"), "model.pd_map", "expected 'empirical' or 'normal'"),
    (KMV, _set("inputs", [{"name": "rate", "type": "number"}]), "inputs (field 'short_term_debt'", "not a bundle input"),
]


@pytest.mark.parametrize("base, change, path, what", CASES, ids=[c[2] + " " + c[3][:20] for c in CASES])
def test_a_resealed_edit_is_refused_naming_the_path(base, change, path, what):
    bundle = _edit(base, change)
    assert scoring.canonical_bytes(bundle)  # the hash matches: only the structure is wrong
    with pytest.raises(BundleError) as err:
        scoring.load_scorer(scoring.dumps_bundle(bundle))
    text = str(err.value)
    assert text.startswith(f"bundle {path}") and what in text, text


def test_an_expert_bundle_without_calibration_is_refused():
    content = {"schema_version": 1, "kind": "expert", "inputs": [{"name": "x", "type": "number"}],
               "model": {"indicators": [{"name": "x", "kind": "interp", "inputs": ["x"], "aspect": 0,
                                         "x": [0.0, 1.0], "y": [0.0, 100.0], "max_points": 100.0}],
                         "aspects": [{"name": "a", "weight": 1.0}], "lower_bounds": [50.0, 0.0],
                         "max_total": 100.0},
               "calibration": [], "master_scale": SCALE}
    with pytest.raises(BundleError, match=r"^bundle calibration: is empty; a expert model's raw output"):
        scoring.Scorer(scoring.seal(content))


def test_deep_nesting_is_refused_before_parsing():
    deep = b'{"schema_version": 1, "metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(BundleError, match="nested deeper than 32 levels"):
        scoring.read_bundle(deep)
    assert scoring.json_depth(b'{"a": "[[[[[[", "b": [[1]]}') == 3  # brackets in strings do not count


def test_a_bundle_above_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.json"
    with open(path, "wb") as handle:  # a sparse file: the size without the bytes
        handle.truncate(scoring.MAX_BUNDLE_BYTES + 1)
    with pytest.raises(BundleError, match=f"has {scoring.MAX_BUNDLE_BYTES + 1} bytes"):
        scoring.load_scorer(path)
    with pytest.raises(BundleError, match="a bundle has at most"):
        scoring.read_bundle(b" " * (scoring.MAX_BUNDLE_BYTES + 1))


def test_nan_and_infinity_literals_are_refused():
    text = scoring.dumps_bundle(LOGISTIC).replace(b'"intercept": -2.0', b'"intercept": NaN')
    with pytest.raises(BundleError, match="holds NaN; numbers must be finite"):
        scoring.read_bundle(text)
    content = copy.deepcopy(LOGISTIC)
    content["model"]["intercept"] = float("inf")
    with pytest.raises(BundleError, match="finite"):
        scoring.Scorer({**content, "sha256": "0" * 64})


def test_the_cli_refuses_a_resealed_bundle_in_one_line(tmp_path, capsys):
    bundle = tmp_path / "b.json"
    bundle.write_bytes(scoring.dumps_bundle(_edit(CALIBRATED, _set("calibration.0.y", [5.0, 6.0, 7.0]))))
    (tmp_path / "in.csv").write_text("util,sector\n0.5,retail\n")
    assert main(["score", str(bundle), str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv"),
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bundle calibration[0].y[0]" in err
    assert not (tmp_path / "o.csv").exists()


def test_real_scores_are_unchanged_by_the_checks():
    scorer = scoring.Scorer(scoring.seal(LOGISTIC))
    out = scorer.score({"util": [0.1, 0.5, 0.9], "sector": ["retail", "mining", "other"]})
    eta = -2.0 + -1.0 * np.array([0.5, 0.0, -0.8]) + -1.0 * np.array([0.2, -0.4, 0.0])
    np.testing.assert_allclose(out["pd"], 1 / (1 + np.exp(-eta)), rtol=1e-15)
    assert json.loads(scoring.dumps_bundle(LOGISTIC))["sha256"] == scoring.seal(LOGISTIC)["sha256"]


# --------------------------------------------------------------------------- HMAC signatures
def test_a_signed_bundle_loads_only_under_its_key(tmp_path, monkeypatch):
    from riskmodels.export.frames import write_bundle

    monkeypatch.delenv(scoring.KEY_VARIABLE, raising=False)
    path = write_bundle(LOGISTIC, tmp_path / "signed.json", key="k1")
    assert json.loads(path.read_bytes())["signature"]["alg"] == "hmac-sha256"
    assert scoring.load_scorer(path, key="k1").score(RECORD)["grade"] in SCALE["grades"]
    assert scoring.load_scorer(path, key=b"k1").kind == "logistic"
    # no key set: a signed bundle is refused unless the caller asks for it unchecked (issue 33)
    with pytest.raises(BundleError, match="signed, and no key is set"):
        scoring.load_scorer(path)
    assert scoring.load_scorer(path, verify_signature=False).kind == "logistic"  # the sha256 still checked
    with pytest.raises(BundleError, match="signature does not match under the given key"):
        scoring.load_scorer(path, key="k2")
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_bytes(scoring.dumps_bundle(LOGISTIC))
    with pytest.raises(BundleError, match="not signed, and a signing key is set"):
        scoring.load_scorer(unsigned, key="k1")


def test_an_edit_resealed_without_the_key_is_refused(tmp_path):
    signed = json.loads(scoring.dumps_bundle(LOGISTIC, key="k1"))
    forged = dict(signed, name="edited", model={**signed["model"], "intercept": 3.0})
    forged = scoring.seal(forged)  # the attacker can recompute the sha256, not the HMAC
    scoring.verify(forged)
    with pytest.raises(BundleError, match="signature does not match"):
        scoring.read_bundle(scoring.dumps_bundle(forged), key="k1")
    stripped = scoring.seal({k: v for k, v in forged.items() if k != "signature"})
    with pytest.raises(BundleError, match="not signed"):
        scoring.read_bundle(stripped, key="k1")
    with pytest.raises(BundleError, match="signature must be"):
        scoring.read_bundle(scoring.seal({**signed, "signature": "ok"}), key="k1")


def test_the_key_comes_from_the_environment_for_the_cli(tmp_path, capsys, monkeypatch):
    (tmp_path / "in.csv").write_text("util,sector\n0.5,retail\n")
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_bytes(scoring.dumps_bundle(LOGISTIC))
    signed = tmp_path / "signed.json"
    signed.write_bytes(scoring.dumps_bundle(LOGISTIC, key="team-key"))
    monkeypatch.setenv(scoring.KEY_VARIABLE, "team-key")
    assert main(["score", str(unsigned), str(tmp_path / "in.csv"), "-o", str(tmp_path / "a.csv"),
                 "--no-progress"]) == 2
    assert "not signed" in capsys.readouterr().err and not (tmp_path / "a.csv").exists()
    assert main(["score", str(signed), str(tmp_path / "in.csv"), "-o", str(tmp_path / "b.csv"),
                 "--no-progress"]) == 0
    monkeypatch.setenv(scoring.KEY_VARIABLE, "another-key")
    with pytest.raises(BundleError, match="signature does not match"):
        scoring.load_scorer(signed)
    assert scoring.load_scorer(signed, key="team-key").kind == "logistic"  # the argument wins
